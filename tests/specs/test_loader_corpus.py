"""The loader under bad YAML: a corpus of broken flow files.

Each case breaks one file of a copy of the shipped flows. `rpp validate` runs in a
child process limited to 2 s of CPU (RLIMIT_CPU: the kernel stops it at the bound,
whatever the load on the machine) and 200 MB of address space (RLIMIT_AS: a bigger
allocation fails, and the MemoryError traceback fails the case). Each case must end
with exit code 1, no traceback, and a ``file:line:column: message`` naming the
problem where it is: the line is checked against a marker in the broken file.

Line ends: a BOM and CRLF (or CR) line ends are fine in a valid file; the same
problems in a file with a BOM or other line ends are reported at the same places.
"""

from __future__ import annotations

import codecs
import gc
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from yaml.nodes import ScalarNode

from specs import DEFAULT_FLOWS_DIR, load_flows
from specs.errors import SpecError
from specs.model import FlowSet, Where
from specs.yamlsource import compose_text, scalar_value

ROOT = Path(__file__).resolve().parents[2]
CPU_SECONDS = 2
MEMORY_BYTES = 200 * 1024 * 1024
HANG_TIMEOUT = 120  # wall-clock seconds: only a guard against a hang; CPU is the bound

LOGIN = "login.yaml"
LOCKOUT = "lockout.yaml"
PORTAL = "portal.yaml"
USERNAME = "username_recovery.yaml"
BOM = codecs.BOM_UTF8

Make = Callable[[Path], None]  # breaks the file at this path (in a copy of the flows)


def edit(old: str | bytes, new: str | bytes) -> Make:
    """Replace the first ``old`` with ``new``."""
    old_b = old.encode() if isinstance(old, str) else old
    new_b = new.encode("utf-8", "surrogatepass") if isinstance(new, str) else new

    def make(path: Path) -> None:
        data = path.read_bytes()
        assert old_b in data, f"{old_b!r} not in {path.name}: the shipped flows changed"
        path.write_bytes(data.replace(old_b, new_b, 1))

    return make


def write(data: bytes) -> Make:
    def make(path: Path) -> None:
        path.write_bytes(data)

    return make


def append(data: str | bytes) -> Make:
    def make(path: Path) -> None:
        path.write_bytes(path.read_bytes() + (data.encode() if isinstance(data, str) else data))

    return make


def transform(change: Callable[[bytes], bytes]) -> Make:
    def make(path: Path) -> None:
        path.write_bytes(change(path.read_bytes()))

    return make


def then(*makes: Make) -> Make:
    def make(path: Path) -> None:
        for each in makes:
            each(path)

    return make


def crlf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def cr_only(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r")


def with_bom(data: bytes) -> bytes:
    return BOM + data


def sparse(size: int) -> Make:
    def make(path: Path) -> None:
        with path.open("r+b") as file:
            file.truncate(size)  # a hole: costs no disk, reads as NUL bytes

    return make


def remove(path: Path) -> None:
    path.unlink()


def directory_instead(path: Path) -> None:
    path.unlink()
    path.mkdir()


def fifo_instead(path: Path) -> None:
    """A named pipe nobody writes to: opening it for reading would wait forever."""
    path.unlink()
    os.mkfifo(path)


def device_instead(device: str) -> Make:
    def make(path: Path) -> None:
        path.unlink()
        path.symlink_to(device)

    return make


TRANSITION = "transitions:\n"
NEW_TRANSITION = (
    "  - id: extra\n    trigger: {trigger}\n    source: {source}\n    dest: {dest}\n"
    "    guide: [LOGIN-1]\n"
)

ALIAS_BOMB = "".join(
    [
        'lol0: &lol0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n',
        *(
            f"lol{i}: &lol{i} [{', '.join([f'*lol{i - 1}'] * 9)}]\n"  # 9**9 strings if expanded
            for i in range(1, 10)
        ),
    ]
)


@dataclass(frozen=True)
class Broken:
    """One broken flow file and where `rpp validate` must say what is wrong.

    ``at`` is where the message points: a line number, or a marker in the broken
    file (the line it starts on; and its column when ``exact_column``). None: the
    place is not fixed (a count limit hit somewhere in a huge file)."""

    id: str
    file: str
    make: Make
    phrase: str
    at: int | str | bytes | None
    exact_column: bool = False


CORPUS: list[Broken] = [
    # -- bytes and characters ---------------------------------------------------------------
    Broken("empty", LOGIN, write(b""), "the file is empty", 1),
    Broken("comments-only", LOGIN, write(b"# nothing\n\n# here\n"), "the file is empty", 1),
    Broken("bom-and-blanks-only", LOGIN, write(BOM + b"  \r\n\t\r\n"), "the file is empty", 1),
    Broken(
        "five-megabytes",
        LOGIN,
        append(b"# " + b"x" * 5_000_000 + b"\n"),
        "a flow file may be at most 1,000,000 bytes",
        1,
    ),
    Broken(
        "one-gigabyte-sparse",
        LOGIN,
        sparse(2**30),
        "file is 1,073,741,824 bytes; a flow file may be at most 1,000,000 bytes",
        1,
    ),
    Broken(
        "nul-byte",
        LOGIN,
        edit("Please Sign-In", "Please\x00Sign-In"),
        "NUL byte in the file",
        b"\x00",
        exact_column=True,
    ),
    Broken(
        "utf-16-with-bom",
        LOGIN,
        transform(lambda d: d.decode().encode("utf-16")),
        "the file is UTF-16",
        1,
    ),
    Broken(
        "utf-16-without-bom",  # ASCII as UTF-16LE is valid UTF-8 with a NUL after each byte
        LOGIN,
        transform(lambda d: d.decode().encode("utf-16-le")),
        "NUL byte in the file",
        1,
    ),
    Broken(
        "invalid-utf8-continuation-byte",
        LOGIN,
        edit(b"Please Sign-In", b"Please \x80Sign-In"),
        "byte 0x80 is not UTF-8",
        b"\x80",
        exact_column=True,
    ),
    Broken(
        "invalid-utf8-overlong",
        LOGIN,
        edit(b"Please Sign-In", b"Please \xc0\xafSign-In"),
        "byte 0xc0 is not UTF-8",
        b"\xc0",
        exact_column=True,
    ),
    Broken(
        "invalid-utf8-encoded-surrogate",
        LOCKOUT,
        edit(b"The account accepts", b"The \xed\xa0\x80account accepts"),
        "byte 0xed is not UTF-8",
        b"\xed",
        exact_column=True,
    ),
    Broken(
        "invalid-utf8-cut-at-the-end",
        LOGIN,
        append(b"# \xe2\x80"),
        "byte 0xe2 is not UTF-8",
        b"\xe2\x80",
        exact_column=True,
    ),
    Broken(
        "windows-1252-en-dash",
        PORTAL,
        transform(lambda d: d.replace("–".encode(), b"\x96")),
        "byte 0x96 is not UTF-8",
        b"\x96",
        exact_column=True,
    ),
    Broken(
        "control-character",
        LOGIN,
        edit("Please Sign-In", "Please\x07Sign-In"),
        "character U+0007 is not allowed",
        b"\x07",
        exact_column=True,
    ),
    Broken(
        "escape-to-a-control-character",
        LOGIN,
        edit('"Please Sign-In', '"\\e[31mPlease Sign-In'),
        "an escape makes U+001B, a control character",
        '"\\e[31m',
        exact_column=True,
    ),
    Broken(
        "escape-to-a-lone-surrogate",
        LOGIN,
        edit('"Please Sign-In', '"\\ud800Please Sign-In'),
        "an escape makes U+D800, a lone surrogate",
        '"\\ud800',
        exact_column=True,
    ),
    # -- YAML syntax ----------------------------------------------------------------------
    Broken(
        "tab-indentation",
        LOGIN,
        edit("\n  welcome:\n", "\n\twelcome:\n"),
        "indent with spaces",
        "\twelcome:",
        exact_column=True,
    ),
    Broken(
        "tab-after-a-colon",
        LOGIN,
        edit("initial: login_page", "initial:\tlogin_page"),
        "found character '\\t'",
        "initial:\t",
    ),
    Broken(
        "unclosed-bracket",
        LOGIN,
        edit("initial: login_page\n", "initial: [login_page\n"),
        "while parsing a flow sequence that starts at line",
        "states:",
    ),
    Broken(
        "unclosed-quote",
        LOCKOUT,
        edit('description: "The account accepts', 'description: "The account accepts" x "'),
        "YAML syntax",
        'x "',
    ),
    Broken(
        "two-documents",
        LOGIN,
        append("---\nmachine: login\n"),
        "a second document starts here",
        "---",
        exact_column=True,
    ),
    Broken("yaml-2-directive", LOGIN, transform(lambda d: b"%YAML 2.0\n---\n" + d), "YAML", 1),
    # -- lists, mappings and nesting ------------------------------------------------------
    Broken(
        "list-as-the-file",
        LOGIN,
        write(b"- machine: login\n- model: session\n"),
        "flow: expected a mapping, found a list",
        1,
        exact_column=True,
    ),
    Broken(
        "list-where-a-mapping-belongs",
        PORTAL,
        edit(
            "  password_policy:                     # RESET-10\n    min_length: 6\n"
            "    max_length: 9\n    allowed: letters_and_digits",
            "  password_policy: [6, 9, letters_and_digits]",
        ),
        "parameters.password_policy: expected a mapping, found a list",
        "[6, 9,",
        exact_column=True,
    ),
    Broken(
        "list-as-a-transition",
        LOGIN,
        append("  - [submit_login, login_page, welcome]\n"),
        "expected a mapping, found a list",
        "[submit_login, login_page, welcome]",
        exact_column=True,
    ),
    Broken(
        "mapping-where-a-list-belongs",
        LOCKOUT,
        edit("transitions:\n", "transitions: {}\nextra:\n"),
        "transitions: expected a list, found a mapping",
        "{}",
        exact_column=True,
    ),
    Broken(
        "nested-10000-flow-lists",
        LOGIN,
        edit("initial: login_page", "initial: " + "[" * 10_000 + "login_page" + "]" * 10_000),
        "nesting deeper than 64 levels",
        "initial: [",
    ),
    Broken(
        "nested-10000-flow-mappings",
        LOGIN,
        edit("initial: login_page", "initial: " + "{a: " * 10_000 + "b" + "}" * 10_000),
        "nesting deeper than 64 levels",
        "initial: {",
    ),
    Broken(
        "nested-10000-block-lists",
        LOGIN,
        append("extra:\n  " + "- " * 10_000 + "x\n"),
        "nesting deeper than 64 levels",
        "  - - -",
    ),
    Broken(
        "a-megabyte-of-list-items",  # 165,000 values: over 2 s of CPU before the value limit
        LOGIN,
        append("extra:\n" + "  - x\n" * 165_000),
        "more than 20,000 values",
        None,
    ),
    # -- anchors, aliases and tags --------------------------------------------------------
    Broken("alias-bomb", LOGIN, append(ALIAS_BOMB), "anchor &lol0 is not allowed", "&lol0"),
    Broken(
        "alias-before-its-anchor",
        LOGIN,
        edit("initial: login_page", "initial: *start"),
        "alias *start is not allowed",
        "*start",
        exact_column=True,
    ),
    Broken(
        "python-object-apply",
        LOGIN,
        edit("initial: login_page", 'initial: !!python/object/apply:os.system ["echo pwned"]'),
        "tag tag:yaml.org,2002:python/object/apply:os.system is not allowed",
        "!!python",
        exact_column=True,
    ),
    Broken(
        "python-name",
        LOGIN,
        edit("initial: login_page", "initial: !!python/name:os.system"),
        "tag tag:yaml.org,2002:python/name:os.system is not allowed",
        "!!python",
        exact_column=True,
    ),
    Broken(
        "python-object-new-in-a-list",
        LOCKOUT,
        edit(
            "    unless: [failure_reaches_lockout_threshold]",
            "    unless: [!!python/object/new:subprocess.Popen [[echo, pwned]]]",
        ),
        "tag tag:yaml.org,2002:python/object/new:subprocess.Popen is not allowed",
        "!!python",
        exact_column=True,
    ),
    Broken(
        "python-verbatim-tag",
        LOGIN,
        edit("initial: login_page", "initial: !<tag:yaml.org,2002:python/object:os.system> {}"),
        "tag tag:yaml.org,2002:python/object:os.system is not allowed",
        "!<tag",
        exact_column=True,
    ),
    Broken(
        "python-tag-by-directive",
        LOGIN,
        then(
            edit("initial: login_page", "initial: !py!name:os.system"),
            transform(lambda d: b"%TAG !py! tag:yaml.org,2002:python/\n---\n" + d),
        ),
        "tag tag:yaml.org,2002:python/name:os.system is not allowed",
        "!py!name",
        exact_column=True,
    ),
    Broken(
        "local-tag",
        LOGIN,
        edit("initial: login_page", "initial: !secret login_page"),
        "tag !secret is not allowed",
        "!secret",
        exact_column=True,
    ),
    Broken(
        "binary-tag",
        LOGIN,
        edit("initial: login_page", "initial: !!binary bG9naW5fcGFnZQ=="),
        "tag tag:yaml.org,2002:binary is not allowed",
        "!!binary",
        exact_column=True,
    ),
    Broken(
        "tag-on-the-wrong-kind",
        LOGIN,
        edit("initial: login_page", "initial: !!map login_page"),
        "tag !!map does not fit a scalar",
        "!!map",
        exact_column=True,
    ),
    Broken(
        "unreadable-tagged-boolean",
        LOGIN,
        edit("    guide: [LOGIN-3]\n", "    guide: [LOGIN-3]\n    final: !!bool perhaps\n"),
        "'perhaps' cannot be read as true or false; remove the tag !!bool",
        "!!bool",
        exact_column=True,
    ),
    Broken(
        "number-of-5000-digits",
        PORTAL,
        edit("lockout_threshold: 3 ", "lockout_threshold: " + "9" * 5000 + " "),
        "is a number of 5,000 characters; no number here needs more than 32",
        "99999",
        exact_column=True,
    ),
    Broken(
        "date-for-a-name",
        LOGIN,
        edit("initial: login_page", "initial: 2026-11-02"),
        "'2026-11-02' reads as a YAML timestamp",
        "2026-11-02",
        exact_column=True,
    ),
    Broken(
        "merge-key",
        LOGIN,
        edit("model: session\n", "model: session\n<<: {initial: welcome}\n"),
        "'<<' reads as a YAML merge",
        "<<",
        exact_column=True,
    ),
    # -- line ends and line numbers -------------------------------------------------------
    Broken(
        "bom-crlf-and-an-unknown-dest",
        LOGIN,
        then(edit("    dest: state_selected\n", "    dest: dashboard\n"), transform(crlf)),
        "dest 'dashboard' is not a state of login",
        "- id: select_state",
    ),
    Broken(
        "crlf-and-a-syntax-error",
        LOGIN,
        then(edit("initial: login_page\n", "initial: [login_page\n"), transform(crlf)),
        "while parsing a flow sequence that starts at line",
        "states:",
    ),
    Broken(
        "bom-and-a-duplicate-key",
        LOGIN,
        then(edit("model: session\n", "model: session\nmodel: account\n"), transform(with_bom)),
        "duplicate key 'model' (first at line 5)",
        "model: account",
        exact_column=True,
    ),
    Broken(
        "cr-line-ends-and-an-unknown-key",
        LOCKOUT,
        then(
            edit("    trigger: fail_login\n", "    trigger: fail_login\n    colour: red\n"),
            transform(cr_only),
        ),
        "unknown key 'colour'",
        "colour: red",
        exact_column=True,
    ),
    Broken(
        "next-line-character",  # a line break to YAML 1.1, not to editors: lines would shift
        LOGIN,
        edit("Please Sign-In: User", "Please Sign-In:\u0085User"),
        "character U+0085 (NEXT LINE) ends a line for YAML but not in an editor",
        "\u0085",
        exact_column=True,
    ),
    Broken(
        "line-separator",
        PORTAL,
        edit("Welcome to the Retail", "Welcome to\u2028the Retail"),
        "character U+2028 (LINE SEPARATOR) ends a line",
        "\u2028",
        exact_column=True,
    ),
    # -- form: keys and types -------------------------------------------------------------
    Broken(
        "duplicate-key",
        LOGIN,
        edit("model: session\n", "model: session\nmodel: account\n"),
        "duplicate key 'model'",
        "model: account",
        exact_column=True,
    ),
    Broken(
        "unknown-key",
        LOGIN,
        edit("    trigger: select_state\n", "    trigger: select_state\n    colour: red\n"),
        "unknown key 'colour'; expected one of",
        "colour",
        exact_column=True,
    ),
    Broken(
        "missing-required-key",
        LOGIN,
        edit("    guide: [LOGIN-4]\n  - id: change_state", "  - id: change_state"),
        "transition 'select_state': missing required key 'guide'",
        "id: select_state",
        exact_column=True,
    ),
    Broken(
        "key-that-is-not-a-name",
        LOGIN,
        edit("model: session\n", "model: session\n3: three\n"),
        "flow: keys must be names, found a number (3)",
        "3: three",
        exact_column=True,
    ),
    Broken(
        "list-for-a-string",
        LOCKOUT,
        edit("    trigger: fail_login\n", "    trigger: [fail_login]\n"),
        "expected a string, found a list",
        "[fail_login]",
        exact_column=True,
    ),
    Broken(
        "empty-string",
        LOCKOUT,
        edit('description: "The account accepts its password."', 'description: "  "'),
        "expected a non-empty string",
        '"  "',
        exact_column=True,
    ),
    Broken(
        "number-below-its-minimum",
        PORTAL,
        edit("lockout_threshold: 3 ", "lockout_threshold: 0 "),
        "parameters.lockout_threshold: expected a whole number from 1 to 100, found 0",
        "0 ",
        exact_column=True,
    ),
    Broken(
        "temporary-password-breaking-the-policy",
        PORTAL,
        edit("temporary_password_length: 9 ", "temporary_password_length: 12 "),
        "12 breaks the password policy",
        "12 ",
        exact_column=True,
    ),
    Broken(
        "state-farm-row-on-a-screen-without-the-directory",
        PORTAL,
        edit("row_on: [forgot_user_name]", "row_on: [welcome]"),
        "'welcome' is not a screen with the directory",
        "[welcome]",
        exact_column=True,
    ),
    Broken(
        "two-emails-with-one-subject",
        PORTAL,
        edit(
            'text: "Retail Producer Portal User Name"',
            'text: "Retail Producer Portal Password Reset"',
        ),
        "a producer could not tell the two emails apart",
        "  password_reset:",
    ),
    Broken(
        "a-date-cut-over-in-a-directory-cell",
        PORTAL,
        edit(
            'shown: "prior to Jan 1, 2020"', 'before: "2020-01-01", shown: "prior to Jan 1, 2020"'
        ),
        "before",
        'before: "2020-01-01"',
        exact_column=True,
    ),
    Broken(
        "unknown-text-source",
        PORTAL,
        edit("    source: quoted\n", "    source: quotation\n"),
        "source: expected one of quoted",
        "quotation",
        exact_column=True,
    ),
    Broken(
        "text-ref-to-no-text",
        PORTAL,
        edit("text_ref: services_paragraph", "text_ref: services_paragraf"),
        "text_ref 'services_paragraf' is not a key of texts",
        "services_paragraf",
        exact_column=True,
    ),
    Broken(
        "initial-not-a-state",
        LOCKOUT,
        edit("initial: unlocked", "initial: open"),
        "initial: 'open' is not one of the states (unlocked, locked)",
        "open",
        exact_column=True,
    ),
    Broken(
        "machine-not-its-file-name",
        LOCKOUT,
        edit("machine: lockout", "machine: lock_out"),
        "must match the file name",
        "lock_out",
        exact_column=True,
    ),
    # -- meaning --------------------------------------------------------------------------
    Broken(
        "unknown-dest",
        LOGIN,
        edit("    dest: state_selected\n", "    dest: dashboard\n"),
        "dest 'dashboard' is not a state of login",
        "- id: select_state",
    ),
    Broken(
        "unknown-source",
        LOGIN,
        edit("    source: welcome\n", "    source: lobby\n"),
        "source 'lobby' is not a state of login",
        "- id: select_state",
    ),
    Broken(
        "unknown-condition",
        LOGIN,
        edit("[state_offered]", "[state_is_nice]"),
        "condition 'state_is_nice' is not in the vocabulary",
        "- id: select_state",
    ),
    Broken(
        "unknown-action",
        LOGIN,
        edit("[remember_state]", "[remember_the_state]"),
        "action 'remember_the_state' is not in the vocabulary",
        "- id: select_state",
    ),
    Broken(
        "unknown-text-shown",
        LOGIN,
        edit("shows: login_failed", "shows: login_failure"),
        "shows 'login_failure', which is not a key of portal.yaml texts",
        "- id: warn_on_failure",
    ),
    Broken(
        "transition-id-twice",
        LOGIN,
        edit("- id: change_state", "- id: select_state"),
        "id used twice",
        "- id: select_state\n    trigger: select_state\n    source: state_selected",
    ),
    Broken(
        "unreachable-state",
        LOCKOUT,
        edit(
            "  locked:\n",
            '  frozen:\n    description: "Never entered."\n    final: true\n  locked:\n',
        ),
        "state 'frozen' is unreachable",
        "frozen:",
    ),
    Broken(
        "no-way-out",
        LOCKOUT,
        then(
            edit("  locked:\n", '  suspended:\n    description: "Stuck."\n  locked:\n'),
            append(NEW_TRANSITION.format(trigger="suspend", source="locked", dest="suspended")),
        ),
        "state 'suspended' has no way out",
        "suspended:",
    ),
    Broken(
        "same-guards",
        LOGIN,
        edit(
            "    conditions: [failure_reaches_lockout_threshold]\n",
            "    conditions: [account_locked]\n",
        ),
        "no guard tells them apart",
        "- id: lock_on_threshold_failure",
    ),
    Broken(
        "never-fires",
        LOCKOUT,
        edit(
            TRANSITION,
            TRANSITION
            + NEW_TRANSITION.format(trigger="fail_login", source="unlocked", dest="unlocked"),
        ),
        "transition 'count_failure' can never fire: 'extra'",
        "- id: count_failure",
    ),
    Broken(
        "trigger-of-two-flows",
        USERNAME,
        append(
            NEW_TRANSITION.format(
                trigger="click_reset_password", source="login_page", dest="login_page"
            )
        ),
        "is defined by more than one flow",
        "- id: extra",
    ),
    Broken(
        "session-state-not-a-screen",
        LOGIN,
        then(
            edit("  welcome:\n", '  lobby:\n    description: "A lobby."\n  welcome:\n'),
            append(NEW_TRANSITION.format(trigger="go_to_lobby", source="welcome", dest="lobby")),
        ),
        "state 'lobby' of a session flow must be a screen of portal.yaml",
        "lobby:",
    ),
    Broken(
        "click-that-fires-nothing",
        PORTAL,
        edit('"Login": submit_login', '"Login": submit_logon'),
        "'Login' fires 'submit_logon', which no session flow takes",
        "login_page:",
    ),
    Broken(
        "unknown-guide-id",
        LOCKOUT,
        edit("guide: [LOCK-4, RESET-12]", "guide: [LOCK-44, RESET-12]"),
        "'LOCK-44', which GUIDE.md does not define",
        "- id: unlock_by_reset",
    ),
    Broken(
        "no-guide-id",
        LOGIN,
        edit("    guide: [LOGIN-4]\n  - id: change_state", "    guide: []\n  - id: change_state"),
        "cite at least one guide ID",
        "[]\n  - id: change_state",
        exact_column=True,
    ),
    Broken(
        "uncited-guide-id",
        PORTAL,
        then(
            edit("    guide: [SERVICES-2]\n    label", "    guide: []\n    label"),
            edit("    guide: [SERVICES-3, SERVICES-2]", "    guide: [SERVICES-3]"),
            edit("RESET-4, SERVICES-1, SERVICES-2]", "RESET-4, SERVICES-1]"),
            edit("USER-8, SERVICES-1, SERVICES-2]", "USER-8, SERVICES-1]"),
        ),
        "guide ID SERVICES-2 is cited by no transition, text or data",
        1,
    ),
    Broken(
        "menu-link-not-on-the-screen",
        PORTAL,
        edit('menu_links: {"Account": ["Edit Profile"]}', 'menu_links: {"Account": ["Log Out"]}'),
        "menu 'Account' holds 'Log Out', which is not one of the screen's links",
        "  state_selected:",
    ),
    Broken(
        "menu-links-of-an-unshown-menu",
        PORTAL,
        edit('menu_links: {"Account": ["Edit Profile"]}', 'menu_links: {"Help": ["Edit Profile"]}'),
        "menu_links names menu 'Help', which the screen does not show",
        "  state_selected:",
    ),
    # -- every parameter bounded above and below (PARAMETER_BOUNDS) ------------------------
    Broken(
        "temporary-password-valid-for-1e20-minutes",
        PORTAL,
        edit(
            "temporary_password_valid_minutes: 1440",
            "temporary_password_valid_minutes: 100000000000000000000",
        ),
        "parameters.temporary_password_valid_minutes: expected a whole number from 1 to"
        " 525600, found 100000000000000000000",
        "100000000000000000000",
        exact_column=True,
    ),
    Broken(
        "temporary-password-valid-for-a-float",
        PORTAL,
        edit(
            "temporary_password_valid_minutes: 1440",
            "temporary_password_valid_minutes: 1.0e+20",
        ),
        "temporary_password_valid_minutes: expected a whole number from 1 to 525600,"
        " found a number (1.0e+20)",
        "1.0e+20",
        exact_column=True,
    ),
    Broken(
        "lockout-threshold-above-100",
        PORTAL,
        edit("lockout_threshold: 3 ", "lockout_threshold: 101 "),
        "parameters.lockout_threshold: expected a whole number from 1 to 100, found 101",
        "101",
        exact_column=True,
    ),
    Broken(
        "auto-unlock-after-more-than-a-year",
        PORTAL,
        edit("auto_unlock_after_minutes: null", "auto_unlock_after_minutes: 525601"),
        "parameters.auto_unlock_after_minutes: expected a whole number from 1 to 525600",
        "525601",
        exact_column=True,
    ),
    Broken(
        "temporary-password-length-65",
        PORTAL,
        edit("temporary_password_length: 9 ", "temporary_password_length: 65 "),
        "parameters.temporary_password_length: expected a whole number from 1 to 64, found 65",
        "65 ",
        exact_column=True,
    ),
    Broken(
        "policy-max-length-a-million",
        PORTAL,
        edit("    max_length: 9", "    max_length: 1000000"),
        "password_policy.max_length: expected a whole number from 1 to 64, found 1000000",
        "1000000",
        exact_column=True,
    ),
    Broken(
        "negative-policy-min-length",
        PORTAL,
        edit("    min_length: 6", "    min_length: -6"),
        "password_policy.min_length: expected a whole number from 1 to 64, found -6",
        "-6\n",
        exact_column=True,
    ),
    Broken(
        "variant-parameter-without-an-upper-bound",
        PORTAL,
        edit("{auto_unlock_after_minutes: 30}", "{auto_unlock_after_minutes: 1.0e+20}"),
        "variant 'auto-unlock' auto_unlock_after_minutes: expected a whole number from 1 to"
        " 525600, found a number (1.0e+20)",
        "1.0e+20",
        exact_column=True,
    ),
    Broken(
        "variant-threshold-of-a-string",
        PORTAL,
        edit("{auto_unlock_after_minutes: 30}", "{lockout_threshold: many}"),
        "variant 'auto-unlock' lockout_threshold: expected a whole number from 1 to 100,"
        " found a string ('many')",
        "many",
        exact_column=True,
    ),
    Broken(
        "variant-repeats-the-shipped-reading",
        PORTAL,
        edit(
            "wrong_current_password_counts: true  #",
            "wrong_current_password_counts: false  #",
        ),
        "variant 'other-readings': wrong_current_password_counts is false as in parameters, so"
        " the variant reads nothing other there: give it the other value, or drop it",
        "false}",
        exact_column=True,
    ),
    Broken(
        "variant-changes-the-states",
        PORTAL,
        edit("{auto_unlock_after_minutes: 30}", "{states: [TX]}"),
        "variant 'auto-unlock': 'states' is not a scalar parameter",
        "states: [TX]",
        exact_column=True,
    ),
    Broken(
        "sender-of-two-lines",
        PORTAL,
        edit('sender: "Retail Producer Portal', 'sender: "Retail\\nProducer Portal'),
        "parameters.sender: expected one line, without line breaks or tabs",
        '"Retail',
        exact_column=True,
    ),
    Broken(
        "sender-of-300-characters",
        PORTAL,
        edit('sender: "Retail Producer Portal', 'sender: "' + "R" * 300 + " Producer Portal"),
        "parameters.sender: 356 characters; at most 200 are allowed",
        '"RRR',
        exact_column=True,
    ),
    # -- YAML 1.1 numbers refused before they are built --------------------------------
    Broken(
        "sexagesimal-threshold",
        PORTAL,
        edit("lockout_threshold: 3 ", "lockout_threshold: 1:30 "),
        "'1:30' is a base-60 number in YAML 1.1 (1:30 reads as 90); write it in decimal",
        "1:30",
        exact_column=True,
    ),
    Broken(
        # PyYAML builds a base-60 number in quadratic time: 56 s for this one.
        "sexagesimal-of-900-kilobytes",
        PORTAL,
        edit("lockout_threshold: 3 ", "lockout_threshold: 1" + ":1" * 450_000 + " "),
        "is a number of 900,001 characters; no number here needs more than 32",
        "1:1:1",
        exact_column=True,
    ),
    Broken(
        "sexagesimal-floats-in-a-list",
        LOGIN,
        edit(
            "    guide: [LOGIN-3]\n",
            "    guide: [LOGIN-3]\n    final: [" + "1:1.5, " * 5000 + "]\n",
        ),
        "'1:1.5' is a base-60 number in YAML 1.1",
        "1:1.5",
        exact_column=True,
    ),
    Broken(
        "octal-threshold",
        PORTAL,
        edit("lockout_threshold: 3 ", "lockout_threshold: 010 "),
        "'010' is an octal number in YAML 1.1 (010 reads as 8); drop the leading zero",
        "010",
        exact_column=True,
    ),
    Broken(
        "hex-of-300-digits",
        PORTAL,
        edit("temporary_password_length: 9 ", "temporary_password_length: 0x" + "f" * 300 + " "),
        "is a number of 302 characters",
        "0xfff",
        exact_column=True,
    ),
    Broken(
        "float-of-400-digits",
        PORTAL,
        edit("lockout_threshold: 3 ", "lockout_threshold: 1" + "0" * 400 + ".0 "),
        "is a number of 403 characters",
        "1000",
        exact_column=True,
    ),
    Broken(
        "huge-string-for-a-number",
        PORTAL,
        edit("lockout_threshold: 3 ", "lockout_threshold: " + "x" * 900_000 + " "),
        "parameters.lockout_threshold: expected a whole number from 1 to 100, found a string"
        " ('xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...')",
        "xxx",
        exact_column=True,
    ),
    # -- files ----------------------------------------------------------------------------
    Broken("unreadable-file", "extra.yaml", directory_instead, "cannot read the file", 1),
    Broken("no-portal-yaml", "flows", remove, "no portal.yaml beside the flows", 1),
    Broken(
        "fifo-beside-the-flows",
        "extra.yaml",
        fifo_instead,
        "cannot read the file: it is a FIFO (named pipe), not a regular file",
        1,
    ),
    Broken(
        "fifo-for-portal-yaml",
        PORTAL,
        fifo_instead,
        "cannot read the file: it is a FIFO (named pipe), not a regular file",
        1,
    ),
    Broken(
        "dev-zero-beside-the-flows",
        "extra.yaml",
        device_instead("/dev/zero"),
        "cannot read the file: it is a character device, not a regular file",
        1,
    ),
    Broken(
        "dev-urandom-for-a-flow",
        LOGIN,
        device_instead("/dev/urandom"),
        "cannot read the file: it is a character device, not a regular file",
        1,
    ),
]


def _limits() -> None:  # runs in the child, before it starts Python
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS + 1))
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))


def rpp_validate(path: Path) -> subprocess.CompletedProcess[str]:
    """`rpp validate PATH` in a child bounded to 2 s of CPU and 200 MB of memory."""
    return subprocess.run(
        [sys.executable, "-m", "simulator.cli", "validate", str(path)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="backslashreplace",
        preexec_fn=_limits,
        timeout=HANG_TIMEOUT,
        cwd=ROOT,
        check=False,
    )


def _position(data: bytes, marker: str | bytes) -> tuple[int, int]:
    """Line and column (as an editor counts them: lines end at CRLF, CR or LF; a BOM
    takes no column) where ``marker`` first occurs in ``data``."""
    needle = marker.encode("utf-8", "surrogatepass") if isinstance(marker, str) else marker
    body = data.removeprefix(BOM)
    offset = body.find(needle)
    assert offset >= 0, f"marker {needle!r} is not in the broken file"
    before = body[:offset]
    starts = [0, *(m.end() for m in re.finditer(rb"\r\n|\r|\n", before))]
    line_start = starts[-1]
    column = len(before[line_start:].decode("utf-8", "replace")) + 1
    return len(starts), column


def _prepare(case: Broken, flows: Path) -> Path:
    if case.file == "flows":
        case.make(flows / PORTAL)
        return flows
    path = flows / case.file
    if not path.exists():
        path.write_bytes(b"")
    case.make(path)
    return path


@pytest.mark.parametrize("case", CORPUS, ids=[c.id for c in CORPUS])
def test_broken_flow_file_is_refused_with_its_place(case: Broken, flows_copy: Path) -> None:
    path = _prepare(case, flows_copy)
    result = rpp_validate(flows_copy)
    err = result.stderr
    if result.returncode == -signal.SIGXCPU or result.returncode == -signal.SIGKILL:
        pytest.fail(f"{case.id}: `rpp validate` used more than {CPU_SECONDS} s of CPU")
    assert "Traceback" not in err, (
        f"{case.id}: a traceback (a MemoryError means more than 200 MB):\n{err[-3000:]}"
    )
    assert result.returncode == 1, f"{case.id}: exit {result.returncode}\n{err[-3000:]}"
    assert re.search(r"^invalid: \d+ problems?$", err, re.MULTILINE), err[-2000:]
    name = re.escape(case.file)
    located = [
        (int(m[1]), int(m[2]), m[3])
        for m in re.finditer(rf"^(?:.*/)?{name}:(\d+):(\d+): (.*)$", err, re.MULTILINE)
    ]
    ours = [(line, column, message) for line, column, message in located if case.phrase in message]
    assert ours, f"{case.id}: no {case.file}:line:column: ...{case.phrase}... in:\n{err[:3000]}"
    if case.at is None:
        return
    if isinstance(case.at, int):
        want_line, want_column = case.at, 1
    else:
        want_line, want_column = _position(path.read_bytes(), case.at)
    places = [(line, column) for line, column, _ in ours]
    if case.exact_column:
        assert (want_line, want_column) in places, (
            f"{case.id}: expected {case.file}:{want_line}:{want_column}, got {places}\n{err[:2000]}"
        )
    else:
        assert want_line in [line for line, _ in places], (
            f"{case.id}: expected line {want_line}, got {places}\n{err[:2000]}"
        )


def test_the_corpus_covers_what_the_issue_lists() -> None:
    ids = {c.id for c in CORPUS}
    assert len(CORPUS) >= 20
    for needed in (
        "tab-indentation",
        "list-where-a-mapping-belongs",
        "nested-10000-flow-lists",
        "five-megabytes",
        "alias-bomb",
        "python-object-apply",
        "nul-byte",
        "invalid-utf8-continuation-byte",
        "bom-and-a-duplicate-key",
        "bom-crlf-and-an-unknown-dest",
        "temporary-password-valid-for-1e20-minutes",
        "variant-parameter-without-an-upper-bound",
        "sexagesimal-of-900-kilobytes",
        "hex-of-300-digits",
        "fifo-beside-the-flows",
        "dev-zero-beside-the-flows",
    ):
        assert needed in ids


# -- a BOM and other line ends in valid files --------------------------------------------


def _places(flow_set: FlowSet) -> dict[str, Where]:
    """Where every transition, state, text, screen and decision is, by name."""
    found: dict[str, Where] = {}
    for flow in flow_set.flows.values():
        found |= {f"transition {t.name}": t.where for t in flow.transitions}
        found |= {f"state {flow.machine}.{s.name}": s.where for s in flow.states.values()}
    portal = flow_set.portal
    found |= {f"text {k}": t.where for k, t in portal.texts.items()}
    found |= {f"screen {k}": s.where for k, s in portal.screens.items()}
    found |= {f"decision {k}": d.where for k, d in portal.decisions.items()}
    return found


LINE_ENDS: dict[str, Callable[[bytes], bytes]] = {
    "bom": with_bom,
    "crlf": crlf,
    "bom-crlf": lambda d: with_bom(crlf(d)),
    "cr": cr_only,
}


@pytest.mark.parametrize("variant", list(LINE_ENDS))
def test_valid_flows_with_a_bom_or_other_line_ends_load_the_same(
    variant: str, flows_copy: Path, flow_set: FlowSet
) -> None:
    for path in flows_copy.glob("*.yaml"):
        path.write_bytes(LINE_ENDS[variant](path.read_bytes()))
    loaded = load_flows([flows_copy], display_root=flows_copy)
    assert loaded.transitions() != []
    shipped = load_flows(display_root=DEFAULT_FLOWS_DIR)
    assert loaded.portal.texts == shipped.portal.texts  # text values unchanged (no \r)
    assert _places(loaded) == _places(shipped)
    assert [t.name for t in loaded.transitions()] == [t.name for t in flow_set.transitions()]


def _problems(flows: Path) -> list[tuple[str, int, int, str]]:
    try:
        load_flows([flows], display_root=flows)
    except SpecError as error:
        return [(p.path, p.line, p.column, p.message) for p in error.problems]
    raise AssertionError("the broken flows loaded")


SAME_PLACE = ["unknown-dest", "unclosed-bracket", "python-name", "nul-byte", "duplicate-key"]


@pytest.mark.parametrize("variant", list(LINE_ENDS))
@pytest.mark.parametrize("case_id", SAME_PLACE)
def test_problems_are_at_the_same_place_whatever_the_line_ends(
    case_id: str, variant: str, tmp_path: Path
) -> None:
    case = next(c for c in CORPUS if c.id == case_id)
    plain, varied = tmp_path / "plain", tmp_path / "varied"
    for flows in (plain, varied):
        shutil.copytree(DEFAULT_FLOWS_DIR, flows)
        case.make(flows / case.file)
    target = varied / case.file
    target.write_bytes(LINE_ENDS[variant](target.read_bytes()))
    assert _problems(varied) == _problems(plain)


def test_limits_leave_room_for_the_shipped_flows() -> None:
    # The bounds are not so tight that a valid run would fail them.
    result = rpp_validate(DEFAULT_FLOWS_DIR)
    assert result.returncode == 0, result.stderr


def test_loading_keeps_no_node_alive(flow_set: FlowSet) -> None:
    """A long-running process may load flows again and again: nothing of a load stays."""
    root = compose_text((DEFAULT_FLOWS_DIR / LOCKOUT).read_text(encoding="utf-8"), LOCKOUT)
    scalars = [v for k, v in root.value if isinstance(v, ScalarNode)]
    assert [scalar_value(v) for v in scalars] == ["lockout", "account", "unlocked"]
    kept = [weakref.ref(node) for node in (root, *scalars)]
    del root, scalars
    gc.collect()
    assert all(ref() is None for ref in kept)
