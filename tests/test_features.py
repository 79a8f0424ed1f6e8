"""Binds every scenario of features/ (one feature file per guide section, in the order
a producer meets them). The steps live in tests/steps/, registered by conftest.py."""

from __future__ import annotations

from pytest_bdd import scenarios

from tests.bdd.tags import FEATURES_DIR, SECTIONS

for _file, _ in SECTIONS.values():
    scenarios(str(FEATURES_DIR / _file))
