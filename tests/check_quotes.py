#!/usr/bin/env python3
"""Checks that every code quote in notes/ matches the file it names.

A quote is a fenced block whose first line names a file of the project, as the notes do:

    ```cpp
    // chapters/03_timers/ioloop.cpp
    ...lines of that file...
    ```

The quoted lines must appear in the file in the same order, each run of them contiguous; a line
`// ...` (with any indentation, and perhaps words saying what was cut) marks a cut, between two
runs. Trailing spaces do not count, and
a run may be shifted left as a whole (a method quoted without its class's indentation).
Prints every quote that does not match, and exits 1 if there was one.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
FENCE = re.compile(r"^```(\w*)\s*$")
NAMES_A_FILE = re.compile(r"^\s*(?://|#)\s*((?:chapters|common|tests|bench|fuzz)/\S+)\s*$")
CUT = re.compile(r"^\s*(?://|#)\s*\.\.\.")


def quotes(markdown):
    """Yields (line number, named file, quoted lines) for each quote in a notes file."""
    lines = markdown.read_text().splitlines()
    i = 0
    while i < len(lines):
        if FENCE.match(lines[i]) and FENCE.match(lines[i]).group(1):
            start = i
            body = []
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            named = NAMES_A_FILE.match(body[0]) if body else None
            if named:
                yield start + 1, named.group(1), body[1:]
        i += 1


def runs(body):
    """The quote split at its cuts, each run without empty edges."""
    run = []
    for line in body:
        if CUT.match(line):
            if run:
                yield run
            run = []
        else:
            run.append(line.rstrip())
    if run:
        yield run


def shifted(run, spaces):
    """`run` indented by `spaces` more, empty lines left empty."""
    return [" " * spaces + line if line else line for line in run]


def find_run(file_lines, run, start):
    """Where `run` stands, contiguous, at or after `start`, as quoted or uniformly shifted
    right; -1 if nowhere."""
    for spaces in range(0, 13, 2):
        wanted = shifted(run, spaces)
        for at in range(start, len(file_lines) - len(wanted) + 1):
            if file_lines[at:at + len(wanted)] == wanted:
                return at
    return -1


def check(markdown):
    problems = []
    for line_number, name, body in quotes(markdown):
        path = ROOT / name
        where = f"{markdown.relative_to(ROOT)}:{line_number}"
        if not path.is_file():
            problems.append(f"{where}: names {name}, which does not exist")
            continue
        file_lines = [line.rstrip() for line in path.read_text().splitlines()]
        position = 0
        for run in runs(body):
            while run and not run[0]:
                run = run[1:]
            while run and not run[-1]:
                run = run[:-1]
            if not run:
                continue
            found = find_run(file_lines, run, position)
            if found < 0:
                anywhere = find_run(file_lines, run, 0)
                why = "out of order" if anywhere >= 0 else "not in the file"
                problems.append(f"{where}: a run of {len(run)} line(s) from {name} is {why}; "
                                f"it starts: {run[0].strip()[:80]}")
                break
            position = found + len(run)
    return problems


def main():
    notes = sorted((ROOT / "notes").glob("*.md"))
    problems = [problem for markdown in notes for problem in check(markdown)]
    for problem in problems:
        print(problem)
    count = sum(1 for markdown in notes for _ in quotes(markdown))
    print(f"{count - len(problems)} passed, {len(problems)} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
