// What the loop does with what a callback returns, and PeriodicCallback's schedule as Tornado 6
// plans it. Instantiated by:
//   PeriodicCallbackMath                chapters 4 on: Tornado 6.2's TestPeriodicCallbackMath
//                                       (jitter, a clock that goes backwards), run by the real
//                                       loop on its virtual clock;
//   CallbacksReturningFutures           chapters 6 on: a callable whose result is a Future, given
//                                       to each of the loop's entry points, is kept alive until
//                                       that Future is done, and its failure is reported;
//   PeriodicCallbacksReturningFutures   chapters 6 on: such a PeriodicCallback never overlaps
//                                       its runs (Tornado 6.2);
//   CoroutineCallbacks                  chapters 7 on: the same for C++20 coroutine lambdas,
//                                       whose frames read their captures through the lambda;
//   PeriodicCoroutines                  chapters 7 on: Tornado 6.2's test_periodic_coro.
// The environment names Env::PeriodicCallback, and from chapter 6 Env::template Future<T>,
// from chapter 7 Env::template Coroutine<T>, Env::moment() and Env::sleep().
#pragma once

#include <algorithm>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "loop_harness.hpp"

namespace spec {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

namespace callback_coroutines {

/// Every way the loop takes a callback to run once; the specs below go through each of them.
enum class Entry { add_callback, spawn_callback, call_at, call_later, add_timeout_at, add_timeout_after, add_future };
inline constexpr Entry every_entry[] = {Entry::add_callback,   Entry::spawn_callback,
                                        Entry::call_at,        Entry::call_later,
                                        Entry::add_timeout_at, Entry::add_timeout_after,
                                        Entry::add_future};

inline const char* name_of(Entry entry) {
  switch (entry) {
    case Entry::add_callback: return "add_callback";
    case Entry::spawn_callback: return "spawn_callback";
    case Entry::call_at: return "call_at";
    case Entry::call_later: return "call_later";
    case Entry::add_timeout_at: return "add_timeout(deadline)";
    case Entry::add_timeout_after: return "add_timeout(delay)";
    case Entry::add_future: return "add_future";
  }
  return "?";
}

/// How handle_callback_exception names what failed, by where it entered the loop.
inline std::string reported_as(Entry entry) {
  switch (entry) {
    case Entry::call_at:
    case Entry::call_later:
    case Entry::add_timeout_at:
    case Entry::add_timeout_after:
      return "timeout callback ";
    default:
      return "callback ";
  }
}

/// Gives `callable` to the loop through `entry`, to run on the next turn.
template <class Env, class Loop, class F>
void hand_over(Entry entry, Loop& loop, F callable) {
  using namespace std::chrono_literals;
  switch (entry) {
    case Entry::add_callback: loop.add_callback(std::move(callable)); return;
    case Entry::spawn_callback: loop.spawn_callback(std::move(callable)); return;
    case Entry::call_at: loop.call_at(loop.time(), std::move(callable)); return;
    case Entry::call_later: loop.call_later(0s, std::move(callable)); return;
    case Entry::add_timeout_at: loop.add_timeout(loop.time(), std::move(callable)); return;
    case Entry::add_timeout_after: loop.add_timeout(0s, std::move(callable)); return;
    case Entry::add_future: {
      // add_future's callback runs through add_callback (Tornado 4.5 too): what it returns is
      // watched like any callback's.
      typename Env::template Future<void> ready;
      ready.set_result();
      loop.add_future(ready, [callable = std::move(callable)](const auto&) mutable { return callable(); });
      return;
    }
  }
}

/// Runs the loop for `turns` more turns, then stops it.
template <class Loop>
void stop_after_turns(Loop& loop, int turns) {
  if (turns <= 0) {
    loop.stop();
    return;
  }
  loop.add_callback([&loop, turns] { stop_after_turns(loop, turns - 1); });
}

}  // namespace callback_coroutines

// ================================================================= PeriodicCallback's math

template <class Env>
class PeriodicCallbackMath : public VirtualLoopTest<Env> {
 protected:
  using Periodic = typename Env::PeriodicCallback;

  long milliseconds_now() const {
    return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                 this->loop.time().time_since_epoch())
                                 .count());
  }

  // Tornado's simulate_calls, played by the real loop on its virtual clock: a PeriodicCallback
  // every 10 s whose run number i moves the clock by durations[i] (back, when negative), as if
  // it took that long. Returns when each run began, in milliseconds since the clock's epoch.
  std::vector<long> simulate_calls(std::vector<std::chrono::seconds> durations, double jitter = 0,
                                   std::function<double()> random = {}) {
    auto& loop = this->loop;
    std::vector<long> calls;
    Periodic* self = nullptr;
    Periodic periodic(
        loop,
        [&] {
          calls.push_back(milliseconds_now());
          this->clock->set(this->clock->now() + durations[calls.size() - 1]);
          if (calls.size() == durations.size()) {
            self->stop();
            loop.stop();
          }
        },
        std::chrono::seconds(10), jitter, std::move(random));
    self = &periodic;
    periodic.start();
    run_with_watchdog(loop);
    return calls;
  }
};
TYPED_TEST_SUITE_P(PeriodicCallbackMath);

TYPED_TEST_P(PeriodicCallbackMath, BasicRunsEveryIntervalFromOneIntervalAfterStart) {
  // Tornado 6.2's test_basic.
  EXPECT_THAT(this->simulate_calls({0s, 0s, 0s, 0s, 0s}),
              ElementsAre(1010'000, 1020'000, 1030'000, 1040'000, 1050'000));
}

TYPED_TEST_P(PeriodicCallbackMath, OverrunSkipsTheSlotsALongRunMissed) {
  // Tornado 6.2's test_overrun: three runs on time, then two a slot late, two two slots late,
  // two three slots late, then back on the grid anchored at start().
  EXPECT_THAT(this->simulate_calls({9s, 9s, 10s, 11s, 20s, 20s, 35s, 35s, 0s, 0s, 0s}),
              ElementsAre(1010'000, 1020'000, 1030'000, 1050'000, 1070'000, 1100'000, 1130'000,
                          1170'000, 1210'000, 1220'000, 1230'000));
}

TYPED_TEST_P(PeriodicCallbackMath, ClockBackwardsNeverRunsTheSameSlotTwice) {
  // Tornado 6.2's test_clock_backwards: a clock set back during a run (an NTP step, on a wall
  // clock) makes the planned slot look ahead; the next run is still one interval on. Tornado
  // 4.5 planned that same slot again, so it ran twice.
  EXPECT_THAT(this->simulate_calls({-2s, -1s, -3s, -2s, 0s}),
              ElementsAre(1010'000, 1020'000, 1030'000, 1040'000, 1050'000));
  // A big jump back is not made up for either: the grid goes on (the virtual clock then jumps
  // ahead to the next slot; a real one would wait the 110 s).
  this->clock->set(typename TestFixture::Clock::time_point(1000s));
  EXPECT_THAT(this->simulate_calls({-100s, 0s, 0s}), ElementsAre(1010'000, 1020'000, 1030'000));
}

TYPED_TEST_P(PeriodicCallbackMath, JitterSpreadsEachIntervalAroundItsNominalLength) {
  // Tornado 6.2's test_jitter: each interval is multiplied by 1 + jitter * (random() - 0.5),
  // so jitter 0.5 spreads a 10 s interval over 7.5 s to 12.5 s.
  std::deque<double> random_times = {0.5, 1, 0, 0.75};
  auto random = [&random_times] {
    const double r = random_times.front();
    random_times.pop_front();
    return r;
  };
  EXPECT_THAT(this->simulate_calls({0s, 0s, 0s, 0s}, 0.5, random),
              ElementsAre(1010'000, 1022'500, 1030'000, 1041'250));
  EXPECT_THAT(random_times, IsEmpty());  // one draw per planned run, none wasted
}

TYPED_TEST_P(PeriodicCallbackMath, JitterFromTheDefaultRandomSourceStaysInsideItsWindow) {
  std::vector<std::chrono::seconds> durations(40, 0s);
  const std::vector<long> calls = this->simulate_calls(durations, 0.5);
  ASSERT_EQ(calls.size(), durations.size());
  std::vector<long> gaps;
  for (std::size_t i = 1; i < calls.size(); ++i) gaps.push_back(calls[i] - calls[i - 1]);
  for (long gap : gaps) {
    EXPECT_GE(gap, 7'500);
    EXPECT_LE(gap, 12'500);
  }
  EXPECT_NE(*std::min_element(gaps.begin(), gaps.end()), *std::max_element(gaps.begin(), gaps.end()))
      << "forty intervals, all the same length: the jitter is not applied";
}

TYPED_TEST_P(PeriodicCallbackMath, AJitterOutsideZeroToOneIsAnError) {
  using Periodic = typename TestFixture::Periodic;
  auto& loop = this->loop;
  expect_error<std::invalid_argument>([&] { Periodic bad(loop, [] {}, 10s, -0.1); }, {"jitter", "0", "1"});
  expect_error<std::invalid_argument>([&] { Periodic bad(loop, [] {}, 10s, 1.5); }, {"jitter", "0", "1"});
}

TYPED_TEST_P(PeriodicCallbackMath, RestartedFromItsOwnCallbackKeepsOneSchedule) {
  // stop() then start() inside a run: the run that is ending plans the next one, once.
  auto& loop = this->loop;
  std::vector<long> started;
  typename TestFixture::Periodic* self = nullptr;
  typename TestFixture::Periodic periodic(loop, [&] {
    started.push_back(this->seconds_now());
    if (started.size() == 1) {
      self->stop();
      self->start();
    }
  }, 10s);
  self = &periodic;
  periodic.start();
  loop.call_later(55s, [&] { loop.stop(); });

  run_with_watchdog(loop);

  EXPECT_THAT(started, ElementsAre(1010, 1020, 1030, 1040, 1050));  // one run a slot, not two
}

REGISTER_TYPED_TEST_SUITE_P(PeriodicCallbackMath, BasicRunsEveryIntervalFromOneIntervalAfterStart,
                            OverrunSkipsTheSlotsALongRunMissed, ClockBackwardsNeverRunsTheSameSlotTwice,
                            JitterSpreadsEachIntervalAroundItsNominalLength,
                            JitterFromTheDefaultRandomSourceStaysInsideItsWindow,
                            AJitterOutsideZeroToOneIsAnError,
                            RestartedFromItsOwnCallbackKeepsOneSchedule);

// ================================================================= callables returning Futures

template <class Env>
class CallbacksReturningFutures : public LoopTest<Env> {
 protected:
  template <class T>
  using Future = typename Env::template Future<T>;
};
TYPED_TEST_SUITE_P(CallbacksReturningFutures);

TYPED_TEST_P(CallbacksReturningFutures, KeepTheCallableAliveUntilItsFutureIsDoneThenRelease) {
  using namespace callback_coroutines;
  using Future = typename TestFixture::template Future<void>;
  auto& loop = this->loop;
  for (Entry entry : every_entry) {
    SCOPED_TRACE(name_of(entry));
    auto token = std::make_shared<int>(7);
    const std::weak_ptr<int> watch = token;
    std::vector<std::string> seen;
    // The callable's work goes on a turn after it returned, as a coroutine's frame would, and
    // looks at whether the callable (its capture) still exists then.
    hand_over<TypeParam>(entry, loop, [&seen, &loop, watch, token = std::move(token)] {
      Future done;
      loop.add_callback([&seen, &loop, watch, done] {
        seen.push_back(watch.expired() ? "callable gone while its Future was pending"
                                       : "callable alive while its Future was pending");
        done.set_result();
        stop_after_turns(loop, 2);
      });
      return done;
    });

    run_with_watchdog(loop);

    EXPECT_THAT(seen, ElementsAre("callable alive while its Future was pending"));
    EXPECT_TRUE(watch.expired()) << "the loop still holds the callable after its Future is done";
    EXPECT_THAT(loop.reported.size(), 0u);
  }
}

TYPED_TEST_P(CallbacksReturningFutures, ExceptionLoggingFutureReportsALateFailureAsTheCallbacks) {
  // Tornado 4.5's test_exception_logging_future: _run_callback hands what a callback returns
  // to add_future, so a failure that comes later is still "Exception in callback ...".
  using namespace callback_coroutines;
  using Future = typename TestFixture::template Future<int>;
  auto& loop = this->loop;
  for (Entry entry : every_entry) {
    SCOPED_TRACE(name_of(entry));
    loop.reported.clear();
    hand_over<TypeParam>(entry, loop, [&loop] {
      Future later;
      loop.add_callback([&loop, later] {
        later.set_exception(std::make_exception_ptr(std::runtime_error("failed a turn later")));
        stop_after_turns(loop, 2);
      });
      return later;
    });

    run_with_watchdog(loop);

    ASSERT_EQ(loop.reported.size(), 1u);
    EXPECT_THAT(loop.reported[0].where, StartsWith(reported_as(entry)));
    // It names the callable the test gave (through add_future: the callback given to it), not
    // a wrapper of the loop's.
    EXPECT_THAT(loop.reported[0].where, HasSubstr(entry == Entry::add_future ? "hand_over" : "TestBody"));
    EXPECT_THAT(loop.reported[0].where, HasSubstr("lambda"));
    EXPECT_EQ(loop.reported[0].what, "failed a turn later");
  }
}

TYPED_TEST_P(CallbacksReturningFutures, AThrowBeforeReturningTheFutureIsReportedOnce) {
  using namespace callback_coroutines;
  using Future = typename TestFixture::template Future<int>;
  auto& loop = this->loop;
  for (Entry entry : every_entry) {
    SCOPED_TRACE(name_of(entry));
    loop.reported.clear();
    hand_over<TypeParam>(entry, loop, [&loop]() -> Future {
      stop_after_turns(loop, 2);
      throw std::runtime_error("failed before returning");
    });

    run_with_watchdog(loop);

    ASSERT_EQ(loop.reported.size(), 1u);
    EXPECT_THAT(loop.reported[0].where, StartsWith(reported_as(entry)));
    EXPECT_EQ(loop.reported[0].what, "failed before returning");
  }
}

TYPED_TEST_P(CallbacksReturningFutures, AFutureAlreadyDoneIsFineAndReleasesTheCallable) {
  using namespace callback_coroutines;
  using Future = typename TestFixture::template Future<std::unique_ptr<int>>;
  auto& loop = this->loop;
  for (Entry entry : every_entry) {
    SCOPED_TRACE(name_of(entry));
    auto token = std::make_shared<int>(7);
    const std::weak_ptr<int> watch = token;
    int calls = 0;
    hand_over<TypeParam>(entry, loop, [&calls, &loop, token = std::move(token)] {
      ++calls;
      Future done;  // a move-only value: the loop only looks at whether it failed
      done.set_result(std::make_unique<int>(1));
      stop_after_turns(loop, 2);
      return done;
    });

    run_with_watchdog(loop);

    EXPECT_EQ(calls, 1);
    EXPECT_TRUE(watch.expired());
    EXPECT_THAT(loop.reported.size(), 0u);
  }
}

REGISTER_TYPED_TEST_SUITE_P(CallbacksReturningFutures, KeepTheCallableAliveUntilItsFutureIsDoneThenRelease,
                            ExceptionLoggingFutureReportsALateFailureAsTheCallbacks,
                            AThrowBeforeReturningTheFutureIsReportedOnce,
                            AFutureAlreadyDoneIsFineAndReleasesTheCallable);

// ================================================================= PeriodicCallback returning Futures

template <class Env>
class PeriodicCallbacksReturningFutures : public VirtualLoopTest<Env> {
 protected:
  using Periodic = typename Env::PeriodicCallback;
  using Future = typename Env::template Future<void>;

  // A run that takes `duration` of loop time: its Future is resolved by a timer.
  Future run_for(std::chrono::seconds duration) {
    Future over;
    this->loop.call_later(duration, [over] { over.set_result(); });
    return over;
  }
};
TYPED_TEST_SUITE_P(PeriodicCallbacksReturningFutures);

TYPED_TEST_P(PeriodicCallbacksReturningFutures, NeverStartARunWhileThePreviousIsRunning) {
  // Tornado 6.2's test_periodic_coro, on virtual time: every 10 s, each run lasting 25 s. A
  // run starts only once the previous one is over, on the next slot of the grid.
  auto& loop = this->loop;
  std::vector<long> started, ended;
  typename TestFixture::Periodic* self = nullptr;
  typename TestFixture::Periodic periodic(loop, [&] {
    started.push_back(this->seconds_now());
    typename TestFixture::Future over = this->run_for(25s);
    over.add_done_callback([&](const auto&) {
      ended.push_back(this->seconds_now());
      if (ended.size() == 3) {
        self->stop();
        loop.stop();
      }
    });
    return over;
  }, 10s);
  self = &periodic;
  periodic.start();

  run_with_watchdog(loop);

  EXPECT_THAT(started, ElementsAre(1010, 1040, 1070));
  EXPECT_THAT(ended, ElementsAre(1035, 1065, 1095));
}

TYPED_TEST_P(PeriodicCallbacksReturningFutures, AFailedRunIsReportedAndTheScheduleGoesOn) {
  auto& loop = this->loop;
  std::vector<long> started;
  typename TestFixture::Periodic periodic(loop, [&] {
    started.push_back(this->seconds_now());
    if (started.size() == 3) loop.stop();
    typename TestFixture::Future failed;
    failed.set_exception(std::make_exception_ptr(std::runtime_error("tick failed")));
    return failed;
  }, 10s);
  periodic.start();

  run_with_watchdog(loop);

  EXPECT_THAT(started, ElementsAre(1010, 1020, 1030));
  ASSERT_EQ(loop.reported.size(), 2u);  // the third is reported on the turn after loop.stop()
  EXPECT_THAT(loop.reported[0].where, StartsWith("periodic callback "));
  EXPECT_EQ(loop.reported[0].what, "tick failed");
}

TYPED_TEST_P(PeriodicCallbacksReturningFutures, DestroyedWhileARunIsPendingTheRunEndsQuietly) {
  auto& loop = this->loop;
  int runs = 0;
  auto periodic = std::make_unique<typename TestFixture::Periodic>(loop, [&] {
    ++runs;
    return this->run_for(25s);
  }, 10s);
  periodic->start();
  loop.call_later(15s, [&] { periodic.reset(); });  // its first run is half way
  loop.call_later(100s, [&] { loop.stop(); });

  run_with_watchdog(loop);

  EXPECT_EQ(runs, 1);
  EXPECT_THAT(loop.reported.size(), 0u);
  EXPECT_EQ(loop.timer_stats().scheduled, 0u);
}

TYPED_TEST_P(PeriodicCallbacksReturningFutures, StoppedAndStartedDuringARunKeepsOneSchedule) {
  auto& loop = this->loop;
  std::vector<long> started;
  typename TestFixture::Periodic* self = nullptr;
  typename TestFixture::Periodic periodic(loop, [&] {
    started.push_back(this->seconds_now());
    if (started.size() == 1) {
      self->stop();   // the run goes on; the schedule stops...
      self->start();  // ...and starts again, before the run is over
    }
    return this->run_for(5s);
  }, 10s);
  self = &periodic;
  periodic.start();
  loop.call_later(55s, [&] { loop.stop(); });

  run_with_watchdog(loop);

  EXPECT_THAT(started, ElementsAre(1010, 1020, 1030, 1040, 1050));  // one run a slot, not two
}

REGISTER_TYPED_TEST_SUITE_P(PeriodicCallbacksReturningFutures, NeverStartARunWhileThePreviousIsRunning,
                            AFailedRunIsReportedAndTheScheduleGoesOn,
                            DestroyedWhileARunIsPendingTheRunEndsQuietly,
                            StoppedAndStartedDuringARunKeepsOneSchedule);

// ================================================================= C++20 coroutines as callbacks

template <class Env>
class CoroutineCallbacks : public LoopTest<Env> {
 protected:
  template <class T>
  using Coroutine = typename Env::template Coroutine<T>;
};
TYPED_TEST_SUITE_P(CoroutineCallbacks);

TYPED_TEST_P(CoroutineCallbacks, ACoroutineLambdasCapturesLiveUntilItFinishes) {
  // The example: the frame reads `label` through the lambda, after the turn the loop
  // ran it in. Before the loop kept the lambda, ASan saw a heap-use-after-free here.
  using namespace callback_coroutines;
  using Coroutine = typename TestFixture::template Coroutine<void>;
  auto& loop = this->loop;
  for (Entry entry : every_entry) {
    SCOPED_TRACE(name_of(entry));
    std::string seen;
    const std::string label = std::string("a label long enough to live on the heap: ") + name_of(entry);
    hand_over<TypeParam>(entry, loop, [&, label]() -> Coroutine {
      co_await TypeParam::moment();
      seen = label;
      loop.stop();
    });

    run_with_watchdog(loop);

    EXPECT_EQ(seen, label);
    EXPECT_THAT(loop.reported.size(), 0u);
  }
}

TYPED_TEST_P(CoroutineCallbacks, ExceptionLoggingNativeCoroReportsAFailureAfterASuspension) {
  // Tornado 4.5's test_exception_logging_native_coro: an `async def` callback that raises.
  using namespace callback_coroutines;
  using Coroutine = typename TestFixture::template Coroutine<int>;
  auto& loop = this->loop;
  for (Entry entry : every_entry) {
    SCOPED_TRACE(name_of(entry));
    loop.reported.clear();
    hand_over<TypeParam>(entry, loop, [&loop]() -> Coroutine {
      stop_after_turns(loop, 3);
      co_await TypeParam::moment();
      throw std::runtime_error("failed after a moment");
    });

    run_with_watchdog(loop);

    ASSERT_EQ(loop.reported.size(), 1u);
    EXPECT_THAT(loop.reported[0].where, StartsWith(reported_as(entry)));
    EXPECT_EQ(loop.reported[0].what, "failed after a moment");
  }
}

TYPED_TEST_P(CoroutineCallbacks, ClosingTheLoopDestroysASuspendedOneAndReleasesItsCallable) {
  using namespace callback_coroutines;
  using Coroutine = typename TestFixture::template Coroutine<void>;
  using Future = typename TypeParam::template Future<void>;
  for (Entry entry : every_entry) {
    SCOPED_TRACE(name_of(entry));
    auto loop = make_plain_loop<TypeParam>();
    auto token = std::make_shared<int>(7);
    const std::weak_ptr<int> watch = token;
    bool reached = false;
    Future never;
    hand_over<TypeParam>(entry, *loop, [&reached, &loop, never, token = std::move(token)]() -> Coroutine {
      loop->stop();
      co_await never;
      reached = true;
    });

    run_with_watchdog(*loop);
    EXPECT_FALSE(watch.expired());  // suspended: the loop keeps it
    loop->close();

    EXPECT_TRUE(watch.expired());
    EXPECT_FALSE(reached);
  }
}

REGISTER_TYPED_TEST_SUITE_P(CoroutineCallbacks, ACoroutineLambdasCapturesLiveUntilItFinishes,
                            ExceptionLoggingNativeCoroReportsAFailureAfterASuspension,
                            ClosingTheLoopDestroysASuspendedOneAndReleasesItsCallable);

// ================================================================= PeriodicCallback of a coroutine

template <class Env>
class PeriodicCoroutines : public VirtualLoopTest<Env> {
 protected:
  using Periodic = typename Env::PeriodicCallback;
  template <class T>
  using Coroutine = typename Env::template Coroutine<T>;
};
TYPED_TEST_SUITE_P(PeriodicCoroutines);

TYPED_TEST_P(PeriodicCoroutines, PeriodicCoroNeverOverlapsItsRunsAndSkipsMissedSlots) {
  // Tornado 6.2's test_periodic_coro and test_periodic_async: every 10 ms, each run sleeping
  // 25 ms; three runs start and three finish, one after another. Here on virtual time, in s.
  auto& loop = this->loop;
  std::vector<long> started, ended;
  typename TestFixture::Periodic* self = nullptr;
  typename TestFixture::Periodic periodic(loop, [&]() -> typename TestFixture::template Coroutine<void> {
    started.push_back(this->seconds_now());
    co_await TypeParam::sleep(25s);
    ended.push_back(this->seconds_now());
    if (ended.size() == 3) {
      self->stop();
      loop.stop();
    }
  }, 10s);
  self = &periodic;
  periodic.start();

  run_with_watchdog(loop);

  EXPECT_THAT(started, ElementsAre(1010, 1040, 1070));
  EXPECT_THAT(ended, ElementsAre(1035, 1065, 1095));
}

TYPED_TEST_P(PeriodicCoroutines, DestroyedWhileARunIsSuspendedTheRunStillReadsItsCaptures) {
  auto& loop = this->loop;
  std::string seen;
  const std::string label = "a label long enough to live on the heap, not in the string";
  auto periodic = std::make_unique<typename TestFixture::Periodic>(
      loop, [&, label]() -> typename TestFixture::template Coroutine<void> {
        co_await TypeParam::sleep(25s);
        seen = label;
      }, 10s);
  periodic->start();
  loop.call_later(15s, [&] { periodic.reset(); });  // its first run is suspended
  loop.call_later(100s, [&] { loop.stop(); });

  run_with_watchdog(loop);

  EXPECT_EQ(seen, label);
  EXPECT_THAT(loop.reported.size(), 0u);
}

REGISTER_TYPED_TEST_SUITE_P(PeriodicCoroutines, PeriodicCoroNeverOverlapsItsRunsAndSkipsMissedSlots,
                            DestroyedWhileARunIsSuspendedTheRunStillReadsItsCaptures);

}  // namespace spec
