// Chapter 7's own check: the demo prints exactly what its Tornado twin prints.
#include <gtest/gtest.h>

#include "common/testing/twin.hpp"

TEST(Demo, MatchesItsTornadoTwin) { common::testing::expect_demo_matches_twin(); }
