// Behaviour spec: the trace (trace.hpp, chapters 2 to 9). It must say what the loop did,
// so the specs read what it records and hold it to what the notes claim: the turn's phases,
// the sleep asked for, tombstones, a callback's turn, coalesced wakes.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <thread>
#include <typeinfo>
#include <vector>

#include "common/fd.hpp"
#include "common/log.hpp"
#include "loop_harness.hpp"

namespace spec {

/// A tracer that keeps every event, for a spec to read.
template <class Env>
struct TraceRecorder final : Env::Tracer {
  using Event = typename Env::TraceEvent;
  std::vector<Event> events;
  void record(const Event& event) override { events.push_back(event); }

  std::vector<Event> all(typename Event::What what) const {
    std::vector<Event> found;
    std::copy_if(events.begin(), events.end(), std::back_inserter(found),
                 [what](const Event& e) { return e.what == what; });
    return found;
  }
  /// The turn in which the callable of type `type` ran (0 if it never did).
  std::uint64_t turn_of(const std::type_info& type) const {
    for (const Event& e : events) {
      if (e.what == Event::What::run && e.callable != nullptr && *e.callable == type) return e.turn;
    }
    return 0;
  }
};

template <class Env, template <class> class Base = LoopTest>
class TracedLoop : public Base<Env> {
 protected:
  using What = typename Env::TraceEvent::What;
  TracedLoop() { this->loop.set_tracer(recorder); }
  std::shared_ptr<TraceRecorder<Env>> recorder = std::make_shared<TraceRecorder<Env>>();
};

// ---------------------------------------------------------------- chapter 2: turns and polls

template <class Env>
class Trace : public TracedLoop<Env> {};
TYPED_TEST_SUITE_P(Trace);

TYPED_TEST_P(Trace, ATurnSaysWhatItPolledAndWhatItRanInOrder) {
  auto& loop = this->loop;
  using What = typename TestFixture::What;
  auto pair = common::make_socketpair();
  const int fd = pair.first.get();
  auto handler = [&](int ready_fd, unsigned) {
    loop.remove_handler(ready_fd);
    loop.stop();
  };
  loop.add_handler(fd, handler, TestFixture::Loop::WRITE);

  run_with_watchdog(loop);

  const auto& events = this->recorder->events;
  std::vector<What> order;
  for (const auto& e : events) order.push_back(e.what);
  // From chapter 3 on, a stop() in (5) still lets the next turn begin and run its callbacks
  // and due timeouts, as Tornado's loop does, before the check that ends the run.
  ASSERT_GE(order.size(), 5u);
  EXPECT_THAT(std::vector<What>(order.begin(), order.begin() + 4),
              ::testing::ElementsAre(What::turn, What::polled, What::run, What::returned));
  EXPECT_EQ(order.back(), What::stopped);
  EXPECT_EQ(events[0].turn, 1u);
  EXPECT_EQ(events[1].backend, loop.poller_name());
  EXPECT_FALSE(events[1].asked.has_value());  // nothing to wait for but the fd: no limit
  ASSERT_EQ(events[1].ready.size(), 1u);
  EXPECT_EQ(events[1].ready[0].fd, fd);
  EXPECT_EQ(events[2].fd, fd);
  EXPECT_NE(events[2].events & TestFixture::Loop::WRITE, 0u);
  ASSERT_NE(events[2].callable, nullptr);
  EXPECT_EQ(*events[2].callable, typeid(handler));  // named by the caller's own callable
  EXPECT_EQ(events.back().turn, loop.turns());
}

TYPED_TEST_P(Trace, AReadyFdIsReportedEveryTurnUntilItsHandlerGoes) {
  auto& loop = this->loop;
  using What = typename TestFixture::What;
  auto pair = common::make_socketpair();
  int calls = 0;
  loop.add_handler(pair.first.get(), [&](int fd, unsigned) {
    if (++calls == 3) {
      loop.remove_handler(fd);
      loop.stop();
    }
  }, TestFixture::Loop::WRITE);

  run_with_watchdog(loop);

  std::vector<std::uint64_t> turns;
  for (const auto& e : this->recorder->all(What::run)) turns.push_back(e.turn);
  EXPECT_THAT(turns, ::testing::ElementsAre(1u, 2u, 3u));  // level-triggered: still writable
}

TYPED_TEST_P(Trace, NoTracerRecordsNothingAndTheTurnsAreCountedAnyway) {
  // The same program twice: on this loop with no tracer, and on another with one.
  auto run = [](auto& loop) {
    auto pair = common::make_socketpair();
    int calls = 0;
    loop.add_handler(pair.first.get(), [&](int fd, unsigned) {
      if (++calls == 2) {
        loop.remove_handler(fd);
        loop.stop();
      }
    }, TestFixture::Loop::WRITE);
    run_with_watchdog(loop);
  };
  this->loop.set_tracer(nullptr);
  run(this->loop);
  auto traced = make_plain_loop<TypeParam>();
  auto recorder = std::make_shared<TraceRecorder<TypeParam>>();
  traced->set_tracer(recorder);
  run(*traced);

  EXPECT_TRUE(this->recorder->events.empty());
  ASSERT_FALSE(recorder->events.empty());
  EXPECT_EQ(this->loop.turns(), recorder->events.back().turn);
  EXPECT_EQ(traced->turns(), recorder->events.back().turn);
}

REGISTER_TYPED_TEST_SUITE_P(Trace, ATurnSaysWhatItPolledAndWhatItRanInOrder,
                            AReadyFdIsReportedEveryTurnUntilItsHandlerGoes,
                            NoTracerRecordsNothingAndTheTurnsAreCountedAnyway);

// ---------------------------------------------------------------- chapter 3: timeouts

template <class Env>
class TraceTimeouts : public TracedLoop<Env, VirtualLoopTest> {};
TYPED_TEST_SUITE_P(TraceTimeouts);

TYPED_TEST_P(TraceTimeouts, ThePollIsAskedToSleepUntilTheNearestDeadline) {
  auto& loop = this->loop;
  using What = typename TestFixture::What;
  loop.call_later(80ms, [] {});
  loop.call_later(50ms, [&] { loop.stop(); });

  run_with_watchdog(loop);

  const auto polls = this->recorder->all(What::polled);
  ASSERT_FALSE(polls.empty());
  ASSERT_TRUE(polls[0].deadline_in.has_value());
  EXPECT_EQ(*polls[0].deadline_in, 50ms);  // the nearer of the two, by the loop's clock
}

TYPED_TEST_P(TraceTimeouts, ARemovedTimeoutStaysInTheHeapAsATombstoneUntilItReachesTheTop) {
  auto& loop = this->loop;
  using What = typename TestFixture::What;
  loop.call_later(10ms, [] {});
  const auto removed = loop.call_later(20ms, [] {});
  loop.call_later(30ms, [] {});
  loop.call_later(40ms, [&] { loop.stop(); });
  loop.remove_timeout(removed);

  run_with_watchdog(loop);

  struct Turn {
    std::size_t due, heap, tombstones;
    bool operator==(const Turn&) const = default;
  };
  std::vector<Turn> turns;
  for (const auto& e : this->recorder->all(What::turn)) turns.push_back({e.due, e.heap, e.tombstones});
  // The tombstone costs nothing until it reaches the top of the heap, and is dropped there
  // for free, without waiting for its deadline.
  EXPECT_THAT(turns, ::testing::ElementsAre(Turn{0, 4, 1},   // at 0 ms: still in the heap
                                            Turn{1, 2, 0},   // 10 ms: the first, then the tombstone
                                            Turn{1, 1, 0},   // 30 ms
                                            Turn{1, 0, 0}));  // 40 ms: the stop
}

TYPED_TEST_P(TraceTimeouts, ATimeoutIsNamedByItsCallable) {
  auto& loop = this->loop;
  auto stop = [&] { loop.stop(); };
  loop.call_later(5ms, stop);

  run_with_watchdog(loop);

  EXPECT_EQ(this->recorder->turn_of(typeid(stop)), 2u);  // turn 1 sleeps, turn 2 finds it due
}

REGISTER_TYPED_TEST_SUITE_P(TraceTimeouts, ThePollIsAskedToSleepUntilTheNearestDeadline,
                            ARemovedTimeoutStaysInTheHeapAsATombstoneUntilItReachesTheTop,
                            ATimeoutIsNamedByItsCallable);

// ---------------------------------------------------------------- chapter 4: callbacks

template <class Env>
class TraceCallbacks : public TracedLoop<Env> {};
TYPED_TEST_SUITE_P(TraceCallbacks);

TYPED_TEST_P(TraceCallbacks, ACallbackAddedByACallbackRunsOneTurnLater) {
  auto& loop = this->loop;
  auto second = [&] { loop.stop(); };
  auto first = [&] { loop.add_callback(second); };
  loop.add_callback(first);

  run_with_watchdog(loop);

  const auto first_turn = this->recorder->turn_of(typeid(first));
  EXPECT_EQ(first_turn, 1u);
  EXPECT_EQ(this->recorder->turn_of(typeid(second)), first_turn + 1);
}

TYPED_TEST_P(TraceCallbacks, CallbacksFromAnotherThreadBeforeTheLoopWakesCostOneWake) {
  auto& loop = this->loop;
  using What = typename TestFixture::What;
  constexpr int sent = 100;
  int ran = 0;
  auto count = [&] {
    if (++ran == sent) loop.stop();
  };
  // The loop's thread is busy in a callback while another thread sends all of them.
  std::uint64_t wakes_before = 0;
  auto send_from_a_thread = [&] {
    wakes_before = loop.wakeups();  // the test thread's own add_callback, before start(), woke it once
    std::thread sender([&] {
      for (int i = 0; i < sent; ++i) loop.add_callback(count);
    });
    sender.join();
  };
  loop.add_callback(send_from_a_thread);

  run_with_watchdog(loop);

  EXPECT_EQ(ran, sent);
  EXPECT_EQ(loop.wakeups() - wakes_before, 1u);  // the first of the hundred wakes it; the rest ride along
  std::size_t waker_runs = 0;
  for (const auto& e : this->recorder->all(What::run)) {
    if (e.callable != nullptr && common::type_name(*e.callable).ends_with("::Waker")) ++waker_runs;
  }
  EXPECT_EQ(waker_runs, 1u);  // and the waker is drained once
  std::vector<std::size_t> taken;
  for (const auto& e : this->recorder->all(What::turn)) taken.push_back(e.callbacks);
  EXPECT_THAT(taken, ::testing::Contains(std::size_t{sent}));  // all of them in one turn's batch
}

TYPED_TEST_P(TraceCallbacks, ABusyLoopAsksThePollNotToSleep) {
  auto& loop = this->loop;
  using What = typename TestFixture::What;
  loop.call_later(1s, [] {});
  loop.add_callback([&] { loop.add_callback([&] { loop.stop(); }); });

  run_with_watchdog(loop);

  const auto polls = this->recorder->all(What::polled);
  ASSERT_FALSE(polls.empty());
  ASSERT_TRUE(polls[0].asked.has_value());
  EXPECT_EQ(*polls[0].asked, std::chrono::nanoseconds::zero());  // a callback waits: poll, do not sleep
}

REGISTER_TYPED_TEST_SUITE_P(TraceCallbacks, ACallbackAddedByACallbackRunsOneTurnLater,
                            CallbacksFromAnotherThreadBeforeTheLoopWakesCostOneWake,
                            ABusyLoopAsksThePollNotToSleep);

// ---------------------------------------------------------------- chapter 7: coroutine steps

template <class Env>
class TraceCoroutines : public TracedLoop<Env> {
 protected:
  template <class T>
  using Future = typename Env::template Future<T>;
  template <class T>
  using Coroutine = typename Env::template Coroutine<T>;

  static Coroutine<int> one_more(Future<int> f) {
    const int v = co_await f;
    co_return v + 1;
  }
  static Coroutine<std::size_t> count(Future<std::vector<std::string>> f) {
    const std::vector<std::string> words = co_await f;
    co_return words.size();
  }
};
TYPED_TEST_SUITE_P(TraceCoroutines);

TYPED_TEST_P(TraceCoroutines, APendingFutureCostsOneHopAndTheTraceShowsEachStep) {
  auto& loop = this->loop;
  using What = typename TestFixture::What;
  typename TestFixture::template Future<int> f;
  auto resolve = [&] { f.set_result(41); };
  auto begin = [&] {
    loop.add_future(TestFixture::one_more(f), [&](const auto&) { loop.stop(); });
    loop.add_callback(resolve);
  };
  loop.add_callback(begin);

  run_with_watchdog(loop);

  std::vector<typename TestFixture::What> steps;
  std::vector<std::uint64_t> turns;
  std::vector<std::string> details;
  for (const auto& e : this->recorder->events) {
    if (e.what != What::resumed && e.what != What::suspended && e.what != What::finished) continue;
    steps.push_back(e.what);
    turns.push_back(e.turn);
    details.push_back(e.detail);
  }
  EXPECT_THAT(steps, ::testing::ElementsAre(What::suspended, What::resumed, What::finished));
  EXPECT_EQ(this->recorder->turn_of(typeid(begin)), 1u);   // the first step runs in the call
  EXPECT_EQ(this->recorder->turn_of(typeid(resolve)), 2u);  // the Future is resolved
  EXPECT_THAT(turns, ::testing::ElementsAre(1u, 3u, 3u));   // and the body goes on a turn later
  ASSERT_EQ(details.size(), 3u);
  EXPECT_EQ(details[0], "on a Future<int>");
  EXPECT_EQ(details[1], "with the result of a Future<int>");
  EXPECT_EQ(details[2], "returned");
}

// What a coroutine waits for is named as its code spells the type: multi's Future of a vector
// of strings, not the compiler's spelling with every default template argument written out.
TYPED_TEST_P(TraceCoroutines, AWaitIsNamedByTheTypeAsTheCodeSpellsIt) {
  auto& loop = this->loop;
  using What = typename TestFixture::What;
  typename TestFixture::template Future<std::vector<std::string>> words;
  loop.add_callback([&] {
    loop.add_future(TestFixture::count(words), [&](const auto&) { loop.stop(); });
    loop.add_callback([&] { words.set_result({"two", "words"}); });
  });

  run_with_watchdog(loop);

  std::vector<std::string> details;
  for (const auto& e : this->recorder->events) {
    if (e.what == What::suspended || e.what == What::resumed) details.push_back(e.detail);
  }
  EXPECT_THAT(details, ::testing::ElementsAre("on a Future<std::vector<std::string>>",
                                              "with the result of a Future<std::vector<std::string>>"));
}

REGISTER_TYPED_TEST_SUITE_P(TraceCoroutines, APendingFutureCostsOneHopAndTheTraceShowsEachStep,
                            AWaitIsNamedByTheTypeAsTheCodeSpellsIt);

// ---------------------------------------------------------------- chapter 8: streams

template <class Env>
class TraceStreams : public TracedLoop<Env> {};
TYPED_TEST_SUITE_P(TraceStreams);

TYPED_TEST_P(TraceStreams, AStreamReportsItsReadsWritesAndClose) {
  auto& loop = this->loop;
  using What = typename TestFixture::What;
  using Stream = typename TypeParam::IOStream;
  auto pair = common::make_socketpair();
  const int fd = pair.first.get();
  auto stream = std::make_shared<Stream>(loop, std::move(pair.first));
  common::write_all(pair.second.get(), "hello");

  const std::string got = common::testing::with_watchdog(std::chrono::seconds(10), [&] {
    return loop.run_sync([&] { return stream->read_bytes(5); });
  });
  loop.run_sync([&] { return stream->write("world"); });
  stream->close();

  EXPECT_EQ(got, "hello");
  std::vector<std::string> said;
  for (const auto& e : this->recorder->all(What::stream)) {
    EXPECT_EQ(e.fd, fd);
    said.push_back(e.detail);
  }
  EXPECT_THAT(said, ::testing::ElementsAre("read 5 bytes", "wrote 5 bytes", "closed"));
}

REGISTER_TYPED_TEST_SUITE_P(TraceStreams, AStreamReportsItsReadsWritesAndClose);

}  // namespace spec
