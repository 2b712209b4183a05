// Every loop spec chapter 9 has: chapters 2 to 7's, and the IOStream specs.
#include "callback_coroutines_spec.hpp"
#include "callbacks_spec.hpp"
#include "cancellation_spec.hpp"
#include "coroutines_spec.hpp"
#include "environments.hpp"
#include "futures_spec.hpp"
#include "gen_tools_spec.hpp"
#include "handlers_spec.hpp"
#include "ioloop_api_spec.hpp"
#include "iostream_spec.hpp"
#include "lifecycle_spec.hpp"
#include "server_spec.hpp"
#include "stack_context_spec.hpp"
#include "timers_spec.hpp"
#include "trace_spec.hpp"

namespace spec {
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, Handlers, ch08_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, HandlerRounds, ch08_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, Lifecycle, ch08_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, CurrentLoopOptions, ch08_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, Configure, ch08_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, CloseFd, ch08_tests::OneLoop, EnvName);
// Real time, one backend: the watchdog's timer is the kernel's, whatever the loop polls with.
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, BlockingSignal, ::testing::Types<ch08_tests::Environments::Epoll>,
                               EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, Timers, ch08_tests::TimedLoops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, VirtualTime, ch08_tests::VirtualLoops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, TimerHeap, ch08_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, Callbacks, ch08_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, CallbacksAcrossThreads, ch08_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, SignalCallbacksAcrossThreads, ch08_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, PeriodicCallbacks, ch08_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, BlockingWarning, ch08_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, Futures, ch08_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, LoopFutures, ch08_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, RunSyncTimeouts, ch08_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, FuturesAcrossThreads, ch08_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, Coroutines, ch08_tests::CoroutineStyles, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, CoroutineHelpers, ch08_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, GenTools, ch08_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, WaitIterators, ch08_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, IOStreams, ch08_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, StreamRegistrations, ch08_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, TCPServers, ch08_tests::Loops, EnvName);
// server_spec.hpp's suites that need the HTTP server wait for the HTTP chapter (9).
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ServerFairness);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ServerShutdown);
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, Cancellation, ch08_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, CancellationOnTheLoop, ch08_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, CancellationAcrossThreads, ch08_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, CoroutineCancellation,
                               spec::CancellationStylesOf<ch08_tests::Environments::EpollVirtual>, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, CancellationHelpers, ch08_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, StreamCancellation, ch08_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, StackContexts, ch08_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, StackContextsAcrossThreads, ch08_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, StackContextFutures, ch08_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, StackContextCoroutines, ch08_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, PeriodicCallbackMath, ch08_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, CallbacksReturningFutures, ch08_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, PeriodicCallbacksReturningFutures, ch08_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, CoroutineCallbacks, ch08_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, PeriodicCoroutines, ch08_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, Trace, ch08_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, TraceTimeouts, ch08_tests::VirtualLoops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, TraceCallbacks, ch08_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, TraceCoroutines, ch08_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch08, TraceStreams, ch08_tests::Loops, EnvName);
}  // namespace spec
