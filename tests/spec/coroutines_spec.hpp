// Chapter 7's rules for coroutines. Instantiated by every chapter from 6 on:
//   Coroutines         the Runner's rules, each proven twice with the very same Runner: for
//                      coroutines written by hand as chapter 1 state machines, and for C++20
//                      coroutines (the two "styles" below write the same scenarios);
//   CoroutineHelpers   multi, sleep, with_timeout and run_sync, on the virtual clock.
// The environment also names Env::template Coroutine<T>, CoroutineGenerator<T>, AnyFuture,
// GenTimeoutError, and Env::moment().
#pragma once

#include <pthread.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/log.hpp"
#include "loop_harness.hpp"

namespace spec {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Log = std::vector<std::string>;

/// Sets a flag when destroyed: put in a coroutine frame, it shows when the frame goes.
struct FrameSentinel {
  bool* destroyed;
  explicit FrameSentinel(bool* flag) : destroyed(flag) {}
  FrameSentinel(const FrameSentinel&) = delete;
  ~FrameSentinel() { *destroyed = true; }
};

// ================================================================= the scenarios, in C++20

template <class Env>
struct Cpp20Style {
  static constexpr const char* name = "cpp20_coroutine";
  template <class T>
  using Future = typename Env::template Future<T>;
  template <class T>
  using Coroutine = typename Env::template Coroutine<T>;

  // log "started"; v = wait(f); log "resumed with v"; return v
  static Coroutine<int> echo_after(Future<int> f, Log& log) {
    log.push_back("started");
    const int v = co_yield f;
    log.push_back("resumed with " + std::to_string(v));
    co_return v;
  }
  // try { wait(f) } catch (e) { return "caught: " + what }
  static Coroutine<std::string> catch_at_yield(Future<int> f) {
    try {
      co_await f;
    } catch (const std::exception& e) {
      co_return std::string("caught: ") + e.what();
    }
    co_return "nothing thrown";
  }
  // wait(f); throw
  static Coroutine<int> fail_after(Future<int> f) {
    co_await f;
    throw std::runtime_error("failed after the yield");
  }
  // throw before any yield
  static Coroutine<int> fail_before() {
    throw std::runtime_error("failed before the first yield");
    co_return 0;
  }
  // n times: wait on an already finished Future; return how many
  static Coroutine<int> count_done(int n) {
    int count = 0;
    for (int i = 0; i < n; ++i) {
      Future<int> done;
      done.set_result(1);
      count += co_await done;
    }
    co_return count;
  }
  // n times: out += name; wait(moment)
  static Coroutine<void> interleave(char name, int n, std::string& out) {
    for (int i = 0; i < n; ++i) {
      out += name;
      co_await Env::moment();
    }
  }
  // a frame with a sentinel in it that waits on f
  static Coroutine<void> hold_sentinel(Future<int> f, bool* destroyed) {
    FrameSentinel sentinel(destroyed);
    co_await f;
  }
};

// ================================================================= the same, by hand

template <class Env>
struct HandWrittenStyle {
  static constexpr const char* name = "hand_written_state_machine";
  template <class T>
  using Future = typename Env::template Future<T>;
  template <class T>
  using Gen = typename Env::template CoroutineGenerator<T>;

  // Stands for: log "started"; v = yield f; log "resumed with v"; return v
  class EchoAfter : public Gen<int> {
   public:
    EchoAfter(Future<int> f, Log& log) : f_(std::move(f)), log_(log) {}

   protected:
    typename Gen<int>::Result resume(typename Gen<int>::Input in) override {
      if (!started_) {
        started_ = true;
        log_.push_back("started");
        return this->yield(f_);
      }
      const int v = in.sent_value().template result<int>();
      log_.push_back("resumed with " + std::to_string(v));
      return this->return_(v);
    }

   private:
    Future<int> f_;
    Log& log_;
    bool started_ = false;
  };
  static Future<int> echo_after(Future<int> f, Log& log) {
    return coroutine(std::make_unique<EchoAfter>(std::move(f), log));
  }

  // Stands for: try { yield f } except e: return "caught: " + str(e)
  class CatchAtYield : public Gen<std::string> {
   public:
    explicit CatchAtYield(Future<int> f) : f_(std::move(f)) {}

   protected:
    typename Gen<std::string>::Result resume(typename Gen<std::string>::Input in) override {
      if (!started_) {
        started_ = true;
        return this->yield(f_);
      }
      try {
        in.sent_value();  // raises what was thrown in, here at the yield
      } catch (const std::exception& e) {
        return this->return_(std::string("caught: ") + e.what());
      }
      return this->return_("nothing thrown");
    }

   private:
    Future<int> f_;
    bool started_ = false;
  };
  static Future<std::string> catch_at_yield(Future<int> f) {
    return coroutine(std::make_unique<CatchAtYield>(std::move(f)));
  }

  // Stands for: yield f; raise
  class FailAfter : public Gen<int> {
   public:
    explicit FailAfter(Future<int> f) : f_(std::move(f)) {}

   protected:
    typename Gen<int>::Result resume(typename Gen<int>::Input in) override {
      if (!started_) {
        started_ = true;
        return this->yield(f_);
      }
      in.sent_value();
      throw std::runtime_error("failed after the yield");
    }

   private:
    Future<int> f_;
    bool started_ = false;
  };
  static Future<int> fail_after(Future<int> f) {
    return coroutine(std::make_unique<FailAfter>(std::move(f)));
  }

  // Stands for: raise before any yield
  class FailBefore : public Gen<int> {
   protected:
    typename Gen<int>::Result resume(typename Gen<int>::Input) override {
      throw std::runtime_error("failed before the first yield");
    }
  };
  static Future<int> fail_before() { return coroutine(std::make_unique<FailBefore>()); }

  // Stands for: for i in range(n): count += yield done_future; return count
  class CountDone : public Gen<int> {
   public:
    explicit CountDone(int n) : n_(n) {}

   protected:
    typename Gen<int>::Result resume(typename Gen<int>::Input in) override {
      if (i_ > 0) count_ += in.sent_value().template result<int>();
      if (i_ == n_) return this->return_(count_);
      ++i_;
      Future<int> done;
      done.set_result(1);
      return this->yield(done);
    }

   private:
    int n_;
    int i_ = 0;
    int count_ = 0;
  };
  static Future<int> count_done(int n) { return coroutine(std::make_unique<CountDone>(n)); }

  // Stands for: for i in range(n): out += name; yield gen.moment
  class Interleave : public Gen<void> {
   public:
    Interleave(char name, int n, std::string& out) : name_(name), n_(n), out_(out) {}

   protected:
    typename Gen<void>::Result resume(typename Gen<void>::Input) override {
      if (i_ == n_) return this->return_();
      ++i_;
      out_ += name_;
      return this->yield(Env::moment());
    }

   private:
    char name_;
    int n_;
    std::string& out_;
    int i_ = 0;
  };
  static Future<void> interleave(char name, int n, std::string& out) {
    return coroutine(std::make_unique<Interleave>(name, n, out));
  }

  // A frame (here: the object) with a sentinel in it that waits on f.
  class HoldSentinel : public Gen<void> {
   public:
    HoldSentinel(Future<int> f, bool* destroyed) : f_(std::move(f)), sentinel_(destroyed) {}

   protected:
    typename Gen<void>::Result resume(typename Gen<void>::Input in) override {
      if (!started_) {
        started_ = true;
        return this->yield(f_);
      }
      in.sent_value();
      return this->return_();
    }

   private:
    Future<int> f_;
    FrameSentinel sentinel_;
    bool started_ = false;
  };
  static Future<void> hold_sentinel(Future<int> f, bool* destroyed) {
    return coroutine(std::make_unique<HoldSentinel>(std::move(f), destroyed));
  }
};

/// A chapter's environment with one of the two styles: the Coroutines suite's parameter.
template <class Env, template <class> class StyleOf>
struct Styled : Env {
  using Style = StyleOf<Env>;
  static constexpr const char* name = StyleOf<Env>::name;
};

// ================================================================= the Runner's rules

template <class Styled>
class Coroutines : public VirtualLoopTest<Styled> {
 protected:
  using Style = typename Styled::Style;
  template <class T>
  using Future = typename Styled::template Future<T>;

  /// A Future the loop resolves with `value` after `delay`.
  Future<int> later(int value, std::chrono::nanoseconds delay) {
    Future<int> f;
    this->loop.call_later(delay, [f, value] { f.set_result(value); });
    return f;
  }
  /// Done when both are.
  static Future<void> both(const Future<void>& a, const Future<void>& b) {
    Future<void> all;
    auto left = std::make_shared<int>(2);
    auto one_done = [all, left](const Future<void>&) {
      if (--*left == 0) all.set_result();
    };
    a.add_done_callback(one_done);
    b.add_done_callback(one_done);
    return all;
  }
  Future<int> fails_later(const char* message, std::chrono::nanoseconds delay) {
    Future<int> f;
    this->loop.call_later(delay, [f, message] {
      f.set_exception(std::make_exception_ptr(std::runtime_error(message)));
    });
    return f;
  }
};
TYPED_TEST_SUITE_P(Coroutines);

TYPED_TEST_P(Coroutines, TheFirstStepRunsInsideTheCall) {
  using Style = typename TestFixture::Style;
  typename TestFixture::template Future<int> pending;
  Log log;

  auto result = Style::echo_after(pending, log);

  EXPECT_THAT(log, ElementsAre("started"));
  EXPECT_FALSE(result.done());
  EXPECT_EQ(this->loop.suspended_coroutines(), 1u);
}

TYPED_TEST_P(Coroutines, TheFutureValueIsSentBackIntoTheGenerator) {
  using Style = typename TestFixture::Style;
  Log log;

  const int value = this->loop.run_sync([&] { return Style::echo_after(this->later(7, 10ms), log); });

  EXPECT_EQ(value, 7);
  EXPECT_THAT(log, ElementsAre("started", "resumed with 7"));
  EXPECT_EQ(this->loop.suspended_coroutines(), 0u);
}

TYPED_TEST_P(Coroutines, AnAlreadyFinishedFutureIsSentBackWithoutWaiting) {
  using Style = typename TestFixture::Style;
  typename TestFixture::template Future<int> done;
  done.set_result(3);
  Log log;

  auto result = Style::echo_after(done, log);  // no loop turn needed at all

  ASSERT_TRUE(result.done());
  EXPECT_EQ(result.result(), 3);
  EXPECT_EQ(this->loop.suspended_coroutines(), 0u);
}

TYPED_TEST_P(Coroutines, AFailedFutureIsThrownInAtTheYieldAndCaughtThere) {
  using Style = typename TestFixture::Style;

  const std::string got = this->loop.run_sync(
      [&] { return Style::catch_at_yield(this->fails_later("no such user", 5ms)); });

  EXPECT_EQ(got, "caught: no such user");
}

TYPED_TEST_P(Coroutines, AnExceptionBeforeTheFirstYieldGoesIntoTheFutureNotOutOfTheCall) {
  using Style = typename TestFixture::Style;
  typename TestFixture::template Future<int> result;

  EXPECT_NO_THROW(result = Style::fail_before());

  ASSERT_TRUE(result.done());
  EXPECT_EQ(what_of(result.exception()), "failed before the first yield");
}

TYPED_TEST_P(Coroutines, AnExceptionAfterAYieldFailsTheFutureAndRunSyncRethrowsIt) {
  using Style = typename TestFixture::Style;
  expect_error<std::runtime_error>(
      [&] { this->loop.run_sync([&] { return Style::fail_after(this->later(1, 5ms)); }); },
      {"failed after the yield"});
}

TYPED_TEST_P(Coroutines, AMillionFinishedFuturesInARowRunOnA256KiBStack) {
  using Style = typename TestFixture::Style;
  // On a thread with a small stack: a Runner that recursed once per yield would overflow it.
  struct Job {
    int result = 0;
    std::exception_ptr error;
  } job;
  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  pthread_attr_setstacksize(&attributes, 256 * 1024);
  pthread_t thread;
  const int created = pthread_create(
      &thread, &attributes,
      [](void* arg) -> void* {
        auto* j = static_cast<Job*>(arg);
        try {
          j->result = Style::count_done(1'000'000).result();
        } catch (...) {
          j->error = std::current_exception();
        }
        return nullptr;
      },
      &job);
  pthread_attr_destroy(&attributes);
  ASSERT_EQ(created, 0);
  common::testing::with_watchdog(60s, [&] { pthread_join(thread, nullptr); });

  EXPECT_EQ(job.error, nullptr) << what_of(job.error);
  EXPECT_EQ(job.result, 1'000'000);
}

TYPED_TEST_P(Coroutines, MomentLetsAnotherCoroutineRunBetweenSteps) {
  using Style = typename TestFixture::Style;
  std::string out;

  this->loop.run_sync([&] {
    auto a = Style::interleave('a', 4, out);
    auto b = Style::interleave('b', 4, out);
    return this->both(a, b);
  });

  EXPECT_EQ(out, "abababab");  // Tornado's test_moment: each moment is one turn
}

TYPED_TEST_P(Coroutines, ACoroutineSuspendedWhenItsLoopIsDestroyedIsDestroyedNotResumed) {
  using Style = typename TestFixture::Style;
  typename TestFixture::template Future<int> never_resolved_by_the_loop;
  bool frame_destroyed = false;
  typename TestFixture::template Future<void> result;
  {
    auto doomed = std::make_unique<typename TypeParam::Loop>(TypeParam::make_poller(), this->clock);
    doomed->make_current();
    result = Style::hold_sentinel(never_resolved_by_the_loop, &frame_destroyed);
    EXPECT_EQ(doomed->suspended_coroutines(), 1u);
    EXPECT_FALSE(frame_destroyed);
  }
  EXPECT_TRUE(frame_destroyed);  // the loop took the frame with it

  never_resolved_by_the_loop.set_result(1);  // nothing may resume the destroyed frame

  EXPECT_FALSE(result.done());
}

TYPED_TEST_P(Coroutines, AFinishedCoroutinesFrameIsFreedAndTheLoopLetsGo) {
  using Style = typename TestFixture::Style;
  bool frame_destroyed = false;

  this->loop.run_sync([&] { return Style::hold_sentinel(this->later(1, 1ms), &frame_destroyed); });

  EXPECT_TRUE(frame_destroyed);
  EXPECT_EQ(this->loop.suspended_coroutines(), 0u);
}

TYPED_TEST_P(Coroutines, WaitingWithNoCurrentLoopFailsTheCoroutineAtTheYield) {
  using Style = typename TestFixture::Style;
  TypeParam::Loop::clear_current();
  typename TestFixture::template Future<int> pending;

  auto result = Style::catch_at_yield(pending);

  ASSERT_TRUE(result.done());
  EXPECT_THAT(result.result(), HasSubstr("no current IOLoop"));
}

TYPED_TEST_P(Coroutines, AFinishedFutureAfterTooManyInARowCostsOneTurn) {
  using Style = typename TestFixture::Style;
  // Awaiting a done Future does not suspend; a coroutine that only ever meets done ones
  // (a client pipelining requests makes one) must still let the loop turn now and then.
  const int n = 10 * TypeParam::max_steps_without_a_turn;
  typename TestFixture::template Future<int> result;
  std::vector<bool> done_when_other_work_ran;

  const int count = this->loop.run_sync([&] {
    // Queued before the coroutine starts: it runs at the loop's next turn.
    this->loop.add_callback([&] { done_when_other_work_ran.push_back(result.done()); });
    result = Style::count_done(n);
    return result;
  });

  EXPECT_EQ(count, n);
  EXPECT_THAT(done_when_other_work_ran, ElementsAre(false));
}

TYPED_TEST_P(Coroutines, WaitingAfterTheLoopClosedFailsTheCoroutineAtTheYield) {
  using Style = typename TestFixture::Style;
  this->loop.make_current();
  this->loop.close();
  typename TestFixture::template Future<int> pending;

  auto result = Style::catch_at_yield(pending);  // nothing could resume it: said, not hung

  ASSERT_TRUE(result.done());
  EXPECT_THAT(result.result(), HasSubstr("no current IOLoop"));
}

TYPED_TEST_P(Coroutines, AResultSetFromOutsideIsReportedAndTheFrameStillGoes) {
  using Style = typename TestFixture::Style;
  common::CapturedLog captured;
  typename TestFixture::template Future<int> pending;
  Log log;
  typename TestFixture::template Future<int> result = Style::echo_after(pending, log);

  result.set_result(99);  // a mistake: only the coroutine itself should resolve its Future
  this->loop.run_sync([&] {
    pending.set_result(1);
    return TypeParam::sleep(10ms);
  });

  EXPECT_THAT(log, ElementsAre("started", "resumed with 1"));  // it ran to its end
  EXPECT_EQ(result.result(), 99);                              // the first outcome stays
  EXPECT_EQ(this->loop.suspended_coroutines(), 0u);            // and the loop let it go
  EXPECT_TRUE(this->loop.reported.empty());
  EXPECT_THAT(captured.messages(common::LogLevel::error),
              ElementsAre(HasSubstr("resolved from outside")));
}

TYPED_TEST_P(Coroutines, AFailureItsCoroutineDiedBeforeSeeingIsNotLoggedWhenTheLoopGoes) {
  using Style = typename TestFixture::Style;
  common::CapturedLog log;
  {
    typename TestFixture::template Future<int> fails;
    auto doomed = std::make_unique<typename TypeParam::Loop>(TypeParam::make_poller(), this->clock);
    doomed->make_current();
    auto result = Style::catch_at_yield(fails);
    // It fails, and the coroutine would see it on the next turn; but the loop goes first
    // (a server shut down just after a client reset its connection).
    fails.set_exception(std::make_exception_ptr(std::runtime_error("connection reset")));
    doomed.reset();
  }

  EXPECT_THAT(log.messages(common::LogLevel::warning), ::testing::IsEmpty());
}

REGISTER_TYPED_TEST_SUITE_P(Coroutines, TheFirstStepRunsInsideTheCall,
                            TheFutureValueIsSentBackIntoTheGenerator,
                            AnAlreadyFinishedFutureIsSentBackWithoutWaiting,
                            AFailedFutureIsThrownInAtTheYieldAndCaughtThere,
                            AnExceptionBeforeTheFirstYieldGoesIntoTheFutureNotOutOfTheCall,
                            AnExceptionAfterAYieldFailsTheFutureAndRunSyncRethrowsIt,
                            AMillionFinishedFuturesInARowRunOnA256KiBStack,
                            MomentLetsAnotherCoroutineRunBetweenSteps,
                            ACoroutineSuspendedWhenItsLoopIsDestroyedIsDestroyedNotResumed,
                            AFinishedCoroutinesFrameIsFreedAndTheLoopLetsGo,
                            WaitingWithNoCurrentLoopFailsTheCoroutineAtTheYield,
                            AFinishedFutureAfterTooManyInARowCostsOneTurn,
                            WaitingAfterTheLoopClosedFailsTheCoroutineAtTheYield,
                            AResultSetFromOutsideIsReportedAndTheFrameStillGoes,
                            AFailureItsCoroutineDiedBeforeSeeingIsNotLoggedWhenTheLoopGoes);

// ================================================================= gen's helpers

template <class Env>
class CoroutineHelpers : public VirtualLoopTest<Env> {
 protected:
  template <class T>
  using Future = typename Env::template Future<T>;
  template <class T>
  using Coroutine = typename Env::template Coroutine<T>;

  Future<int> later(int value, std::chrono::nanoseconds delay) {
    Future<int> f;
    this->loop.call_later(delay, [f, value] { f.set_result(value); });
    return f;
  }
  Future<int> fails_later(std::string message, std::chrono::nanoseconds delay) {
    Future<int> f;
    this->loop.call_later(delay, [f, message] {
      f.set_exception(std::make_exception_ptr(std::runtime_error(message)));
    });
    return f;
  }
  std::chrono::milliseconds elapsed_since(typename Env::Loop::time_point start) const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(this->loop.time() - start);
  }
};
TYPED_TEST_SUITE_P(CoroutineHelpers);

TYPED_TEST_P(CoroutineHelpers, MultiOverAVectorGivesValuesInInputOrder) {
  const auto start = this->loop.time();
  std::vector<typename TestFixture::template Future<int>> children = {
      this->later(1, 30ms), this->later(2, 10ms), this->later(3, 20ms)};

  const auto values = this->loop.run_sync([&] { return multi(children); });

  EXPECT_THAT(values, ElementsAre(1, 2, 3));
  EXPECT_EQ(this->elapsed_since(start), 30ms);  // it waited for the slowest
}

TYPED_TEST_P(CoroutineHelpers, AnAwaitedFutureTheCodeNamesMayGoWhileTheCoroutineWaits) {
  // co_await borrows a Future the code names instead of copying it; the borrow must end
  // when the coroutine suspends, or it would read a Future that is gone when it resumes.
  using IntFuture = typename TestFixture::template Future<int>;
  struct Box {
    IntFuture answer;
  };
  auto box = std::make_unique<Box>();
  auto waiter = [](Box* named) -> typename TestFixture::template Coroutine<int> {
    co_return co_await named->answer;
  };
  auto result = waiter(box.get());
  const IntFuture answer = box->answer;
  box.reset();  // the Future the coroutine named is gone; the Future itself is not

  this->loop.call_later(1ms, [answer] { answer.set_result(42); });

  EXPECT_EQ(this->loop.run_sync([&] { return result; }), 42);
}

TYPED_TEST_P(CoroutineHelpers, MultiOverAMapGivesTheSameKeys) {
  std::map<std::string, typename TestFixture::template Future<int>> children = {
      {"slow", this->later(1, 20ms)}, {"fast", this->later(2, 10ms)}};

  const auto values = this->loop.run_sync([&] { return multi(children); });

  EXPECT_EQ(values, (std::map<std::string, int>{{"fast", 2}, {"slow", 1}}));
}

TYPED_TEST_P(CoroutineHelpers, MultiWaitsForEveryChildAndTheFirstFailureByPositionWins) {
  common::CapturedLog log;
  const auto start = this->loop.time();
  // Child 2 fails first (10 ms), child 1 later (30 ms): child 1's failure is the one raised,
  // at 30 ms, once every child is done; child 2's is logged.
  std::vector<typename TestFixture::template Future<int>> children = {
      this->fails_later("first by position", 30ms), this->fails_later("first in time", 10ms),
      this->later(3, 20ms)};

  expect_error<std::runtime_error>([&] { this->loop.run_sync([&] { return multi(children); }); },
                                   {"first by position"});

  EXPECT_EQ(this->elapsed_since(start), 30ms);
  EXPECT_THAT(log.messages(common::LogLevel::error),
              ElementsAre("Multiple exceptions in yield list: first in time"));
}

TYPED_TEST_P(CoroutineHelpers, MultiWithOneFailureLogsNothing) {
  common::CapturedLog log;
  std::vector<typename TestFixture::template Future<int>> children = {this->later(1, 1ms),
                                                                      this->fails_later("only", 2ms)};

  EXPECT_THROW(this->loop.run_sync([&] { return multi(children); }), std::runtime_error);

  EXPECT_TRUE(log.messages(common::LogLevel::error).empty());
}

TYPED_TEST_P(CoroutineHelpers, MultiOfFinishedOrNoChildrenResolvesAtOnce) {
  typename TestFixture::template Future<int> done;
  done.set_result(5);

  auto twice = multi(std::vector{done, done});  // the same Future twice gives its value twice
  auto none = multi(std::vector<typename TestFixture::template Future<int>>{});

  ASSERT_TRUE(twice.done());
  EXPECT_THAT(twice.result(), ElementsAre(5, 5));
  ASSERT_TRUE(none.done());
  EXPECT_TRUE(none.result().empty());
}

TYPED_TEST_P(CoroutineHelpers, ACoroutineCanWaitOnAListAsTornadosYieldList) {
  auto body = [&]() -> typename TestFixture::template Coroutine<int> {
    std::vector<typename TestFixture::template Future<int>> pair = {this->later(20, 2ms),
                                                                    this->later(22, 1ms)};
    const std::vector<int> values = co_yield pair;
    co_return values[0] + values[1];
  };
  EXPECT_EQ(this->loop.run_sync(body), 42);
}

TYPED_TEST_P(CoroutineHelpers, SleepResumesAfterItsDelayAndZeroIsTwoHopsNotOne) {
  const auto start = this->loop.time();
  this->loop.run_sync([] { return TypeParam::sleep(1500ms); });
  EXPECT_EQ(this->elapsed_since(start), 1500ms);

  // Tornado: moment resumes after one turn, sleep(0) after two (its timer, then the hop).
  std::vector<std::string> order;
  int ticks = 0;
  std::function<void()> tick = [&] {
    order.push_back("tick " + std::to_string(++ticks));
    if (ticks < 4) this->loop.add_callback(tick);
  };
  auto waits = [&](std::string name, bool use_moment) -> typename TestFixture::template Coroutine<void> {
    if (use_moment) {
      co_await TypeParam::moment();
    } else {
      co_await TypeParam::sleep(0ms);
    }
    order.push_back(name);
  };
  this->loop.run_sync([&] {
    this->loop.add_callback(tick);
    auto a = waits("moment resumed", true);
    auto b = waits("sleep(0) resumed", false);
    return TypeParam::sleep(10ms);
  });

  EXPECT_THAT(order, ElementsAre("tick 1", "moment resumed", "tick 2", "sleep(0) resumed", "tick 3",
                                 "tick 4"));
}

TYPED_TEST_P(CoroutineHelpers, WithTimeoutFailsAtTheDeadlineAndLeavesTheFutureRunning) {
  common::CapturedLog log;
  const auto start = this->loop.time();
  auto slow = this->fails_later("too late to matter", 1s);

  expect_error<typename TypeParam::GenTimeoutError>(
      [&] { this->loop.run_sync([&] { return with_timeout(250ms, slow); }); }, {"Timeout"});
  EXPECT_EQ(this->elapsed_since(start), 250ms);
  EXPECT_FALSE(slow.done());  // not cancelled: Tornado has no cancelling

  this->loop.run_sync([] { return TypeParam::sleep(1s); });  // it fails later, and that is logged

  EXPECT_TRUE(slow.done());
  EXPECT_THAT(log.messages(common::LogLevel::error),
              ElementsAre("Exception in Future after timeout: too late to matter"));
}

TYPED_TEST_P(CoroutineHelpers, WithTimeoutGivesTheValueWhenTheFutureWinsAndRemovesItsTimer) {
  const int value = this->loop.run_sync([&] { return with_timeout(1h, this->later(9, 5ms)); });

  EXPECT_EQ(value, 9);
  EXPECT_EQ(this->loop.timer_stats().scheduled, 0u);
}

TYPED_TEST_P(CoroutineHelpers, WithTimeoutTakesAnAbsoluteDeadlineToo) {
  const auto deadline = this->loop.time() + 40ms;
  EXPECT_THROW(this->loop.run_sync([&] { return with_timeout(deadline, this->later(1, 50ms)); }),
               typename TypeParam::GenTimeoutError);
  EXPECT_EQ(this->loop.time(), deadline);
}

TYPED_TEST_P(CoroutineHelpers, RunSyncDrivesACoroutineAndTimesItOut) {
  auto slow = [&]() -> typename TestFixture::template Coroutine<int> {
    co_await TypeParam::sleep(10s);
    co_return 1;
  };
  EXPECT_THROW(this->loop.run_sync(slow, 5s), typename TypeParam::TimeoutError);
  EXPECT_EQ(this->loop.run_sync(slow), 1);
}

TYPED_TEST_P(CoroutineHelpers, ASecondTakerOfAMoveOnlyValueIsRefused) {
  using Owned = std::unique_ptr<int>;
  typename TestFixture::template Future<Owned> shared;
  shared.set_result(std::make_unique<int>(5));
  auto take = [&]() -> typename TestFixture::template Coroutine<Owned> { co_return co_await shared; };
  const std::vector<typename TestFixture::template Future<Owned>> children = {shared};
  auto take_all = [&]() -> typename TestFixture::template Coroutine<Owned> {
    std::vector<Owned> all = co_await children;
    co_return std::move(all[0]);
  };
  const Owned first = this->loop.run_sync(take);

  ASSERT_NE(first, nullptr);
  EXPECT_EQ(*first, 5);
  // co_await, run_sync and multi all take the value: only the first gets it.
  expect_error<typename TypeParam::InvalidStateError>([&] { this->loop.run_sync(take); },
                                                      {"already taken", "one Future, one taker"});
  expect_error<typename TypeParam::InvalidStateError>([&] { this->loop.run_sync([&] { return shared; }); },
                                                      {"already taken", "one Future, one taker"});
  expect_error<typename TypeParam::InvalidStateError>([&] { this->loop.run_sync(take_all); },
                                                      {"already taken", "one Future, one taker"});
}

TYPED_TEST_P(CoroutineHelpers, SleepAfterTheCurrentLoopWasDestroyedOnAnotherThreadSaysThereIsNone) {
  auto doomed = std::make_unique<typename TypeParam::Loop>(TypeParam::make_poller(), this->clock);
  doomed->make_current();

  std::thread([&] { doomed.reset(); }).join();

  expect_error<std::logic_error>([] { TypeParam::sleep(1ms); }, {"no current IOLoop"});
  expect_error<std::logic_error>(
      [] { with_timeout(1s, typename TestFixture::template Future<int>()); }, {"no current IOLoop"});
}

TYPED_TEST_P(CoroutineHelpers, ACoroutineCannotBeResolvedThroughItsOwnHandle) {
  // asyncio's Task refuses set_result and set_exception; a Coroutine<T> does not have them.
  using Handle = typename TestFixture::template Coroutine<int>;
  constexpr bool can_set_result = requires(Handle& c) { c.set_result(1); };
  constexpr bool can_set_exception = requires(Handle& c) { c.set_exception(std::exception_ptr()); };
  EXPECT_FALSE(can_set_result);
  EXPECT_FALSE(can_set_exception);
}

REGISTER_TYPED_TEST_SUITE_P(CoroutineHelpers, MultiOverAVectorGivesValuesInInputOrder,
                            AnAwaitedFutureTheCodeNamesMayGoWhileTheCoroutineWaits,
                            MultiOverAMapGivesTheSameKeys,
                            MultiWaitsForEveryChildAndTheFirstFailureByPositionWins,
                            MultiWithOneFailureLogsNothing, MultiOfFinishedOrNoChildrenResolvesAtOnce,
                            ACoroutineCanWaitOnAListAsTornadosYieldList,
                            SleepResumesAfterItsDelayAndZeroIsTwoHopsNotOne,
                            WithTimeoutFailsAtTheDeadlineAndLeavesTheFutureRunning,
                            WithTimeoutGivesTheValueWhenTheFutureWinsAndRemovesItsTimer,
                            WithTimeoutTakesAnAbsoluteDeadlineToo,
                            RunSyncDrivesACoroutineAndTimesItOut,
                            ASecondTakerOfAMoveOnlyValueIsRefused,
                            SleepAfterTheCurrentLoopWasDestroyedOnAnotherThreadSaysThereIsNone,
                            ACoroutineCannotBeResolvedThroughItsOwnHandle);

}  // namespace spec
