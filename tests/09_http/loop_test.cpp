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
#include "http_spec.hpp"
#include "iostream_spec.hpp"
#include "lifecycle_spec.hpp"
#include "server_spec.hpp"
#include "stack_context_spec.hpp"
#include "timers_spec.hpp"
#include "trace_spec.hpp"

namespace spec {
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, Handlers, ch09_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, HandlerRounds, ch09_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, Lifecycle, ch09_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, CurrentLoopOptions, ch09_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, Configure, ch09_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, CloseFd, ch09_tests::OneLoop, EnvName);
// Real time, one backend: the watchdog's timer is the kernel's, whatever the loop polls with.
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, BlockingSignal, ::testing::Types<ch09_tests::Environments::Epoll>,
                               EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, Timers, ch09_tests::TimedLoops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, VirtualTime, ch09_tests::VirtualLoops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, TimerHeap, ch09_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, Callbacks, ch09_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, CallbacksAcrossThreads, ch09_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, SignalCallbacksAcrossThreads, ch09_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, PeriodicCallbacks, ch09_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, BlockingWarning, ch09_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, Futures, ch09_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, LoopFutures, ch09_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, RunSyncTimeouts, ch09_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, FuturesAcrossThreads, ch09_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, Coroutines, ch09_tests::CoroutineStyles, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, CoroutineHelpers, ch09_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, GenTools, ch09_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, WaitIterators, ch09_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, IOStreams, ch09_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, StreamRegistrations, ch09_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, TCPServers, ch09_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, ServerFairness, ch09_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, ServerShutdown, ch09_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, HTTPServer, ch09_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, Fetch, ch09_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, Cancellation, ch09_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, CancellationOnTheLoop, ch09_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, CancellationAcrossThreads, ch09_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, CoroutineCancellation,
                               spec::CancellationStylesOf<ch09_tests::Environments::EpollVirtual>, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, CancellationHelpers, ch09_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, StreamCancellation, ch09_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, StackContexts, ch09_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, StackContextsAcrossThreads, ch09_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, StackContextFutures, ch09_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, StackContextCoroutines, ch09_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, PeriodicCallbackMath, ch09_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, CallbacksReturningFutures, ch09_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, PeriodicCallbacksReturningFutures, ch09_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, CoroutineCallbacks, ch09_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, PeriodicCoroutines, ch09_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, Trace, ch09_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, TraceTimeouts, ch09_tests::VirtualLoops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, TraceCallbacks, ch09_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, TraceCoroutines, ch09_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch09, TraceStreams, ch09_tests::Loops, EnvName);
}  // namespace spec
