"""A failing step says first where it is and what differs, before any page dump, and
never shows pytest's fixture internals, a Python ``None`` or a ``datetime.date``. Each
case is a small feature file with a wrong expectation, run by pytest in a subprocess
on a features directory of its own (``$RPP_FEATURES``)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from specs.scenarios import FEATURES_ENV

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_SECONDS = 300

WRONG = """\
Feature: Wrong expectations
  Background:
    Given a registered producer:
      | User Name | Password | State |
      | oops1     | Oops2019 | IL    |

  @LOCK-1
  Scenario: A named message that is not the one shown
    When the producer logs in with "Wrong123"
    Then the page shows the LOCK-2 message

  @RESET-9
  Scenario: Change Password on the login page
    When the producer opens the portal
    And the producer changes the password from their password to "Santa2026"

  @RESET-8
  Scenario: Edit Profile before signing in
    Given the producer has opened Edit Profile

  @SERVICES-1
  Scenario: A directory with one wrong cell
    Given the producer is on the "Forgot User Name?" page
    Then the page shows the Producer Services directory:
      | line                               | IL                                     | NM                                     | OK                                     | TX                                     | MT             |
      | Major Medical                      | (888) 313-5526                         | (888) 222-0572                         | (888) 399-9394                         | (888) 697-0679                         | (855) 454-7109 |
      | Medicare Supplement (Legacy)       | (800) 538-0382 prior to May 1, 2019    | (888) 222-0572 prior to May 1, 2019    | (800) 522-9266 prior to May 1, 2019    | (800) 366-4236 prior to Jan 1, 2020    | (855) 258-8475 |
      | Medicare Supplement (New Business) | (877) 587-6638 on or after May 1, 2019 | (877) 587-6679 on or after May 1, 2019 | (877) 587-6645 on or after May 1, 2019 | (877) 587-6641 on or after Jan 1, 2020 | (855) 258-8475 |
      | Medicare Advantage (MAPD)          | (877) 774-8592                         | ?                                      | (877) 774-8592                         | ?                                      | ?              |
      | Prescription Drug (PDP)            | ?                                      | ?                                      | ?                                      | ?                                      | ?              |
      | State Farm Agents Only             | ?                                      | ?                                      | ?                                      | ?                                      | ?              |

  @SERVICES-1
  Scenario: A number the guide does not show
    When a producer in "IL" looks up Producer Services for "Medicare Advantage (MAPD)"
    Then the number to call is "(877) 774-8592"

  @LOCK-2
  Scenario: An account that is not locked
    When the producer logs in with "Wrong123"
    Then the account is locked

  @LOCK-1
  Scenario: A message name that does not exist
    When the producer logs in with "Wrong123"
    Then the page shows the lockout message

  @USER-1
  Scenario: A click on a button of another page
    When the producer opens the portal
    And the producer clicks "Update Password"
"""


@pytest.fixture(scope="module")
def failures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Each failing test's report, by test name."""
    features = tmp_path_factory.mktemp("features")
    (features / "wrong.feature").write_text(WRONG, encoding="utf-8")
    env = {**os.environ, FEATURES_ENV: str(features)}
    for name in ("RPP_TARGET", "RPP_MAILBOX", "RPP_BROWSER"):
        env.pop(name, None)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    result = subprocess.run(
        [*command, "tests/test_features.py", "--scenarios-report", str(features / "gate.json")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    sections = re.split(r"^_{3,} (test_\w+) _{3,}$", result.stdout, flags=re.MULTILINE)
    return dict(zip(sections[1::2], sections[2::2], strict=True))


def _report(failures: dict[str, str], test: str) -> list[str]:
    report = failures[test]
    assert "fixturefunc" not in report and "call_fixture_func" not in report
    assert "None" not in report and "datetime" not in report
    return report.strip().splitlines()


def test_a_named_message_names_the_first_difference_first(failures: dict[str, str]) -> None:
    lines = _report(failures, "test_a_named_message_that_is_not_the_one_shown")
    assert lines[0].endswith("wrong.feature:10: Then the page shows the LOCK-2 message")
    assert lines[1] == (
        "message(s) 1: first difference at character 14: expected 'y' (LATIN SMALL LETTER Y),"
        " got 't' (LATIN SMALL LETTER T)"
    )
    assert lines.index("The page the producer saw:") > 2


def test_a_step_on_the_wrong_page_names_the_step_that_leads_there(
    failures: dict[str, str],
) -> None:
    lines = _report(failures, "test_change_password_on_the_login_page")
    assert lines[0].endswith(
        'wrong.feature:15: And the producer changes the password from their password to "Santa2026"'
    )
    assert lines[1].startswith('this step is done on the "Change Password" page;')
    assert "    Given the producer has signed in and opened Edit Profile" in lines[2:4]
    assert 'but the producer sees the "Please Sign-In" page' in lines[2:6]

    click = _report(failures, "test_a_click_on_a_button_of_another_page")
    assert click[1].startswith('"Update Password" is on the "Change Password" page;')


def test_opening_edit_profile_unsigned_says_which_step_signs_in(
    failures: dict[str, str],
) -> None:
    lines = _report(failures, "test_edit_profile_before_signing_in")
    assert lines[1].startswith("Edit Profile is opened once signed in, from the Welcome page;")
    assert '"Given the producer has signed in with their password"' in lines[1]


def test_a_table_differs_row_by_row_and_unknown_is_unknown(failures: dict[str, str]) -> None:
    lines = _report(failures, "test_a_directory_with_one_wrong_cell")
    assert lines[1] == "the Producer Services directory differs, row by row:"
    assert lines[2] == (
        "  row 5 'Medicare Advantage (MAPD)', IL: expected '(877) 774-8592', shown unknown (?)"
    )
    assert lines[3] == ""  # only that cell differs

    number = _report(failures, "test_a_number_the_guide_does_not_show")
    assert number[1] == (
        "a producer in IL, Medicare Advantage (MAPD): expected '(877) 774-8592',"
        " the directory gives unknown (illegible in the guide)"
    )


def test_account_state_and_text_names_fail_plainly(failures: dict[str, str]) -> None:
    locked = _report(failures, "test_an_account_that_is_not_locked")
    assert locked[1].startswith("expected the account to be locked: signing in with their")
    name = _report(failures, "test_a_message_name_that_does_not_exist")
    assert name[1].startswith("no text of flows/portal.yaml is named 'lockout'; the messages are:")
    assert "login_failed (LOCK-1)" in name[1]
