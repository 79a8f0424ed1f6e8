"""DOT source to SVG or PNG through Graphviz's ``dot`` (Debian's ``graphviz`` package).

``dot``'s warnings pass through to stderr; a missing ``dot`` or a failed run is a
:class:`DiagramError` that says what to do.
"""

from __future__ import annotations

from typing import Literal

import graphviz

from specs.errors import RppError

__all__ = ["DiagramError", "ImageFormat", "render_dot"]

ImageFormat = Literal["svg", "png"]


class DiagramError(RppError):
    """A diagram cannot be made: ``dot`` is missing or failed, or the options conflict."""


def render_dot(source: str, fmt: ImageFormat) -> bytes:
    """The picture ``dot -T<fmt>`` draws from ``source``."""
    try:
        image: bytes = graphviz.Source(source).pipe(format=fmt)
    except graphviz.ExecutableNotFound as error:
        raise DiagramError(
            "Graphviz's dot is not on PATH: install it (Debian: apt-get install graphviz)"
            " or choose --format mermaid or dot"
        ) from error
    except graphviz.CalledProcessError as error:
        stderr = error.stderr.decode(errors="replace") if isinstance(error.stderr, bytes) else ""
        raise DiagramError(f"dot -T{fmt} failed: {stderr.strip() or error}") from error
    return image
