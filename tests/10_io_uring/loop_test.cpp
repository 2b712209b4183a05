// Every loop spec chapter 10 has: chapters 2 to 9's, on four backends, and the completion model's.
#include "callback_coroutines_spec.hpp"
#include "callbacks_spec.hpp"
#include "completion_spec.hpp"
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
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, Handlers, ch10_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, HandlerRounds, ch10_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, Lifecycle, ch10_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, CurrentLoopOptions, ch10_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, Configure, ch10_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, CloseFd, ch10_tests::OneLoop, EnvName);
// Real time, one backend: the watchdog's timer is the kernel's, whatever the loop polls with.
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, BlockingSignal, ::testing::Types<ch10_tests::Environments::Epoll>,
                               EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, Timers, ch10_tests::TimedLoops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, VirtualTime, ch10_tests::VirtualLoops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, TimerHeap, ch10_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, Callbacks, ch10_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, CallbacksAcrossThreads, ch10_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, SignalCallbacksAcrossThreads, ch10_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, PeriodicCallbacks, ch10_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, BlockingWarning, ch10_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, Futures, ch10_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, LoopFutures, ch10_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, RunSyncTimeouts, ch10_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, FuturesAcrossThreads, ch10_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, Coroutines, ch10_tests::CoroutineStyles, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, CoroutineHelpers, ch10_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, GenTools, ch10_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, WaitIterators, ch10_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, IOStreams, ch10_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, StreamRegistrations, ch10_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, TCPServers, ch10_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, ServerFairness, ch10_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, ServerShutdown, ch10_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, HTTPServer, ch10_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, Fetch, ch10_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, Cancellation, ch10_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, CancellationOnTheLoop, ch10_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, CancellationAcrossThreads, ch10_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, CoroutineCancellation,
                               spec::CancellationStylesOf<ch10_tests::Environments::EpollVirtual>, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, CancellationHelpers, ch10_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, StreamCancellation, ch10_tests::OneLoopAndRing, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, StackContexts, ch10_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, StackContextsAcrossThreads, ch10_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, StackContextFutures, ch10_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, StackContextCoroutines, ch10_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, PeriodicCallbackMath, ch10_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, CallbacksReturningFutures, ch10_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, PeriodicCallbacksReturningFutures, ch10_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, CoroutineCallbacks, ch10_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, PeriodicCoroutines, ch10_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, Trace, ch10_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, TraceTimeouts, ch10_tests::VirtualLoops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, TraceCallbacks, ch10_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, TraceCoroutines, ch10_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, TraceStreams, ch10_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch10, Completions, ::testing::Types<ch10_tests::Uring>, EnvName);
}  // namespace spec
