"""Load the RPP flows from YAML, validate them against the guide, and build
`transitions` machines from them.

Layers, each importing only the ones before it (``tests/test_layering.py`` checks):
``errors``, ``model``, ``guide`` -> ``yamlsource`` -> ``reader`` -> ``validate``
(meaning) -> ``loader`` (schema, then meaning) -> ``machines`` -> ``paths``,
``diagram``, ``trace``, ``scenarios``.
"""

from specs.errors import SpecError, SpecProblem
from specs.loader import DEFAULT_FLOWS_DIR, load_flows
from specs.model import FlowSet, FlowSpec, PortalSpec, TransitionSpec

__all__ = [
    "DEFAULT_FLOWS_DIR",
    "FlowSet",
    "FlowSpec",
    "PortalSpec",
    "SpecError",
    "SpecProblem",
    "TransitionSpec",
    "load_flows",
]
