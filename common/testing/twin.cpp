#include "common/testing/twin.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace common::testing {

ProcessResult run_command(const std::string& command) {
  ProcessResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) result.output.append(buf.data(), n);
  const int status = ::pclose(pipe);
  result.exit_status = (status >= 0 && WIFEXITED(status)) ? WEXITSTATUS(status) : -1;
  return result;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string find_tornado_python() {
  for (const char* candidate : {"/usr/bin/python3", "python3", "python"}) {
    const std::string probe =
        std::string(candidate) + " -c 'import tornado' >/dev/null 2>&1 && echo yes";
    if (run_command(probe).output == "yes\n") return candidate;
  }
  return {};
}

void expect_demo_matches_twin() {
  const char* demo = std::getenv("TUTORIAL_DEMO");
  const char* twin = std::getenv("TUTORIAL_TWIN");
  ASSERT_TRUE(demo != nullptr && twin != nullptr)
      << "TUTORIAL_DEMO and TUTORIAL_TWIN are not set: run this test through `meson test`";
  const std::string python = find_tornado_python();
  ASSERT_FALSE(python.empty())
      << "no Python interpreter here can `import tornado`: run `./tutorial setup` "
         "(it installs Debian's python3-tornado)";

  const ProcessResult ours = run_command(std::string("'") + demo + "'");
  const ProcessResult theirs = run_command(python + " '" + twin + "'");

  ASSERT_EQ(ours.exit_status, 0) << "the demo failed; it printed:\n" << ours.output;
  ASSERT_EQ(theirs.exit_status, 0) << "the Tornado twin failed; it printed:\n" << theirs.output;
  EXPECT_FALSE(ours.output.empty()) << "the demo printed nothing";
  EXPECT_THAT(lines_of(ours.output), ::testing::ContainerEq(lines_of(theirs.output)))
      << "demo and Tornado twin disagree";
}

void expect_text_trace_between_unchanged_lines() {
  const char* demo = std::getenv("TUTORIAL_DEMO");
  ASSERT_NE(demo, nullptr) << "run this test through `meson test`";
  const ProcessResult plain = run_command(std::string("'") + demo + "'");
  const ProcessResult traced = run_command(std::string("TUTORIAL_TRACE=text '") + demo + "'");
  ASSERT_EQ(traced.exit_status, 0) << traced.output;
  std::vector<std::string> own;
  std::vector<std::string> trace;
  for (const std::string& line : lines_of(traced.output)) {
    (line.starts_with("| ") ? trace : own).push_back(line);
  }
  EXPECT_THAT(own, ::testing::ContainerEq(lines_of(plain.output))) << "the trace changed the demo";
  ASSERT_FALSE(trace.empty()) << "no trace lines";
  EXPECT_THAT(trace.front(), ::testing::StartsWith("| turn 1"));
  EXPECT_THAT(trace, ::testing::Contains(::testing::StartsWith("| start() returns after turn ")));
}

void expect_chrome_trace_file() {
  const char* demo = std::getenv("TUTORIAL_DEMO");
  ASSERT_NE(demo, nullptr) << "run this test through `meson test`";
  char path[] = "/tmp/trace-XXXXXX.json";
  const int fd = ::mkstemps(path, 5);
  ASSERT_GE(fd, 0);
  ::close(fd);
  const ProcessResult plain = run_command(std::string("'") + demo + "'");
  const ProcessResult traced = run_command(std::string("TUTORIAL_TRACE=") + path + " '" + demo + "'");
  ASSERT_EQ(traced.exit_status, 0) << traced.output;
  EXPECT_EQ(traced.output, plain.output) << "a trace written to a file changes nothing on the screen";
  // Python's json module reads it as the viewers do; then every lane's B and E must pair up.
  static constexpr const char* checker = R"(python3 -c '
import json, sys, collections
events = json.load(open(sys.argv[1]))
depth = collections.Counter()
for e in events:
    depth[e["tid"]] += {"B": 1, "E": -1}.get(e["ph"], 0)
    assert depth[e["tid"]] >= 0, e
assert not any(depth.values()), depth
turns = [e for e in events if e["ph"] == "B" and e["name"].startswith("turn ")]
print(len(events), len(turns))
' )";
  const ProcessResult check = run_command(std::string(checker) + path + " 2>&1");
  ::unlink(path);
  ASSERT_EQ(check.exit_status, 0) << check.output;
  std::istringstream counts(check.output);
  std::size_t events = 0;
  std::size_t turns = 0;
  counts >> events >> turns;
  EXPECT_GT(turns, 0u) << check.output;
  EXPECT_GT(events, turns) << check.output;
}

void expect_bad_arguments_get_the_usage_line() {
  const char* demo = std::getenv("TUTORIAL_DEMO");
  ASSERT_NE(demo, nullptr) << "run this test through `meson test`";
  for (const char* arguments : {"bogus", "epoll bogus"}) {
    SCOPED_TRACE(std::string("demo ") + arguments);
    // Standard output is thrown away: the usage line belongs on standard error.
    const ProcessResult bad =
        run_command(std::string("'") + demo + "' " + arguments + " 2>&1 >/dev/null");
    EXPECT_EQ(bad.exit_status, 2) << "(-1: killed by a signal, as an uncaught exception is)\n"
                                  << bad.output;
    EXPECT_THAT(bad.output, ::testing::StartsWith("usage: "));
  }
}

}  // namespace common::testing
