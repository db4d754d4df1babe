"""The package's layering, read from the source: lower floors never import upper ones, and no import cycle."""

import ast
import os

from tests.helpers import REPO_ROOT

PACKAGE = os.path.join(REPO_ROOT, "keras_gen")
# Each floor may import only floors listed before it (and itself).
FLOORS = ["utils", "layers", "losses", "models", "data", "latent", "metrics", "export", "training", "families", "cli"]
ANYWHERE = {"keras_gen", "keras_gen.theory", "keras_gen.report"}  # the package root and leaf tools


def _module_name(path):
    relative = os.path.relpath(path, REPO_ROOT)[:-3].replace(os.sep, ".")
    return relative[: -len(".__init__")] if relative.endswith(".__init__") else relative


def import_graph():
    """`{module: {imported keras_gen modules}}`, counting imports inside functions too."""
    modules = {}
    for folder, _, files in os.walk(PACKAGE):
        for file in files:
            if file.endswith(".py"):
                modules[_module_name(os.path.join(folder, file))] = os.path.join(folder, file)
    graph = {}
    for name, path in modules.items():
        tree = ast.parse(open(path).read())
        imported = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module)
                imported.update(f"{node.module}.{alias.name}" for alias in node.names)
        if "pkgutil.iter_modules" in open(path).read():  # a registry that imports every module beside it
            imported.update(m for m in modules if m.startswith(name + ".") and m.count(".") == name.count(".") + 1)
        graph[name] = {m for m in imported if m in modules and m != name}
    return graph


def _floor(module):
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in FLOORS else None


def test_lower_floors_never_import_upper_ones():
    graph = import_graph()
    assert "keras_gen.utils.distribute" in graph and "keras_gen.families.gan" in graph
    violations = []
    for module, imported in graph.items():
        floor = _floor(module)
        if floor is None:
            continue
        allowed = set(FLOORS[: FLOORS.index(floor) + 1])
        violations += [f"{module} imports {m}" for m in imported if _floor(m) and _floor(m) not in allowed]
    assert violations == []


def test_layers_losses_and_models_import_nothing_from_training():
    graph = import_graph()
    offenders = {m: sorted(i for i in imported if i.startswith("keras_gen.training"))
                 for m, imported in graph.items() if _floor(m) in ("layers", "losses", "models")}
    assert {m: i for m, i in offenders.items() if i} == {}


def test_no_import_cycle():
    graph = import_graph()
    assert "keras_gen.families.gan" in graph["keras_gen.families"]  # the registry's discovery is an import
    # A package's __init__ importing its own submodules is not a cycle through the submodule's parents.
    edges = {m: {i for i in imported if not m.startswith(i + ".")} for m, imported in graph.items()}
    state, cycles = {}, []

    def visit(module, stack):
        state[module] = "open"
        for target in sorted(edges.get(module, ())):
            if state.get(target) == "open":
                cycles.append(stack[stack.index(target):] + [target])
            elif target not in state:
                visit(target, stack + [target])
        state[module] = "done"

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    assert cycles == []
