"""No two modules of Bangfu import each other, directly or through others.

import-linter's contracts say which app may import which; a cycle inside one
app passes them all, and is how the tasks, the job services and the report
ended up importing each other through imports hidden inside functions.
grimp (the import graph import-linter builds on) reads every import,
those inside functions included, so such a cycle shows here.
"""

import itertools

import grimp
import pytest

PACKAGES = ("mentoring", "donations", "oversight", "workers", "console", "core", "config")

# Cycles that must remain, each as its sorted modules, with why. None today.
ACCEPTED_CYCLES: dict[tuple[str, ...], str] = {}


def import_cycles(graph) -> list[tuple[str, ...]]:
    """Each set of modules that import one another (a strongly connected component), sorted.

    Tarjan's algorithm, iterative, so that a deep chain of imports cannot
    reach Python's recursion limit.
    """
    modules = graph.modules
    counter = itertools.count()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles = []
    for root in sorted(modules):
        if root in index:
            continue
        index[root] = low[root] = next(counter)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root) & modules)))]
        while work:
            module, imported = work[-1]
            for other in imported:
                if other not in index:
                    index[other] = low[other] = next(counter)
                    stack.append(other)
                    on_stack.add(other)
                    work.append(
                        (
                            other,
                            iter(sorted(graph.find_modules_directly_imported_by(other) & modules)),
                        )
                    )
                    break
                if other in on_stack:
                    low[module] = min(low[module], index[other])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[module])
                if low[module] == index[module]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == module:
                            break
                    if len(component) > 1:
                        cycles.append(tuple(sorted(component)))
    return sorted(cycles)


def describe(graph, cycle: tuple[str, ...]) -> str:
    """The imports between the cycle's modules, with their lines, for the failure message."""
    members = set(cycle)
    lines = [" <-> ".join(cycle)]
    for importer in cycle:
        for imported in sorted(graph.find_modules_directly_imported_by(importer) & members):
            for detail in graph.get_import_details(importer=importer, imported=imported):
                lines.append(f"  {importer}:{detail['line_number']}: {detail['line_contents']}")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph(*PACKAGES)


def test_no_module_of_the_project_is_part_of_an_import_cycle(graph):
    """Only the accepted cycles, each still there: a broken one is struck from the list."""
    cycles = import_cycles(graph)
    new = [cycle for cycle in cycles if cycle not in ACCEPTED_CYCLES]
    gone = [cycle for cycle in ACCEPTED_CYCLES if cycle not in cycles]

    assert not new, "Import cycles:\n" + "\n".join(describe(graph, cycle) for cycle in new)
    assert not gone, f"Accepted cycles that no longer exist (strike them): {gone}"


def test_the_check_finds_a_cycle_hidden_behind_a_third_module_and_a_function_import():
    graph = grimp.ImportGraph()
    for module in ("app", "app.tasks", "app.services", "app.reports", "app.models"):
        graph.add_module(module)
    graph.add_import(importer="app.tasks", imported="app.services")
    graph.add_import(importer="app.services", imported="app.models")
    graph.add_import(importer="app.services", imported="app.reports")
    # The kind of import that sits inside a function, where a reader does not see it.
    graph.add_import(importer="app.reports", imported="app.tasks")

    assert import_cycles(graph) == [("app.reports", "app.services", "app.tasks")]


def test_the_check_passes_a_graph_whose_imports_point_one_way():
    graph = grimp.ImportGraph()
    for module in ("app", "app.tasks", "app.services", "app.dispatch"):
        graph.add_module(module)
    graph.add_import(importer="app.tasks", imported="app.services")
    graph.add_import(importer="app.tasks", imported="app.dispatch")
    graph.add_import(importer="app.services", imported="app.dispatch")

    assert import_cycles(graph) == []
