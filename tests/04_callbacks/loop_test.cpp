// Every loop spec chapter 4 has: chapters 2 and 3's, and the callback specs.
#include "callback_coroutines_spec.hpp"
#include "callbacks_spec.hpp"
#include "environments.hpp"
#include "handlers_spec.hpp"
#include "ioloop_api_spec.hpp"
#include "lifecycle_spec.hpp"
#include "timers_spec.hpp"
#include "trace_spec.hpp"

namespace spec {
INSTANTIATE_TYPED_TEST_SUITE_P(ch04, Handlers, ch04_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch04, HandlerRounds, ch04_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch04, Lifecycle, ch04_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch04, CurrentLoopOptions, ch04_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch04, Configure, ch04_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch04, CloseFd, ch04_tests::OneLoop, EnvName);
// The blocked-loop watchdog comes with the loop in trouble (chapter 5).
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(BlockingSignal);
INSTANTIATE_TYPED_TEST_SUITE_P(ch04, Timers, ch04_tests::TimedLoops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch04, VirtualTime, ch04_tests::VirtualLoops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch04, TimerHeap, ch04_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch04, Callbacks, ch04_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch04, CallbacksAcrossThreads, ch04_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch04, PeriodicCallbacks, ch04_tests::OneLoop, EnvName);
// Signals and the blocked-loop report come with the loop in trouble (chapter 5).
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SignalCallbacksAcrossThreads);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(BlockingWarning);
INSTANTIATE_TYPED_TEST_SUITE_P(ch04, PeriodicCallbackMath, ch04_tests::OneLoop, EnvName);
// callback_coroutines_spec.hpp's other suites wait for their chapters: Futures come in chapter
// 6, coroutines in chapter 7.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(CallbacksReturningFutures);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(PeriodicCallbacksReturningFutures);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(CoroutineCallbacks);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(PeriodicCoroutines);
INSTANTIATE_TYPED_TEST_SUITE_P(ch04, Trace, ch04_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch04, TraceTimeouts, ch04_tests::VirtualLoops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch04, TraceCallbacks, ch04_tests::Loops, EnvName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(TraceCoroutines);  // trace_spec.hpp: a later chapter's
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(TraceStreams);  // trace_spec.hpp: a later chapter's
}  // namespace spec
