#include "common/testing/twin.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

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

}  // namespace common::testing
