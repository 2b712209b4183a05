// Every loop spec chapter 7 has: chapters 2 to 6's, and the coroutine specs.
#include "callback_coroutines_spec.hpp"
#include "callbacks_spec.hpp"
#include "cancellation_spec.hpp"
#include "coroutines_spec.hpp"
#include "environments.hpp"
#include "futures_spec.hpp"
#include "gen_tools_spec.hpp"
#include "handlers_spec.hpp"
#include "ioloop_api_spec.hpp"
#include "lifecycle_spec.hpp"
#include "stack_context_spec.hpp"
#include "timers_spec.hpp"
#include "trace_spec.hpp"

namespace spec {
INSTANTIATE_TYPED_TEST_SUITE_P(ch07, Handlers, ch07_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch07, HandlerRounds, ch07_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch07, Lifecycle, ch07_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch07, CurrentLoopOptions, ch07_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch07, Configure, ch07_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch07, CloseFd, ch07_tests::OneLoop, EnvName);
// Real time, one backend: the watchdog's timer is the kernel's, whatever the loop polls with.
INSTANTIATE_TYPED_TEST_SUITE_P(ch07, BlockingSignal, ::testing::Types<ch07_tests::Environments::Epoll>,
                               EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch07, Timers, ch07_tests::TimedLoops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch07, VirtualTime, ch07_tests::VirtualLoops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch07, TimerHeap, ch07_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch07, Callbacks, ch07_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch07, CallbacksAcrossThreads, ch07_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch07, SignalCallbacksAcrossThreads, ch07_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch07, PeriodicCallbacks, ch07_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch07, BlockingWarning, ch07_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch07, Futures, ch07_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch07, LoopFutures, ch07_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch07, RunSyncTimeouts, ch07_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch07, FuturesAcrossThreads, ch07_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch07, Coroutines, ch07_tests::CoroutineStyles, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch07, CoroutineHelpers, ch07_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch07, Cancellation, ch07_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch07, CancellationOnTheLoop, ch07_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch07, CancellationAcrossThreads, ch07_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch07, CoroutineCancellation,
                               spec::CancellationStylesOf<ch07_tests::Environments::EpollVirtual>, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch07, CancellationHelpers, ch07_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch07, StackContexts, ch07_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch07, StackContextsAcrossThreads, ch07_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch07, StackContextFutures, ch07_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch07, StackContextCoroutines, ch07_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch07, GenTools, ch07_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch07, WaitIterators, ch07_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch07, PeriodicCallbackMath, ch07_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch07, CallbacksReturningFutures, ch07_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch07, PeriodicCallbacksReturningFutures, ch07_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch07, CoroutineCallbacks, ch07_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch07, PeriodicCoroutines, ch07_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch07, Trace, ch07_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch07, TraceTimeouts, ch07_tests::VirtualLoops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch07, TraceCallbacks, ch07_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch07, TraceCoroutines, ch07_tests::OneLoop, EnvName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(TraceStreams);  // trace_spec.hpp: a later chapter's
}  // namespace spec
