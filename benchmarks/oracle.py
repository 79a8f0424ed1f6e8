"""Cost of verify's oracle by authority (`--decisions guide`) against the exact one
(`strict`), measured in the same process on the same comparisons: every step's expected
screen and emails of the forms and signed-in parts, compared with themselves (a
conforming portal) and with a team's drawing of them (tests/verify/team_portals.py).
Run: ``.venv/bin/python -m benchmarks.oracle``.
"""

from __future__ import annotations

from benchmarks.timing import median_seconds
from simulator.verify.model import Observation
from simulator.verify.oracle import Oracle
from simulator.verify.suite import explore
from specs import load_flows
from tests.verify.team_portals import drawn


def main() -> None:
    flow_set = load_flows()
    exploration = explore(flow_set, workers=2, part_names=["forms", "signed in"])
    steps = [
        want
        for journey in exploration.journeys
        for want in journey.expected
        if isinstance(want, Observation)
    ]
    strict, guide = Oracle(flow_set.portal, "strict"), Oracle(flow_set.portal, "guide")
    theirs = [(want, drawn(want.screen)) for want in steps]

    def same(oracle: Oracle) -> None:
        for want in steps:
            oracle.screens(want.screen, want.screen)
            oracle.emails(want.emails, want.emails)

    def other(oracle: Oracle) -> None:
        for want, screen in theirs:
            oracle.screens(want.screen, screen)

    base = median_seconds(lambda: same(strict), repeat=3)
    by_guide = median_seconds(lambda: same(guide), repeat=3)
    base_other = median_seconds(lambda: other(strict), repeat=3)
    guide_other = median_seconds(lambda: other(guide), repeat=3)
    print(f"{len(steps)} steps of {len(exploration.journeys)} journeys")
    print(f"conforming portal: strict {base:.3f} s, guide {by_guide:.3f} s: {by_guide / base:.2f}x")
    print(
        f"a team's drawing (screens): strict {base_other:.3f} s, guide {guide_other:.3f} s:"
        f" {guide_other / base_other:.2f}x"
    )


if __name__ == "__main__":
    main()
