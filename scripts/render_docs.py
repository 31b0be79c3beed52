#!/usr/bin/env python3
"""Refreshes the examples in Markdown pages from the real thing: every `$ trailgate ...` line in
a ```console block is run from the repository root and its output (stdout then stderr, then
`[exit N]` when not 0) replaces what the page showed; every ```yaml block after a
`<!-- file: PATH -->` marker is replaced by that file. tests/docs_commands.rs checks the result.

Usage: scripts/render_docs.py [--trailgate target/debug/trailgate] PAGE.md...
"""
import argparse
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def render(page, trailgate):
    lines = open(page).read().split("\n")
    out = []
    fence = None
    marker = None
    i = 0
    while i < len(lines):
        line = lines[i]
        if fence is None:
            out.append(line)
            if line.startswith("<!-- file: ") and line.endswith(" -->"):
                marker = line[len("<!-- file: "):-len(" -->")]
            elif line.startswith("```"):
                fence = line[3:]
                if marker and fence != "console":
                    # Replace the whole block with the file.
                    out.extend(open(os.path.join(ROOT, marker)).read().rstrip("\n").split("\n"))
                    i += 1
                    while lines[i] != "```":
                        i += 1
                    out.append("```")
                    fence = None
                marker = None
            i += 1
            continue
        if line == "```":
            fence = None
            out.append(line)
        elif fence == "console" and line.startswith("$ "):
            out.append(line)
            args = line[2:].split()[1:]
            result = subprocess.run([trailgate] + args, cwd=ROOT, capture_output=True, text=True)
            body = (result.stdout + result.stderr).rstrip("\n")
            if body:
                out.extend(body.split("\n"))
            if result.returncode != 0:
                out.append(f"[exit {result.returncode}]")
            # Skip the old output.
            while i + 1 < len(lines) and not lines[i + 1].startswith("$ ") and lines[i + 1] != "```":
                i += 1
        elif fence == "console":
            pass
        else:
            out.append(line)
        i += 1
    open(page, "w").write("\n".join(out))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--trailgate", default=os.path.join(ROOT, "target", "debug", "trailgate"))
    parser.add_argument("pages", nargs="+")
    args = parser.parse_args()
    for page in args.pages:
        render(page, os.path.abspath(args.trailgate))


if __name__ == "__main__":
    main()
