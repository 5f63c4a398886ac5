#!/usr/bin/env python3
"""usage: expect_exit.py CODE TEXT COMMAND... : runs COMMAND, passes when it exits with CODE
and TEXT appears in its output (stdout or stderr)."""
import subprocess
import sys

code, text, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
out = p.stdout + p.stderr
if p.returncode != code or text not in out:
    print(f"expected exit {code} and {text!r}; got exit {p.returncode}:\n{out}")
    sys.exit(1)
