"""The world one scenario runs in: the portal under test, its producers, one browser,
and the mailbox as the producer reads it.

The portal runs the flows in ``$RPP_FLOWS`` (default: the shipped ``flows/``), fresh
for each scenario: in-process (an :class:`~simulator.drivers.in_process.InProcessTarget`),
or, with ``--target`` (:mod:`tests.bdd.targets`), served over HTTP
(:class:`~simulator.drivers.http.HttpTarget`) or driven in Chromium
(:class:`~simulator.drivers.browser.BrowserTarget`), reset with the scenario's parameter
changes. Steps act only through the :class:`~simulator.drivers.protocol.Target` and
:class:`~simulator.drivers.protocol.Driver` protocols and read mail through the
:class:`~simulator.mail.reader.MailReader` protocol, so they run alike on every target.
Which emails a step has looked at is remembered by their Message-ID.

Two things are not a producer's doing, and differ by target:

- the transitions fired, for the coverage gate: the in-process portal's listener, or
  the served portal's test API (``target.fired()``);
- the producer's email provider filing the portal's mail as spam: the in-process
  mailbox's rule, or over HTTP the provider's filter simulated by tagging every
  message ``spam`` through Mailpit's tag API (``PUT /api/v1/tags``) before any step
  reads mail.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from email.message import EmailMessage
from pathlib import Path
from typing import Any, NoReturn

import httpx
import pytest

from simulator.drivers import MAIL_POLL_SECONDS
from simulator.drivers.browser import BrowserDriver, BrowserTarget
from simulator.drivers.http import DriverError, HttpTarget
from simulator.drivers.in_process import InProcessTarget
from simulator.drivers.protocol import Driver, Target
from simulator.mail.mailbox import Mailbox, normalize_address
from simulator.mail.mailpit import MailpitError
from simulator.mail.messages import MissingEmailPart, email_kind, temporary_password_in
from simulator.mail.reader import MailReader
from simulator.population import Population, Producer
from simulator.portal.forms import AGENT_UNIQUE_ID, EMAIL, PASSWORD, STATE, USER_NAME
from simulator.portal.screens import Screen
from simulator.verify.oracle import Difference, Oracle
from specs import DEFAULT_FLOWS_DIR, FlowSet, load_flows
from specs.loader import GUIDE_NOT_READ
from specs.model import Cell, Parameters, Text
from tests.bdd.routes import way_to
from tests.bdd.tags import DECISION_TAG
from tests.bdd.targets import Factory, Remote
from tests.bdd.texts import resolve
from tests.bdd.vocabulary import VALUE_PHRASES

__all__ = [
    "FLOWS_ENV",
    "PRODUCER_COLUMNS",
    "WORLD",
    "DecisionDiffers",
    "World",
    "features_flows_dir",
    "guide_not_read",
    "load_features_flows",
    "message_key",
    "parameter_changes",
]

FLOWS_ENV = "RPP_FLOWS"
_ORDINALS = {"first": 0, "second": 1}  # "the second temporary password"
POPULATION_SEED = 2019  # the Faker identities behind producers a scenario does not spell out
STATE_FARM = "State Farm"

# The columns of a producer table: the portal's own field labels, and State Farm.
PRODUCER_COLUMNS: dict[str, str] = {
    USER_NAME: "user_name",
    PASSWORD: "password",
    AGENT_UNIQUE_ID: "agent_unique_id",
    EMAIL: "email",
    STATE: "home_state",
    STATE_FARM: "state_farm",
}


def features_flows_dir() -> Path:
    """The flows the features run against: ``$RPP_FLOWS`` or the shipped ``flows/``."""
    return Path(os.environ.get(FLOWS_ENV) or DEFAULT_FLOWS_DIR)


@functools.cache
def load_features_flows(directory: str) -> FlowSet:
    """The flows of ``directory``, loaded once per test run. Without the guide (a copy of
    the checkout not beside ``shared/``, no ``$RPP_GUIDE``) the guide IDs are those the
    flows cite (:data:`specs.loader.GUIDE_NOT_READ`): the features run, and the run's
    header and the coverage gate say the guide was not read."""
    return load_flows([Path(directory)], guide_optional=True)


def guide_not_read(flow_set: FlowSet) -> bool:
    """True when ``flow_set``'s guide IDs were not read from GUIDE.md."""
    return any(text == GUIDE_NOT_READ for text in flow_set.guide_ids.values())


def message_key(message: EmailMessage) -> str:
    """What tells one email from another on every mailbox: its Message-ID (the portal
    gives each email its own), else a digest of its bytes."""
    message_id = str(message.get("Message-ID", "")).strip()
    if message_id:
        return message_id
    return "sha256:" + hashlib.sha256(message.as_bytes()).hexdigest()


# The behavioural readings (a decision's `parameter:`) a served portal's reset also takes.
BEHAVIOUR_PARAMETERS = ("empty_login_counts", "wrong_current_password_counts")


def parameter_changes(shipped: Parameters, wanted: Parameters) -> dict[str, int | bool | None]:
    """The parameters ``wanted`` sets otherwise than ``shipped``, as a served portal's
    reset takes them (whole numbers, None for "off", or a behavioural reading's boolean)."""
    changes: dict[str, int | bool | None] = {}
    for field in dataclasses.fields(Parameters):
        value = getattr(wanted, field.name)
        if value == getattr(shipped, field.name):
            continue
        if field.name in BEHAVIOUR_PARAMETERS:
            changes[field.name] = value
            continue
        if isinstance(value, bool) or not (value is None or isinstance(value, int)):
            raise AssertionError(
                f"the parameter {field.name} cannot be changed on a served portal"
                " (its test API resets whole numbers only)"
            )
        changes[field.name] = value
    return changes


class World:
    """One scenario's portal, producers, browser and mail."""

    def __init__(
        self,
        flow_set: FlowSet,
        population: Population,
        remote: Remote | Factory | None = None,
        decisions_tagged: Iterable[str] = (),
    ) -> None:
        self.team = remote if isinstance(remote, Factory) else None  # a team's target
        # A team's portal is read with its decisions: its behaviour readings and texts.
        self.flow_set = flow_set if self.team is None else self.team.flows(flow_set)
        self.population = population
        self.remote = remote if isinstance(remote, Remote) else None  # None: not served
        # How texts are compared: exactly (None) on our own portals; by the guide's
        # authority (verify's guide mode, the team's texts exactly) on a team's.
        self.oracle: Oracle | None = None
        if self.team is not None:
            team_texts = self.team.decisions.team_lines if self.team.decisions else ()
            self.oracle = Oracle(self.flow_set.portal, "guide", team_texts)
        self.decisions_differ: list[Difference] = []  # decided elements worded otherwise
        # The scenario's reading of the silent behaviour: on a team's target the team's,
        # except for the decisions the scenario is tagged with (it tests the flows'
        # reading until a Given step reads it the other way): a team's target runs only
        # the scenarios of its own readings (:meth:`_team_target`).
        self.parameters: Parameters = self.flow_set.portal.parameters
        for decision_id in decisions_tagged:
            spec = flow_set.portal.decisions.get(decision_id)
            if self.team is not None and spec is not None and spec.parameter is not None:
                shipped = getattr(flow_set.portal.parameters, spec.parameter)
                self.parameters = dataclasses.replace(self.parameters, **{spec.parameter: shipped})
        self._shipped = flow_set.portal  # the flows' own texts, as the features quote them
        self.spam_folder = False  # the producers' mail provider files the portal's mail as spam
        self.fired: list[str] = []  # machine.id of every transition fired, in order
        self.producers: list[Producer] = []
        self.current: Producer | None = None
        self.email: EmailMessage | None = None  # the email the producer is reading
        self.looked_up: tuple[str, Cell] | None = None  # (what, cell) of a directory look-up
        self._target: Target | None = None
        self._served: HttpTarget | None = None  # the same target, when served over HTTP
        self._spam_filter: _SpamFilter | None = None  # the provider's, over HTTP
        self._browser: Driver | None = None
        self._browsers: list[Driver] = []  # every browser opened, the first one first
        self._read: set[str] = set()  # message_key of each email already looked at
        self._given: set[str] = set()  # message_key of each email a Given step caused
        self._secrets: set[str] = set()  # every password and temporary password met
        self._next_index = 0

    # -- the portal under test -------------------------------------------------------------

    @property
    def target(self) -> Target:
        """The portal under test, built (or reset, when served) at the first thing a
        producer does."""
        if self._target is None:
            if self.team is not None:
                target = self._team_target(self.team)
            elif self.remote is None:
                target = self._in_process()
            else:
                target = self._serve(self.remote)
            for producer in self.producers:
                target.register(producer)
            self._target = target
        return self._target

    def _in_process(self) -> InProcessTarget:
        mailbox = Mailbox(spam_for=(lambda message: True) if self.spam_folder else None)
        target = InProcessTarget(self.flow_set, self.parameters, mailbox=mailbox)
        target.portal.on_fired(lambda spec: self.fired.append(spec.name))
        return target

    def _team_target(self, team: Factory) -> Target:
        if self.spam_folder:
            self.lacks("spam folder (nothing in its mailbox is filed as spam)")
        theirs = self.flow_set.portal.parameters
        for decision_id, spec in self.flow_set.portal.decisions.items():
            name = spec.parameter
            if name is None or getattr(self.parameters, name) == getattr(theirs, name):
                continue
            source = (
                team.decisions.path
                if team.decisions is not None and decision_id in team.decisions.behaviour
                else "the flows' reading: no --decisions file says otherwise"
            )
            pytest.skip(
                f"this scenario reads decision {decision_id} as {name}:"
                f" {getattr(self.parameters, name)}; the team reads it as"
                f" {getattr(theirs, name)} ({source})"
            )
        return team.make(self.parameters)

    def wording(self, text: str) -> str:
        """``text`` as a feature quotes it, in the portal's words: on a team's target a
        decided text its decisions file words otherwise is the team's (checked exactly);
        any other text as quoted."""
        if self.team is None or self.team.decisions is None:
            return text
        for key, team_text in self.team.decisions.texts.items():
            if text == self._shipped.texts[key].text:
                return team_text
        return text

    def advance_clock(self, minutes: float) -> None:
        """Let ``minutes`` pass on the portal's clock; a team's target without a clock
        skips the scenario."""
        target = self.target
        if self.team is not None and not callable(getattr(target, "advance_clock", None)):
            self.lacks("clock the scenario can move on (advance_clock)")
        target.advance_clock(minutes)

    def lacks(self, what: str) -> NoReturn:
        """Skip the scenario: the team's target cannot give ``what`` (never a pass)."""
        assert self.team is not None
        pytest.skip(f"the team's target {self.team.spec} has no {what}")

    @property
    def reads_transitions(self) -> bool:
        """Whether the transitions fired can be read (not from a team's target)."""
        return self.team is None

    def judge(self, differences: Iterable[Difference], context: str = "") -> None:
        """Fail on every failing difference (all of them named); a decided element the
        team's portal words its own way is kept and warned of, never failed nor hidden."""
        from tests.bdd.reports import mask  # reports reads the world: imported when used

        differences = list(differences)
        failing = [d for d in differences if d.failing]
        for difference in differences:
            if not difference.failing:
                self.decisions_differ.append(difference)
                # A warning is no report the masks reach: no password in it.
                text = mask(difference.text, self.secrets())
                warnings.warn(DecisionDiffers(text), stacklevel=2)
        if failing:
            self.fail((context + "\n" if context else "") + "\n".join(d.text for d in failing))

    def _serve(self, remote: Remote) -> HttpTarget:
        changes = parameter_changes(self.flow_set.portal.parameters, self.parameters) or None
        portal = self.flow_set.portal
        served: HttpTarget
        if remote.browser:
            served = BrowserTarget(
                remote.url, remote.mailbox_url, portal, parameters=changes, screens=remote.screens
            )
        else:
            served = HttpTarget(remote.url, remote.mailbox_url, portal, parameters=changes)
        self._served = served
        return served

    def transitions_fired(self) -> list[str]:
        """``machine.id`` of every transition fired so far, in order: the in-process
        listener's record, or what the served portal's test API reports."""
        if self._served is not None:
            self.fired += self._served.fired()
        return self.fired

    def close(self) -> None:
        """Close the browsers and connections of a served target."""
        if self._spam_filter is not None:
            self._spam_filter.close()
        if self._served is not None:
            self._served.close()

    def before_portal_opens(self, what: str) -> None:
        """Settings of the portal itself must come before anybody uses it."""
        if self._target is not None:
            raise AssertionError(
                f"{what}: the portal is already running; put this Given before the steps"
                " that open a browser or read mail"
            )

    # -- producers ---------------------------------------------------------------------------

    def register(self, fields: Mapping[str, object], current: bool = True) -> Producer:
        """A producer with ``fields`` (Producer attribute names); Faker fills the rest with an
        identity whose email address nobody else has."""
        while len(self.population.email_group(self._next_index)) != 1:
            self._next_index += 1
        made = self.population.producer(self._next_index)
        self._next_index += 1
        producer = dataclasses.replace(made, **fields)  # type: ignore[arg-type]
        taken = {p.user_name.casefold() for p in self.producers}
        if producer.user_name.casefold() in taken:
            raise AssertionError(f"the user name {producer.user_name!r} is registered twice")
        self.producers.append(producer)
        if self._target is not None:
            self._target.register(producer)
        if current or self.current is None:
            self.current = producer
        return producer

    @property
    def producer(self) -> Producer:
        if self.current is None:
            raise AssertionError(
                "no producer yet: start the scenario with 'Given a registered producer'"
            )
        return self.current

    # -- the browser -------------------------------------------------------------------------

    @property
    def browser(self) -> Driver:
        """The producer's browser, opened on the login page when first needed."""
        if self._browser is None:
            self._browser = self.target.open_browser()
            self._browsers.append(self._browser)
        return self._browser

    def open_another_browser(self) -> Screen:
        """A second browser beside the first, on the login page; the producer uses it
        until they return to the first."""
        if not self._browsers:
            _ = self.browser  # the first one exists before the second
        self._browser = self.target.open_browser()
        self._browsers.append(self._browser)
        return self._browser.screen()

    def return_to_first_browser(self) -> Screen:
        if not self._browsers:
            self.fail("no browser was opened yet")
        self._browser = self._browsers[0]
        return self._browser.screen()

    def open_fresh_browser(self) -> Screen:
        if self._browser is None:
            return self.browser.screen()
        return self._browser.close_browser()

    def side_browser(self) -> Driver:
        """A browser of its own on the login page, for a check the producer makes aside;
        the producer's browser stays where it was (the target closes both at the end)."""
        return self.target.open_browser()

    @property
    def screen(self) -> Screen:
        return self.browser.screen()

    def needs_page(self, *screens: str) -> Screen:
        """The page now shown, when it is one of ``screens`` (names of portal.yaml);
        otherwise the step fails saying which steps bring the producer there."""
        screen = self.screen
        if screen.name not in screens:
            self.fail(
                f"this step is done on {way_to(self.flow_set.portal, screens)}\n"
                f'but the producer sees the "{screen.title}" page'
            )
        return screen

    def needs_control(self, label: str) -> Screen:
        """The page now shown, when it has a button, link or field ``label`` to click;
        otherwise the step fails naming the pages that have it and how to get there."""
        screen = self.screen
        spec = self.flow_set.portal.screens.get(screen.name)
        if spec is not None and label not in spec.clicks:
            having = [
                name
                for name, other in self.flow_set.portal.screens.items()
                if label in other.clicks
            ]
            if not having:
                controls = ", ".join(f'"{c}"' for c in spec.clicks) or "none"
                self.fail(
                    f'no page of the portal has "{label}" to click; the "{screen.title}" page'
                    f" has {controls}"
                )
            self.fail(
                f'"{label}" is on {way_to(self.flow_set.portal, having)}\n'
                f'but the producer sees the "{screen.title}" page'
            )
        return screen

    def text(self, ref: str, kind: str) -> Text:
        """The text of portal.yaml a step names by key or guide ID (tests/bdd/texts.py)."""
        return resolve(self.flow_set.portal, ref, kind)

    def screenshot(self, path: Path) -> Path | None:
        """Save the page the producer sees as a PNG at ``path``, when the browser is
        a real one (Chromium); None otherwise."""
        if isinstance(self._browser, BrowserDriver):
            return self._browser.screenshot(path)
        return None

    def label_for(self, trigger: str) -> str:
        """The button or link of the page now shown that fires ``trigger``, as the flows
        name it (so Given steps need no label of their own)."""
        screen = self.screen
        spec = self.flow_set.portal.screens.get(screen.name)
        for label, fired in spec.clicks.items() if spec is not None else ():
            if fired == trigger:
                return label
        self.fail(f"the page has no button or link that does {trigger}")

    # -- what the producer types -----------------------------------------------------------

    def value(self, phrase: str) -> str:
        """What a value phrase of a step stands for (tests/bdd/vocabulary.py)."""
        if phrase.startswith('"') and phrase.endswith('"') and len(phrase) >= 2:
            return phrase[1:-1]
        if phrase not in VALUE_PHRASES:
            raise AssertionError(f"{phrase!r} is neither a quoted value nor a value phrase")
        if phrase == "nothing":
            return ""
        if phrase.startswith("the") and "temporary password" in phrase:
            temporary = self._temporary_password(phrase)
            for case, change in (
                ("upper case", str.upper),
                ("lower case", str.lower),
                ("swapped case", str.swapcase),
            ):
                if phrase.endswith(case):
                    changed = change(temporary)
                    if changed == temporary:
                        raise AssertionError(
                            f"the temporary password {temporary!r} reads the same in {case}"
                        )
                    return changed
            return temporary
        producer = self.producer
        plain = phrase.removesuffix(" in upper case")
        value = {
            "their user name": producer.user_name,
            "their password": producer.password,
            "their E-mail Address": producer.email,
            "their Agent Unique ID": producer.agent_unique_id,
        }[plain]
        return value.upper() if plain != phrase else value

    def _temporary_password(self, phrase: str) -> str:
        """The newest temporary password, or the one ``phrase``'s ordinal names (the first
        reset email's, the second's...)."""
        passwords = self.temporary_passwords()
        ordinal = phrase.split()[1]
        if ordinal not in _ORDINALS:
            return passwords[-1]
        index = _ORDINALS[ordinal]
        if index >= len(passwords):
            self.fail(
                f"{phrase}: the producer has {len(passwords)} password reset email(s), not"
                f" {index + 1}"
            )
        return passwords[index]

    def password_changed(self, new_password: str) -> None:
        """The producer now knows ``new_password`` as their password."""
        changed = dataclasses.replace(self.producer, password=new_password)
        self.producers[self.producers.index(self.producer)] = changed
        self.current = changed
        self._secrets.add(new_password)

    # -- mail --------------------------------------------------------------------------------

    @property
    def mailbox(self) -> MailReader:
        """The producers' mail, as their provider files it."""
        mailbox = self.target.mailbox
        if self._served is not None and self.spam_folder:
            if self._spam_filter is None:
                self._spam_filter = _SpamFilter(self._served.mailbox.base_url)
            self._spam_filter.run()
        return mailbox

    def unread(self, address: str | None = None) -> list[EmailMessage]:
        """Mail (of ``address``, or anybody's) that no step has looked at yet, oldest first."""
        mailbox = self.mailbox
        held = mailbox.messages(address) if address is not None else mailbox.search()
        return [message for message in held if message_key(message) not in self._read]

    def _awaited(
        self, read: Callable[[], list[EmailMessage]], enough: Callable[[int], bool]
    ) -> list[EmailMessage]:
        """``read()``, asked again until ``enough`` of its length, for up to the target's
        ``mail_wait`` seconds: a served portal may send its mail after it shows the page
        (in-process mail is there at once)."""
        deadline = time.monotonic() + float(getattr(self.target, "mail_wait", 0.0) or 0.0)
        held = read()
        while not enough(len(held)) and time.monotonic() < deadline:
            time.sleep(MAIL_POLL_SECONDS)
            held = read()
        return held

    def messages_awaited(self, address: str, count: int) -> list[EmailMessage]:
        """``address``'s mail, waited for until it holds ``count`` messages."""
        return self._awaited(lambda: self.mailbox.messages(address), lambda n: n >= count)

    def unread_awaited(self, address: str, count: int = 1) -> list[EmailMessage]:
        """The mail of ``address`` no step has looked at yet, waited for until ``count``
        messages are."""
        return self._awaited(lambda: self.unread(address), lambda n: n >= count)

    def mark_read(self, messages: Iterable[EmailMessage]) -> None:
        self._read.update(message_key(message) for message in messages)

    def mark_given(self, messages: Iterable[EmailMessage]) -> None:
        """These emails were caused by a Given step (setting the scene), not by the
        scenario's actions: "receives an email" reads the newest of them when nothing
        else came."""
        self._given.update(message_key(message) for message in messages)

    def caused_by_given(self, message: EmailMessage) -> bool:
        return message_key(message) in self._given

    def email_kind(self, message: EmailMessage) -> str:
        """Which email of portal.yaml ``message`` is: by its Subject, or on a team's
        target whose subject the guide leaves open, by what its mailbox files it as."""
        try:
            return email_kind(message, self.flow_set.portal)
        except MissingEmailPart:
            if self.team is None:
                raise
            key = message_key(message)
            for kind in self.flow_set.portal.emails:
                found = self.target.mailbox.search(to=str(message["To"]), kind=kind)
                if any(message_key(m) == key for m in found):
                    return kind
            raise

    def temporary_password_of(self, message: EmailMessage) -> str:
        """The temporary password a reset email gives: where the team's target reads it
        (its own wording), else in the template's paragraph."""
        read = getattr(self.target, "temporary_password", None)
        if self.team is not None and read is not None:
            found = read(message)
            if found:
                return str(found)
        return temporary_password_in(message, self.flow_set.portal)

    def temporary_passwords(self) -> list[str]:
        """The temporary passwords of every reset email to the producer, oldest first."""
        address = self.producer.email
        emails = [
            message
            for message in self.messages_awaited(address, 1)
            if self.email_kind(message) == "password_reset"
        ]
        if not emails:
            self.fail(f"no password reset email has reached {normalize_address(address)}")
        passwords = [self.temporary_password_of(message) for message in emails]
        self._secrets.update(passwords)
        return passwords

    def secrets(self) -> set[str]:
        """Every password of the scenario's producers (as registered and as changed) and
        every temporary password the portal mailed, for the reports to mask."""
        found = self._secrets | {producer.password for producer in self.producers}
        if self._target is not None:
            try:
                held = self._target.mailbox.search()
            except Exception:  # a closed or unreachable mailbox: mask what is known
                held = []
            for message in held:
                try:
                    if self.email_kind(message) == "password_reset":
                        found.add(self.temporary_password_of(message))
                except Exception:  # an email without one: nothing to mask
                    continue
        self._secrets = found
        return {secret for secret in found if secret}

    # -- reporting ---------------------------------------------------------------------------

    def describe(self) -> str:
        """What the producer saw and what the mailbox holds, for failure messages."""
        parts: list[str] = []
        if self._browser is not None:
            parts.append("The page the producer saw:\n" + _page(self._browser.screen()))
        else:
            parts.append("No browser was opened.")
        if self._target is not None:
            try:
                mailbox = self.mailbox
            except (httpx.HTTPError, MailpitError) as error:  # a report must not fail
                parts.append(f"The mailbox could not be filed as spam: {error}")
                mailbox = self._target.mailbox
            parts.append("The mailbox:\n" + mailbox.describe(body_lines=4))
        try:
            fired = self.transitions_fired()
        except (httpx.HTTPError, DriverError) as error:
            parts.append(f"The transitions fired could not be read: {error}")
        else:
            if fired:
                parts.append("Transitions fired, last ten: " + ", ".join(fired[-10:]))
        return "\n\n".join(parts)

    def fail(self, message: str) -> NoReturn:
        page = _page(self._browser.screen()) if self._browser is not None else "(no browser)"
        raise AssertionError(f"{message}\n\nThe page the producer saw:\n{page}")


class DecisionDiffers(UserWarning):
    """A decision the team's portal makes differently from the flows (where the guide is
    silent): listed in pytest's warnings summary, not failed."""


class _SpamFilter:
    """The producers' email provider filing every message the portal sends as spam, over
    HTTP: each message not yet in the spam folder is tagged ``spam`` through Mailpit's
    API (``PUT /api/v1/tags`` replaces a message's tags, so the tags it had are kept)."""

    SPAM = "spam"

    def __init__(self, mailbox_url: str) -> None:
        self._client = httpx.Client(base_url=mailbox_url, timeout=10.0)

    def run(self) -> None:
        untagged: dict[tuple[str, ...], list[str]] = {}
        for summary in self._summaries():
            tags = tuple(str(tag) for tag in summary.get("Tags") or ())
            if self.SPAM not in (tag.lower() for tag in tags):
                untagged.setdefault(tags, []).append(str(summary["ID"]))
        for tags, ids in untagged.items():
            response = self._client.put(
                "/api/v1/tags", json={"IDs": ids, "Tags": [*tags, self.SPAM]}
            )
            if response.status_code != 200:
                raise MailpitError(
                    f"PUT {response.url} answered {response.status_code}: {response.text[:200]}"
                )

    def _summaries(self, page: int = 200) -> Iterator[dict[str, Any]]:
        """Every message summary the Mailpit API lists, newest first."""
        start = 0
        while True:
            response = self._client.get("/api/v1/messages", params={"start": start, "limit": page})
            if response.status_code != 200:
                raise MailpitError(f"GET {response.url} answered {response.status_code}")
            data = response.json()
            messages: list[dict[str, Any]] = data.get("messages") or []
            yield from messages
            start += len(messages)
            if not messages or start >= int(data.get("messages_count", data.get("total", 0))):
                return

    def close(self) -> None:
        self._client.close()


def _page(screen: Screen) -> str:
    lines = [screen.describe()]
    if screen.menus:
        held = screen.menu_items()
        menus = [
            f"{menu} ({', '.join(held[menu])})" if held.get(menu) else menu for menu in screen.menus
        ]
        lines.append(f"  menus: {', '.join(menus)}")
    if screen.directory:
        lines.append(f"  Producer Services directory ({', '.join(screen.directory_states)}):")
        lines += [
            f"    {row.label}: {' | '.join(n or '?' for n in row.numbers)}"
            for row in screen.directory
        ]
    return "\n".join(lines)


# -- fixtures ---------------------------------------------------------------------------------

WORLD = pytest.StashKey[World]()
"""Each scenario's world, kept on its test item for the coverage gate and failure reports."""


@pytest.fixture(scope="session")
def features_flow_set() -> FlowSet:
    """The flows under test (``$RPP_FLOWS`` or the shipped ones)."""
    return load_features_flows(str(features_flows_dir()))


@pytest.fixture(scope="session")
def population(features_flow_set: FlowSet) -> Population:
    return Population(POPULATION_SEED, features_flow_set.portal.parameters)


@pytest.fixture
def world(
    request: pytest.FixtureRequest,
    features_flow_set: FlowSet,
    population: Population,
    remote: Remote | Factory | None,
) -> Iterator[World]:
    tagged = [
        marker.name.removeprefix(DECISION_TAG)
        for marker in request.node.iter_markers()
        if marker.name.startswith(DECISION_TAG)
    ]
    made = World(features_flow_set, population, remote, tagged)
    request.node.stash[WORLD] = made
    yield made
    made.close()
    if made.decisions_differ:
        from tests.bdd.reports import mask  # reports reads the world: imported when used

        secrets = made.secrets()
        differ = request.config.stash.setdefault(_DIFFER, {})
        for difference in made.decisions_differ:
            seen = f"{difference.what}: {difference.expected!r} -> {difference.got!r}"
            differ.setdefault(difference.decision or "?", set()).add(mask(seen, secrets))


_DIFFER = pytest.StashKey[dict[str, set[str]]]()  # decision -> how the portal differed


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """On a team's target: the decisions its portal makes differently, once each."""
    differ = terminalreporter.config.stash.get(_DIFFER, {})
    if not differ:
        return
    terminalreporter.section("decisions this portal makes differently (not failed)")
    for decision, seen in sorted(differ.items()):
        terminalreporter.write_line(f"decision {decision}:")
        for line in sorted(seen)[:5]:
            terminalreporter.write_line(f"  {line[:200]}")
        if len(seen) > 5:
            terminalreporter.write_line(f"  ... and {len(seen) - 5} more")
