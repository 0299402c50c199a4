"""The labs stage of make test: the handouts and the graders check each
other (labs/README.md).

In the full tree, for every lab: `labs/handout.py N` makes a handout in
a fresh temporary folder, which must build (its own `make grade`, with the
cargo output shared between the handouts in target/labs so that the
crates compile once) and score below full marks on its lab, so a grader
that cannot fail, or a handout that still holds its answer, breaks the
build. Then this tree's own grade must be full marks on every lab.

One handout a run, of a lab chosen at random, is also made to hang
before its first line (`cpu::halt_forever()` at the top of kernel_main,
the most common state of a student's tree) and graded again: that must
take seconds, not minutes, every check failing with the boot limit's
reason, and still end with its score line.

When tests/run.py's boot probe found that this tree's kernel cannot
boot, the handouts are only built (`make` in each), and the grades that
would boot this kernel are one failed line, not run; the hung handout is
graded all the same (it hangs whatever this tree does).

In a handout (a `.lab` file at the root names its lab), the stage is the
student's goal instead: that lab's grade must be full marks.
"""

import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

from harness import BOOT_LIMIT, READY_LINE, ROOT, SILENT_BOOT

LABS = range(1, 10)
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


# kernel_main's first line, and what the hung handout puts after it.
KERNEL_MAIN = 'pub extern "C" fn kernel_main(magic: u32, info: u32) -> ! {\n'
HANG = "    cpu::halt_forever(); // the labs stage: a handout that hangs before its first line\n"
# How long grading the hung handout may take: one boot limit for the
# grader's probe, and seconds for the rest.
HUNG_GRADE_SECONDS = BOOT_LIMIT + 10


def not_run(r, what, why):
    r.check("labs: %s: not run: the kernel cannot reach '%s' (the boot stage): %s" % (what, READY_LINE, why),
            False)


def grade_hung_handout(r, lab, dest, env):
    """Makes lab `lab`'s handout in `dest` hang before its first line,
    builds it, and grades it: in seconds, every check failing with the
    boot limit's reason, and the score line at the end."""
    main = os.path.join(dest, "src", "main.rs")
    with open(main, encoding="utf-8") as f:
        text = f.read()
    if not r.check("labs: lab %d: the hung handout: kernel_main found in src/main.rs" % lab, KERNEL_MAIN in text,
                   "no line %r in %s" % (KERNEL_MAIN, main)):
        return
    with open(main, "w", encoding="utf-8") as f:
        f.write(text.replace(KERNEL_MAIN, KERNEL_MAIN + HANG, 1))
    build = subprocess.run(["make", "-s", "-C", dest, "iso", "user-programs"], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if not r.check("labs: lab %d: the hung handout builds" % lab, build.returncode == 0, tail(build.stdout)):
        return
    start = time.monotonic()
    results, out = grade(dest, [lab])
    seconds = time.monotonic() - start
    print("labs: lab %d's handout, hung before its first line, graded in %.1f s" % (lab, seconds))
    reason = SILENT_BOOT % BOOT_LIMIT
    checks = results["checks"] if results else []
    r.check("labs: lab %d: the handout hung before its first line is graded in seconds (%.1f s, at most %d), "
            "every check failing with %r, and the score line comes" % (lab, seconds, HUNG_GRADE_SECONDS, reason),
            seconds <= HUNG_GRADE_SECONDS and checks and all(reason in c["reason"] for c in checks)
            and re.search(r"^score: 0/%d$" % results["max"], out, re.M) is not None, tail(out))


def stage_labs(r):
    lab_file = os.path.join(ROOT, ".lab")
    if os.path.exists(lab_file):
        with open(lab_file) as f:
            lab = int(f.read().strip())
        if r.cannot_boot:
            not_run(r, "this is lab %d's handout: its grade" % lab, r.cannot_boot)
            return
        results, out = grade(ROOT, [lab])
        print(out.rstrip())
        r.check("labs: this is lab %d's handout: its grade is full marks (make grade LAB=%d)" % (lab, lab),
                results is not None and results["score"] == results["max"], tail(out))
        return

    env = dict(os.environ, CARGO_TARGET_DIR=os.path.join(ROOT, "target", "labs"))
    hung = random.choice(LABS)
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
            for built in ("user", "hello.bin", "hello.elf", "hello_c", "args_c", "probe_c",
                          "httpd", "udpecho", "netclient"):
                source = os.path.join(ROOT, "build", built)
                target = os.path.join(dest, "build", built)
                if os.path.isdir(source):
                    shutil.copytree(source, target)
                elif os.path.exists(source):
                    os.makedirs(os.path.dirname(target), exist_ok=True)
                    shutil.copy2(source, target)
            if r.cannot_boot:
                proc = subprocess.run(["make", "-s", "-C", dest], env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True)
                r.check("labs: lab %d: the handout builds (make in it)" % lab,
                        proc.returncode == 0 and os.path.exists(os.path.join(dest, "build", "kernel.elf")),
                        tail(proc.stdout))
                if lab == hung:
                    grade_hung_handout(r, lab, dest, env)
                shutil.rmtree(dest, ignore_errors=True)
                continue
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
            if lab == hung:
                grade_hung_handout(r, lab, dest, env)
            shutil.rmtree(dest, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    if r.cannot_boot:
        not_run(r, "this tree's grade of every lab", r.cannot_boot)
        return
    results, out = grade(ROOT, list(LABS))
    scores = per_lab(results) if results else {}
    for lab in LABS:
        earned, total = scores.get(lab, (0, 0))
        r.check("labs: lab %d: this tree's grade is full marks (%d/%d)" % (lab, earned, total),
                total > 0 and earned == total, tail(out))
