"""The import graph of tooling/ and lambda_src/event_processors/ keeps the layout's promises (DESIGN.md, Layout):
no import cycle between modules, and no arrow upward across the seams.

    cli/                         the typer app: may use everything
    targets.py                   the one aws-or-local choice: everything below, never cli/
    local/                       the emulator: implements the publish/ and observe/ seams, provisions what deploy/
                                 prepared; never targets.py or cli/
    failover/                    [failover]'s status and drill: publishes (publish/), reads the endpoint
                                 (observe/); local/ implements its backend
    cost/                        `tooling cost`: the estimate, from the config, the publisher's sample events,
                                 the patterns and the observe seam's measured traffic
    routes/                      `routes diff`: routing tables compared over archived events (reads the S3
                                 archive through observe/, generates samples with publish/); local/
                                 implements its deployed-table seam
    smoke/                       `tooling smoke`: canaries (publish/), the routing preview (patterns/) and
                                 the observation seams (observe/)
    deploy/  publish/  observe/  the seams (deploy reads publish's schemas for the registry)
    patterns/                    the pattern engine (below config: validation uses it) and the routing preview
    config, naming, outputs, workspace, errors, clients, order_workflow, envlock, webhook: the shared contracts

The test machinery (tooling_testing/: the e2e emulator, its checks and harness, the PutEvents sink) sits
outside the product: it may import `tooling`, while `tooling` never imports it, except tooling/cli/e2e.py,
which loads the harness when `tooling e2e` runs. Inside it, the emulator may use the checks (authorization
and the recorder run in the server's process), the harness both, the checks neither.

The graph is read from the source (ast), so it sees imports inside functions, under TYPE_CHECKING and through
`importlib.import_module("literal")` too. Importing a module from outside its package also runs the package's
`__init__`, so such an import counts as an arrow to that `__init__` as well.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ROOTS = {
    "tooling": REPO / "tooling",
    "tooling_testing": REPO / "tooling_testing",
    "event_processors": REPO / "lambda_src" / "event_processors",
}

CONTRACTS = {
    "config",
    "naming",
    "outputs",
    "workspace",
    "errors",
    "clients",
    "order_workflow",
    "envlock",
    "strict_json",
    "input_files",
    "webhook",
    "aws_limits",
    "config_limits",
}
# Which groups a group may import (besides itself). A group is a subpackage of tooling/, "contracts" (the
# modules at the top), "targets", or "patterns-engine" (patterns/ without the routing preview).
ALLOWED: dict[str, set[str]] = {
    "contracts": {"patterns-engine"},
    "patterns-engine": {"contracts"},  # narrowed to errors below: config depends on the engine
    "patterns": {"contracts", "patterns-engine"},
    "publish": {"contracts"},
    "observe": {"contracts"},
    "access": {"contracts"},
    "deploy": {"contracts", "publish", "access"},
    "failover": {"contracts", "publish", "observe"},
    # `tooling cost`: prices the Config with the publisher's sample events, the pattern engine and the
    # observe seam's measured traffic (a TrafficSource the CLI picks through targets.py).
    "cost": {"contracts", "patterns", "patterns-engine", "publish", "observe"},
    "routes": {"contracts", "patterns-engine", "publish", "observe"},
    "local": {
        "contracts",
        "patterns",
        "patterns-engine",
        "publish",
        "observe",
        "deploy",
        "failover",
        "routes",
    },
    "targets": {"contracts", "deploy", "publish", "observe", "local", "failover", "routes"},
    "smoke": {"contracts", "patterns", "patterns-engine", "publish", "observe"},
    "cli": {
        "contracts",
        "patterns",
        "patterns-engine",
        "publish",
        "observe",
        "deploy",
        "local",
        "targets",
        "access",
        "failover",
        "cost",
        "routes",
        "smoke",
    },
    "main": {"cli"},
    "package": set(),
}
PATTERNS_ENGINE_MAY_IMPORT = {"tooling.errors", "tooling.strict_json"}
TESTING = "tooling_testing"
# The one way in from the product: `tooling e2e` runs the harness (and the package __init__s on the way).
TESTING_ENTRY = ("tooling.cli.e2e", f"{TESTING}.harness")
# Which parts of tooling_testing a part may import (besides itself); every part may import tooling.
TESTING_ALLOWED: dict[str, set[str]] = {
    "emulator": {"checks"},  # deliveries obey checks/authorization.py; checks/recorder.py logs the calls
    "checks": set(),
    "harness": {"emulator", "checks"},
    "sink": set(),
    "package": set(),
}


def module_name(root: str, path: Path) -> str:
    parts = [root, *path.relative_to(ROOTS[root]).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    found = {}
    for root, directory in ROOTS.items():
        for path in sorted(directory.rglob("*.py")):
            found[module_name(root, path)] = path
    return found


def imported_names(module: str, path: Path) -> Iterable[tuple[str, list[str]]]:
    """(module imported, names imported from it) for every import statement in the file."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield target, [alias.name for alias in node.names]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.args[0].value, []


def import_graph(known: Mapping[str, Path]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in known}
    for module, path in known.items():
        for target, names in imported_names(module, path):
            hits = [f"{target}.{name}" for name in names if f"{target}.{name}" in known]
            if not names or (target in known and len(hits) < len(names)):
                hits.append(target)
            for hit in hits:
                if hit not in known:
                    continue
                # importing a.b.c from outside package a.b runs a.b's __init__ (and a's) first
                parts = hit.split(".")
                for depth in range(1, len(parts) + 1):
                    parent = ".".join(parts[:depth])
                    if parent in known and parent != module and not module.startswith(parent + "."):
                        graph[module].add(parent)
    return graph


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph[node]:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def group(module: str) -> str:
    parts = module.split(".")
    if parts[0] != "tooling":
        return parts[0]
    if len(parts) == 1:
        return "package"
    if parts[1] == "__main__":
        return "main"
    if parts[1] == "patterns":
        return "patterns" if module == "tooling.patterns.routing" else "patterns-engine"
    if len(parts) == 2 and parts[1] in CONTRACTS:
        return "contracts"
    return parts[1]


def machinery_part(module: str) -> str:
    """emulator, checks, harness, sink, or package (tooling_testing itself)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "package"


def machinery_arrow_ok(module: str, target: str) -> bool:
    """Whether an arrow that starts or ends in the test machinery keeps its boundary."""
    if group(module) != TESTING:  # the product reaches it only through `tooling e2e`
        entry, harness = TESTING_ENTRY
        return module == entry and (target in (TESTING, harness) or target.startswith(harness + "."))
    if target == "tooling" or target.startswith("tooling."):
        return True
    if group(target) != TESTING:
        return False
    mine, theirs = machinery_part(module), machinery_part(target)
    return theirs == mine or theirs == "package" or theirs in TESTING_ALLOWED[mine]


def upward_arrows(graph: Mapping[str, set[str]]) -> list[str]:
    wrong = []
    for module, targets in sorted(graph.items()):
        if not module.startswith("tooling"):
            continue
        mine = group(module)
        for target in sorted(targets):
            theirs = group(target)
            if TESTING in (mine, theirs):
                if not machinery_arrow_ok(module, target):
                    wrong.append(f"{module} ({mine}) imports {target} ({theirs})")
                continue
            if target == "tooling" or (theirs == mine and mine != "patterns-engine"):
                continue
            if mine == "patterns-engine":
                ok = target.startswith("tooling.patterns") or target in PATTERNS_ENGINE_MAY_IMPORT
                ok = ok and target != "tooling.patterns.routing"
            else:
                ok = theirs in ALLOWED[mine]
            if not ok:
                wrong.append(f"{module} ({mine}) imports {target} ({theirs})")
    return wrong


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph(modules())


def test_no_import_cycle_between_modules(graph: dict[str, set[str]]) -> None:
    assert cycles(graph) == []


def test_no_import_upward_across_the_seams(graph: dict[str, set[str]]) -> None:
    assert upward_arrows(graph) == []


def test_nothing_outside_cli_imports_cli(graph: dict[str, set[str]]) -> None:
    importers = {
        module
        for module, targets in graph.items()
        if any(t == "tooling.cli" or t.startswith("tooling.cli.") for t in targets)
        and not (module == "tooling.cli" or module.startswith("tooling.cli."))
    }

    assert importers == {"tooling.__main__"}


def test_only_targets_and_cli_choose_the_local_target(graph: dict[str, set[str]]) -> None:
    importers = {
        group(module)
        for module, targets in graph.items()
        if any(t == "tooling.local" or t.startswith("tooling.local.") for t in targets)
        and not module.startswith("tooling.local")
    }

    assert importers <= {"targets", "cli"}


def test_the_top_holds_only_the_shared_contracts_and_the_choice() -> None:
    top = {path.stem for path in ROOTS["tooling"].glob("*.py")}

    assert top == CONTRACTS | {"__init__", "__main__", "targets"}


def test_the_product_reaches_the_test_machinery_only_through_tooling_e2e(graph: dict[str, set[str]]) -> None:
    importers = {
        module
        for module, targets in graph.items()
        if group(module) != TESTING and any(group(t) == TESTING for t in targets)
    }

    assert importers == {"tooling.cli.e2e"}
    assert any(m.startswith(f"{TESTING}.emulator.") for m in graph)  # the package is read, not skipped


def test_lambda_code_never_imports_tooling(graph: dict[str, set[str]]) -> None:
    lambda_imports = {t for m, ts in graph.items() if m.startswith("event_processors") for t in ts}

    assert not any(t.startswith("tooling") for t in lambda_imports)


def test_the_check_finds_a_cycle_and_an_upward_arrow() -> None:
    graph = {
        "tooling.config": {"tooling.naming"},
        "tooling.naming": {"tooling.config"},
        "tooling.local": set(),
    }
    graph["tooling.publish.bus"] = {"tooling.local"}

    assert cycles(graph) == [["tooling.config", "tooling.naming"]]
    assert upward_arrows(graph) == ["tooling.publish.bus (publish) imports tooling.local (local)"]


def test_the_check_finds_an_arrow_across_the_test_machinery_boundary() -> None:
    graph = {
        "tooling.cli.e2e": {"tooling_testing", "tooling_testing.harness", "tooling_testing.harness.run"},
        "tooling.publish.bus": {"tooling_testing.sink"},
        "tooling.cli.monitor": {"tooling_testing.harness.run"},
        "tooling.cli.access": {"tooling_testing.checks.authorization"},
        "tooling_testing.harness.run": {"tooling.deploy.terraform", "tooling_testing.emulator.server"},
        "tooling_testing.emulator.moto_patches": {"tooling_testing.checks.authorization", "tooling.access"},
        "tooling_testing.checks.recorder": {"tooling_testing.emulator.server"},
        "tooling_testing.sink": {"event_processors.processor"},
    }

    assert upward_arrows(graph) == [
        "tooling.cli.access (cli) imports tooling_testing.checks.authorization (tooling_testing)",
        "tooling.cli.monitor (cli) imports tooling_testing.harness.run (tooling_testing)",
        "tooling.publish.bus (publish) imports tooling_testing.sink (tooling_testing)",
        "tooling_testing.checks.recorder (tooling_testing) imports tooling_testing.emulator.server"
        " (tooling_testing)",
        "tooling_testing.sink (tooling_testing) imports event_processors.processor (event_processors)",
    ]
