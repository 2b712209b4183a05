// Every loop spec chapter 5 has: chapters 2 to 4's, and the Future specs.
#include "callback_coroutines_spec.hpp"
#include "callbacks_spec.hpp"
#include "cancellation_spec.hpp"
#include "environments.hpp"
#include "futures_spec.hpp"
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
INSTANTIATE_TYPED_TEST_SUITE_P(ch05, PeriodicCallbacks, ch05_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch05, BlockingWarning, ch05_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch05, Futures, ch05_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch05, LoopFutures, ch05_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch05, RunSyncTimeouts, ch05_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch05, FuturesAcrossThreads, ch05_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch05, Cancellation, ch05_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch05, CancellationOnTheLoop, ch05_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch05, CancellationAcrossThreads, ch05_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch05, StackContexts, ch05_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch05, StackContextsAcrossThreads, ch05_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch05, StackContextFutures, ch05_tests::OneLoop, EnvName);
// The stack-context suite for coroutines waits for chapter 6.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(StackContextCoroutines);
INSTANTIATE_TYPED_TEST_SUITE_P(ch05, PeriodicCallbackMath, ch05_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch05, CallbacksReturningFutures, ch05_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch05, PeriodicCallbacksReturningFutures, ch05_tests::OneLoop, EnvName);
// callback_coroutines_spec.hpp's other suites wait for their chapter: coroutines come in chapter 6.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(CoroutineCallbacks);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(PeriodicCoroutines);
INSTANTIATE_TYPED_TEST_SUITE_P(ch05, Trace, ch05_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch05, TraceTimeouts, ch05_tests::VirtualLoops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch05, TraceCallbacks, ch05_tests::Loops, EnvName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(TraceCoroutines);  // trace_spec.hpp: a later chapter's
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(TraceStreams);  // trace_spec.hpp: a later chapter's
}  // namespace spec
