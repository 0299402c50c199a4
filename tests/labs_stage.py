"""The labs stage of make test: the handouts and the graders check each
other (labs/README.md).

In the full tree, for every lab: `labs/handout.py N` makes a handout in
a fresh temporary folder, which must build (its own `make grade`, with the
cargo output shared between the handouts in target/labs so that the
crates compile once) and score below full marks on its lab, so a grader
that cannot fail, or a handout that still holds its answer, breaks the
build. Then this tree's own grade must be full marks on every lab.

In a handout (a `.lab` file at the root names its lab), the stage is the
student's goal instead: that lab's grade must be full marks.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

from harness import ROOT

LABS = range(1, 9)
GRADE = os.path.join(ROOT, "labs", "grade.py")


def tail(text, lines=25):
    return "\n".join(text.rstrip().splitlines()[-lines:])


def grade(tree, labs, env=None, make=False):
    """Grades `labs` in `tree` (its own grader): (results or None, output)."""
    results = os.path.join(tree, "build", "grade.json")
    os.makedirs(os.path.dirname(results), exist_ok=True)
    if os.path.exists(results):
        os.remove(results)
    if make:
        cmd = ["make", "-s", "-C", tree, "grade", "LAB=" + " ".join(map(str, labs)), "JSON=" + results]
    else:
        cmd = [sys.executable, os.path.join(tree, "labs", "grade.py")] + [str(n) for n in labs] + \
              ["--json", results]
    proc = subprocess.run(cmd, cwd=tree, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        with open(results) as f:
            return json.load(f), proc.stdout
    except (OSError, ValueError):
        return None, proc.stdout


def per_lab(results):
    """{lab: (earned, max)} from a grader's JSON."""
    scores = {}
    for c in results["checks"]:
        earned, total = scores.get(c["lab"], (0, 0))
        scores[c["lab"]] = (earned + c["earned"], total + c["points"])
    return scores


def stage_labs(r):
    lab_file = os.path.join(ROOT, ".lab")
    if os.path.exists(lab_file):
        with open(lab_file) as f:
            lab = int(f.read().strip())
        results, out = grade(ROOT, [lab])
        print(out.rstrip())
        r.check("labs: this is lab %d's handout: its grade is full marks (make grade LAB=%d)" % (lab, lab),
                results is not None and results["score"] == results["max"], tail(out))
        return

    env = dict(os.environ, CARGO_TARGET_DIR=os.path.join(ROOT, "target", "labs"))
    work = tempfile.mkdtemp(prefix="labs-")
    try:
        for lab in LABS:
            dest = os.path.join(work, "lab%d" % lab)
            proc = subprocess.run([sys.executable, os.path.join(ROOT, "labs", "handout.py"), str(lab), dest],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if not r.check("labs: lab %d: labs/handout.py %d writes a handout" % (lab, lab),
                           proc.returncode == 0, proc.stdout):
                continue
            # The test programs are no lab's work: this tree's copies
            # (newer than the handout's sources) save compiling them again.
            for built in ("user", "hello.bin", "hello.elf", "hello_c", "args_c", "probe_c"):
                source = os.path.join(ROOT, "build", built)
                target = os.path.join(dest, "build", built)
                if os.path.isdir(source):
                    shutil.copytree(source, target)
                elif os.path.exists(source):
                    os.makedirs(os.path.dirname(target), exist_ok=True)
                    shutil.copy2(source, target)
            results, out = grade(dest, [lab], env=env, make=True)
            built = os.path.exists(os.path.join(dest, "build", "kernel.elf"))
            r.check("labs: lab %d: the handout builds (make grade LAB=%d in it)" % (lab, lab),
                    built and results is not None, tail(out))
            if results is None:
                continue
            earned, total = results["score"], results["max"]
            failed = [c for c in results["checks"] if not c["passed"]]
            print("labs: lab %d's handout scores %d/%d; %s" % (
                lab, earned, total, "; ".join("%s: %s" % (c["check"], c["reason"]) for c in failed[:2])))
            r.check("labs: lab %d: the handout's grade is below full marks (%d/%d)" % (lab, earned, total),
                    total > 0 and earned < total, tail(out))
            shutil.rmtree(dest, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    results, out = grade(ROOT, list(LABS))
    scores = per_lab(results) if results else {}
    for lab in LABS:
        earned, total = scores.get(lab, (0, 0))
        r.check("labs: lab %d: this tree's grade is full marks (%d/%d)" % (lab, earned, total),
                total > 0 and earned == total, tail(out))
