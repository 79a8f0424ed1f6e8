"""`rpp report`: the flows' living documentation, one HTML page a QA lead or an analyst
opens from ``file://``: per guide ID what implements and checks it, each machine's
diagram coloured by what covered it, and the last verify, feature, mutation and
simulation runs (:mod:`specs.report.inputs` reads them, :mod:`specs.report.build`
combines them, :mod:`specs.report.page` renders the page)."""

from specs.report.build import COVERAGE, Inputs, ReportContent, build
from specs.report.inputs import ReportInputError
from specs.report.page import PAGE, render_page, write_page

__all__ = [
    "COVERAGE",
    "PAGE",
    "Inputs",
    "ReportContent",
    "ReportInputError",
    "build",
    "render_page",
    "write_page",
]
