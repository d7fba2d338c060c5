#!/usr/bin/env python3
"""Checks that the numbers the tour's text quotes are the numbers its programs print.

In the markdown, a quoted number is followed directly by a marker naming a check:
    TL rises to 0.965<!--q ch4.tl30--> at step 30
The definitions file says, per check, which program (with arguments) to run, a regular expression whose
first group captures the printed value, and how to compare:
    ch4.tl30 | ch4_swissroll | ^\s+30\s+\S+\s+(\S+)$ | round
Modes: round  - the printed value, rounded to the quoted digits, is the quoted number
                (|printed - quoted| <= half a unit of the quoted number's last digit);
       below  - the printed value is at most the quoted one (the text says "below q");
       order  - round-off quantities: within a factor 10 of the quoted one.
It fails when a marker names no definition, a definition is quoted nowhere, a program fails or prints
no match, or a number disagrees. Each program runs once, in a scratch directory.
--self-test KEYS: for each key, the true text must pass and the text with that number changed by one
unit of its last digit (x100 for below/order) must fail - proof that the check can fail.
Exit 77 (skipped) only when a program itself reports 77 (its data set is missing) and nothing failed.
"""
import argparse
import decimal
import os
import re
import subprocess
import sys
import tempfile

NUMBER = r"[-\u2212]?\d+(?:\.\d+)?(?:e[-\u2212+]?\d+)?"
MARKER = re.compile(r"(" + NUMBER + r")<!--q ([\w.\-]+)-->")


def parse_number(text):
    return decimal.Decimal(text.replace("\u2212", "-"))


def read_defs(path):
    defs = {}
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip() or line.startswith("#"):
                continue
            parts = [p.strip() for p in line.rstrip("\n").split(" | ")]
            if len(parts) != 4 or parts[3] not in ("round", "below", "order"):
                sys.exit(f"{path}:{lineno}: expected 'key | program args | regex | round|below|order', found {line.strip()!r}")
            key, program, regex, mode = parts
            if key in defs:
                sys.exit(f"{path}:{lineno}: check {key!r} is defined twice")
            defs[key] = (program, re.compile(regex, re.MULTILINE), mode, f"{path}:{lineno}")
    return defs


def read_markers(docs):
    found = []  # (place, key, quoted text)
    for doc in docs:
        with open(doc, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                for m in MARKER.finditer(line):
                    found.append((f"{doc}:{lineno}", m.group(2), m.group(1)))
                if "<!--q" in MARKER.sub("", line):
                    sys.exit(f"{doc}:{lineno}: a '<!--q KEY-->' marker must follow a number directly (no space)")
    return found


def agrees(quoted_text, printed, mode):
    q = parse_number(quoted_text)
    if mode == "below":
        return printed <= q
    if mode == "order":
        return q / 10 < printed < q * 10
    exponent = q.as_tuple().exponent  # e.g. 0.965 -> -3; 6e-16 -> -16
    half_unit = decimal.Decimal(5).scaleb(exponent - 1)
    return abs(printed - q) <= half_unit * (1 + decimal.Decimal("1e-9"))


def mutated(quoted_text, mode):
    q = parse_number(quoted_text)
    if mode in ("below", "order"):
        return str(q / 100)
    return str(q + decimal.Decimal(1).scaleb(q.as_tuple().exponent))


class Runner:
    def __init__(self, bindir):
        self.bindir, self.cache = os.path.abspath(bindir), {}
        self.scratch = tempfile.mkdtemp(prefix="tour-numbers-")

    def output(self, program):
        if program not in self.cache:
            argv = program.split()
            argv[0] = os.path.join(self.bindir, argv[0])
            if not os.access(argv[0], os.X_OK):
                self.cache[program] = (-1, f"no program {argv[0]} (expected the build's tour/ folder as --bin)")
            else:
                r = subprocess.run(argv, cwd=self.scratch, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                self.cache[program] = (r.returncode, r.stdout)
        return self.cache[program]


def check(markers, defs, runner, keys=None, quiet=False):
    """Returns (failures, skipped programs)."""
    failures, skipped = [], set()
    for place, key, quoted in markers:
        if keys is not None and key not in keys:
            continue
        if key not in defs:
            failures.append(f"{place}: marker '{key}' has no definition")
            continue
        program, regex, mode, defplace = defs[key]
        rc, out = runner.output(program)
        if rc == 77:
            skipped.add(program)
            continue
        if rc != 0:
            failures.append(f"{place}: '{program}' exited with status {rc} (expected 0); its output ends:\n{out[-800:]}")
            continue
        m = regex.search(out)
        if not m:
            failures.append(f"{place}: check '{key}': '{program}' printed nothing matching {regex.pattern!r} ({defplace})")
            continue
        printed = parse_number(m.group(1).rstrip("%"))
        if agrees(quoted, printed, mode):
            if not quiet:
                print(f"ok   {key:<22} quoted {quoted:<9} printed {m.group(1):<10} ({mode})")
        else:
            failures.append(f"{place}: check '{key}': the text quotes {quoted}, '{program}' prints {m.group(1)} "
                            f"(mode {mode}: expected them to agree)")
    return failures, skipped


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True, help="folder of the tour programs")
    ap.add_argument("--defs", required=True)
    ap.add_argument("--self-test", default="", help="comma-separated keys")
    ap.add_argument("docs", nargs="+")
    a = ap.parse_args()
    defs, markers = read_defs(a.defs), read_markers(a.docs)
    runner = Runner(a.bin)
    if a.self_test:
        bad = []
        for key in a.self_test.split(","):
            mine = [m for m in markers if m[1] == key]
            if not mine:
                bad.append(f"self-test: no marker '{key}' in {', '.join(a.docs)}")
                continue
            fails, skipped = check(mine, defs, runner, quiet=True)
            if skipped:
                print(f"skipped: {', '.join(sorted(skipped))} reported a missing data set")
                return 77
            wrong = [(p, k, mutated(q, defs[k][2])) for p, k, q in mine]
            wrong_fails, _ = check(wrong, defs, runner, quiet=True)
            print(f"{key}: true text {'passes' if not fails else 'FAILS'}; quoted {mine[0][2]} -> {wrong[0][2]}: "
                  f"{'fails, as it must' if wrong_fails else 'PASSES (the check cannot fail)'}")
            if fails or not wrong_fails:
                bad += fails or [f"self-test: changing '{key}' to {wrong[0][2]} was not detected"]
        for b in bad:
            print("FAIL", b)
        return 1 if bad else 0
    failures, skipped = check(markers, defs, runner)
    used = {k for _, k, _ in markers}
    failures += [f"{d[3]}: check '{k}' is defined but no document quotes it" for k, d in defs.items() if k not in used]
    for f in failures:
        print("FAIL", f)
    print(f"{len(markers)} quoted numbers, {len(failures)} failures")
    if failures:
        return 1
    if skipped:
        print(f"skipped: {', '.join(sorted(skipped))} reported a missing data set (exit 77); their numbers were not checked")
        return 77
    return 0


if __name__ == "__main__":
    sys.exit(main())
