"""Step definitions for ``features/``, grouped by domain (the harness they run on, World,
the vocabulary, the catalogue and the coverage gate, is ``tests/bdd``).

Registered once, through ``pytest_plugins`` in ``tests/conftest.py`` (importing step
modules from ``test_*`` files would collect scenarios twice). ``STEP_MODULES`` is
that list, in the order ``features/STEPS.md`` documents them.
"""

STEP_MODULES = (
    "tests.steps.producers",
    "tests.steps.login",
    "tests.steps.pages",
    "tests.steps.recovery",
    "tests.steps.reset",
    "tests.steps.mailbox",
    "tests.steps.directory",
)
