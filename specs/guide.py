"""The guide's behaviour IDs (LOGIN-1, LOCK-2, ...), read from GUIDE.md."""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path

__all__ = ["GUIDE_ID", "ID_PATTERN", "default_guide_path", "read_guide_ids"]

ID_PATTERN = r"(?:LOGIN|LOCK|USER|RESET|SERVICES)-\d+"
"""A guide behaviour ID, as GUIDE.md writes them (``LOCK-2``)."""
GUIDE_ID = re.compile(rf"^- ({ID_PATTERN}): (.*)$")


def default_guide_path() -> Path:
    """``$RPP_GUIDE``, else ``shared/guide/GUIDE.md`` beside the project's checkout."""
    env = os.environ.get("RPP_GUIDE")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "shared" / "guide" / "GUIDE.md"


def read_guide_ids(path: Path) -> dict[str, str]:
    """Map each ID to its description (continuation lines joined).

    Raises ``OSError`` when ``path`` cannot be read or is not a regular file (checked
    before opening it: a FIFO or a device named by ``$RPP_GUIDE`` must not hang a run).
    """
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise OSError(errno.EINVAL, "it is not a regular file")
    ids: dict[str, str] = {}
    current: str | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        match = GUIDE_ID.match(line)
        if match:
            current = match.group(1)
            ids[current] = match.group(2).strip()
        elif current and line.startswith("  ") and line.strip():
            ids[current] += " " + line.strip()
        else:
            current = None
    return ids
