"""What every benchmark shares: Django set up for a run, figures written as JSON.

Each benchmark runs as ``python -m benchmarks.<name>`` and writes its
figures to ``benchmarks/results/<name>.json`` (git-ignored), which
``benchmarks.report`` turns into docs/performance.md.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def setup_django(sqlite_dir: Path | None = None) -> None:
    """Set Django up from the environment.

    Without DATABASE_URL, a benchmark given ``sqlite_dir`` uses a throw-away
    SQLite file there (never the project's own db.sqlite3).
    """
    if sqlite_dir is not None:
        os.environ.setdefault("DATABASE_URL", f"sqlite:///{sqlite_dir / 'bench.sqlite3'}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ise_iga_dx.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def write_result(name: str, result: dict) -> Path:
    """Write ``result`` to benchmarks/results/<name>.json; return the path."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
    return path
