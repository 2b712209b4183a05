// Test helper: run a chapter's demo and its Tornado twin and compare what they print.
#pragma once

#include <string>
#include <vector>

namespace common::testing {

struct ProcessResult {
  int exit_status = -1;  ///< as returned by the shell: 0 means success
  std::string output;    ///< standard output only
};

/// Runs `command` through /bin/sh and captures its standard output.
ProcessResult run_command(const std::string& command);

/// Splits text into lines (a final newline does not make an empty last line).
std::vector<std::string> lines_of(const std::string& text);

/// The first Python interpreter that can `import tornado`: Debian's python3-tornado installs
/// for /usr/bin/python3, which need not be the first python3 on PATH (pyenv, venvs).
/// Empty if there is none.
std::string find_tornado_python();

/// Runs the demo binary named by $TUTORIAL_DEMO and the twin script named by $TUTORIAL_TWIN
/// (meson's test() sets both) and asserts, with gtest, that they print the same lines.
void expect_demo_matches_twin();

/// Runs the demo ($TUTORIAL_DEMO) with TUTORIAL_TRACE=text and asserts that the trace is
/// there, marked "| ", and that the demo's own lines around it are exactly its untraced output.
void expect_text_trace_between_unchanged_lines();

/// Runs the demo with TUTORIAL_TRACE=<a file> and asserts that the file is a JSON array of
/// trace events whose slices open and close in order on every lane: what the viewers load.
void expect_chrome_trace_file();

/// Runs the demo with arguments it does not take and asserts that it answers as a command-line
/// tool does: its usage line on standard error and exit status 2, not an uncaught exception.
void expect_bad_arguments_get_the_usage_line();

}  // namespace common::testing
