"""Copy plotly.min.js from the installed plotly wheel into the static files.

The charts are built by the Python package and drawn by plotly.js, so
both must be the same release; copying from the wheel at build time keeps
them in step, and municipal networks never need a CDN. ``make run`` and
``make test`` run this first. The copy is git-ignored.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import plotly
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from plotly.offline import get_plotlyjs_version

STATIC_PATH = "vendor/plotly/plotly.min.js"


def plotly_js_source() -> Path:
    """Return the plotly.min.js the installed plotly package ships."""
    return Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"


def plotly_js_destination() -> Path:
    """Return where the static files expect plotly.min.js."""
    return Path(settings.BASE_DIR) / "static" / STATIC_PATH


def copy_if_changed(*, source: Path, destination: Path) -> bool:
    """Copy ``source`` to ``destination`` unless the bytes already match.

    Return True when the file was written. The copy goes through a
    temporary file in the same directory and an atomic rename, so a
    running server never serves half a file.
    """
    content = source.read_bytes()
    if destination.is_file() and destination.read_bytes() == content:
        return False
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=destination.parent, prefix=".plotly-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
        os.chmod(temporary, 0o644)
        os.replace(temporary, destination)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True


class Command(BaseCommand):
    help = (
        "Copy plotly.min.js from the installed plotly package to "
        f"static/{STATIC_PATH} when it is missing or different."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        source = plotly_js_source()
        if not source.is_file():
            raise CommandError(f"The plotly package has no {source}; reinstall plotly.")
        destination = plotly_js_destination()
        try:
            written = copy_if_changed(source=source, destination=destination)
        except OSError as error:
            raise CommandError(f"Cannot write {destination}: {error}") from error
        version = get_plotlyjs_version()
        if written:
            self.stdout.write(f"Copied plotly.js v{version} to static/{STATIC_PATH}")
        elif options["verbosity"] > 1:
            self.stdout.write(f"static/{STATIC_PATH} is already plotly.js v{version}")
