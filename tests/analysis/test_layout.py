#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The layout: lib/ is the C harness, analysis/ the Python package; imports
between analysis modules go one way (no cycle); the top-level Python
commands are thin (they import one analysis module and call its main).

usage: python3 tests/analysis/test_layout.py

Reads the sources (ast), runs nothing. The cycle finder is first checked
on graphs with and without a cycle, so that this test can fail. Prints
"ok N - ..." / "not ok N - ..." lines, then "N passed, M failed"; exit
status 1 if any failed.
"""
import ast
import os
import sys

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
PACKAGE = "analysis"
THIN_MAX_STATEMENTS = 6     # imports, a sys.path line, the main call
passed = failed = number = 0


def report(ok, desc, diag=""):
    global passed, failed, number
    number += 1
    if ok:
        passed += 1
        print(f"ok {number} - {desc}")
    else:
        failed += 1
        print(f"not ok {number} - {desc}")
        for line in str(diag).splitlines()[:20]:
            print(f"#   {line}")


def our_imports(tree, modules):
    """Names of the package's modules that this module imports."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == PACKAGE:
                out |= {a.name for a in node.names if a.name in modules}
            elif node.module.startswith(PACKAGE + "."):
                out.add(node.module.split(".")[1])
            elif node.level:    # from . import x, from .x import y
                out |= ({node.module.split(".")[0]} if node.module else set())
        elif isinstance(node, ast.ImportFrom) and node.level:
            out |= {a.name for a in node.names if a.name in modules}
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith(PACKAGE + "."):
                    out.add(a.name.split(".")[1])
    return out


def find_cycle(graph):
    """A cycle as a list of nodes (first == last), or None."""
    state = {}
    stack = []

    def visit(n):
        state[n] = "open"
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == "open":
                return stack[stack.index(m):] + [m]
            if m not in state:
                found = visit(m)
                if found:
                    return found
        stack.pop()
        state[n] = "done"
        return None

    for n in sorted(graph):
        if n not in state:
            found = visit(n)
            if found:
                return found
    return None


def main(argv):
    if argv:
        print(__doc__.strip())
        return 0 if argv[0] in ("-h", "--help") else 2
    # The check can fail: a cycle is found where there is one.
    report(find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
           and find_cycle({"a": {"a"}}) == ["a", "a"] and find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None,
           "the cycle finder finds a -> b -> c -> a and a -> a, and no cycle in a diamond")

    fake = {"a": "from analysis import b\n", "b": "from analysis.c import x\n", "c": "import analysis.a\n",
            "d": "from . import a\nimport os\n"}
    fake_graph = {m: our_imports(ast.parse(src), set(fake)) for m, src in fake.items()}
    report(fake_graph == {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
           and find_cycle(fake_graph) == ["a", "b", "c", "a"],
           "every import form is seen (from analysis import, from analysis.x import, import analysis.x, "
           "from . import) and their cycle found", repr(fake_graph))

    pkg = os.path.join(TOP, PACKAGE)
    modules = sorted(f[:-3] for f in os.listdir(pkg) if f.endswith(".py") and f != "__init__.py")
    graph = {}
    for m in modules:
        with open(os.path.join(pkg, m + ".py"), encoding="utf-8") as f:
            graph[m] = our_imports(ast.parse(f.read(), m + ".py"), set(modules))
    cycle = find_cycle(graph)
    edges = "; ".join(f"{m} -> {', '.join(sorted(graph[m]))}" for m in modules if graph[m])
    report(cycle is None, f"imports between the {len(modules)} analysis modules go one way ({edges})",
           f"cycle: {' -> '.join(cycle or [])}")
    self_import = [m for m in modules if m in graph[m]]
    report(not self_import, "no module imports itself", ", ".join(self_import))

    py_in_lib = sorted(f for f in os.listdir(os.path.join(TOP, "lib")) if f.endswith(".py"))
    report(not py_in_lib, "lib/ holds the C harness only: no Python there", ", ".join(py_in_lib))

    # Top-level Python commands: a few statements, no code of their own.
    commands = []
    for f in sorted(os.listdir(TOP)):
        path = os.path.join(TOP, f)
        if os.path.isfile(path) and os.access(path, os.X_OK) and "." not in f:
            with open(path, "rb") as fh:
                head = fh.readline()
            if head.startswith(b"#!") and b"python" in head:
                commands.append(f)
    report(len(commands) >= 2, f"top-level Python commands found: {', '.join(commands)}")
    for c in commands:
        with open(os.path.join(TOP, c), encoding="utf-8") as fh:
            tree = ast.parse(fh.read(), c)
        defs = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.Lambda))]
        body = [n for n in tree.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
        uses = sorted(our_imports(tree, set(modules)))
        report(not defs and len(body) <= THIN_MAX_STATEMENTS and len(uses) == 1,
               f"./{c} is thin: {len(body)} statements, no function of its own, calls analysis.{''.join(uses)}",
               f"{len(defs)} definitions, {len(body)} statements, imports {uses}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
