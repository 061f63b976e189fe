"""The layout is the architecture: walk every import with `ast` and keep dependencies one-way."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SLACK = {"slack_bolt", "slack_sdk"}
# bot/ modules that wire the app together (and may import handlers/); everything else in bot/ is domain.
WIRING = {"app", "cli", "demo", "server", "scheduler", "settings", "kbtool", "localslack", "slacksim",
          "replicas", "oncalltool"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
            found.add(node.module)
    return found


def _modules(package: str) -> dict[str, set[str]]:
    return {str(p.relative_to(ROOT)): _imports(p) for p in sorted((ROOT / package).rglob("*.py"))}


def test_kb_is_pure():
    for module, imports in _modules("kb").items():
        assert not imports & (SLACK | {"sqlalchemy", "alembic", "storage", "bot", "handlers"}), module


def test_storage_knows_nothing_of_slack_or_the_domain():
    for module, imports in _modules("storage").items():
        assert not imports & (SLACK | {"bot", "handlers", "kb"}), module


def test_domain_never_sees_slack():
    for module, imports in _modules("bot").items():
        if Path(module).stem in WIRING:
            continue
        assert not imports & (SLACK | {"handlers", "wiring.app", "cli.main"}), module


def test_only_handlers_and_the_app_factory_import_slack():
    importers = {module for package in ("bot", "kb", "storage", "handlers")
                 for module, imports in _modules(package).items() if imports & SLACK}
    assert importers and all(m.startswith("handlers/") or m == "bot/app.py" for m in importers), importers


def test_localslack_and_slacksim_use_only_the_standard_library():
    for name in ("localslack", "slacksim"):
        imports = _imports(ROOT / "bot" / f"{name}.py")
        assert not imports & (SLACK | {"handlers", "storage", "kb", "sqlalchemy"}), name


def test_handlers_do_not_touch_the_database():
    for module, imports in _modules("handlers").items():
        assert not imports & {"sqlalchemy", "storage"}, module


def test_no_import_time_side_effects_in_bot():
    # Module bodies hold only imports, definitions, constants and docstrings.
    allowed = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef, ast.Assign, ast.AnnAssign, ast.Expr)
    for path in sorted((ROOT / "bot").glob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test):
                continue
            assert isinstance(node, allowed), f"{path.name}:{node.lineno}"
            if isinstance(node, ast.Expr):
                assert isinstance(node.value, ast.Constant), f"{path.name}:{node.lineno} runs code on import"
