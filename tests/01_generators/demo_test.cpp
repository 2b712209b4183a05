// Chapter 1's own check: its demo prints exactly what its Python twin prints.
#include <gtest/gtest.h>

#include "common/testing/twin.hpp"

TEST(Demo, MatchesItsPythonTwin) { common::testing::expect_demo_matches_twin(); }

// A demo is a command-line program: a bad argument gets its usage line, not an abort.
TEST(Demo, ABadArgumentGetsTheUsageLineAndExitStatus2) {
  common::testing::expect_bad_arguments_get_the_usage_line();
}
