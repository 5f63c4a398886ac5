#!/usr/bin/env python3
"""README.md's operator table equals what the operator definitions generate.

usage: check_readme_ops.py CLNN_INFO README.md
On a difference it prints both and the command that regenerates the table.
"""
import subprocess
import sys


def main():
    info, readme = sys.argv[1], sys.argv[2]
    want = subprocess.run([info, "--operators"], check=True, capture_output=True,
                          text=True).stdout
    text = open(readme, encoding="utf-8").read()
    begin, end = "<!-- operators:begin -->\n", "<!-- operators:end -->"
    if begin not in text or end not in text:
        print("README.md lacks the operators:begin/end markers")
        return 1
    got = text.split(begin, 1)[1].split(end, 1)[0]
    if got != want:
        print("README.md's operator table is stale; regenerate it from "
              "`build/tools/clnn-info --operators`.\n--- README\n" + got + "--- generated\n" + want)
        return 1
    print("README operator table: %d operators, up to date" % (want.count("\n") - 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
