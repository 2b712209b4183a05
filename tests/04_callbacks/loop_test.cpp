// Every loop spec chapter 4 has: chapters 2 and 3's, and the callback specs.
#include "callbacks_spec.hpp"
#include "environments.hpp"
#include "handlers_spec.hpp"
#include "lifecycle_spec.hpp"
#include "timers_spec.hpp"

namespace spec {
INSTANTIATE_TYPED_TEST_SUITE_P(ch04, Handlers, ch04_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch04, HandlerRounds, ch04_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch04, Lifecycle, ch04_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch04, Timers, ch04_tests::TimedLoops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch04, VirtualTime, ch04_tests::VirtualLoops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch04, TimerHeap, ch04_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch04, Callbacks, ch04_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch04, CallbacksAcrossThreads, ch04_tests::Loops, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch04, PeriodicCallbacks, ch04_tests::OneLoop, EnvName);
INSTANTIATE_TYPED_TEST_SUITE_P(ch04, BlockingWarning, ch04_tests::OneLoop, EnvName);
}  // namespace spec
