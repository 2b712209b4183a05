// Chapter 4's own check: the demo prints exactly what its Tornado twin prints.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "common/testing/twin.hpp"

TEST(Demo, MatchesItsTornadoTwin) { common::testing::expect_demo_matches_twin(); }

// The trace (`./tutorial demo N --trace`, `./tutorial trace N`) shows the loop at work and
// changes nothing the demo prints.
TEST(Demo, ItsTextTraceComesBetweenItsOwnLinesAndChangesNone) {
  common::testing::expect_text_trace_between_unchanged_lines();
}
TEST(Demo, ItsChromeTraceIsATimelineTheViewersRead) { common::testing::expect_chrome_trace_file(); }

// The loop's log line and the demo's own lines share one pipe, as in `./tutorial demo 5 | cat`.
// Piped, standard output is block-buffered and standard error is not: unless the logger
// flushes the one before writing the other, the error comes out before everything else.
TEST(Demo, ItsErrorLineComesWhereTheCallbackFailedAlsoWhenPiped) {
  const char* demo = std::getenv("TUTORIAL_DEMO");
  ASSERT_NE(demo, nullptr) << "run this test through `meson test`";
  const auto run = common::testing::run_command(std::string("'") + demo + "' 2>&1");
  ASSERT_EQ(run.exit_status, 0) << run.output;
  const auto lines = common::testing::lines_of(run.output);
  const auto throws = std::find(lines.begin(), lines.end(), "a callback from worker 2 throws");
  ASSERT_NE(throws, lines.end()) << run.output;
  ASSERT_NE(throws + 1, lines.end()) << run.output;
  EXPECT_THAT(*(throws + 1), ::testing::StartsWith("[error] Exception in callback main::"))
      << run.output;
}

// A demo is a command-line program: a bad argument gets its usage line, not an abort.
TEST(Demo, ABadArgumentGetsTheUsageLineAndExitStatus2) {
  common::testing::expect_bad_arguments_get_the_usage_line();
}
