#!/usr/bin/env python3
"""The reader's exercises: ./tutorial exercise N and ./tutorial check N call this.

  exercise.py create N [--reset]   make exercises/NN_name/: chapter N with its central
                                   functions stubbed (tests/exercises/NN_name.toml names them)
  exercise.py solution N           the diff from the workspace to the chapter (in the
                                   workspace, `git apply -p1` or `patch -p1` applies it)
  exercise.py target N             which test binary `check` builds: the chapter's spec objects
                                   relinked against the workspace, or recompiled against it
  exercise.py check N BUILD        run that binary from build directory BUILD, print the ladder
  exercise.py meson                rewrite exercises/meson.build for the workspaces there are
  exercise.py lint                 every manifest still fits its chapter and its notes

The workspace is built by the main build (exercises/meson.build, written here), never by
default: only when `check` names its targets.
"""

import difflib
import os
import re
import shutil
import subprocess
import sys
import textwrap
import threading
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "tests" / "exercises"
WORKSPACES = ROOT / "exercises"
STUB_INCLUDE = '#include "common/exercise.hpp"'


def say(*lines):
    for line in lines:
        print(line, file=sys.stderr)


def chapter_dir(n):
    found = sorted((ROOT / "chapters").glob(f"{int(n):02d}_*"))
    if not found:
        say(f"there is no chapter {n}")
        sys.exit(2)
    return found[0]


def manifest(chapter):
    path = MANIFESTS / f"{chapter.name}.toml"
    if not path.exists():
        say(f"chapter {chapter.name} has no exercise yet ({path.relative_to(ROOT)} is missing)")
        sys.exit(2)
    with open(path, "rb") as f:
        return tomllib.load(f)


# ------------------------------------------------------------------------------ stubbing
def skip_literal(text, i):
    """If text[i] opens a comment, string or character literal, the index just past it."""
    if text.startswith("//", i):
        end = text.find("\n", i)
        return len(text) if end < 0 else end
    if text.startswith("/*", i):
        return text.index("*/", i + 2) + 2
    raw = re.match(r'R"([^()\\ ]{0,16})\(', text[i:i + 20])
    if raw and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
        close = ")" + raw.group(1) + '"'
        return text.index(close, i + raw.end()) + len(close)
    if text[i] in "\"'":
        # A digit separator (1'000'000) is not a character literal.
        if text[i] == "'" and i > 0 and text[i - 1].isalnum():
            return None
        quote, j = text[i], i + 1
        while text[j] != quote:
            j += 2 if text[j] == "\\" else 1
        return j + 1
    return None


def body_span(text, start):
    """The [open, close] indexes of the braces of the function whose signature begins at
    `start`: the first `{` outside parentheses once its parameter list has been seen."""
    i, depth, seen_params = start, 0, False
    while i < len(text):
        past = skip_literal(text, i)
        if past is not None:
            i = past
            continue
        c = text[i]
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            seen_params = seen_params or depth == 0
        elif c == ";" and depth == 0:
            raise ValueError("found a declaration, not a definition")
        elif c == "{" and depth == 0 and seen_params:
            break
        i += 1
    open_at, level = i, 0
    while i < len(text):
        past = skip_literal(text, i)
        if past is not None:
            i = past
            continue
        if text[i] == "{":
            level += 1
        elif text[i] == "}":
            level -= 1
            if level == 0:
                return open_at, i
        i += 1
    raise ValueError("unbalanced braces")


def where(notes, section):
    return f'{notes}, "{section}"'


def c_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def stub_body(function, notes, indent):
    call = (f"common::exercise::unfinished({c_string(function['name'])},\n"
            f"{indent}  " + " " * len("common::exercise::unfinished(") +
            f"{c_string(where(notes, function['section']))});")
    lines = [
        "{",
        f"{indent}  // Exercise: write {function['name']}. {notes} teaches it, in",
        f"{indent}  // \"{function['section']}\"; ./tutorial check shows how far you are.",
    ]
    if "returns" in function:
        # A deduced return type: the lambda only tells the compiler what the function returns.
        lines.append(f"{indent}  return [&]() -> {function['returns']} {{")
        lines.append(f"{indent}    {call.replace(chr(10), chr(10) + '  ')}")
        lines.append(f"{indent}  }}();")
    else:
        lines.append(f"{indent}  {call}")
    lines.append(f"{indent}}}")
    return "\n".join(lines)


def stub_file(path, functions, notes):
    text = path.read_text()
    for function in functions:
        search_from = 0
        if "after" in function:
            search_from = text.find(function["after"])
            if search_from < 0:
                raise SystemExit(f"{path}: cannot find {function['after']!r}")
        at = text.find(function["signature"], search_from)
        if at < 0 or (function["signature"] in text[at + 1:] and "after" not in function):
            raise SystemExit(f"{path}: the signature {function['signature']!r} of "
                             f"{function['name']} must occur exactly once")
        line_start = text.rfind("\n", 0, at) + 1
        indent = re.match(r"[ \t]*", text[line_start:]).group(0)
        open_at, close_at = body_span(text, at)
        text = text[:open_at] + stub_body(function, notes, indent) + text[close_at + 1:]
    # The stubs call common::exercise::unfinished: include its header after the last include.
    includes = list(re.finditer(r"^#include .*$", text, re.M))
    at = includes[-1].end() if includes else 0
    text = text[:at] + "\n" + STUB_INCLUDE + text[at:]
    path.write_text(text)


def create(n, reset):
    chapter = chapter_dir(n)
    spec = manifest(chapter)
    workspace = WORKSPACES / chapter.name
    if workspace.exists() and not reset:
        say(f"{workspace.relative_to(ROOT)} exists already: it is your work, so it is left as it is.",
            f"  ./tutorial check {n}              grade it",
            f"  ./tutorial exercise {n} --reset   throw it away and start again")
        return
    if workspace.exists():
        shutil.rmtree(workspace)
    shutil.copytree(chapter, workspace, ignore=shutil.ignore_patterns("meson.build"))
    by_file = {}
    for function in spec["function"]:
        by_file.setdefault(function["file"], []).append(function)
    for file, functions in by_file.items():
        stub_file(workspace / file, functions, spec["notes"])
    write_meson()
    say(f"Made {workspace.relative_to(ROOT)}: chapter {chapter.name}, with these to write:")
    for function in spec["function"]:
        say(f"  {function['name']:34} {function['file']:22} notes: \"{function['section']}\"")
    say("", f"Edit them there, then ./tutorial check {n} grades your work with the chapter's own specs.",
        f"The notes' \"Exercises\" section ({spec['notes']}) has the order and the hints.")


# ------------------------------------------------------------------------------ build
def test_sources(chapter):
    text = (ROOT / "tests" / chapter.name / "meson.build").read_text()
    call = re.search(r"ch\d\d_tests = executable\('ch\d\d_tests',(.*?)(?:include_directories|dependencies|\))",
                     text, re.S)
    return re.findall(r"'([\w/]+\.cpp)'", call.group(1))


def exports_symbols(chapter):
    return "export_dynamic: true" in (ROOT / "tests" / chapter.name / "meson.build").read_text()


def library_sources(chapter):
    text = (chapter / "meson.build").read_text()
    call = re.search(r"static_library\('ch\d\d',(.*?)dependencies", text, re.S)
    return re.findall(r"'([\w/]+\.cpp)'", call.group(1)) if call else []


def library_dependencies(chapter):
    """The names in the chapter library's `dependencies:` (chapter 10 adds liburing)."""
    text = (chapter / "meson.build").read_text()
    call = re.search(r"static_library\('ch\d\d',.*?dependencies:\s*(\[[^\]]*\]|\w+)", text, re.S)
    return re.findall(r"\w+", call.group(1)) if call else ["common_dep"]


def write_meson():
    """exercises/meson.build: every workspace built in place of its chapter's library. Two test
    binaries each: the chapter's spec objects relinked against the workspace (quick), and the
    same specs compiled against the workspace's headers (when a header is part of the work)."""
    out = [
        "# Written by ./tutorial exercise (tests/exercises/exercise.py); rewritten with each workspace.",
        "# Each workspace builds in place of its chapter's library. Nothing here is built by default:",
        "# ./tutorial check N builds the targets it needs, so your unfinished work never breaks",
        "# ./tutorial test or ./tutorial demo.",
        "# A stub leaves parameters and helpers unused; that is not your mistake.",
        "exercise_leniency = declare_dependency(compile_args: meson.get_compiler('cpp')"
        ".get_supported_arguments('-Wno-unused-parameter', '-Wno-unused-function'))",
    ]
    for workspace in sorted(WORKSPACES.glob("[0-9][0-9]_*")):
        chapter = ROOT / "chapters" / workspace.name
        if not workspace.is_dir() or not chapter.is_dir():
            continue
        nn = workspace.name[:2]
        sources = library_sources(chapter)
        out.append("")
        out.append(f"# {workspace.name}")
        deps = "[" + ", ".join(library_dependencies(chapter) + ["exercise_leniency"]) + "]"
        if sources:
            files = ", ".join(f"'{workspace.name}/{s}'" for s in sources)
            out.append(f"ex{nn}_lib = static_library('ex{nn}', {files},")
            out.append(f"  dependencies: {deps}, build_by_default: false)")
            link = f"link_with: ex{nn}_lib, "
        else:
            link = ""
        out.append(f"ex{nn}_dep = declare_dependency({link}include_directories: include_directories('.'),")
        out.append(f"  dependencies: {deps})")
        out.append(f"ex{nn}_demo = executable('ex{nn}_demo', '{workspace.name}/demo.cpp', "
                   f"dependencies: ex{nn}_dep,")
        out.append("  build_by_default: false)")
        # As the chapter's own binary: log_stack names functions from the dynamic symbols.
        extra = ", export_dynamic: true" if exports_symbols(chapter) else ""
        out.append(f"ex{nn}_tests = executable('ex{nn}_tests',")
        out.append(f"  objects: ch{nn}_tests.extract_all_objects(recursive: false),")
        out.append(f"  dependencies: [ex{nn}_dep, common_testing_dep], build_by_default: false{extra})")
        tests = ", ".join(f"'../tests/{workspace.name}/{s}'" for s in test_sources(chapter))
        out.append(f"ex{nn}_tests_full = executable('ex{nn}_tests_full', {tests},")
        out.append("  include_directories: spec_inc,")
        out.append(f"  dependencies: [ex{nn}_dep, common_testing_dep], build_by_default: false{extra})")
    WORKSPACES.mkdir(exist_ok=True)
    path = WORKSPACES / "meson.build"
    text = "\n".join(out) + "\n"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def target(n):
    """The test target `check` builds, and why: the chapter's compiled specs can be relinked
    only while every header in the workspace is still the chapter's own."""
    chapter = chapter_dir(n)
    workspace = WORKSPACES / chapter.name
    nn = chapter.name[:2]
    changed = []
    for header in sorted(workspace.rglob("*.hpp")):
        original = chapter / header.relative_to(workspace)
        if not original.exists() or original.read_bytes() != header.read_bytes():
            changed.append(str(header.relative_to(workspace)))
    gone = [str(h.relative_to(chapter)) for h in chapter.rglob("*.hpp")
            if not (workspace / h.relative_to(chapter)).exists()]
    if changed or gone:
        return f"ex{nn}_tests_full", "the specs are compiled again, against your headers: " + \
            ", ".join(changed + gone) + " changed"
    return f"ex{nn}_tests", "the chapter's compiled specs, linked with your library"


def solution(n):
    chapter = chapter_dir(n)
    workspace = WORKSPACES / chapter.name
    if not workspace.exists():
        say(f"there is no workspace for chapter {n} yet: ./tutorial exercise {n}")
        sys.exit(2)
    names = {p.relative_to(chapter) for p in chapter.rglob("*") if p.is_file()}
    names |= {p.relative_to(workspace) for p in workspace.rglob("*") if p.is_file()}
    names.discard(Path("meson.build"))
    for name in sorted(names):
        mine, theirs = workspace / name, chapter / name
        a = mine.read_text().splitlines(keepends=True) if mine.exists() else []
        b = theirs.read_text().splitlines(keepends=True) if theirs.exists() else []
        for line in difflib.unified_diff(a, b, f"a/{name}", f"b/{name}"):
            sys.stdout.write(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")


# ------------------------------------------------------------------------------ check
def sentence(name):
    """AHandlerRunsWhenItsFdIsReadable -> "A handler runs when its fd is readable"."""
    words = re.findall(r"[A-Z]+(?=[A-Z][a-z]|\d|\b)|[A-Z]?[a-z]+|[A-Z]+|\d+", name)
    text = " ".join(w if (w.isupper() and len(w) > 1) else w.lower() for w in words)
    return text[:1].upper() + text[1:]


def list_tests(binary, env):
    out = subprocess.run([binary, "--gtest_list_tests"], env=env, capture_output=True,
                         text=True, check=True).stdout
    suites, suite = [], None
    for line in out.splitlines():
        if not line.strip() or line.startswith("Running main()"):
            continue
        if not line.startswith(" "):
            suite = (line.split("#")[0].strip().rstrip("."), [])
            suites.append(suite)
        else:
            suite[1].append(line.split("#")[0].strip())
    return suites


RESULT = re.compile(r"^\[ +(OK|FAILED|SKIPPED) +\] ([^\s,]+)")
RUN = re.compile(r"^\[ RUN +\] (\S+)$")
STUB = re.compile(r"^unfinished exercise: (.+?) \((.*)\)$", re.M)


SPEC_LIMIT = 60  # seconds a spec may run without a word; the slowest passing spec takes ~10
# A hang costs the watchdog's seconds (or SPEC_LIMIT's) per spec, and a loop that never ends
# usually hangs every group: after this many hung groups the check stops running specs.
HUNG_GROUPS = 2


def run_quietly_bounded(command, env):
    """Runs a test process and returns its output and exit status, or "timeout" if it was
    stopped after printing nothing for SPEC_LIMIT seconds (most loop specs have a watchdog of
    their own; not every spec does)."""
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, errors="replace")
    lines, last = [], [time.monotonic()]

    def read():
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            last[0] = time.monotonic()

    reader = threading.Thread(target=read)
    reader.start()
    status = None
    while status is None:
        try:
            status = proc.wait(timeout=1)
        except subprocess.TimeoutExpired:
            if time.monotonic() - last[0] > SPEC_LIMIT:
                proc.kill()
                proc.wait()
                status = "timeout"
    reader.join()
    return "\n".join(lines), status


def run_suite(binary, env, suite, tests, results):
    """Runs one spec group, starting a fresh process after each spec that ends one (a stub
    reached, a crash), until every spec of the group has a result. Returns whether the group
    hung: then its remaining specs are not run."""
    left = list(tests)
    while left:
        done_here = set()
        flt = f"{suite}.*" if len(left) == len(tests) else ":".join(f"{suite}.{t}" for t in left)
        output, status = run_quietly_bounded([binary, f"--gtest_filter={flt}"], env)
        current, text = None, []
        for line in output.splitlines():
            m = RUN.match(line)
            if m:
                current, text = m.group(1), []
                continue
            m = RESULT.match(line)
            if m and current and m.group(2) == current:
                results[current] = (m.group(1), "\n".join(text))
                done_here.add(current.split(".", 1)[1])
                current = None
                continue
            if current:
                text.append(line)
        if current:  # the process ended inside this spec
            stub = STUB.search("\n".join(text))
            if stub:
                why = stub.group(0)
            elif status == "timeout":
                why = f"the spec printed nothing for {SPEC_LIMIT} s and was stopped: a loop that never ends?"
            elif status == 124:
                why = next((l for l in text if "watchdog" in l), "the watchdog stopped it")
            else:
                sig = -status if isinstance(status, int) and status < 0 else None
                why = f"the test process crashed (signal {sig})" if sig else f"the test process exited with status {status}"
                why += "\n" + "\n".join(text[-12:])
            results[current] = ("FAILED", why)
            done_here.add(current.split(".", 1)[1])
            if status in ("timeout", 124):
                # A hang usually hangs the whole group, and each costs the watchdog's seconds:
                # the rest of the group waits for the next check.
                for t in left:
                    if t not in done_here:
                        results.setdefault(f"{suite}.{t}", (
                            "FAILED", "not run: an earlier spec of this group hung (see above)"))
                return True
        elif not done_here:
            for t in left:  # nothing ran: say so rather than loop
                results[f"{suite}.{t}"] = ("FAILED", "the test process ended before the spec ran:\n"
                                           + "\n".join(output.splitlines()[-12:]))
            return False
        left = [t for t in left if t not in done_here]
    return False


def hint_for(failure, functions, group, notes):
    """What to print under a group's first failing spec, and a key: the same stub, or the
    same spec failing on another backend, is told once, in full, and then only named."""
    stub = STUB.search(failure)
    if stub:
        function = next((f for f in functions if f["name"] == stub.group(1)), None)
        return stub.group(1), [f"unfinished: {stub.group(1)} ({stub.group(2)})",
                               f"hint: {function['hint']}" if function else ""]
    lines = [l for l in failure.splitlines() if l.strip()][:8]
    suspects = [f["name"] for f in functions if group in f.get("groups", [])] or \
        [f["name"] for f in functions]
    return None, ["what failed:"] + ["  " + l for l in lines] + [
        f"your functions these specs run: {', '.join(suspects)} (their hints: {notes}, "
        "\"Exercises\")"]


def check(n, build):
    chapter = chapter_dir(n)
    spec = manifest(chapter)
    nn = chapter.name[:2]
    name, why = target(n)
    binary = str(Path(build) / "exercises" / name)
    env = dict(os.environ)
    env.update({
        "TUTORIAL_CHECK": "1",
        "TUTORIAL_DEMO": str(Path(build) / "exercises" / f"ex{nn}_demo"),
        "TUTORIAL_TWIN": str(chapter / "demo.py"),
    })
    print(f"Chapter {int(n)}'s exercise, graded by chapter {int(n)}'s own specs "
          f"({Path(binary).relative_to(ROOT) if Path(binary).is_absolute() else binary}: {why})\n")
    suites = list_tests(binary, env)
    results = {}
    reached = {}
    passed = failed = skipped = 0
    width = max(len(s.split("/", 1)[-1]) for s, _ in suites) + 2
    hinted = set()  # each function's hint is printed once, at its first failure
    hung = 0  # groups that hung: after HUNG_GROUPS of them the rest is not run
    for suite, tests in suites:
        if hung >= HUNG_GROUPS:
            for t in tests:
                results[f"{suite}.{t}"] = ("FAILED", f"not run: {hung} groups hung before it; "
                                           "a hang is the first thing to fix")
        elif run_suite(binary, env, suite, tests, results):
            hung += 1
        outcome = [results.get(f"{suite}.{t}", ("FAILED", "no result")) for t in tests]
        ok = sum(1 for o, _ in outcome if o == "OK")
        skip = sum(1 for o, _ in outcome if o == "SKIPPED")
        bad = [(t, text) for t, (o, text) in zip(tests, outcome) if o == "FAILED"]
        passed, failed, skipped = passed + ok, failed + len(bad), skipped + skip
        for _, text in bad:
            stub = STUB.search(text)
            if stub:
                reached[stub.group(1)] = reached.get(stub.group(1), 0) + 1
        label = suite.split("/", 1)[-1] if suite.startswith("ch") else suite
        mark = "ok " if not bad else "   "
        counts = f"{ok}/{len(tests) - skip}" + (f" ({skip} skipped)" if skip else "")
        print(f"  {mark}{label:{width}}{counts:>8}")
        if bad and all(text.startswith("not run: ") and "groups hung" in text for _, text in bad):
            print("       not run: the groups that hung above come first")
        elif bad:
            test, text = bad[0]
            print(f"       first failing spec: \"{sentence(test)}\"")
            function, lines = hint_for(text, spec["function"], label.split("/")[0], spec["notes"])
            key = function or test
            if key in hinted:
                lines = [f"unfinished: {function} (its hint is above)" if function
                         else "(the same spec failed above: see there)"]
            hinted.add(key)
            for line in lines:
                if line:
                    print(textwrap.fill(line, 96, initial_indent="       ",
                                        subsequent_indent="         "))
    print()
    if reached:
        print("Still unfinished (how many specs reached each stub):")
        for function in spec["function"]:
            count = reached.get(function["name"])
            status = f"{count:4} spec{'s' if count != 1 else ''}" if count else "      (not reached: an earlier stub stops every spec first)"
            print(f"  {function['name']:34}{status}")
        first = next(f for f in spec["function"] if f["name"] in reached)
        print(f"\nNext: {first['name']} in {chapter.name}/{first['file']}; "
              f"{spec['notes']}, \"{first['section']}\", teaches it.")
        print()
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 0 if failed == 0 else 1


def anchor(heading):
    """A Markdown heading's anchor, as GitHub makes it."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def lint():
    """What ./tutorial test checks without building anything: every exercise still fits its
    chapter. Each signature occurs once and opens a definition, each section is a heading of
    the chapter's notes, and the notes' "Exercises" section prints each hint as the ladder does."""
    problems = []
    for path in sorted(MANIFESTS.glob("[0-9][0-9]_*.toml")):
        chapter = ROOT / "chapters" / path.stem
        with open(path, "rb") as f:
            spec = tomllib.load(f)
        notes = (ROOT / spec["notes"]).read_text()
        headings = {m.group(1).strip() for m in re.finditer(r"^#+ (.*)$", notes, re.M)}
        exercises = notes[notes.find("\n## Exercises"):] if "\n## Exercises" in notes else ""
        if not exercises:
            problems.append(f"{spec['notes']}: no \"## Exercises\" section")
        for function in spec["function"]:
            where = f"{path.name}: {function['name']}"
            text = (chapter / function["file"]).read_text()
            start = text.find(function["after"]) if "after" in function else 0
            at = text.find(function["signature"], max(start, 0))
            if start < 0 or at < 0:
                problems.append(f"{where}: its signature is not in {function['file']}")
                continue
            if "after" not in function and text.count(function["signature"]) != 1:
                problems.append(f"{where}: its signature occurs more than once")
            try:
                body_span(text, at)
            except ValueError as e:
                problems.append(f"{where}: {e}")
            if function["section"] not in headings:
                problems.append(f"{where}: \"{function['section']}\" is not a heading of {spec['notes']}")
            if exercises and function["hint"] not in exercises:
                problems.append(f"{where}: its hint is not in the Exercises section of {spec['notes']}")
    for problem in problems:
        say(problem)
    print(f"{len(problems)} problems in the exercises")
    return 1 if problems else 0


def main(argv):
    if argv[:1] == ["meson"]:
        write_meson()
        return 0
    if argv[:1] == ["lint"]:
        return lint()
    if len(argv) < 2:
        say(__doc__)
        return 2
    command, n = argv[0], argv[1]
    if not n.isdigit():
        say(f"not a chapter number: {n}")
        return 2
    if command == "create":
        create(n, reset="--reset" in argv[2:])
    elif command == "solution":
        solution(n)
    elif command == "target":
        name, why = target(n)
        print(name)
        say(f"(building {name}: {why})")
    elif command == "check":
        return check(n, argv[2])
    else:
        say(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
