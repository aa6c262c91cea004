"""The layout is the architecture: who may import what, and who may hold a connection or read request text."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "navplugin"
REQUEST_NAMES = {"args", "body", "request", "query_string", "form"}


def modules() -> dict[str, ast.Module]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue  # Alembic's scripts: run by Alembic, part of store/
        name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = ast.parse(path.read_text(encoding="utf-8"))
    return found


def imported(module: str, tree: ast.Module) -> set[str]:
    """Every module ``module`` imports, relative imports resolved, at any depth (lazy imports count)."""
    package = module.split(".") if module in ("navplugin",) or _is_package(module) else module.split(".")[:-1]
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            target = ".".join([*base, node.module] if node.module else base)
            names.add(target)
            names.update(f"{target}.{alias.name}" for alias in node.names)
    return names


def _is_package(module: str) -> bool:
    return (PACKAGE.parent / module.replace(".", "/") / "__init__.py").exists()


MODULES = modules()


def _inside(module: str, *prefixes: str) -> bool:
    return any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes)


def test_the_layout_is_read():
    assert {"navplugin", "navplugin.web.params", "navplugin.store.change", "navplugin.query"} <= set(MODULES)
    assert "navplugin.store" in imported("navplugin.service", MODULES["navplugin.service"]) or any(
        name.startswith("navplugin.store") for name in imported("navplugin.service", MODULES["navplugin.service"]))


@pytest.mark.parametrize("module", [m for m in MODULES if _inside(m, "navplugin.web")])
def test_nothing_under_web_imports_the_store(module):
    assert not {name for name in imported(module, MODULES[module]) if _inside(name, "navplugin.store")}


@pytest.mark.parametrize("module", [m for m in MODULES if not _inside(m, "navplugin.web", "navplugin.cli")
                                    and m != "navplugin"])
def test_only_web_the_cli_and_the_factory_import_flask(module):
    names = imported(module, MODULES[module])
    assert not {name for name in names if _inside(name, "flask", "werkzeug")}


@pytest.mark.parametrize("module", [m for m in MODULES if not _inside(m, "navplugin.store")])
def test_above_the_store_nothing_holds_a_connection(module):
    """SQLAlchemy and engines stay in store/; the service only builds the engine it hands the repository."""
    names = imported(module, MODULES[module])
    allowed = {"navplugin.store.engine", "navplugin.store.engine.make_engine",
               "navplugin.store.engine.default_sqlite_url"} if module == "navplugin.service" else set()
    assert not {name for name in names if _inside(name, "sqlalchemy")}
    assert not {name for name in names if _inside(name, "navplugin.store.engine")} - allowed
    touched = {node.attr for node in ast.walk(MODULES[module]) if isinstance(node, ast.Attribute)}
    assert not touched & {"engine", "begin", "connect"}, f"{module} reaches for a connection"


@pytest.mark.parametrize("module", [m for m in MODULES if _inside(m, "navplugin.spatial", "navplugin.query")])
def test_spatial_and_query_never_read_request_text(module):
    tree = MODULES[module]
    names = imported(module, tree)
    assert not {name for name in names if _inside(name, "urllib", "flask", "werkzeug", "navplugin.web")}
    parsing = {f"{node.value.id}.{node.attr}" for node in ast.walk(tree)
               if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)}
    assert "base64.urlsafe_b64decode" not in parsing, f"{module} decodes a cursor: that is web.params' work"
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            parameters = {a.arg for a in [*node.args.args, *node.args.kwonlyargs]}
            assert not parameters & REQUEST_NAMES, f"{module}.{node.name} takes request text"
