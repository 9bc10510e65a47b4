"""The floors of the house, checked from the source: arrows point down, and nothing is loaded by a name
computed at run time.

channels (api, edi, portal, workbench) → domain (procurement, suppliers, materials) → notifications →
gateway. ``procurement`` and ``notifications`` import no channel; ``notifications`` imports no domain
app either. No module hands ``import_string``, ``importlib.import_module`` or ``__import__`` anything
but a literal: a settings value (or any string built at run time) naming a callable is how a lower
floor used to reach a higher one unseen. Each rule is shown to fail on a planted violation.

Test modules are left out of the import rules (a test drives the stack from the top); the loading
rule covers every module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHANNELS = frozenset({"api", "edi", "portal", "workbench"})
DOMAIN = frozenset({"procurement", "suppliers", "materials"})
# What each app may not import, by top-level package.
FORBIDDEN: dict[str, frozenset[str]] = {
    "procurement": CHANNELS,
    "notifications": CHANNELS | DOMAIN,
}
LOADERS = frozenset({"import_string", "import_module", "__import__"})
SKIPPED_DIRS = frozenset({".venv", "var", "node_modules", "build", "dist", "__pycache__"})


def project_modules() -> list[Path]:
    """Every Python file of the project: its apps, tests, and the files beside manage.py."""
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if any(part in SKIPPED_DIRS or part.startswith(".") or part.endswith(".egg-info") for part in parts):
            continue
        found.append(path)
    return found


def module_name(relative: str) -> str:
    """``procurement/services/notify.py`` → ``procurement.services.notify`` (a package is its ``__init__``)."""
    parts = relative.removesuffix(".py").split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imported_modules(relative: str, source: str) -> list[tuple[int, str]]:
    """Each module ``source`` imports, absolute (relative imports resolved), with its line number.

    Imports inside functions and under ``TYPE_CHECKING`` count: a deferred import is still an arrow.
    """
    name = module_name(relative)
    package = name.split(".") if relative.endswith("__init__.py") else name.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(source, relative)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.append((node.lineno, target))
    return found


def layering_violations(relative: str, source: str) -> list[str]:
    """Imports in ``relative`` that point up, as ``path:line imports module``; tests are exempt."""
    parts = relative.split("/")
    forbidden = FORBIDDEN.get(parts[0])
    if forbidden is None or "tests" in parts[:-1]:
        return []
    return [
        f"{relative}:{line} imports {target}"
        for line, target in imported_modules(relative, source)
        if target.split(".")[0] in forbidden
    ]


def _called_name(call: ast.Call) -> str:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return ""


def runtime_loads(relative: str, source: str) -> list[str]:
    """Calls that load a module or callable by a name not written in the source, as ``path:line loader``."""
    found = []
    for node in ast.walk(ast.parse(source, relative)):
        if not isinstance(node, ast.Call) or _called_name(node) not in LOADERS:
            continue
        named = (
            node.args[0]
            if node.args
            else next((k.value for k in node.keywords if k.arg in ("name", "dotted_path")), None)
        )
        if not (isinstance(named, ast.Constant) and isinstance(named.value, str)):
            found.append(f"{relative}:{node.lineno} {_called_name(node)}")
    return found


def _sources() -> list[tuple[str, str]]:
    return [(path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")) for path in project_modules()]


def test_the_check_reads_the_apps_it_guards():
    read = {relative.split("/")[0] for relative, _ in _sources()}
    assert {"procurement", "notifications", "api", "edi", "gateway", "suppliers", "tests"} <= read
    assert "procurement/services/notify.py" in {relative for relative, _ in _sources()}


def test_procurement_and_notifications_import_nothing_above_them():
    found = [v for relative, source in _sources() for v in layering_violations(relative, source)]
    assert found == []


def test_no_module_loads_a_callable_by_a_name_computed_at_run_time():
    found = [v for relative, source in _sources() for v in runtime_loads(relative, source)]
    assert found == []


@pytest.mark.parametrize(
    ("relative", "source", "expected"),
    [
        ("procurement/services/orders.py", "from api.webhooks import rows_for\n", ["imports api.webhooks"]),
        ("procurement/selectors.py", "def f():\n    import edi.models\n", ["imports edi.models"]),
        ("procurement/services/x.py", "from portal import views\n", ["imports portal"]),
        ("notifications/services.py", "from procurement.models import AuditEvent\n", ["imports procurement.models"]),
        ("notifications/transports.py", "from suppliers import models\n", ["imports suppliers"]),
        ("notifications/registry.py", "from workbench.views import queue\n", ["imports workbench.views"]),
        # A relative import that climbs out of the package is resolved before it is judged.
        ("notifications/sub/mod.py", "from ...api import webhooks\n", ["imports api"]),
    ],
)
def test_an_import_pointing_up_is_found(relative, source, expected):
    found = layering_violations(relative, source)
    assert [v.split(" ", 1)[1] for v in found] == expected
    assert found[0].startswith(f"{relative}:")


@pytest.mark.parametrize(
    ("relative", "source"),
    [
        ("procurement/services/orders.py", "from notifications.services import outbox_write\n"),
        ("notifications/services.py", "from gateway.correlation import correlation_scope\nfrom .models import X\n"),
        ("api/webhooks.py", "from procurement.services.notify import outbound_message\n"),
        ("procurement/tests/test_x.py", "from api.webhooks import verify\n"),
    ],
)
def test_an_import_pointing_down_or_from_a_channel_or_a_test_passes(relative, source):
    assert layering_violations(relative, source) == []


@pytest.mark.parametrize(
    "source",
    [
        "from django.utils.module_loading import import_string\n"
        "rows_for = import_string(f'{settings.GATEWAY_WEBHOOKS}.rows_for')\n",
        "from django.conf import settings\nfrom django.utils.module_loading import import_string\n"
        "render = import_string(settings.GATEWAY_FILE_RENDERERS['*'])\n",
        "import importlib\nmodule = importlib.import_module(settings.PLUGIN)\n",
        "from importlib import import_module\npath = getattr(settings, 'HOOK')\nimport_module(name=path)\n",
        "hook = __import__(settings.HOOK_MODULE)\n",
    ],
)
def test_loading_a_callable_named_by_a_setting_is_found(source):
    (found,) = runtime_loads("procurement/services/planted.py", source)
    assert found.startswith("procurement/services/planted.py:")


def test_loading_a_module_named_in_the_source_passes():
    assert runtime_loads("tests/benchmarks/x.py", "import importlib\nimportlib.import_module('edi_parser.api')\n") == []
