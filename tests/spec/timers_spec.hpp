// Chapter 3's rules for timeouts. Instantiated by every chapter from 3 on:
//   Timers        on every backend, with the steady clock and with the virtual clock;
//   VirtualTime   rules that need exact timestamps (an hour-long timer runs in microseconds);
//   TimerHeap     the heap's bookkeeping: cancelled entries do not pile up.
// An environment for these also names its clocks: `Env::virtual_time`, and the chapter's
// `Env::VirtualClock`, whose loops are built as Loop(poller, clock).
#pragma once

#include <algorithm>
#include <functional>
#include <random>
#include <thread>
#include <tuple>

#include "common/fd.hpp"
#include "loop_harness.hpp"

namespace spec {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

template <class Env>
class Timers : public CountingLoopTest<Env> {};
TYPED_TEST_SUITE_P(Timers);

// ---------------------------------------------------------------- order

TYPED_TEST_P(Timers, CallLaterRunsTheCallbackOnceAfterItsDelay) {
  auto& loop = this->loop;
  const auto scheduled_at = loop.time();
  std::vector<bool> late_enough;
  loop.call_later(5ms, [&] {
    late_enough.push_back(loop.time() - scheduled_at >= 5ms);
    loop.stop();
  });

  run_with_watchdog(loop);

  EXPECT_THAT(late_enough, ElementsAre(true));
}

TYPED_TEST_P(Timers, EqualDeadlinesRunInSchedulingOrder) {
  auto& loop = this->loop;
  std::vector<std::string> ran;
  const auto when = loop.time() + 5ms;
  loop.call_at(when, [&] { ran.push_back("first"); });
  loop.call_at(when, [&] { ran.push_back("second"); });
  loop.call_at(when, [&] { ran.push_back("third"); });
  loop.call_at(when, [&] { loop.stop(); });

  run_with_watchdog(loop);

  EXPECT_THAT(ran, ElementsAre("first", "second", "third"));
}

TYPED_TEST_P(Timers, EarlierDeadlinesRunFirstWhateverTheSchedulingOrder) {
  auto& loop = this->loop;
  std::vector<int> ran;
  const auto base = loop.time();
  for (int ms : {30, 10, 20, 5, 25, 15}) {
    loop.call_at(base + std::chrono::milliseconds(ms), [&ran, ms] { ran.push_back(ms); });
  }
  loop.call_at(base + 31ms, [&] { loop.stop(); });

  run_with_watchdog(loop);

  EXPECT_THAT(ran, ElementsAre(5, 10, 15, 20, 25, 30));
}

TYPED_TEST_P(Timers, DeadlineInThePastRunsOnTheNextTurn) {
  auto& loop = this->loop;
  std::vector<std::string> ran;
  loop.call_at(loop.time() - 1h, [&] {
    ran.push_back("an hour late");
    loop.stop();
  });

  run_with_watchdog(loop);

  EXPECT_THAT(ran, ElementsAre("an hour late"));
}

TYPED_TEST_P(Timers, AddTimeoutTakesADeadlineOrADelay) {
  auto& loop = this->loop;
  std::vector<std::string> ran;
  const auto base = loop.time();
  loop.add_timeout(base + 10ms, [&] { ran.push_back("deadline"); });
  loop.add_timeout(std::chrono::milliseconds(5), [&] { ran.push_back("delay"); });
  loop.add_timeout(base + 15ms, [&] { loop.stop(); });

  run_with_watchdog(loop);

  EXPECT_THAT(ran, ElementsAre("delay", "deadline"));
}

TYPED_TEST_P(Timers, ExtremeDelaysSaturateInsteadOfOverflowing) {
  using duration = typename TestFixture::Loop::duration;
  auto& loop = this->loop;
  std::vector<std::string> ran;
  loop.call_later(duration::max(), [&] { ran.push_back("never"); });
  loop.call_later(duration::min(), [&] {
    ran.push_back("long ago, so now");
    loop.stop();
  });

  run_with_watchdog(loop);  // UBSan would flag an overflowing time_point here

  EXPECT_THAT(ran, ElementsAre("long ago, so now"));
}

TYPED_TEST_P(Timers, DueTimeoutsAreChosenBeforeAnyRuns) {
  auto& loop = this->loop;
  // "now" scheduled from inside a due timeout is due, but was not chosen this turn: it runs
  // after a poll, never in the same batch.
  struct Ran {
    std::string who;
    int polls;
  };
  std::vector<Ran> ran;
  loop.call_at(loop.time(), [&] {
    ran.push_back({"first", this->counts.polls.load()});
    loop.call_at(loop.time(), [&] {
      ran.push_back({"scheduled for now", this->counts.polls.load()});
      loop.stop();
    });
  });

  run_with_watchdog(loop);

  ASSERT_EQ(ran.size(), 2u);
  EXPECT_GT(ran[1].polls, ran[0].polls);
}

TYPED_TEST_P(Timers, TimeoutThatReschedulesItselfForNowCannotStarveIO) {
  auto& loop = this->loop;
  auto pair = common::make_socketpair();
  int ticks = 0;
  std::function<void()> again = [&] {
    ++ticks;
    loop.call_at(loop.time(), again);
  };
  loop.call_at(loop.time(), again);
  loop.add_handler(pair.first.get(), [&](int, unsigned) { loop.stop(); }, TestFixture::Loop::WRITE);

  run_with_watchdog(loop);

  EXPECT_GE(ticks, 1);
}

TYPED_TEST_P(Timers, DueTimeoutsRunBeforeReadyHandlersOfTheSameTurn) {
  auto& loop = this->loop;
  auto pair = common::make_socketpair();
  std::vector<std::string> ran;
  loop.call_at(loop.time() - 1ms, [&] { ran.push_back("timeout"); });
  loop.add_handler(pair.first.get(), [&](int, unsigned) {
    ran.push_back("handler");
    loop.stop();
  }, TestFixture::Loop::WRITE);

  run_with_watchdog(loop);

  // Tornado 4.5's order; asyncio (Tornado 6) runs the I/O callback first.
  EXPECT_THAT(ran, ElementsAre("timeout", "handler"));
}

// ---------------------------------------------------------------- removal

TYPED_TEST_P(Timers, RemovedTimeoutDoesNotRun) {
  auto& loop = this->loop;
  std::vector<std::string> ran;
  auto doomed = loop.call_later(1ms, [&] { ran.push_back("removed"); });
  loop.call_later(5ms, [&] {
    ran.push_back("kept");
    loop.stop();
  });
  loop.remove_timeout(doomed);

  run_with_watchdog(loop);

  EXPECT_THAT(ran, ElementsAre("kept"));
}

TYPED_TEST_P(Timers, RemovedByAnotherTimeoutDueInTheSameTurnDoesNotRun) {
  auto& loop = this->loop;
  std::vector<std::string> ran;
  const auto when = loop.time() + 5ms;
  typename TestFixture::Loop::Timeout second;
  loop.call_at(when, [&] {
    ran.push_back("first");
    loop.remove_timeout(second);
    // May take over the removed one's storage; must still wait its hour.
    loop.call_later(1h, [&] { ran.push_back("an hour later"); });
  });
  second = loop.call_at(when, [&] { ran.push_back("second"); });
  loop.call_at(when, [&] {
    ran.push_back("third");
    loop.stop();
  });

  run_with_watchdog(loop);

  EXPECT_THAT(ran, ElementsAre("first", "third"));
  EXPECT_TRUE(loop.reported.empty());
}

TYPED_TEST_P(Timers, RemovingAfterItRanOrTwiceIsHarmless) {
  auto& loop = this->loop;
  int runs = 0;
  auto once = loop.call_later(1ms, [&] {
    ++runs;
    loop.stop();
  });
  run_with_watchdog(loop);

  loop.remove_timeout(once);
  loop.remove_timeout(once);
  loop.remove_timeout({});  // a null handle too

  EXPECT_EQ(runs, 1);
  EXPECT_EQ(loop.timer_stats().scheduled, 0u);
  EXPECT_EQ(loop.timer_stats().cancelled, 0u);
}

TYPED_TEST_P(Timers, AStaleHandleDoesNotCancelANewerTimeout) {
  auto& loop = this->loop;
  std::vector<std::string> ran;
  auto old = loop.call_later(1ms, [&] {
    ran.push_back("old");
    loop.stop();
  });
  run_with_watchdog(loop);
  // The new timeout may reuse the old one's storage; the old handle must not reach it.
  loop.call_later(1ms, [&] {
    ran.push_back("new");
    loop.stop();
  });

  loop.remove_timeout(old);
  run_with_watchdog(loop);

  EXPECT_THAT(ran, ElementsAre("old", "new"));
}

TYPED_TEST_P(Timers, RemovingReleasesWhatTheCallbackHeldAtOnce) {
  auto& loop = this->loop;
  auto held = std::make_shared<int>(42);
  std::weak_ptr<int> watch = held;
  auto timeout = loop.call_later(1h, [held = std::move(held)] {});

  loop.remove_timeout(timeout);

  EXPECT_TRUE(watch.expired());
}

TYPED_TEST_P(Timers, ManyCancelledAmongManyLiveKeepTheirOrder) {
  auto& loop = this->loop;
  // Tornado's own check, bigger: cancel thousands (enough to force a rebuild of the heap)
  // and the survivors still run exactly in (deadline, scheduling) order.
  std::mt19937 random(7);
  const auto base = loop.time();
  std::vector<typename TestFixture::Loop::Timeout> handles;
  std::vector<std::tuple<typename TestFixture::Loop::time_point, int>> ran;
  for (int i = 0; i < 3000; ++i) {
    const auto when = base + std::chrono::microseconds(random() % 20000);
    handles.push_back(loop.call_at(when, [&ran, when, i] { ran.emplace_back(when, i); }));
  }
  for (std::size_t i = 0; i < handles.size(); ++i) {
    if (i % 3 != 0) loop.remove_timeout(handles[i]);
  }
  loop.call_at(base + 25ms, [&] { loop.stop(); });

  run_with_watchdog(loop);

  ASSERT_EQ(ran.size(), 1000u);
  for (const auto& [when, i] : ran) EXPECT_EQ(i % 3, 0) << i << " was removed but ran";
  EXPECT_TRUE(std::is_sorted(ran.begin(), ran.end()));
  EXPECT_GE(loop.timer_stats().compactions, 1u);
}

// ---------------------------------------------------------------- errors, the poll timeout

TYPED_TEST_P(Timers, ExceptionInATimeoutIsReportedAndTheLoopGoesOn) {
  auto& loop = this->loop;
  std::vector<std::string> ran;
  loop.call_later(1ms, [] { throw std::runtime_error("timer went bang"); });
  loop.call_later(5ms, [&] {
    ran.push_back("later timeout");
    loop.stop();
  });

  run_with_watchdog(loop);

  EXPECT_THAT(ran, ElementsAre("later timeout"));
  ASSERT_EQ(loop.reported.size(), 1u);
  EXPECT_THAT(loop.reported[0].where, ::testing::StartsWith("timeout callback"));
  EXPECT_EQ(loop.reported[0].what, "timer went bang");
}

TYPED_TEST_P(Timers, EmptyCallbackOrClosedLoopIsRefused) {
  auto& loop = this->loop;
  expect_error<std::invalid_argument>([&] { loop.call_later(1ms, nullptr); }, {"empty"});
  loop.close();
  expect_error<std::logic_error>([&] { loop.call_later(1ms, [] {}); }, {"closed"});
}

TYPED_TEST_P(Timers, WithNoTimersThePollBlocksWithoutATimeout) {
  auto& loop = this->loop;
  auto pipe = common::make_pipe();
  loop.add_handler(pipe.read_end.get(), [&](int, unsigned) { loop.stop(); },
                   TestFixture::Loop::READ);
  std::thread writer([&] {
    std::this_thread::sleep_for(20ms);
    common::write_all(pipe.write_end.get(), "x");
  });

  run_with_watchdog(loop);
  writer.join();

  // One blocking poll, woken by the fd: no spinning while idle.
  EXPECT_EQ(this->counts.polls.load(), 1);
  EXPECT_THAT(this->counts.timeouts(), ElementsAre(std::nullopt));
}

TYPED_TEST_P(Timers, ThePollSleepsUntilTheNearestDeadlineNotLonger) {
  auto& loop = this->loop;
  const auto base = loop.time();
  loop.call_at(base + 1h, [] {});
  loop.call_at(base + 20ms, [&] { loop.stop(); });

  run_with_watchdog(loop);

  // A real clock sleeps at most until the 20 ms deadline; a virtual one never sleeps.
  const auto timeouts = this->counts.timeouts();
  ASSERT_FALSE(timeouts.empty());
  for (const auto& timeout : timeouts) {
    ASSERT_TRUE(timeout.has_value());
    EXPECT_GE(*timeout, std::chrono::nanoseconds::zero());
    EXPECT_LE(*timeout, 20ms);
    if (TypeParam::virtual_time) {
      EXPECT_EQ(*timeout, std::chrono::nanoseconds::zero());
    }
  }
  EXPECT_LE(timeouts.size(), 3u) << "the loop woke up more often than the deadline needs";
}

REGISTER_TYPED_TEST_SUITE_P(Timers, CallLaterRunsTheCallbackOnceAfterItsDelay,
                            EqualDeadlinesRunInSchedulingOrder,
                            EarlierDeadlinesRunFirstWhateverTheSchedulingOrder,
                            DeadlineInThePastRunsOnTheNextTurn, AddTimeoutTakesADeadlineOrADelay,
                            ExtremeDelaysSaturateInsteadOfOverflowing,
                            DueTimeoutsAreChosenBeforeAnyRuns,
                            TimeoutThatReschedulesItselfForNowCannotStarveIO,
                            DueTimeoutsRunBeforeReadyHandlersOfTheSameTurn, RemovedTimeoutDoesNotRun,
                            RemovedByAnotherTimeoutDueInTheSameTurnDoesNotRun,
                            RemovingAfterItRanOrTwiceIsHarmless,
                            AStaleHandleDoesNotCancelANewerTimeout,
                            RemovingReleasesWhatTheCallbackHeldAtOnce,
                            ManyCancelledAmongManyLiveKeepTheirOrder,
                            ExceptionInATimeoutIsReportedAndTheLoopGoesOn,
                            EmptyCallbackOrClosedLoopIsRefused,
                            WithNoTimersThePollBlocksWithoutATimeout,
                            ThePollSleepsUntilTheNearestDeadlineNotLonger);

// ================================================================= virtual time

template <class Env>
class VirtualTime : public VirtualLoopTest<Env> {};
TYPED_TEST_SUITE_P(VirtualTime);

TYPED_TEST_P(VirtualTime, AnHourLongTimerFiresAtExactlyOneHourWithoutWaitingForIt) {
  auto& loop = this->loop;
  const auto start = loop.time();
  std::vector<std::chrono::nanoseconds> fired_at;
  loop.call_later(1h, [&] {
    fired_at.push_back(loop.time() - start);
    loop.stop();
  });

  run_with_watchdog(loop, 5s);  // an hour of timers in far less than the watchdog's 5 s

  EXPECT_THAT(fired_at, ElementsAre(std::chrono::nanoseconds(1h)));
}

TYPED_TEST_P(VirtualTime, EachTimeoutSeesItsOwnDeadlineAsTheTime) {
  auto& loop = this->loop;
  const auto start = loop.time();
  std::vector<std::chrono::milliseconds> seen;
  for (int ms : {250, 10, 1000, 10}) {
    loop.call_later(std::chrono::milliseconds(ms), [&] {
      seen.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(loop.time() - start));
    });
  }
  loop.call_later(2s, [&] { loop.stop(); });

  run_with_watchdog(loop);

  EXPECT_THAT(seen, ElementsAre(10ms, 10ms, 250ms, 1000ms));
}

TYPED_TEST_P(VirtualTime, ReadyFdsRunFirstAndTimeJumpsOnlyWhenNothingIsReady) {
  auto& loop = this->loop;
  auto pair = common::make_socketpair();
  const auto start = loop.time();
  std::vector<std::pair<std::string, std::chrono::nanoseconds>> ran;
  int writable = 0;
  loop.add_handler(pair.first.get(), [&](int fd, unsigned) {
    ran.push_back({"fd", loop.time() - start});
    if (++writable == 2) loop.remove_handler(fd);  // then only the timer is left
  }, TestFixture::Loop::WRITE);
  loop.call_later(1h, [&] {
    ran.push_back({"timer", loop.time() - start});
    loop.stop();
  });

  run_with_watchdog(loop);

  EXPECT_THAT(ran, ElementsAre(std::pair{std::string("fd"), std::chrono::nanoseconds(0)},
                               std::pair{std::string("fd"), std::chrono::nanoseconds(0)},
                               std::pair{std::string("timer"), std::chrono::nanoseconds(1h)}));
}

TYPED_TEST_P(VirtualTime, ClockMovedByHandDecidesWhatIsDue) {
  auto& loop = this->loop;
  std::vector<std::string> ran;
  loop.call_later(10s, [&] { ran.push_back("10 s"); });
  loop.call_later(20s, [&] { ran.push_back("20 s"); });
  this->clock->advance(15s);
  loop.call_later(0s, [&] { loop.stop(); });

  run_with_watchdog(loop);

  EXPECT_THAT(ran, ElementsAre("10 s"));  // the 20 s one is still 5 s away
  expect_error<std::invalid_argument>([&] { this->clock->advance(-1s); }, {"negative"});
}

TYPED_TEST_P(VirtualTime, TheLoopReadsTimeOnlyFromItsClock) {
  auto& loop = this->loop;
  const auto then = loop.time() + 42min;

  this->clock->set(then);

  EXPECT_EQ(loop.time(), then);
}

REGISTER_TYPED_TEST_SUITE_P(VirtualTime, AnHourLongTimerFiresAtExactlyOneHourWithoutWaitingForIt,
                            EachTimeoutSeesItsOwnDeadlineAsTheTime,
                            ReadyFdsRunFirstAndTimeJumpsOnlyWhenNothingIsReady,
                            ClockMovedByHandDecidesWhatIsDue,
                            TheLoopReadsTimeOnlyFromItsClock);

// ================================================================= the heap's bookkeeping

template <class Env>
class TimerHeap : public LoopTest<Env> {};
TYPED_TEST_SUITE_P(TimerHeap);

TYPED_TEST_P(TimerHeap, AMillionScheduleAndCancelCyclesLeaveTheHeapSmall) {
  auto& loop = this->loop;
  std::size_t largest = 0;
  for (int i = 0; i < 1'000'000; ++i) {
    loop.remove_timeout(loop.call_later(1h, [] {}));
    largest = std::max(largest, loop.timer_stats().heap_size);
  }

  const auto stats = loop.timer_stats();
  EXPECT_EQ(stats.scheduled, 0u);
  // Rebuilt whenever more than 512 entries, and more than half, are cancelled.
  EXPECT_LE(largest, 513u);
  EXPECT_GE(stats.compactions, 1'000'000u / 513u);
}

TYPED_TEST_P(TimerHeap, AMillionLiveTimeoutsAreScheduledAndAllFire) {
  // Growing the heap must cost amortised O(log n) per timeout (a reserve of "one more" once
  // made it O(n), and this took minutes); the watchdog below allows seconds.
  auto& loop = this->loop;
  constexpr int count = 1'000'000;
  int fired = 0;
  const auto base = loop.time();
  common::testing::with_watchdog(20s, [&] {
    for (int i = 0; i < count; ++i) {
      loop.call_at(base + std::chrono::microseconds((std::int64_t{i} * 7919) % 1'000'000), [&fired] { ++fired; });
    }
  });
  EXPECT_EQ(loop.timer_stats().scheduled, static_cast<std::size_t>(count));
  loop.call_at(base + 2s, [&] { loop.stop(); });

  run_with_watchdog(loop, 20s);

  EXPECT_EQ(fired, count);
}

TYPED_TEST_P(TimerHeap, CancelledEntriesAreDroppedWhenTheyReachTheTop) {
  auto& loop = this->loop;
  const auto base = loop.time();
  auto a = loop.call_at(base - 2ms, [] {});
  auto b = loop.call_at(base - 1ms, [] {});
  loop.call_at(base, [&] { loop.stop(); });
  loop.remove_timeout(a);
  loop.remove_timeout(b);
  EXPECT_EQ(loop.timer_stats().heap_size, 3u);
  EXPECT_EQ(loop.timer_stats().cancelled, 2u);

  run_with_watchdog(loop);

  EXPECT_EQ(loop.timer_stats().heap_size, 0u);
  EXPECT_EQ(loop.timer_stats().cancelled, 0u);
  EXPECT_EQ(loop.timer_stats().compactions, 0u);
}

TYPED_TEST_P(TimerHeap, FiringCanLeaveTheHeapMostlyDeadSoItIsCheckedThenToo) {
  auto& loop = this->loop;
  const auto now = loop.time();
  for (int i = 0; i < 1000; ++i) loop.call_at(now - 1ms, [] {});  // due at once
  loop.call_at(now + 30min, [] {});  // live, and ahead of the tombstones: they cannot surface
  for (int i = 0; i < 600; ++i) loop.remove_timeout(loop.call_at(now + 1h, [] {}));
  // 600 tombstones of 1601 entries: not yet "most of the heap".
  EXPECT_EQ(loop.timer_stats().heap_size, 1601u);
  loop.call_at(now, [&] { loop.stop(); });

  run_with_watchdog(loop);  // 1001 fire: now 600 of 601 are dead

  EXPECT_EQ(loop.timer_stats().heap_size, 1u);
  EXPECT_EQ(loop.timer_stats().compactions, 1u);
}

TYPED_TEST_P(TimerHeap, CloseDropsTimeoutsUnrunAndReleasesTheirCallbacks) {
  auto& loop = this->loop;
  auto held = std::make_shared<int>(1);
  std::weak_ptr<int> watch = held;
  loop.call_later(1h, [held = std::move(held)] {});

  loop.close();

  EXPECT_TRUE(watch.expired());
  EXPECT_EQ(loop.timer_stats().scheduled, 0u);
}

REGISTER_TYPED_TEST_SUITE_P(TimerHeap, AMillionScheduleAndCancelCyclesLeaveTheHeapSmall,
                            AMillionLiveTimeoutsAreScheduledAndAllFire,
                            CancelledEntriesAreDroppedWhenTheyReachTheTop,
                            FiringCanLeaveTheHeapMostlyDeadSoItIsCheckedThenToo,
                            CloseDropsTimeoutsUnrunAndReleasesTheirCallbacks);

}  // namespace spec
