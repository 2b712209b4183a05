// Every loop spec chapter 6 has: chapters 2 to 5's, and the Future specs.
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
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, Handlers, ch06_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, HandlerRounds, ch06_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, Lifecycle, ch06_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, CurrentLoopOptions, ch06_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, Configure, ch06_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, CloseFd, ch06_tests::OneLoop, EnvName);
// Real time, one backend: the watchdog's timer is the kernel's, whatever the loop polls with.
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, BlockingSignal, ::testing::Types<ch06_tests::Environments::Epoll>,
                               EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, Timers, ch06_tests::TimedLoops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, VirtualTime, ch06_tests::VirtualLoops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, TimerHeap, ch06_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, Callbacks, ch06_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, CallbacksAcrossThreads, ch06_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, SignalCallbacksAcrossThreads, ch06_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, PeriodicCallbacks, ch06_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, BlockingWarning, ch06_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, Futures, ch06_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, LoopFutures, ch06_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, RunSyncTimeouts, ch06_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, FuturesAcrossThreads, ch06_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, Cancellation, ch06_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, CancellationOnTheLoop, ch06_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, CancellationAcrossThreads, ch06_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, StackContexts, ch06_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, StackContextsAcrossThreads, ch06_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, StackContextFutures, ch06_tests::OneLoop, EnvName);
// The stack-context suite for coroutines waits for chapter 7.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(StackContextCoroutines);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, PeriodicCallbackMath, ch06_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, CallbacksReturningFutures, ch06_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, PeriodicCallbacksReturningFutures, ch06_tests::OneLoop, EnvName);
// callback_coroutines_spec.hpp's other suites wait for their chapter: coroutines come in chapter 7.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(CoroutineCallbacks);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(PeriodicCoroutines);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, Trace, ch06_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, TraceTimeouts, ch06_tests::VirtualLoops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, TraceCallbacks, ch06_tests::Loops, EnvName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(TraceCoroutines);  // trace_spec.hpp: a later chapter's
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(TraceStreams);  // trace_spec.hpp: a later chapter's
}  // namespace spec
