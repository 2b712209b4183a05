#!/usr/bin/env python3
"""Checks that every link between the notes and the README reaches a file, and a heading
where it names one (GitHub's anchors: lower case, punctuation dropped, spaces to hyphens).
Prints each broken link; exits 1 if there is one."""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
LINK = re.compile(r"\]\(((?:notes/)?[\w-]+\.md)?(#[\w-]+)?\)")


def slug(heading):
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def main():
    files = sorted((ROOT / "notes").glob("*.md")) + [ROOT / "README.md"]
    anchors = {}
    for f in files:
        in_code = False
        headings = set()
        for line in f.read_text().splitlines():
            if line.startswith("```"):
                in_code = not in_code
            elif not in_code and line.startswith("#"):
                headings.add(slug(line.lstrip("#")))
        anchors[f.name] = headings
    broken = 0
    for f in files:
        for number, line in enumerate(f.read_text().splitlines(), 1):
            for m in LINK.finditer(line):
                if not m.group(1) and not m.group(2):
                    continue
                target = (m.group(1) or f.name).replace("notes/", "")
                if target not in anchors:
                    print(f"{f.relative_to(ROOT)}:{number}: no such file: {m.group(0)[2:-1]}")
                    broken += 1
                elif m.group(2) and m.group(2)[1:] not in anchors[target]:
                    print(f"{f.relative_to(ROOT)}:{number}: no such heading in {target}: {m.group(2)}")
                    broken += 1
    print(f"links: {broken} broken")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
