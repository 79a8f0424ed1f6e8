"""Binds every scenario of every ``*.feature`` under features/ (or ``$RPP_FEATURES``),
subfolders included: the guide's sections first, in the order a producer meets them,
then any other file. A file that cannot run becomes a failing test naming the file,
the line and why (tests/bdd/binding.py). The steps live in tests/steps/, registered by
conftest.py."""

from __future__ import annotations

from tests.bdd.binding import bind

BOUND = bind(globals())
