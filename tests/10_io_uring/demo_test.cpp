// Chapter 10's own checks: the demo prints exactly what its Tornado twin prints, and its trace.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "common/testing/twin.hpp"

TEST(Demo, MatchesItsTornadoTwin) { common::testing::expect_demo_matches_twin(); }

// The trace (`./tutorial demo N --trace`, `./tutorial trace N`) shows the loop at work and
// changes nothing the demo prints.
TEST(Demo, ItsTextTraceComesBetweenItsOwnLinesAndChangesNone) {
  common::testing::expect_text_trace_between_unchanged_lines();
}
TEST(Demo, ItsChromeTraceIsATimelineTheViewersRead) { common::testing::expect_chrome_trace_file(); }

// A demo is a command-line program: a bad argument gets its usage line, not an abort.
TEST(Demo, ABadArgumentGetsTheUsageLineAndExitStatus2) {
  common::testing::expect_bad_arguments_get_the_usage_line();
}

// A completion's result is bytes moved or a negated errno; the trace says which, by name
// ("ECANCELED"), never as a negative byte count ("-125 bytes").
TEST(Demo, ItsTraceNamesAFailedCompletionsErrorInsteadOfCountingNegativeBytes) {
  const char* demo = std::getenv("TUTORIAL_DEMO");
  ASSERT_NE(demo, nullptr) << "run this test through `meson test`";
  const common::testing::ProcessResult traced =
      common::testing::run_command(std::string("TUTORIAL_TRACE=text '") + demo + "' 2>/dev/null");
  ASSERT_EQ(traced.exit_status, 0) << traced.output;
  std::vector<std::string> completions;
  for (const std::string& line : common::testing::lines_of(traced.output)) {
    if (line.find("(6) completed ") != std::string::npos) completions.push_back(line);
  }
  if (completions.empty()) GTEST_SKIP() << "the demo ran on epoll: io_uring is refused here";
  // Closing a stream cancels its receive in flight: that completion fails with ECANCELED.
  EXPECT_THAT(completions, ::testing::Contains(::testing::HasSubstr("completed recv: ECANCELED")));
  EXPECT_THAT(completions, ::testing::Each(::testing::Not(::testing::ContainsRegex(": -[0-9]"))));
}
