"""The small helpers every part of docs/performance.md's report shares."""

from __future__ import annotations

import json

from benchmarks.common import RESULTS


def load(name: str) -> dict | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def number(value: float, places: int = 0) -> str:
    return f"{value:,.{places}f}"


def kib(size: int) -> str:
    return f"{size / 1000:,.1f} kB"


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def verdict(met: bool) -> str:
    return "met" if met else "**missed**"
