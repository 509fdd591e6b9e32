"""Other rules that close a KGI-year to a department's entry.

The confirm step (確定) is this app's own lock. An app above it may close
a KGI-year for other reasons: the reporting round (:mod:`reporting.locks`)
closes its year to a 所管課 login once the department has submitted, or
once the round is closed. Such an app registers a check here when it
starts (its ``AppConfig.ready``), and every writer of a department's
actuals (the actuals import, the admin's actual form) asks
:func:`refusals` before writing, without knowing which apps exist.

A check is ``check(user, keys) -> {(indicator_id, fiscal_year): message}``:
it is given every key a write touches at once (one query for them all,
whatever their number) and returns the refused ones with a Japanese
message, already naming whom to ask. Plain Python: no Django here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

Key = tuple[int, int]
Check = Callable[[Any, frozenset[Key]], Mapping[Key, str]]

Written = Callable[[Any, frozenset[Key]], None]

_checks: list[Check] = []
_written: list[Written] = []


def register(check: Check) -> Check:
    """Add ``check`` to the rules every department write is checked against.

    Registering the same check twice (``ready()`` run again by a test
    runner) keeps one.
    """
    if check not in _checks:
        _checks.append(check)
    return check


def unregister(check: Check) -> None:
    """Remove ``check`` (tests); a check not registered is ignored."""
    if check in _checks:
        _checks.remove(check)


def refusals(user: Any, keys: Iterable[Key]) -> dict[Key, str]:
    """Return the (indicator id, fiscal year) keys ``user`` may not write now.

    Each refused key maps to the first registered check's message. No
    key, no check runs (and no query).
    """
    wanted = frozenset(keys)
    if not wanted:
        return {}
    refused: dict[Key, str] = {}
    for check in _checks:
        for key, message in check(user, wanted).items():
            if key in wanted:
                refused.setdefault(key, message)
    return refused


def on_written(callback: Written) -> Written:
    """Have ``callback(user, keys)`` told of every KGI-year a department's import wrote.

    The reporting round uses it to move a submission from 未着手 to 入力中
    when its values come by the entry sheet rather than its page.
    Registering the same callback twice keeps one.
    """
    if callback not in _written:
        _written.append(callback)
    return callback


def written(user: Any, keys: Iterable[Key]) -> None:
    """Tell the registered callbacks what ``user`` just wrote (inside its transaction)."""
    wanted = frozenset(keys)
    if not wanted:
        return
    for callback in _written:
        callback(user, wanted)
