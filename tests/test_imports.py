"""No import circles: every folint module (and rule) imports on its own, and the import
graph - module-level and function-level imports alike - has no cycle."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _modules() -> dict[str, Path]:
    out = {}
    for base, package in (("folint", "folint"), ("rules", "folint_rules")):
        for p in sorted((ROOT / base).rglob("*.py")):
            parts = [package, *p.relative_to(ROOT / base).with_suffix("").parts]
            if parts[-1] == "__main__":  # runs the command line when imported
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = p
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The project modules ``name`` imports anywhere (functions included), except under
    ``if TYPE_CHECKING:`` and except its own parent packages (always imported first)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(nodes):
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                visit(node.orelse)
                continue
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([node.module] if node.module else []))
                found.add(base)
                found.update(f"{base}.{a.name}" for a in node.names)
            visit(ast.iter_child_nodes(node))

    visit(ast.parse(path.read_text()).body)
    ancestors = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
    return {m for m in found if m in MODULES and m != name and m not in ancestors}


def test_the_import_graph_has_no_cycle():
    graph = {m: _imports(m, p) for m, p in MODULES.items()}
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []

    def visit(m: str):
        state[m] = 1
        stack.append(m)
        for d in sorted(graph[m]):
            if state.get(d) == 1:
                cycle = stack[stack.index(d):] + [d]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if d not in state:
                visit(d)
        stack.pop()
        state[m] = 2

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for m in sorted(graph):
        if m not in state:
            visit(m)


def test_hookspecs_import_only_types():
    assert _imports("folint.hookspecs", MODULES["folint.hookspecs"]) == set()


def test_every_module_imports_first_in_a_fresh_interpreter():
    """Each module is imported first, with no other project module loaded before it (a
    circle shows as an ImportError on a partially initialised module)."""
    script = f"""
import importlib, sys
failed = []
for name in {sorted(MODULES)!r}:
    for loaded in [m for m in sys.modules if m == "folint" or m.startswith(("folint.", "folint_rules"))]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as e:
        failed.append(f"{{name}}: {{type(e).__name__}}: {{e}}")
print("\\n".join(failed))
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == ""


def test_the_simulator_is_given_its_model_registry():
    """Issue 9 part 4: the model registry is passed in.  No module of the simulator imports
    the plugin machinery, except the checker's bridge ``folint.sim.verify`` (which takes a
    registry and only asks ``folint.plugins`` when given none); a Simulation without one
    is refused."""
    import pytest

    from folint.sim.oracle import Simulation
    from folint.source import SourceFile

    sim_modules = [m for m in MODULES if m == "folint.sim" or m.startswith("folint.sim.")]
    assert len(sim_modules) > 10
    importers = {m for m in sim_modules if "folint.plugins" in _imports(m, MODULES[m])}
    assert importers == {"folint.sim.verify"}
    src = SourceFile("t.c", b"int f(void) { return 0; }")
    with pytest.raises(TypeError, match="model registry"):
        Simulation(src, src.functions[0])
