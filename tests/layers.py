#!/usr/bin/env python3
"""Checks the kernel's layering: every import points down, and no two
modules import each other in a circle.

The rooms of src/, from the bottom layer up, are listed in src/lib.rs and
in ROOMS below (the two must agree; this script checks that too). A module
may use its own room and the rooms below it. Reading the source as text,
it finds every path a file names (`use crate::...`, `crate::a::b` in code,
`super::x`, `irqkernel::...` in main.rs, and the print macros, which live
in console.rs), resolves each to the module file it lands in, and reports

  - an import from a lower room into a higher one (or sideways, between
    two rooms of the same rank), with file, line and the path;
  - a cycle among module files, within a room or across rooms.

Run by the lint stage of make test; `python3 tests/layers.py` alone prints
the verdict and exits 1 on a violation.
"""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "src")

# Bottom first; rooms of the same rank may not use each other.
ROOMS = [("ring", "fd"), ("cpu",), ("mm",), ("dev",), ("console",), ("interrupt",), ("sched",), ("terminal",), ("net",),
         ("user",), ("boot",),
         ("bench", "selftest"), ("main",)]
RANK = {room: rank for rank, rooms in enumerate(ROOMS) for room in rooms}
# Macros exported at the crate root but defined in a room.
MACROS = {"print": "console", "println": "console"}

PATH = re.compile(r"\b(crate|irqkernel|super)((?:::\w+)+)")
USE_GROUP = re.compile(r"\buse\s+(crate|irqkernel|super)((?:::\w+)*)::\{([^;]*)\};", re.S)


def strip_comments(text):
    """The code of a Rust file: comments and string contents blanked out,
    line breaks kept (so line numbers stay right)."""
    out, i, n = [], 0, len(text)
    while i < n:
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif text[i] == '"' or text.startswith('r#"', i):
            end = '"#' if text[i] == "r" else '"'
            j = i + (3 if text[i] == "r" else 1)
            while j < n and not text.startswith(end, j):
                j += 2 if text[j] == "\\" and end == '"' else 1
            j += len(end)
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def module_file(parts):
    """The file of the deepest module named by `parts` (a path from src/),
    and how many parts it used; None if even the first is no module."""
    best = None
    for k in range(1, len(parts) + 1):
        base = os.path.join(SRC, *parts[:k])
        for candidate in (base + ".rs", os.path.join(base, "mod.rs")):
            if os.path.isfile(candidate):
                best = candidate
                break
        else:
            break
    return best


def room_of(path):
    rel = os.path.relpath(path, SRC)
    first = rel.split(os.sep)[0]
    return os.path.splitext(first)[0]


def file_module(path):
    """The module path of a file: src/a/b.rs is a::b, src/a/mod.rs is a."""
    parts = os.path.relpath(path, SRC)[:-3].split(os.sep)
    return parts[:-1] if parts[-1] == "mod" else parts


def inline_modules(code):
    """For each offset where an inline `mod name {` body starts or ends, the
    stack of inline module names in force from there on."""
    changes, stack, depth, opened = [(0, [])], [], 0, []
    pending = {m.end() - 1: m.group(1) for m in re.finditer(r"\bmod\s+(\w+)\s*\{", code)}
    for i, c in enumerate(code):
        if c == "{":
            depth += 1
            if i in pending:
                stack.append(pending[i])
                opened.append(depth)
                changes.append((i, list(stack)))
        elif c == "}":
            if opened and opened[-1] == depth:
                opened.pop()
                stack.pop()
                changes.append((i, list(stack)))
            depth -= 1
    return changes


def references(path):
    """(line, text, target file) for every module path the file names."""
    code = strip_comments(open(path, encoding="utf-8").read())
    changes = inline_modules(code)
    found = []

    def module_at(offset):
        stack = []
        for at, names in changes:
            if at > offset:
                break
            stack = names
        return file_module(path) + stack

    def resolve(root, tail, offset):
        parts = [p for p in tail.split("::") if p]
        if root == "super":
            parts = module_at(offset)[:-1] + parts
        if parts and parts[0] in MACROS:
            parts = [MACROS[parts[0]]]
        target = module_file(parts) if parts else None
        if target:
            line = code.count("\n", 0, offset) + 1
            found.append((line, root + "::" + "::".join(p for p in tail.split("::") if p), target))

    for m in USE_GROUP.finditer(code):
        for item in m.group(3).split(","):
            item = item.strip().split(" as ")[0].strip()
            if not item or item == "self":
                resolve(m.group(1), m.group(2), m.start())
            elif "{" not in item:
                resolve(m.group(1), m.group(2) + "::" + item, m.start())
    for m in PATH.finditer(code):
        resolve(m.group(1), m.group(2), m.start())
    return found


def rust_files():
    for folder, _, files in os.walk(SRC):
        for name in sorted(files):
            if name.endswith(".rs"):
                yield os.path.join(folder, name)


def check():
    problems = []
    lib_text = open(os.path.join(SRC, "lib.rs"), encoding="utf-8").read()
    listed = re.findall(r"^//! \| `(\w+)(?:/|\.rs)`", lib_text, re.M)
    listed += re.findall(r"^//! \| `\w+/`, `(\w+)/`", lib_text, re.M)
    for room in RANK:
        if room != "main" and room not in listed:
            problems.append("src/lib.rs does not list the room %s that tests/layers.py knows" % room)
    edges = {}
    for path in rust_files():
        source = room_of(path)
        if source == "lib":
            continue
        if source not in RANK:
            problems.append("%s: room %s is not in tests/layers.py's ROOMS" % (os.path.relpath(path, ROOT), source))
            continue
        for line, text, target in references(path):
            if target == path:
                continue
            edges.setdefault(path, set()).add(target)
            dest = room_of(target)
            if dest == source or dest == "lib":
                continue
            if RANK.get(dest, -1) >= RANK[source]:
                problems.append("%s:%d: %s (room %s) uses %s (room %s), which is not below it"
                                % (os.path.relpath(path, ROOT), line, source, source, text, dest))
    # A cycle among files: depth-first search with colours.
    colour, stack = {}, []

    def visit(node):
        colour[node] = "grey"
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if colour.get(nxt) == "grey":
                cycle = stack[stack.index(nxt):] + [nxt]
                problems.append("import cycle: " + " -> ".join(os.path.relpath(c, ROOT) for c in cycle))
            elif nxt not in colour:
                visit(nxt)
        stack.pop()
        colour[node] = "black"

    for node in sorted(edges):
        if node not in colour:
            visit(node)
    return problems, sum(len(v) for v in edges.values())


def main():
    problems, count = check()
    for p in problems:
        print("layers: " + p)
    print("layers: %d imports between %d rooms checked, %d problem(s)" % (count, len(RANK), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
