// The callbacks chapter's rules. Instantiated by every chapter from 4 on:
//   Callbacks               the queue's order and its place in a turn (every backend);
//   CallbacksAcrossThreads  add_callback from other threads (ThreadSanitizer runs it);
//   PeriodicCallbacks       the schedule, on the virtual clock (exact planned times).
// And from chapter 5 (the loop in trouble) on:
//   SignalCallbacksAcrossThreads  add_callback_from_signal, from a real signal handler;
//   BlockingWarning         the blocked-loop report, on the virtual clock.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <thread>

#include "common/fd.hpp"
#include "common/log.hpp"
#include "loop_harness.hpp"

namespace spec {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

template <class Env>
class Callbacks : public CountingLoopTest<Env> {};
TYPED_TEST_SUITE_P(Callbacks);

// ---------------------------------------------------------------- order within the loop

TYPED_TEST_P(Callbacks, RunOnTheNextTurnInTheOrderTheyWereAdded) {
  auto& loop = this->loop;
  std::vector<std::string> ran;
  loop.add_callback([&] { ran.push_back("first"); });
  loop.add_callback([&] { ran.push_back("second"); });
  loop.add_callback([&] {
    ran.push_back("third");
    loop.stop();
  });
  ran.push_back("added");  // nothing runs inside add_callback

  run_with_watchdog(loop);

  EXPECT_THAT(ran, ElementsAre("added", "first", "second", "third"));
}

TYPED_TEST_P(Callbacks, AddedByACallbackWaitForTheNextTurn) {
  auto& loop = this->loop;
  std::vector<std::pair<std::string, int>> ran;
  loop.add_callback([&] {
    ran.push_back({"outer", this->counts.polls.load()});
    loop.add_callback([&] {
      ran.push_back({"inner", this->counts.polls.load()});
      loop.stop();
    });
  });
  loop.add_callback([&] { ran.push_back({"sibling", this->counts.polls.load()}); });

  run_with_watchdog(loop);

  ASSERT_EQ(ran.size(), 3u);
  EXPECT_EQ(ran[0].first, "outer");
  EXPECT_EQ(ran[1].first, "sibling");  // the batch taken at the start of the turn comes first
  EXPECT_EQ(ran[1].second, ran[0].second);
  EXPECT_EQ(ran[2].first, "inner");
  EXPECT_GT(ran[2].second, ran[1].second);  // a poll came in between
}

TYPED_TEST_P(Callbacks, ASelfReaddingCallbackCannotStarveIOOrTimers) {
  auto& loop = this->loop;
  auto pair = common::make_socketpair();
  bool handler_ran = false;
  bool timer_ran = false;
  std::function<void()> again = [&] {
    loop.add_callback(again);
    if (handler_ran && timer_ran) loop.stop();
  };
  loop.add_callback(again);
  loop.add_handler(pair.first.get(), [&](int fd, unsigned) {
    handler_ran = true;
    loop.remove_handler(fd);
  }, TestFixture::Loop::WRITE);
  loop.call_later(2ms, [&] { timer_ran = true; });

  run_with_watchdog(loop);

  EXPECT_TRUE(handler_ran);
  EXPECT_TRUE(timer_ran);
}

TYPED_TEST_P(Callbacks, RunBeforeTheDueTimeoutsOfTheSameTurn) {
  auto& loop = this->loop;
  std::vector<std::string> ran;
  loop.call_at(loop.time() - 1ms, [&] {
    ran.push_back("timeout");
    loop.stop();
  });
  loop.add_callback([&] { ran.push_back("callback"); });

  run_with_watchdog(loop);

  EXPECT_THAT(ran, ElementsAre("callback", "timeout"));
}

TYPED_TEST_P(Callbacks, StopInACallbackLetsTheRestOfTheTurnRun) {
  auto& loop = this->loop;
  std::vector<std::string> ran;
  loop.call_at(loop.time() - 1ms, [&] { ran.push_back("due timeout"); });
  loop.add_callback([&] {
    ran.push_back("stopper");
    loop.stop();
  });
  loop.add_callback([&] { ran.push_back("same batch"); });

  run_with_watchdog(loop);

  EXPECT_THAT(ran, ElementsAre("stopper", "same batch", "due timeout"));
}

TYPED_TEST_P(Callbacks, ThePollDoesNotSleepWhileCallbacksWait) {
  auto& loop = this->loop;
  loop.call_later(1h, [] {});  // something to sleep for, if the loop wrongly did
  int turns = 0;
  std::function<void()> again = [&] {
    if (++turns == 3) loop.stop();
    else loop.add_callback(again);
  };
  loop.add_callback(again);

  run_with_watchdog(loop);

  EXPECT_THAT(this->counts.timeouts(),
              ElementsAre(std::chrono::nanoseconds(0), std::chrono::nanoseconds(0)));
}

TYPED_TEST_P(Callbacks, QueuedWhenTheLoopStopsTheyRunOnTheNextStart) {
  auto& loop = this->loop;
  std::vector<std::string> ran;
  loop.add_callback([&] {
    loop.stop();
    loop.add_callback([&] { ran.push_back("kept for the next run"); });
  });
  run_with_watchdog(loop);
  EXPECT_TRUE(ran.empty());

  loop.add_callback([&] { loop.stop(); });
  run_with_watchdog(loop);

  EXPECT_THAT(ran, ElementsAre("kept for the next run"));
}

TYPED_TEST_P(Callbacks, StopBeforeStartRunsNothingAndKeepsTheQueue) {
  auto& loop = this->loop;
  std::vector<std::string> ran;
  loop.add_callback([&] {
    ran.push_back("queued");
    loop.stop();
  });
  loop.stop();

  run_with_watchdog(loop);
  EXPECT_TRUE(ran.empty());
  run_with_watchdog(loop);

  EXPECT_THAT(ran, ElementsAre("queued"));
}

TYPED_TEST_P(Callbacks, SpawnCallbackIsAddCallback) {
  auto& loop = this->loop;
  std::vector<std::string> ran;
  loop.spawn_callback([&] { ran.push_back("spawned"); });
  loop.add_callback([&] {
    ran.push_back("added");
    loop.stop();
  });

  run_with_watchdog(loop);

  EXPECT_THAT(ran, ElementsAre("spawned", "added"));
}

// ---------------------------------------------------------------- errors and closing

TYPED_TEST_P(Callbacks, EveryKindOfExceptionIsReportedAndTheLoopGoesOn) {
  auto& loop = this->loop;
  auto pair = common::make_socketpair();
  const int fd = pair.first.get();
  loop.add_callback([] { throw std::runtime_error("from a callback"); });
  loop.call_later(0ms, [] { throw std::runtime_error("from a timeout"); });
  loop.add_handler(fd, [&](int, unsigned) {
    loop.remove_handler(fd);
    throw std::runtime_error("from a handler");
  }, TestFixture::Loop::WRITE);
  loop.call_later(5ms, [&] { loop.stop(); });

  run_with_watchdog(loop);

  ASSERT_EQ(loop.reported.size(), 3u);
  std::map<std::string, std::string> by_what;
  for (const auto& report : loop.reported) by_what[report.what] = report.where;
  EXPECT_THAT(by_what["from a callback"], StartsWith("callback "));
  EXPECT_THAT(by_what["from a timeout"], StartsWith("timeout callback "));
  EXPECT_EQ(by_what["from a handler"], "handler for fd " + std::to_string(fd));
}

TYPED_TEST_P(Callbacks, TheReportNamesTheCallablesType) {
  auto& loop = this->loop;
  struct NamedTask {
    void operator()() const { throw std::runtime_error("named"); }
  };
  loop.add_callback(NamedTask{});
  loop.add_callback([&] { loop.stop(); });

  run_with_watchdog(loop);

  ASSERT_EQ(loop.reported.size(), 1u);
  EXPECT_THAT(loop.reported[0].where, HasSubstr("NamedTask"));
}

TYPED_TEST_P(Callbacks, ALambdaInALambdaIsNamedByTheLambdasItIsInAndNothingElse) {
  auto& loop = this->loop;
  loop.add_callback([&] {
    loop.add_callback([] { throw std::runtime_error("nested"); });
    loop.add_callback([&] { loop.stop(); });
  });

  run_with_watchdog(loop);

  // As Python's __qualname__ says "f.<locals>.<lambda>": not the compiler's
  // "{lambda()#1}::operator()() const::{lambda()#1}", which names the body twice.
  ASSERT_EQ(loop.reported.size(), 1u);
  EXPECT_THAT(loop.reported[0].where, HasSubstr("TestBody::{lambda()#1}::{lambda()#1}"));
  EXPECT_THAT(loop.reported[0].where, Not(HasSubstr("operator()")));
}

TYPED_TEST_P(Callbacks, AddCallbackOnAClosedLoopIsDroppedAndReleased) {
  auto& loop = this->loop;
  loop.close();
  auto held = std::make_shared<int>(1);
  std::weak_ptr<int> watch = held;

  loop.add_callback([held = std::move(held)] {});

  EXPECT_TRUE(watch.expired());
}

TYPED_TEST_P(Callbacks, CloseDropsQueuedCallbacksAndClosesEveryDescriptorItOpened) {
  namespace fs = std::filesystem;
  auto count_fds = [] {
    return std::distance(fs::directory_iterator("/proc/self/fd"), fs::directory_iterator{});
  };
  const auto before = count_fds();
  auto loop = make_plain_loop<TypeParam>();
  EXPECT_GT(count_fds(), before);  // the poller's and the waker's descriptors, at least
  auto held = std::make_shared<int>(1);
  std::weak_ptr<int> watch = held;
  loop->add_callback([held = std::move(held)] {});

  loop->close(true);

  EXPECT_TRUE(watch.expired());
  EXPECT_EQ(count_fds(), before);
}

REGISTER_TYPED_TEST_SUITE_P(Callbacks, RunOnTheNextTurnInTheOrderTheyWereAdded,
                            AddedByACallbackWaitForTheNextTurn,
                            ASelfReaddingCallbackCannotStarveIOOrTimers,
                            RunBeforeTheDueTimeoutsOfTheSameTurn,
                            StopInACallbackLetsTheRestOfTheTurnRun,
                            ThePollDoesNotSleepWhileCallbacksWait,
                            QueuedWhenTheLoopStopsTheyRunOnTheNextStart,
                            StopBeforeStartRunsNothingAndKeepsTheQueue, SpawnCallbackIsAddCallback,
                            EveryKindOfExceptionIsReportedAndTheLoopGoesOn,
                            TheReportNamesTheCallablesType,
                            ALambdaInALambdaIsNamedByTheLambdasItIsInAndNothingElse,
                            AddCallbackOnAClosedLoopIsDroppedAndReleased,
                            CloseDropsQueuedCallbacksAndClosesEveryDescriptorItOpened);

// ================================================================= other threads, signals

template <class Env>
class CallbacksAcrossThreads : public LoopTest<Env> {};
TYPED_TEST_SUITE_P(CallbacksAcrossThreads);

TYPED_TEST_P(CallbacksAcrossThreads, AnotherThreadWakesASleepingLoop) {
  auto& loop = this->loop;
  std::thread::id ran_on;
  std::thread other([&] {
    std::this_thread::sleep_for(20ms);  // let the loop fall asleep in poll, with no deadline
    loop.add_callback([&] {
      ran_on = std::this_thread::get_id();
      loop.stop();
    });
  });

  run_with_watchdog(loop);
  other.join();

  EXPECT_EQ(ran_on, std::this_thread::get_id());  // on the loop's thread, not the caller's
}

TYPED_TEST_P(CallbacksAcrossThreads, ManyThreadsAtOnceEveryCallbackRunsExactlyOnceInOrder) {
  auto& loop = this->loop;
  constexpr int threads = 4;
  constexpr int per_thread = 5000;
  std::vector<std::vector<int>> received(threads);  // touched on the loop's thread only
  int total = 0;
  std::vector<std::thread> senders;
  for (int t = 0; t < threads; ++t) {
    senders.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        loop.add_callback([&, t, i] {
          received[static_cast<std::size_t>(t)].push_back(i);
          if (++total == threads * per_thread) loop.stop();
        });
      }
    });
  }

  run_with_watchdog(loop, 20s);
  for (auto& sender : senders) sender.join();

  std::vector<int> expected(per_thread);
  for (int i = 0; i < per_thread; ++i) expected[static_cast<std::size_t>(i)] = i;
  for (const auto& from_one_thread : received) EXPECT_EQ(from_one_thread, expected);
}

TYPED_TEST_P(CallbacksAcrossThreads, CallsBeforeTheLoopWakesCostOneWakeUp) {
  auto& loop = this->loop;
  int ran = 0;
  std::thread other([&] {
    for (int i = 0; i < 100; ++i) loop.add_callback([&] { ++ran; });
  });
  other.join();
  EXPECT_EQ(loop.wakeups(), 1u);  // the loop never woke in between: one write for 100 calls

  loop.add_callback([&] { loop.stop(); });
  run_with_watchdog(loop);

  EXPECT_EQ(ran, 100);
}

TYPED_TEST_P(CallbacksAcrossThreads, TheLoopsOwnThreadNeverWakesIt) {
  auto& loop = this->loop;
  int ran = 0;
  loop.add_callback([&] {  // before start: any thread counts as foreign, as in Tornado
    for (int i = 0; i < 10; ++i) loop.add_callback([&] { ++ran; });
    loop.add_callback([&] { loop.stop(); });
  });
  const auto before = loop.wakeups();

  run_with_watchdog(loop);

  EXPECT_EQ(ran, 10);
  EXPECT_EQ(loop.wakeups(), before);
}

REGISTER_TYPED_TEST_SUITE_P(CallbacksAcrossThreads, AnotherThreadWakesASleepingLoop,
                            ManyThreadsAtOnceEveryCallbackRunsExactlyOnceInOrder,
                            CallsBeforeTheLoopWakesCostOneWakeUp, TheLoopsOwnThreadNeverWakesIt);

// ================================================================= signals (chapter 5 on)

template <class Env>
class SignalCallbacksAcrossThreads : public LoopTest<Env> {};
TYPED_TEST_SUITE_P(SignalCallbacksAcrossThreads);

// Signal handlers cannot capture: the loop under test is published here for one test.
inline std::atomic<void*> signal_target{nullptr};

TYPED_TEST_P(SignalCallbacksAcrossThreads, AddCallbackFromSignalWorksInsideARealSignalHandler) {
  using Loop = typename TestFixture::Loop;
  auto& loop = this->loop;
  struct Outcome {
    Loop* loop;
    std::thread::id ran_on;
    int signo_seen = 0;
  } outcome{&loop, {}, 0};
  signal_target = &outcome;
  struct sigaction action {};
  struct sigaction previous {};
  action.sa_handler = [](int signo) {
    auto* target = static_cast<Outcome*>(signal_target.load());
    target->signo_seen = signo;  // only this handler writes it, before the callback runs
    target->loop->add_callback_from_signal(
        [](void* arg) {
          auto* o = static_cast<Outcome*>(arg);
          o->ran_on = std::this_thread::get_id();
          o->loop->stop();
        },
        target);
  };
  sigemptyset(&action.sa_mask);
  ASSERT_EQ(::sigaction(SIGUSR2, &action, &previous), 0);
  std::thread sender([] {
    std::this_thread::sleep_for(20ms);  // the loop is asleep in poll by now
    ::kill(::getpid(), SIGUSR2);        // to the process: any thread may take it
  });

  run_with_watchdog(loop);
  sender.join();
  ::sigaction(SIGUSR2, &previous, nullptr);
  signal_target = nullptr;

  EXPECT_EQ(outcome.signo_seen, SIGUSR2);
  EXPECT_EQ(outcome.ran_on, std::this_thread::get_id());
}

TYPED_TEST_P(SignalCallbacksAcrossThreads, SignalSlotsRunInOrderAndRefuseWhenFull) {
  using Loop = typename TestFixture::Loop;
  auto& loop = this->loop;
  static std::vector<std::intptr_t> ran;
  ran.clear();
  std::size_t accepted = 0;
  for (std::intptr_t i = 0; i < static_cast<std::intptr_t>(Loop::signal_slots) + 10; ++i) {
    if (loop.add_callback_from_signal([](void* arg) { ran.push_back(reinterpret_cast<std::intptr_t>(arg)); },
                                      reinterpret_cast<void*>(i))) {
      ++accepted;
    }
  }
  loop.add_callback([&] { loop.stop(); });

  run_with_watchdog(loop);

  EXPECT_EQ(accepted, Loop::signal_slots);
  ASSERT_EQ(ran.size(), Loop::signal_slots);
  for (std::size_t i = 0; i < ran.size(); ++i) EXPECT_EQ(ran[i], static_cast<std::intptr_t>(i));
  // Once taken, the slots are free again.
  EXPECT_TRUE(loop.add_callback_from_signal([](void*) {}, nullptr));
}

REGISTER_TYPED_TEST_SUITE_P(SignalCallbacksAcrossThreads,
                            AddCallbackFromSignalWorksInsideARealSignalHandler,
                            SignalSlotsRunInOrderAndRefuseWhenFull);

// ================================================================= PeriodicCallback

template <class Env>
class PeriodicCallbacks : public VirtualLoopTest<Env> {
 protected:
  using Periodic = typename Env::PeriodicCallback;
};
TYPED_TEST_SUITE_P(PeriodicCallbacks);

TYPED_TEST_P(PeriodicCallbacks, RunsEveryIntervalStartingOneIntervalAfterStart) {
  auto& loop = this->loop;
  std::vector<long> calls;
  typename TestFixture::Periodic periodic(loop, [&] {
    calls.push_back(this->seconds_now());
    if (calls.size() == 5) loop.stop();
  }, 10s);
  periodic.start();

  run_with_watchdog(loop);

  EXPECT_THAT(calls, ElementsAre(1010, 1020, 1030, 1040, 1050));
}

TYPED_TEST_P(PeriodicCallbacks, SlowRunsSkipMissedSlotsInsteadOfBursting) {
  // Tornado's test_overrun: each call "takes" this long, so some slots are missed.
  auto& loop = this->loop;
  const std::vector<int> takes = {9, 9, 10, 11, 20, 20, 35, 35, 0, 0, 0};
  std::vector<long> calls;
  typename TestFixture::Periodic periodic(loop, [&] {
    calls.push_back(this->seconds_now());
    this->clock->advance(std::chrono::seconds(takes[calls.size() - 1]));
    if (calls.size() == takes.size()) loop.stop();
  }, 10s);
  periodic.start();

  run_with_watchdog(loop);

  EXPECT_THAT(calls, ElementsAre(1010, 1020, 1030, 1050, 1070, 1100, 1130, 1170, 1210, 1220, 1230));
}

TYPED_TEST_P(PeriodicCallbacks, StopFromInsideItsOwnCallbackEndsIt) {
  auto& loop = this->loop;
  int calls = 0;
  typename TestFixture::Periodic* self = nullptr;
  typename TestFixture::Periodic periodic(loop, [&] {
    if (++calls == 2) self->stop();
  }, 10s);
  self = &periodic;
  periodic.start();
  loop.call_later(100s, [&] { loop.stop(); });

  run_with_watchdog(loop);

  EXPECT_EQ(calls, 2);
  EXPECT_FALSE(periodic.is_running());
}

TYPED_TEST_P(PeriodicCallbacks, AnExceptionIsReportedAndTheScheduleGoesOn) {
  auto& loop = this->loop;
  int calls = 0;
  typename TestFixture::Periodic periodic(loop, [&] {
    if (++calls == 3) loop.stop();
    throw std::runtime_error("tick failed");
  }, 10s);
  periodic.start();

  run_with_watchdog(loop);

  EXPECT_EQ(calls, 3);
  ASSERT_EQ(loop.reported.size(), 3u);
  EXPECT_THAT(loop.reported[0].where, StartsWith("periodic callback "));
  EXPECT_EQ(loop.reported[0].what, "tick failed");
}

TYPED_TEST_P(PeriodicCallbacks, StartStopAndIsRunning) {
  auto& loop = this->loop;
  int calls = 0;
  typename TestFixture::Periodic periodic(loop, [&] { ++calls; }, 10s);
  EXPECT_FALSE(periodic.is_running());
  periodic.start();
  periodic.start();  // already running: no second schedule
  EXPECT_TRUE(periodic.is_running());
  loop.call_later(25s, [&] { loop.stop(); });

  run_with_watchdog(loop);
  periodic.stop();

  EXPECT_EQ(calls, 2);  // at 1010 and 1020, once each
  EXPECT_FALSE(periodic.is_running());
  EXPECT_EQ(loop.timer_stats().scheduled, 0u);
}

TYPED_TEST_P(PeriodicCallbacks, DestroyingItStopsIt) {
  auto& loop = this->loop;
  int calls = 0;
  {
    typename TestFixture::Periodic periodic(loop, [&] { ++calls; }, 10s);
    periodic.start();
  }
  loop.call_later(25s, [&] { loop.stop(); });

  run_with_watchdog(loop);

  EXPECT_EQ(calls, 0);
}

TYPED_TEST_P(PeriodicCallbacks, AnIntervalOfZeroOrLessIsAnError) {
  using Periodic = typename TestFixture::Periodic;
  auto& loop = this->loop;
  expect_error<std::invalid_argument>([&] { Periodic bad(loop, [] {}, 0s); }, {"interval", "positive"});
  expect_error<std::invalid_argument>([&] { Periodic bad(loop, [] {}, -1s); }, {"interval", "positive"});
}

REGISTER_TYPED_TEST_SUITE_P(PeriodicCallbacks, RunsEveryIntervalStartingOneIntervalAfterStart,
                            SlowRunsSkipMissedSlotsInsteadOfBursting,
                            StopFromInsideItsOwnCallbackEndsIt,
                            AnExceptionIsReportedAndTheScheduleGoesOn, StartStopAndIsRunning,
                            DestroyingItStopsIt, AnIntervalOfZeroOrLessIsAnError);

// ================================================================= the blocked-loop warning

template <class Env>
class BlockingWarning : public VirtualLoopTest<Env> {};
TYPED_TEST_SUITE_P(BlockingWarning);

TYPED_TEST_P(BlockingWarning, ReportsAnythingThatRunsLongerThanTheThreshold) {
  auto& loop = this->loop;
  auto& clock = *this->clock;
  auto pair = common::make_socketpair();
  common::CapturedLog log;
  loop.set_blocking_log_threshold(50ms);
  loop.add_callback([&] { clock.advance(120ms); });     // too slow
  loop.add_callback([&] { clock.advance(10ms); });      // fine
  loop.call_later(1s, [&] { clock.advance(51ms); });    // too slow
  loop.add_handler(pair.first.get(), [&](int fd, unsigned) {
    loop.remove_handler(fd);
    clock.advance(300ms);                               // too slow
  }, TestFixture::Loop::WRITE);
  loop.call_later(2s, [&] { loop.stop(); });

  run_with_watchdog(loop);

  const auto warnings = log.messages(common::LogLevel::warning);
  ASSERT_EQ(warnings.size(), 3u);
  EXPECT_THAT(warnings[0], AllOf(HasSubstr("blocked for 120 ms"), HasSubstr("in callback ")));
  EXPECT_THAT(warnings[1], AllOf(HasSubstr("blocked for 300 ms"),
                                 HasSubstr("in handler for fd " + std::to_string(pair.first.get()))));
  EXPECT_THAT(warnings[2], AllOf(HasSubstr("blocked for 51 ms"), HasSubstr("in timeout callback ")));
}

TYPED_TEST_P(BlockingWarning, IsOffUntilSetAndCanBeTurnedOff) {
  auto& loop = this->loop;
  auto& clock = *this->clock;
  common::CapturedLog log;
  loop.add_callback([&] { clock.advance(1h); });
  loop.add_callback([&] {
    loop.set_blocking_log_threshold(1ms);
    loop.set_blocking_log_threshold(std::nullopt);
    loop.add_callback([&] {
      clock.advance(1h);
      loop.stop();
    });
  });

  run_with_watchdog(loop);

  EXPECT_TRUE(log.messages(common::LogLevel::warning).empty());
}

REGISTER_TYPED_TEST_SUITE_P(BlockingWarning, ReportsAnythingThatRunsLongerThanTheThreshold,
                            IsOffUntilSetAndCanBeTurnedOff);

}  // namespace spec
