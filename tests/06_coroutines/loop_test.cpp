// Every loop spec chapter 6 has: chapters 2 to 5's, and the coroutine specs.
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
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, PeriodicCallbacks, ch06_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, BlockingWarning, ch06_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, Futures, ch06_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, LoopFutures, ch06_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, RunSyncTimeouts, ch06_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, FuturesAcrossThreads, ch06_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, Coroutines, ch06_tests::CoroutineStyles, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, CoroutineHelpers, ch06_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, Cancellation, ch06_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, CancellationOnTheLoop, ch06_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, CancellationAcrossThreads, ch06_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, CoroutineCancellation,
                               spec::CancellationStylesOf<ch06_tests::Environments::EpollVirtual>, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, CancellationHelpers, ch06_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, StackContexts, ch06_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, StackContextsAcrossThreads, ch06_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, StackContextFutures, ch06_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, StackContextCoroutines, ch06_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, GenTools, ch06_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, WaitIterators, ch06_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, PeriodicCallbackMath, ch06_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, CallbacksReturningFutures, ch06_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, PeriodicCallbacksReturningFutures, ch06_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, CoroutineCallbacks, ch06_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, PeriodicCoroutines, ch06_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, Trace, ch06_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, TraceTimeouts, ch06_tests::VirtualLoops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, TraceCallbacks, ch06_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch06, TraceCoroutines, ch06_tests::OneLoop, EnvName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(TraceStreams);  // trace_spec.hpp: a later chapter's
}  // namespace spec
