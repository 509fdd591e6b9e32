"""Fixtures of this folder's tests: the two people and one row of the stale-edit tests."""

from tests.two_people import city, colleague, department_user, entered, kgi, office  # noqa: F401 (fixtures, used by name)
