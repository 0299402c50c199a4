#!/usr/bin/env python3
"""Make a lab's handout: a student tree with that lab's solution taken out.

    python3 labs/handout.py N DEST       (make handout LAB=N DEST=DIR)
    python3 labs/handout.py --check      every region well-formed, no output

The full tree holds the solutions, each marked where it stands. In Rust
(and in any file whose comments start with //):

    // LAB N BEGIN: what the student writes
    ... the solution: the full tree compiles these lines ...
    //~ ... the stub: the handout compiles these, uncommented ...
    // LAB N END

In Python the same with `#` and `#~ `. In Markdown, where a comment is
HTML's and has to stay one:

    <!-- LAB N BEGIN: what the text gives away -->
    ... the full tree's text ...
    <!-- LAB N STUB
    ... the handout's text ...
    LAB N END -->

For lab N, DEST receives every file git tracks (never .git: the history
holds the solutions too), with lab N's regions replaced by their stubs and
their markers removed. Other labs' regions stay as they are, solved, so
the lab builds on a working kernel. DEST gets a file `.lab` holding N,
which tells `make test` and `make grade` which lab the tree is, and, when
git is there, a fresh repository with one commit, so that a student can
`git diff` their work. Python 3 standard library only.
"""

import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LABS = range(1, 10)

# Markers: the comment leader, then LAB N BEGIN/END (BEGIN has a title).
BEGIN = re.compile(r"^\s*(//|#|<!--) LAB (\d+) BEGIN: (.+?)( -->)?$")
END = re.compile(r"^\s*(//|#) LAB (\d+) END$|^LAB (\d+) END -->$")
MD_STUB = re.compile(r"^<!-- LAB (\d+) STUB$")
STUB_LINE = {"//": re.compile(r"^(\s*)//~ ?"), "#": re.compile(r"^(\s*)#~ ?")}


class MarkerError(Exception):
    pass


def regions(path, lines):
    """The regions of one file: (lab, title, begin, stub, end) line
    indexes, where lines[stub:end] are the stub's lines."""
    found, open_region = [], None
    for i, line in enumerate(lines):
        b, e, s = BEGIN.match(line), END.match(line), MD_STUB.match(line)
        where = "%s:%d" % (path, i + 1)
        if b:
            if open_region:
                raise MarkerError("%s: LAB %s BEGIN inside the region of lab %s" % (where, b.group(2), open_region[0]))
            open_region = [int(b.group(2)), b.group(1), b.group(3), i, None]
        elif s or e:
            lab = int(s.group(1) if s else (e.group(2) or e.group(3)))
            if not open_region or open_region[0] != lab:
                raise MarkerError("%s: marker of lab %d outside its region" % (where, lab))
            if s:
                if open_region[1] != "<!--" or open_region[4] is not None:
                    raise MarkerError("%s: a STUB marker belongs once in a Markdown region" % where)
                open_region[4] = i + 1
                continue
            leader = open_region[1]
            stub = open_region[4]
            if leader == "<!--":
                if stub is None:
                    raise MarkerError("%s: Markdown region without its '<!-- LAB %d STUB' line" % (where, lab))
            else:
                # The stub: the trailing run of lines that carry the stub prefix.
                stub = i
                while stub > open_region[3] + 1 and STUB_LINE[leader].match(lines[stub - 1]):
                    stub -= 1
                if stub == i:
                    raise MarkerError("%s: region of lab %d has no stub lines (%s~)" % (where, lab, leader))
            found.append((lab, open_region[2], open_region[3], stub, i, leader))
            open_region = None
    if open_region:
        raise MarkerError("%s: LAB %d BEGIN at line %d is never ended" % (path, open_region[0], open_region[3] + 1))
    for lab, *_ in found:
        if lab not in LABS:
            raise MarkerError("%s: lab %d does not exist (labs %d-%d)" % (path, lab, LABS[0], LABS[-1]))
    return found


def cut(path, text, lab):
    """`text` with lab `lab`'s regions replaced by their stubs."""
    lines = text.split("\n")
    out, last = [], 0
    for n, _, begin, stub, end, leader in regions(path, lines):
        if n != lab:
            continue
        out += lines[last:begin]
        if leader == "<!--":
            out += lines[stub:end]
        else:
            # At the marker's indentation: rustfmt may have moved the
            # commented lines (under a trailing comment, for one).
            indent = lines[begin][:len(lines[begin]) - len(lines[begin].lstrip())]
            out += [(indent + STUB_LINE[leader].sub("", line.lstrip())).rstrip()
                    for line in lines[stub:end]]
        last = end + 1
    return "\n".join(out + lines[last:])


def tracked_files():
    """The files of the tree, as git lists them (a handout of a handout
    has no .git: then every file but build output)."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
        return [f for f in listed.decode().split("\0") if f and os.path.isfile(os.path.join(ROOT, f))]
    except (OSError, subprocess.CalledProcessError):
        files = []
        for folder, dirs, names in os.walk(ROOT):
            dirs[:] = [d for d in dirs if d not in (".git", "target", "build", "out")]
            files += [os.path.relpath(os.path.join(folder, n), ROOT) for n in names]
        return sorted(files)


def text_of(path):
    try:
        with open(os.path.join(ROOT, path), encoding="utf-8") as f:
            return f.read()
    except UnicodeDecodeError:
        return None


def all_regions():
    """{file: regions} for every tracked text file that has any."""
    result = {}
    for path in tracked_files():
        text = text_of(path)
        if text is not None and "LAB " in text:
            found = regions(path, text.split("\n"))
            if found:
                result[path] = found
    return result


def make(lab, dest):
    if os.path.exists(dest) and os.listdir(dest):
        sys.exit("handout: %s exists and is not empty; give a new folder" % dest)
    labs_here = {r[0] for found in all_regions().values() for r in found}
    if lab not in labs_here:
        sys.exit("handout: no region of lab %d in this tree" % lab)
    for path in tracked_files():
        target = os.path.join(dest, path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        text = text_of(path)
        if text is not None and "LAB %d " % lab in text:
            with open(target, "w", encoding="utf-8") as f:
                f.write(cut(path, text, lab))
            shutil.copymode(os.path.join(ROOT, path), target)
        else:
            shutil.copy2(os.path.join(ROOT, path), target)
        if path.startswith("src/"):
            # New times for the kernel's source: a build that shares cargo's
            # output with another tree (the labs stage) must see it changed.
            os.utime(target)
    with open(os.path.join(dest, ".lab"), "w") as f:
        f.write("%d\n" % lab)
    # The handout's README opens with what the student is to do.
    readme = os.path.join(dest, "README.md")
    if os.path.exists(readme):
        with open(readme, encoding="utf-8") as f:
            title, _, rest = f.read().partition("\n")
        with open(readme, "w", encoding="utf-8") as f:
            f.write("%s\n\n> **This is the handout of lab %d.** The guide is `labs/lab%d.md`; "
                    "`git grep -n \"YOUR CODE HERE\"` shows where to write, and `make grade LAB=%d` "
                    "grades your work (`labs/README.md`: the labs). Until you are done, `make test` fails "
                    "the checks of this lab's part; its `labs` stage is your grade.\n%s" % (title, lab, lab, lab, rest))
    if shutil.which("git"):
        quiet = {"cwd": dest, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        ok = subprocess.run(["git", "init", "-q"], **quiet).returncode == 0
        ok = ok and subprocess.run(["git", "add", "-A"], **quiet).returncode == 0
        ok = ok and subprocess.run(["git", "-c", "user.name=handout", "-c", "user.email=handout@localhost",
                                    "commit", "-q", "-m", "Lab %d handout" % lab], **quiet).returncode == 0
        if not ok:
            print("handout: note: git could not make the first commit; the files are there")
    print("handout: lab %d written to %s (%d files); there: make grade LAB=%d" % (
        lab, dest, len(tracked_files()), lab))


def main(argv):
    if argv == ["--check"]:
        try:
            found = all_regions()
        except MarkerError as e:
            sys.exit("handout: %s" % e)
        per_lab = {}
        for path, rs in sorted(found.items()):
            for r in rs:
                per_lab.setdefault(r[0], []).append("%s:%d" % (path, r[2] + 1))
        for lab in LABS:
            print("lab %d: %s" % (lab, ", ".join(per_lab.get(lab, ["NO REGION"]))))
        return 0 if all(lab in per_lab for lab in LABS) else 1
    if len(argv) != 2 or not argv[0].isdigit():
        print(__doc__)
        return 2
    try:
        make(int(argv[0]), argv[1])
    except MarkerError as e:
        sys.exit("handout: %s" % e)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
