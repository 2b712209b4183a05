// Every loop spec chapter 3 has: chapter 2's on each backend, the timer specs on each
// backend and each clock.
#include "environments.hpp"
#include "handlers_spec.hpp"
#include "ioloop_api_spec.hpp"
#include "lifecycle_spec.hpp"
#include "timers_spec.hpp"
#include "trace_spec.hpp"

namespace spec {
INSTANTIATE_TYPED_TEST_SUITE_P(ch03, Handlers, ch03_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch03, HandlerRounds, ch03_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch03, Lifecycle, ch03_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch03, CurrentLoopOptions, ch03_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch03, Configure, ch03_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch03, CloseFd, ch03_tests::OneLoop, EnvName);
// ioloop_api_spec.hpp also holds the watchdog's spec, which begins in chapter 5.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(BlockingSignal);
INSTANTIATE_TYPED_TEST_SUITE_P(ch03, Timers, ch03_tests::TimedLoops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch03, VirtualTime, ch03_tests::VirtualLoops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch03, TimerHeap, ch03_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch03, Trace, ch03_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch03, TraceTimeouts, ch03_tests::VirtualLoops, EnvName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(TraceCallbacks);  // trace_spec.hpp: a later chapter's
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(TraceCoroutines);  // trace_spec.hpp: a later chapter's
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(TraceStreams);  // trace_spec.hpp: a later chapter's
}  // namespace spec
