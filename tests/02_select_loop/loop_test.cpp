// Every loop spec chapter 2 has, on select, poll and epoll.
#include "environments.hpp"
#include "handlers_spec.hpp"
#include "ioloop_api_spec.hpp"
#include "lifecycle_spec.hpp"
#include "trace_spec.hpp"

namespace spec {
INSTANTIATE_TYPED_TEST_SUITE_P(ch02, Handlers, ch02_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch02, HandlerRounds, ch02_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch02, Lifecycle, ch02_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch02, CurrentLoopOptions, ch02_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch02, Configure, ch02_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch02, CloseFd, ch02_tests::OneLoop, EnvName);
// ioloop_api_spec.hpp also holds the watchdog's spec, which begins in chapter 5.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(BlockingSignal);
INSTANTIATE_TYPED_TEST_SUITE_P(ch02, Trace, ch02_tests::Loops, EnvName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(TraceTimeouts);  // trace_spec.hpp: a later chapter's
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(TraceCallbacks);  // trace_spec.hpp: a later chapter's
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(TraceCoroutines);  // trace_spec.hpp: a later chapter's
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(TraceStreams);  // trace_spec.hpp: a later chapter's
}  // namespace spec
