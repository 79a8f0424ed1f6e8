"""`rpp report` shows each text's, screen element's and email line's authority."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from simulator.cli import main
from specs.model import FlowSet
from specs.report.build import authorities


def _rows(page: str) -> dict[str, str]:
    """The Authorities part's rows: what -> authority, as a reader sees them."""
    part = page[page.index('<section id="authorities">') :]
    part = part[: part.index("</section>")]
    rows = {}
    for row in re.findall(r"<tr class=\"authority-\w+\".*?</tr>", part, re.S):
        cells = [
            " ".join(html.unescape(re.sub(r"<[^>]+>", "", c)).split())
            for c in re.findall(r"<td>(.*?)</td>", row, re.S)
        ]
        rows[cells[0]] = cells[2]
    return rows


def test_every_expectation_is_listed_with_its_authority(flow_set: FlowSet) -> None:
    rows = authorities(flow_set)
    portal = flow_set.portal
    texts = [r for r in rows if r.part == "texts"]
    assert len(texts) == len(portal.texts)
    emails = [r for r in rows if r.part == "emails"]
    assert len(emails) == sum(1 + len(e.body) for e in portal.emails.values())
    screens = {r.what for r in rows if r.part == "screens"}
    assert {f"screen {name}: title" for name in portal.screens} <= screens


def test_the_page_shows_guide_ids_words_and_decisions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "site"
    assert main(["report", "--out", str(out), "--reports", str(tmp_path / "none")]) == 0
    capsys.readouterr()
    page = (out / "index.html").read_text(encoding="utf-8")
    rows = _rows(page)
    assert rows["text login_failed"] == "guide LOCK-1"
    assert rows["text username_request_submitted"] == (
        "reconstructed from USER-5; must contain “Your User Nam”"
    )
    assert rows["text user_name_required"] == "decision form-field-messages"
    assert rows["screen welcome: title"] == "decision welcome-page-content"
    assert rows["screen forgot_user_name: title"] == "decision forgot-user-name-heading"
    assert rows["screen forgot_user_name: fields"].startswith("guide USER-1")
    assert rows["email username: subject"] == "decision username-email-subject"
    assert rows["email password_reset: line 1"] == "decision temporary-password-line"
    assert rows["email password_reset: line 2"].startswith("guide RESET-6")
    # a decision links to its entry, a guide ID to its own
    assert '<a href="#decision-username-email-subject">' in page
    assert 'id="decision-username-email-subject"' in page
    assert '<a href="#g-LOCK-1">LOCK-1</a>' in page
