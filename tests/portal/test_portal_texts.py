"""portal.yaml holds the guide's texts letter for letter, and its directory."""

from __future__ import annotations

import re

import pytest

from specs import FlowSet
from tests.conftest import GUIDE_DIR


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def guide_texts() -> str:
    raw = (GUIDE_DIR / "retail-producer-portal-guide.txt").read_text(encoding="utf-8")
    corrected = (GUIDE_DIR / "GUIDE.md").read_text(encoding="utf-8")
    return _flat(raw) + "\n" + _flat(corrected)


LOCK_1 = (
    "We're sorry, this Username/Password combination does not match your account information"
    " – please try again. After three attempts, your account will be temporarily locked for"
    " your protection. Please click Forgot Username and/or Reset Password for help."
)
LOCK_2 = (
    "We're sorry, your account is now temporarily locked as a security precaution due to three"
    " unsuccessful login attempts. Please click Forgot Username and/or Reset Password for help."
)


def test_lock_messages_letter_for_letter(flow_set: FlowSet, guide_texts: str) -> None:
    texts = flow_set.portal.texts
    assert texts["login_failed"].text == LOCK_1
    assert texts["account_locked"].text == LOCK_2
    # and both stand in the raw guide as printed (line breaks aside)
    assert LOCK_1 in guide_texts and LOCK_2 in guide_texts


def test_reset_subject_and_update_confirmation(flow_set: FlowSet, guide_texts: str) -> None:
    subject = flow_set.portal.emails["password_reset"].subject.text
    assert subject == "Retail Producer Portal Password Reset"
    assert f'subject line of "{subject}' in guide_texts
    updated = flow_set.portal.texts["password_updated"].text
    assert updated == "Your password has been updated."
    assert flow_set.portal.screens["password_updated"].title == "Password Update"
    assert flow_set.portal.screens["password_updated"].buttons == ("Back to Profile Page",)
    assert f"Password Update {updated} Back to Profile Page" in guide_texts


def _quoted(flow_set: FlowSet) -> list[tuple[str, str]]:
    portal = flow_set.portal
    out = [
        (f"text {t.key}", line)
        for t in portal.texts.values()
        if t.source in ("quoted", "ocr_corrected")
        for line in t.lines
    ]
    for email in portal.emails.values():
        for i, part in enumerate((email.subject, *email.body)):
            if part.source in ("quoted", "ocr_corrected"):
                out.append((f"email {email.key}[{i}]", part.text))
    for screen in portal.screens.values():
        for label in (screen.title, *screen.fields, *screen.buttons, *screen.links, *screen.menus):
            out.append((f"screen {screen.name}", label))
    return out


def test_every_quoted_text_is_in_the_guide(flow_set: FlowSet, guide_texts: str) -> None:
    examples = {"{user_names}": "jessicacamp", "{temporary_password}": ""}
    missing = []
    for where, text in _quoted(flow_set):
        for placeholder, example in examples.items():
            text = text.replace(placeholder, example)
        if _flat(text) not in guide_texts:
            missing.append(f"{where}: {text!r}")
    assert not missing, "not in the guide:\n" + "\n".join(missing)


def test_reconstructed_and_decided_texts_say_why(flow_set: FlowSet) -> None:
    portal = flow_set.portal
    for text in portal.texts.values():
        if text.source == "reconstructed":
            assert text.note, f"{text.key} is reconstructed but has no note"
    for email in portal.emails.values():
        for part in (email.subject, *email.body):
            if part.source in ("reconstructed", "decided") and part.text_ref is None:
                assert part.note, f"{email.key}: {part.text!r} needs a note"


def test_services_paragraph_agrees_with_the_directory(flow_set: FlowSet) -> None:
    portal = flow_set.portal
    services = portal.producer_services
    paragraph = portal.texts["services_paragraph"].text
    assert f"IL: {services.number('IL', 'major_medical')}" in paragraph
    assert f"MT: {services.number('MT', 'major_medical')}" in paragraph
    assert services.state_farm_number in portal.texts["services_state_farm"].text


@pytest.mark.parametrize(
    ("state", "legacy", "new_business"),
    [
        ("IL", "(800) 538-0382 prior to May 1, 2019", "(877) 587-6638 on or after May 1, 2019"),
        ("NM", "(888) 222-0572 prior to May 1, 2019", "(877) 587-6679 on or after May 1, 2019"),
        ("OK", "(800) 522-9266 prior to May 1, 2019", "(877) 587-6645 on or after May 1, 2019"),
        ("TX", "(800) 366-4236 prior to Jan 1, 2020", "(877) 587-6641 on or after Jan 1, 2020"),
        ("MT", "(855) 258-8475", "(855) 258-8475"),
    ],
)
def test_medicare_supplement_rows_carry_their_dates(
    flow_set: FlowSet, state: str, legacy: str, new_business: str
) -> None:
    """SERVICES-1: the dates say which business a number serves; both rows always shown."""
    lines = flow_set.portal.producer_services.lines
    assert lines["medicare_supplement_legacy"].cells[state].text == legacy
    assert lines["medicare_supplement_new_business"].cells[state].text == new_business


def test_illegible_cells_stay_unknown(flow_set: FlowSet) -> None:
    services = flow_set.portal.producer_services
    assert services.number("OK", "medicare_advantage") == "(877) 774-8592"
    for state in ("IL", "NM", "TX", "MT"):
        assert services.number(state, "medicare_advantage") is None
    for state in services.states:
        assert services.number(state, "prescription_drug") is None
    assert services.for_producer("TX", "prescription_drug", state_farm=True) == "1-844-250-8201"


def test_every_silent_question_is_decided(flow_set: FlowSet) -> None:
    guide = (GUIDE_DIR / "GUIDE.md").read_text(encoding="utf-8")
    silent = guide.split("## Where the guide is silent", 1)[1]
    questions = [ln for ln in silent.splitlines() if ln.startswith("- ")]
    assert len(questions) >= 8
    decided = " ".join(d.question for d in flow_set.portal.decisions.values())
    for needle in (
        "successful login reset",
        "unknown user name",
        "temporarily locked",
        "username recovery alone unlock",
        "reveal whether the entered data matched",
        "temporary password single-use",
        "wrong temporary password",
        "differ from the current one",
        "case-sensitive",
        "missing or malformed field",
    ):
        assert needle in decided, f"no decision answers: {needle}"
    for decision in flow_set.portal.decisions.values():
        assert decision.rationale.strip()
