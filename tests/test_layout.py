"""The layout is the architecture: walk every import with `ast` and keep dependencies one-way.

Every rule is about a folder (a "room"), never about a list of file names, and every rule fails when it
checks nothing: the folder must hold at least one module and the rule must have looked at at least one import.
"""
from __future__ import annotations

import ast
from fnmatch import fnmatchcase
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The project's packages (the rooms). tests/ and bench/ sit outside and may import anything.
ROOMS = ("bot", "handlers", "kb", "storage", "wiring", "cli", "localslack")
OUTSIDE = ("tests", "bench")
SLACK = "slack_*"


# --- the import resolver ---------------------------------------------------------------------------------------


def _prefixes(dotted: str) -> set[str]:
    """`a.b.c` -> {`a`, `a.b`, `a.b.c`}: the module itself and every package above it."""
    parts = dotted.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts) + 1)}


def _relative_base(module: str, is_package: bool, level: int) -> str:
    """The absolute package a relative import with `level` dots starts from, seen from `module`."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    if level > len(package):
        raise ImportError(f"relative import beyond the top-level package in {module}")
    return ".".join(package[: len(package) - (level - 1)])


def resolve_imports(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every absolute module name that `source` (the text of `module`) imports, anywhere in the file.

    `import x.y` records `x` and `x.y`; `from x import y` records `x`, `x.y` and the top package (a `y` that is
    a name rather than a module does no harm: rules look at packages). Relative imports are resolved against
    the module's own package: in `a.b.m`, `from . import y` is `a.b.y`, `from ..c import z` is `a.c.z`.
    """
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found |= _prefixes(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _relative_base(module, is_package, node.level)
                origin = f"{base}.{node.module}" if node.module else base
            else:
                origin = node.module
            found |= _prefixes(origin)
            found |= {f"{origin}.{alias.name}" for alias in node.names if alias.name != "*"}
    return found


def _module_name(path: Path, root: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def _modules(folder: str, root: Path = ROOT) -> dict[str, set[str]]:
    """{`folder/…/file.py`: imports} for every module under `folder`; fails when the folder holds none."""
    paths = sorted((root / folder).rglob("*.py"))
    assert paths, f"{folder}/ holds no modules: the rule would check nothing"
    modules = {}
    for path in paths:
        name, is_package = _module_name(path, root)
        modules[str(path.relative_to(root))] = resolve_imports(path.read_text(encoding="utf-8"), name, is_package)
    return modules


def _matches(name: str, patterns: tuple[str, ...] | set[str]) -> bool:
    top = name.split(".")[0]
    return any(fnmatchcase(top, pattern) for pattern in patterns)


def _violations(folder: str, forbidden: set[str], root: Path = ROOT) -> dict[str, list[str]]:
    """{file: forbidden top packages it imports} for the modules under `folder` that break the rule."""
    modules = _modules(folder, root)
    examined = sum(len(imports) for imports in modules.values())
    assert examined, f"{folder}/ imports nothing: the rule would check nothing"
    found = {module: sorted({name.split(".")[0] for name in imports if _matches(name, forbidden)})
             for module, imports in modules.items()}
    return {module: tops for module, tops in found.items() if tops}


# --- the resolver sees what it must see ------------------------------------------------------------------------


def test_resolver_absolute_imports():
    assert resolve_imports("import os\nimport slack_sdk.errors as e\n", "pkg.m") == {
        "os", "slack_sdk", "slack_sdk.errors"}


def test_resolver_from_imports():
    assert resolve_imports("from slack_bolt.adapter import wsgi\n", "pkg.m") == {
        "slack_bolt", "slack_bolt.adapter", "slack_bolt.adapter.wsgi"}
    assert resolve_imports("from storage import *\n", "pkg.m") == {"storage"}


def test_resolver_relative_level_one():
    assert resolve_imports("from . import sib\n", "pkg.sub.m") == {"pkg", "pkg.sub", "pkg.sub.sib"}
    assert resolve_imports("from .sib import name\n", "pkg.sub.m") == {
        "pkg", "pkg.sub", "pkg.sub.sib", "pkg.sub.sib.name"}
    # In a package's __init__, `.` is the package itself.
    assert resolve_imports("from .m import x\n", "pkg.sub", is_package=True) == {
        "pkg", "pkg.sub", "pkg.sub.m", "pkg.sub.m.x"}


def test_resolver_relative_level_two():
    assert resolve_imports("from ..other import z\n", "pkg.sub.m") == {"pkg", "pkg.other", "pkg.other.z"}
    assert resolve_imports("from .. import y\n", "pkg.sub.m") == {"pkg", "pkg.y"}


def test_resolver_sees_imports_anywhere_in_the_file():
    source = "def f():\n    import storage.queries\n\nif True:\n    from handlers import blocks\n"
    assert {"storage", "storage.queries", "handlers", "handlers.blocks"} <= resolve_imports(source, "pkg.m")


def test_resolver_rejects_relative_imports_above_the_top():
    with pytest.raises(ImportError):
        resolve_imports("from ... import x\n", "pkg.m")


def test_a_rule_that_checks_nothing_fails(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(AssertionError, match="holds no modules"):
        _violations("empty", {"anything"}, root=tmp_path)
    (tmp_path / "quiet").mkdir()
    (tmp_path / "quiet" / "m.py").write_text("X = 1\n", encoding="utf-8")
    with pytest.raises(AssertionError, match="imports nothing"):
        _violations("quiet", {"anything"}, root=tmp_path)


def test_a_rule_reports_relative_imports_by_file(tmp_path):
    (tmp_path / "room" / "sub").mkdir(parents=True)
    (tmp_path / "room" / "sub" / "__init__.py").write_text("from ..edge import x\n", encoding="utf-8")
    (tmp_path / "room" / "sub" / "m.py").write_text("from . import y\n", encoding="utf-8")
    assert _violations("room", {"room"}, root=tmp_path) == {
        str(Path("room/sub/__init__.py")): ["room"], str(Path("room/sub/m.py")): ["room"]}
    assert _violations("room", {"edge"}, root=tmp_path) == {}


def test_forbidden_patterns_match_the_top_package():
    assert _matches("slack_sdk.errors", {SLACK}) and _matches("storage.models", {"storage"})
    assert not _matches("handlers.slack_notifier", {SLACK}) and not _matches("storagex", {"storage"})


# --- the rooms ---------------------------------------------------------------------------------------------------


def test_every_folder_of_code_is_a_room():
    """A new top-level folder of Python code must join a room (and get rules) before it lands."""
    folders = {p.relative_to(ROOT).parts[0] for p in ROOT.glob("*/**/*.py")
               if not p.relative_to(ROOT).parts[0].startswith(".") and "egg-info" not in str(p)}
    assert folders == set(ROOMS) | set(OUTSIDE)
    assert not list(ROOT.glob("*.py")), "no loose modules at the top: every module lives in a room"


def test_kb_is_pure():
    forbidden = {SLACK, "sqlalchemy", "alembic", "storage", "bot", "handlers", "wiring", "cli", "localslack", "tests"}
    assert not _violations("kb", forbidden)


def test_storage_knows_nothing_of_slack_or_the_domain():
    forbidden = {SLACK, "bot", "handlers", "kb", "wiring", "cli", "localslack", "tests"}
    assert not _violations("storage", forbidden)


def test_domain_never_sees_slack():
    forbidden = {SLACK, "handlers", "wiring", "cli", "localslack", "tests"}
    assert not _violations("bot", forbidden)


def test_handlers_do_not_touch_the_database():
    forbidden = {"storage", "sqlalchemy", "alembic", "wiring", "cli", "localslack", "tests"}
    assert not _violations("handlers", forbidden)


def test_wiring_assembles_without_speaking_slack():
    forbidden = {SLACK, "cli", "localslack", "tests"}
    assert not _violations("wiring", forbidden)


def test_cli_goes_through_the_wiring():
    forbidden = {SLACK, "handlers", "tests"}
    assert not _violations("cli", forbidden)


def test_localslack_drives_the_app_from_outside():
    forbidden = {SLACK, "handlers", "cli", "tests"}
    assert not _violations("localslack", forbidden)


def test_only_handlers_import_slack():
    importers = {module for room in ROOMS for module, imports in _modules(room).items()
                 if any(_matches(name, {SLACK}) for name in imports)}
    assert importers, "nobody imports slack_bolt/slack_sdk: the rule would check nothing"
    assert not sorted(m for m in importers if Path(m).parts[0] != "handlers")


def test_no_project_package_imports_tests():
    examined = 0
    offenders = set()
    for room in ROOMS:
        for module, imports in _modules(room).items():
            examined += len(imports)
            offenders |= {module for name in imports if _matches(name, {"tests"})}
    assert examined, "the project imports nothing: the rule would check nothing"
    assert not offenders


def test_no_import_time_side_effects_in_bot():
    # Module bodies hold only imports, definitions, constants and docstrings.
    allowed = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef, ast.Assign, ast.AnnAssign, ast.Expr)
    paths = sorted((ROOT / "bot").rglob("*.py"))
    assert paths, "bot/ holds no modules: the rule would check nothing"
    examined = 0
    for path in paths:
        name = str(path.relative_to(ROOT))
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            examined += 1
            if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test):
                continue
            assert isinstance(node, allowed), f"{name}:{node.lineno}"
            if isinstance(node, ast.Expr):
                assert isinstance(node.value, ast.Constant), f"{name}:{node.lineno} runs code on import"
    assert examined, "bot/ module bodies are all empty: the rule would check nothing"
