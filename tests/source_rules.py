#!/usr/bin/env python3
"""tests/source_rules.py: two of the project's rules on its C sources, checked rather than hoped for.

  - no function in src/ longer than 120 lines (from its signature to its closing brace): a long
    function becomes named steps;
  - no cycle among the project's headers ("#include \"...\"" lines, resolved against the header's
    folder, src/ and include/): a header cycle makes the include order matter.

usage: tests/source_rules.py [project root]   (exit 1 and a list when a rule is broken)
"""
import os
import re
import sys

LIMIT = 120
SIGNATURE = re.compile(r"^[A-Za-z_][^;#]*\(")  # a definition starts in column 1


def long_functions(path):
    """(line, length, first line) of each function definition longer than LIMIT lines"""
    lines = open(path, encoding="utf-8").read().split("\n")
    found, i = [], 0
    while i < len(lines):
        if SIGNATURE.match(lines[i]) and not lines[i].startswith(("typedef", "struct", "enum")):
            j = i
            while j < len(lines) and "{" not in lines[j] and not lines[j].rstrip().endswith(";"):
                j += 1
            if j < len(lines) and lines[j].rstrip().endswith("{"):
                depth, k = 0, j
                while k < len(lines):
                    depth += lines[k].count("{") - lines[k].count("}")
                    if depth == 0:
                        break
                    k += 1
                if k - i + 1 > LIMIT:
                    found.append((i + 1, k - i + 1, lines[i].strip()))
                i = k + 1
                continue
        i += 1
    return found


def header_graph(root):
    """each header -> the project headers it includes"""
    src, include = os.path.join(root, "src"), os.path.join(root, "include")
    graph = {}
    for folder in (src, include):
        for here, _, files in os.walk(folder):
            for name in files:
                if not name.endswith(".h"):
                    continue
                path = os.path.join(here, name)
                edges = set()
                for line in open(path, encoding="utf-8"):
                    m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
                    if not m:
                        continue
                    for base in (here, src, include):
                        target = os.path.normpath(os.path.join(base, m.group(1)))
                        if os.path.isfile(target):
                            edges.add(target)
                            break
                graph[os.path.normpath(path)] = edges
    return graph


def find_cycle(graph):
    """one cycle as a list of headers, or None"""
    state, stack = {}, []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for after in sorted(graph.get(node, ())):
            if state.get(after) == 1:
                return stack[stack.index(after):] + [after]
            if after not in state:
                found = visit(after)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                           os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    failures = []
    for here, _, files in sorted(os.walk(os.path.join(root, "src"))):
        for name in sorted(files):
            if name.endswith(".c"):
                path = os.path.join(here, name)
                for line, length, text in long_functions(path):
                    failures.append("%s:%d: %d lines (at most %d): %s" %
                                    (os.path.relpath(path, root), line, length, LIMIT, text))
    cycle = find_cycle(header_graph(root))
    if cycle:
        failures.append("an include cycle among headers: " +
                        " -> ".join(os.path.relpath(p, root) for p in cycle))
    for failure in failures:
        print(failure)
    print("source rules: %s" % ("%d broken" % len(failures) if failures else "kept"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
