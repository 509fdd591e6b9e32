"""audit sits below the apps: it imports none of them.

plans and indicators import audit (the history field, the writers, the
describer, the admin base); audit names their models by app-label strings.
Imports only for type checkers (under ``if TYPE_CHECKING:``) do not count.

pyproject.toml's import-linter layers contract says the same, but nothing
runs lint-imports yet; this test runs with pytest. Drop it once it does.
"""

from __future__ import annotations

import ast
from pathlib import Path

from django.apps import apps

AUDIT = Path(apps.get_app_config("audit").path)


def project_apps() -> set[str]:
    """The apps of this repository (not Django's or a package's), audit aside."""
    root = AUDIT.parent
    return {
        config.name.split(".")[0] for config in apps.get_app_configs()
        if Path(config.path).parent == root and config.name != "audit"
    }


def type_checking_only(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def runtime_imports(tree: ast.AST) -> list[str]:
    """Return every module imported outside ``if TYPE_CHECKING:`` blocks."""
    found: list[str] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and type_checking_only(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append(node.module)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def test_the_project_apps_are_found():
    assert {"plans", "indicators", "pages", "accounts", "demo"} <= project_apps()


def test_audit_imports_no_project_app():
    forbidden = project_apps()
    modules = sorted(AUDIT.rglob("*.py"))
    assert AUDIT / "describe.py" in modules
    for path in modules:
        for name in runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            assert name.split(".")[0] not in forbidden, f"{path.name} imports {name}"


def test_the_check_sees_an_app_import_at_run_time_but_not_for_type_checkers():
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from plans.models import Plan\n"
        "def f():\n    import indicators.models\n"
    )
    assert runtime_imports(ast.parse(source)) == ["typing", "indicators.models"]
