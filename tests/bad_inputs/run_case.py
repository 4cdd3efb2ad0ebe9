#!/usr/bin/env python3
"""Runs cases of the bad-input catalogue (cases.py): each one regio command on small hand-made
inputs that must fail with a given exit code and a message containing a given fragment, leave no
output file and no temporary file behind, and not crash.

    python3 run_case.py REGIO_BIN SCRATCH_DIR [CASE...]     (no CASE: all of them)
    python3 run_case.py --list

Each case runs in a fresh folder SCRATCH_DIR/<case>. Cases marked as_user run regio as user nobody
when the tests run as root (root reads unreadable files and writes into read-only folders)."""
import os
import shutil
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cases import CASES  # noqa: E402

NOBODY = 65534


def output_of(args):
    for i, a in enumerate(args):
        if a in ("-o", "--output") and i + 1 < len(args):
            return args[i + 1]
        if a.startswith("--output="):
            return a[len("--output="):]
    return None


def prepare(case, folder):
    for name, content in case.get("files", {}).items():
        path = os.path.join(folder, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(content.encode() if isinstance(content, str) else content)
    for name in case.get("dirs", []):
        os.makedirs(os.path.join(folder, name), exist_ok=True)
    for name in case.get("fifos", []):
        os.mkfifo(os.path.join(folder, name))
    for name, mode in case.get("modes", {}).items():
        os.chmod(os.path.join(folder, name), mode)


def run_one(regio, scratch, case):
    """Returns a list of failure texts (empty: the case passed)."""
    name = case["name"]
    as_nobody = case.get("as_user") and os.geteuid() == 0
    if as_nobody:  # a folder user nobody can enter, outside the (root-owned) build tree
        folder = tempfile.mkdtemp(prefix="regio_bad_%s_" % name)
        os.chmod(folder, 0o755)
    else:
        folder = os.path.join(scratch, name)
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
    try:
        prepare(case, folder)
        if as_nobody:
            for root, dirs, files in os.walk(folder):
                for n in dirs + files:
                    p = os.path.join(root, n)
                    if not stat.S_ISFIFO(os.lstat(p).st_mode):
                        os.lchown(p, NOBODY, NOBODY)
            os.chown(folder, NOBODY, NOBODY)
            prepare_modes = case.get("modes", {})
            for n, mode in prepare_modes.items():
                os.chmod(os.path.join(folder, n), mode)
        cmd = [regio] + case["args"]
        if as_nobody:
            cmd = ["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups"] + cmd
        before = set(os.listdir(folder))
        try:
            p = subprocess.run(cmd, cwd=folder, stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
        except subprocess.TimeoutExpired:
            return ["%s: regio did not finish in 60 s (hangs?)" % name]
        err = p.stderr.decode("utf-8", "backslashreplace")
        problems = []
        if p.returncode != case["exit"]:
            problems.append("exit code %d, expected %d" % (p.returncode, case["exit"]))
        for fragment in case["message"] if isinstance(case["message"], list) else [case["message"]]:
            if fragment not in err:
                problems.append("message lacks %r" % fragment)
        if "raised at" in err or "internal error" in err:
            problems.append("an internal error was reported")
        out = output_of(case["args"])
        if out and not case.get("output_exists"):
            if os.path.lexists(os.path.join(folder, out)):
                problems.append("the failed run left its output file %s" % out)
        after = set(os.listdir(folder))
        left = sorted(n for n in after - before if ".tmp." in n or (out and n == os.path.basename(out)))
        if left and not case.get("output_exists"):
            problems.append("the failed run left files: %s" % ", ".join(left))
        if problems:
            return ["%s: %s\n    command: %s\n    stderr: %s" % (name, "; ".join(problems), " ".join(case["args"]),
                                                              err.strip().replace("\n", "\n            "))]
        print("ok: %s: exit %d, %s" % (name, p.returncode, err.strip().splitlines()[-1] if err.strip() else ""))
        return []
    finally:
        if as_nobody:
            for root, dirs, files in os.walk(folder):
                for n in dirs:
                    os.chmod(os.path.join(root, n), 0o755)
            shutil.rmtree(folder, ignore_errors=True)


def main():
    if sys.argv[1:] == ["--list"]:
        print("\n".join(c["name"] for c in CASES))
        return 0
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    regio, scratch = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    wanted = sys.argv[3:]
    by_name = {c["name"]: c for c in CASES}
    unknown = [w for w in wanted if w not in by_name]
    if unknown:
        print("unknown case(s): %s" % ", ".join(unknown), file=sys.stderr)
        return 2
    os.makedirs(scratch, exist_ok=True)
    failures = []
    for case in [by_name[w] for w in wanted] if wanted else CASES:
        failures += run_one(regio, scratch, case)
    for f in failures:
        print("FAIL: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
