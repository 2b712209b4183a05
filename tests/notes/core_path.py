#!/usr/bin/env python3
"""Checks that every chapter's notes open with a core path a reader finishes in one sitting.

A chapter's notes (notes/NN-name.md) are its core path, up to a line `## Deep dives`, and then
the deep dives (or the deep dives live in notes/NN-name-deep-dives.md and the core path is the
whole file). The core path may hold at most LIMIT words, code included; Mermaid diagrams do
not count. Prints each chapter's count; exits 1 if a chapter has no core path marker or is
over the limit.

    tests/notes/core_path.py            every chapter
    tests/notes/core_path.py FILE...    only these notes files
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
LIMIT = 3500
DEEP = re.compile(r"^## Deep dives\s*$")


def core_words(path):
    """(words in the core path, whether it ends at a `## Deep dives` line or a file of its own)."""
    lines = path.read_text().splitlines()
    words, in_mermaid, marked = 0, False, False
    for line in lines:
        if DEEP.match(line):
            marked = True
            break
        if line.startswith("```"):
            in_mermaid = line.strip() == "```mermaid" if not in_mermaid else False
            continue
        if not in_mermaid:
            words += len(line.split())
    deep_file = path.with_name(path.stem + "-deep-dives.md")
    return words, marked or deep_file.exists()


def main(argv):
    files = [pathlib.Path(a) for a in argv] or sorted(
        p for p in (ROOT / "notes").glob("[0-9][0-9]-*.md") if not p.stem.endswith("-deep-dives"))
    failed = False
    for path in files:
        words, marked = core_words(path)
        verdict = "ok"
        if not marked:
            verdict, failed = "no `## Deep dives` line (and no -deep-dives.md file)", True
        elif words > LIMIT:
            verdict, failed = f"over {LIMIT}", True
        print(f"{path.name:28} core path {words:5} words  {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
