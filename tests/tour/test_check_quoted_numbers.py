#!/usr/bin/env python3
"""The quoted-number checker on made-up documents: a right number passes; a wrong number, an unknown
marker, an unquoted definition, a non-matching regex and a failing program each fail; a program that
reports 77 makes the run skip. Usage: test_check_quoted_numbers.py CHECKER"""
import os
import subprocess
import sys
import tempfile

checker = sys.argv[1]
work = tempfile.mkdtemp(prefix="tour-checker-test-")
fake = os.path.join(work, "fake")  # prints fixed numbers; `fake fail` exits 3, `fake skip` exits 77
with open(fake, "w") as f:
    f.write('#!/bin/sh\n[ "$1" = fail ] && exit 3\n[ "$1" = skip ] && exit 77\n'
            'echo "TL 0.9648"\necho "residual 6.2e-16"\necho "share 0.4 %"\n')
os.chmod(fake, 0o755)
defs_text = ("tl | fake | TL (\\S+) | round\nres | fake | residual (\\S+) | order\n"
             "share | fake | share (\\S+) % | below\n")


def run(doc, defs=defs_text):
    d, m = os.path.join(work, "doc.md"), os.path.join(work, "defs.txt")
    open(d, "w").write(doc)
    open(m, "w").write(defs)
    r = subprocess.run([sys.executable, checker, "--bin", work, "--defs", m, d], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    return r.returncode, r.stdout


right = "peak 0.965<!--q tl--> and 6e-16<!--q res--> and below 1<!--q share--> %\n"
cases = [
    ("the right numbers", right, defs_text, 0),
    ("rounded the other way (0.964)", right.replace("0.965", "0.964"), defs_text, 1),
    ("one more digit than printed agrees with (0.9650)", right.replace("0.965", "0.9650"), defs_text, 1),
    ("a round-off value off by 100x", right.replace("6e-16", "6e-14"), defs_text, 1),
    ("a bound the value exceeds", right.replace("1<!--q share", "0.3<!--q share"), defs_text, 1),
    ("an unknown marker", right + "and 2<!--q nothing-->\n", defs_text, 1),
    ("a definition no document quotes", right, defs_text + "extra | fake | TL (\\S+) | round\n", 1),
    ("a regex the output does not match", right, defs_text.replace("TL (", "XX ("), 1),
    ("a program that fails", right, defs_text.replace("tl | fake |", "tl | fake fail |"), 1),
    ("a program that reports a missing data set", right, defs_text.replace("tl | fake |", "tl | fake skip |"), 77),
    ("a marker after a space", right.replace("0.965<!--q", "0.965 <!--q"), defs_text, 1),
]
bad = 0
for name, doc, defs, expected in cases:
    rc, out = run(doc, defs)
    ok = rc == expected if expected != 1 else rc not in (0, 77)
    print(f"{'ok  ' if ok else 'FAIL'} {name}: exit {rc} (expected {expected})")
    if not ok:
        bad += 1
        print(out)
sys.exit(1 if bad else 0)
