// Chapter 1's own check: its demo prints exactly what its Python twin prints.
#include <gtest/gtest.h>

#include "common/testing/twin.hpp"

TEST(Demo, MatchesItsPythonTwin) { common::testing::expect_demo_matches_twin(); }
