// Every loop spec chapter 5 has: chapters 2 and 3's, and the callback specs.
#include "callback_coroutines_spec.hpp"
#include "callbacks_spec.hpp"
#include "environments.hpp"
#include "handlers_spec.hpp"
#include "ioloop_api_spec.hpp"
#include "lifecycle_spec.hpp"
#include "stack_context_spec.hpp"
#include "timers_spec.hpp"
#include "trace_spec.hpp"

namespace spec {
INSTANTIATE_TYPED_TEST_SUITE_P(ch05, Handlers, ch05_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch05, HandlerRounds, ch05_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch05, Lifecycle, ch05_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch05, CurrentLoopOptions, ch05_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch05, Configure, ch05_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch05, CloseFd, ch05_tests::OneLoop, EnvName);
// Real time, one backend: the watchdog's timer is the kernel's, whatever the loop polls with.
INSTANTIATE_TYPED_TEST_SUITE_P(ch05, BlockingSignal, ::testing::Types<ch05_tests::Environments::Epoll>,
                               EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch05, Timers, ch05_tests::TimedLoops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch05, VirtualTime, ch05_tests::VirtualLoops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch05, TimerHeap, ch05_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch05, Callbacks, ch05_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch05, CallbacksAcrossThreads, ch05_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch05, SignalCallbacksAcrossThreads, ch05_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch05, PeriodicCallbacks, ch05_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch05, BlockingWarning, ch05_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch05, StackContexts, ch05_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch05, StackContextsAcrossThreads, ch05_tests::Loops, EnvName);
// The stack-context suites for Futures (chapter 6) and coroutines (chapter 7) wait.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(StackContextFutures);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(StackContextCoroutines);
INSTANTIATE_TYPED_TEST_SUITE_P(ch05, PeriodicCallbackMath, ch05_tests::OneLoop, EnvName);
// callback_coroutines_spec.hpp's other suites wait for their chapters: Futures come in chapter
// 6, coroutines in chapter 7.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(CallbacksReturningFutures);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(PeriodicCallbacksReturningFutures);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(CoroutineCallbacks);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(PeriodicCoroutines);
INSTANTIATE_TYPED_TEST_SUITE_P(ch05, Trace, ch05_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch05, TraceTimeouts, ch05_tests::VirtualLoops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch05, TraceCallbacks, ch05_tests::Loops, EnvName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(TraceCoroutines);  // trace_spec.hpp: a later chapter's
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(TraceStreams);  // trace_spec.hpp: a later chapter's
}  // namespace spec
