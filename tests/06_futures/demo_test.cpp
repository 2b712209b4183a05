// Chapter 6's own check: the demo prints exactly what its Tornado twin prints.
#include <gtest/gtest.h>

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
