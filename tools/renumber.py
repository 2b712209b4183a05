#!/usr/bin/env python3
"""Renumbers the book's chapters everywhere at once: folders, namespaces, test binaries and
suites, notes, exercise manifests, and the chapter numbers in prose and commands.

Used for the re-cut into one mechanism per chapter (2026-12): chapter 4 (callbacks) became
chapters 4 (callbacks) and 5 (the loop in trouble), chapter 7 (streams and HTTP) became
chapters 8 (streams) and 9 (HTTP). This script moves the old snapshots to the numbers of the
chapters that keep them whole (old 4 -> 5, old 7 -> 9); the two new, smaller snapshots (4 and 8)
are then cut from those. In prose, "chapter 4" stays 4 unless the line is about signals, the
blocked-loop watchdog or stack contexts, and "chapter 7" becomes 8 unless the line is about
HTTP; a range's upper end takes the whole snapshot's number. Run from anywhere; it edits the
working tree (git mv for renames) and prints what it changed.
"""
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent

# old number -> (new number, new folder name, new notes name)
CODE = {1: 1, 2: 2, 3: 3, 4: 5, 5: 6, 6: 7, 7: 9, 8: 10}
PROSE = {1: 1, 2: 2, 3: 3, 4: 4, 5: 6, 6: 7, 7: 8, 8: 10}
FOLDERS = {
    "01_generators": "01_generators", "02_select_loop": "02_select_loop", "03_timers": "03_timers",
    "04_callbacks": "05_loop_in_trouble", "05_futures": "06_futures",
    "06_coroutines": "07_coroutines", "07_iostream": "09_http", "08_io_uring": "10_io_uring",
}
NOTES = {
    "05-futures.md": "06-futures.md", "06-coroutines.md": "07-coroutines.md",
    "07-iostream.md": "08-streams.md", "08-io-uring.md": "10-io-uring.md",
}
TROUBLE = re.compile(r"stack.context|StackContext|NullContext|signal|watchdog|[Bb]locking|log_stack|"
                     r"alarm|SIGALRM|in trouble", re.I)
HTTP = re.compile(r"HTTP|http|fetch|wrk|curl|request|header|hostile|slowloris|fuzz|Beast|nginx|"
                  r"chunked|keep-alive|Content-Length|response")

TOKEN = re.compile(r"\b(ch|Chapter|ex)0([1-8])(?!\d)")
FOLDER = re.compile(r"\b(" + "|".join(FOLDERS) + r")\b")
NOTE = re.compile(r"\b(" + "|".join(re.escape(n) for n in NOTES) + r")")
PROSE_REF = re.compile(
    r"\b([Cc]hapters?\s+)(\d+(?:(?:\s*(?:,|-|–)\s*|,?\s+(?:and|to|or)\s+)\d+)*)")
COMMAND = re.compile(r"(\./tutorial\s+(?:demo|test|trace|diff|exercise|check|break)\s+(?:--\S+\s+)*)([1-8])\b")


def prose_number(n, line, whole):
    """The new number of old chapter n, named in `line`; `whole`: the snapshot's number."""
    if n not in CODE:
        return n
    if whole:
        return CODE[n]
    if n == 4 and TROUBLE.search(line):
        return 5
    if n == 7 and HTTP.search(line):
        return 9
    return PROSE[n]


def renumber_line(line, whole):
    def refs(m):
        parts = re.split(r"(\s*(?:,|-|–)\s*|,?\s+(?:and|to|or)\s+)", m.group(2))
        out = []
        for i, part in enumerate(parts):
            if i % 2:
                out.append(part)
                continue
            n = int(part)
            # the upper end of a range takes the whole snapshot's number
            upper = i > 0 and re.search(r"to|-|–", parts[i - 1])
            out.append(str(prose_number(n, line, whole or bool(upper))))
        return m.group(1) + "".join(out)

    line = PROSE_REF.sub(refs, line)
    line = COMMAND.sub(lambda m: m.group(1) + str(prose_number(int(m.group(2)), line, whole)), line)
    line = TOKEN.sub(lambda m: f"{m.group(1)}{CODE[int(m.group(2))]:02d}", line)
    line = FOLDER.sub(lambda m: FOLDERS[m.group(1)], line)
    line = NOTE.sub(lambda m: NOTES[m.group(1)], line)
    return line


def whole_snapshot(path):
    """Files of an old snapshot: there "chapter 4" means the whole snapshot."""
    s = str(path)
    return any(f"{d}/" in s or s.endswith(f"{d}.toml") for d in ("04_callbacks", "07_iostream"))


def main():
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    changed = 0
    for name in files:
        path = ROOT / name
        if name.startswith(("fuzz/corpus/", "fuzz/regressions/", "notes/figures/")) or \
                name == "tools/renumber.py" or not path.is_file():
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        whole = whole_snapshot(name)
        new = "".join(renumber_line(l, whole) for l in text.splitlines(keepends=True))
        if new != text:
            path.write_text(new)
            changed += 1
    # Renames, highest number first so no target exists yet.
    moves = []
    for old, new in FOLDERS.items():
        if old != new:
            moves += [(f"chapters/{old}", f"chapters/{new}"), (f"tests/{old}", f"tests/{new}"),
                      (f"tests/exercises/{old}.toml", f"tests/exercises/{new}.toml")]
    moves += [(f"notes/{o}", f"notes/{n}") for o, n in NOTES.items()]
    for old, new in sorted(moves, reverse=True):
        if (ROOT / old).exists():
            subprocess.run(["git", "mv", old, new], cwd=ROOT, check=True)
    print(f"renumbered {changed} files, moved {len(moves)} paths", file=sys.stderr)


if __name__ == "__main__":
    main()
