// Cancellation: a request that the work behind a Future stop (Tornado 5+, asyncio's). Written
// in chapter 6 for the Future, run_sync and the executor, and in chapter 7 for coroutines.
//   Cancellation               the Future's cancel(), cancelled(), CancelledError, the helpers
//                              that drop a late result (chapters 6 on);
//   CancellationOnTheLoop      run_sync's timeout cancels what it waited for (chapters 6 on);
//   CancellationAcrossThreads  a cancelled executor Future: its job skipped if not started, its
//                              late result dropped quietly (chapters 6 on; ThreadSanitizer);
//   CoroutineCancellation      a cancelled coroutine receives CancelledError where it waits,
//                              proven for hand-written generators and C++20 coroutines alike
//                              (chapters 7 on);
//   CancellationHelpers        sleep, with_timeout, multi and coroutines that cancel
//                              themselves (chapters 7 on);
//   StreamCancellation         a coroutine cancelled while it reads or writes an IOStream
//                              (chapters 8 on).
// The environment also names Env::CancelledError.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "common/fd.hpp"
#include "common/log.hpp"
#include "loop_harness.hpp"

namespace spec {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Chapter 6 has no coroutines and chapter 7 no streams: their binaries leave these suites out.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(CoroutineCancellation);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(CancellationHelpers);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(StreamCancellation);

// ================================================================= the Future

template <class Env>
class Cancellation : public LoopTest<Env> {
 protected:
  template <class T>
  using Future = typename Env::template Future<T>;
  using CancelledError = typename Env::CancelledError;
};
TYPED_TEST_SUITE_P(Cancellation);

TYPED_TEST_P(Cancellation, CancelEndsAPendingFutureAndReadingItRaisesCancelledError) {
  typename TestFixture::template Future<int> future;

  EXPECT_TRUE(future.cancel());

  EXPECT_TRUE(future.done());
  EXPECT_TRUE(future.cancelled());
  EXPECT_THROW(future.result(), typename TestFixture::CancelledError);
  EXPECT_THAT(what_of(future.exception()), HasSubstr("cancelled"));
}

TYPED_TEST_P(Cancellation, CancellingADoneFutureReturnsFalseAndChangesNothing) {
  typename TestFixture::template Future<int> resolved;
  typename TestFixture::template Future<int> cancelled;
  resolved.set_result(1);
  cancelled.cancel();

  EXPECT_FALSE(resolved.cancel());  // asyncio: cancel() is False once the Future is done
  EXPECT_FALSE(cancelled.cancel());

  EXPECT_FALSE(resolved.cancelled());
  EXPECT_EQ(resolved.result(), 1);
  EXPECT_TRUE(cancelled.cancelled());
}

TYPED_TEST_P(Cancellation, DoneCallbacksRunInlineWhenAFutureIsCancelled) {
  typename TestFixture::template Future<void> future;
  std::vector<std::string> ran;
  future.add_done_callback([&](const auto& f) {
    ran.push_back(f.cancelled() ? "saw it cancelled" : "saw something else");
  });

  future.cancel();
  ran.push_back("cancel returned");

  EXPECT_THAT(ran, ElementsAre("saw it cancelled", "cancel returned"));
}

TYPED_TEST_P(Cancellation, ACancelledFutureIsNotAFailureToLog) {
  common::CapturedLog log;
  { typename TestFixture::template Future<int>().cancel(); }  // nobody reads it
  EXPECT_TRUE(log.messages(common::LogLevel::warning).empty());
}

TYPED_TEST_P(Cancellation, CancelledErrorIsNotCaughtAsAnOrdinaryFailure) {
  // asyncio's CancelledError is a BaseException: `except Exception` does not swallow it.
  using CancelledError = typename TestFixture::CancelledError;
  EXPECT_TRUE((std::is_base_of_v<std::exception, CancelledError>));
  EXPECT_FALSE((std::is_base_of_v<std::runtime_error, CancelledError>));
  EXPECT_FALSE((std::is_base_of_v<std::logic_error, CancelledError>));
}

TYPED_TEST_P(Cancellation, FutureSetResultUnlessCancelled) {
  // Tornado 6.2: concurrent_test.py, MiscFutureTest.test_future_set_result_unless_cancelled.
  typename TestFixture::template Future<int> fut;
  future_set_result_unless_cancelled(fut, 42);
  EXPECT_EQ(fut.result(), 42);
  EXPECT_FALSE(fut.cancelled());

  typename TestFixture::template Future<int> cancelled;
  cancelled.cancel();
  EXPECT_NO_THROW(future_set_result_unless_cancelled(cancelled, 42));  // dropped, quietly
  EXPECT_TRUE(cancelled.cancelled());

  typename TestFixture::template Future<void> nothing;
  nothing.cancel();
  EXPECT_NO_THROW(future_set_result_unless_cancelled(nothing));
}

TYPED_TEST_P(Cancellation, AFailureAfterTheFutureWasCancelledIsLoggedNotRaised) {
  common::CapturedLog log;
  typename TestFixture::template Future<int> future;
  future.cancel();

  EXPECT_NO_THROW(future_set_exception_unless_cancelled(
      future, std::make_exception_ptr(std::runtime_error("disk full"))));

  EXPECT_TRUE(future.cancelled());
  EXPECT_THAT(log.messages(common::LogLevel::error),
              ElementsAre(AllOf(HasSubstr("after Future was cancelled"), HasSubstr("disk full"))));
}

TYPED_TEST_P(Cancellation, ChainFuturePassesACancellationOnButNotBack) {
  using IntFuture = typename TestFixture::template Future<int>;
  IntFuture a, b, c, d;
  chain_future(a, b);
  chain_future(c, d);

  a.cancel();
  d.cancel();

  EXPECT_TRUE(b.cancelled());  // a's cancellation is its outcome: b gets it
  EXPECT_FALSE(c.done());      // cancelling the target leaves the source alone
}

TYPED_TEST_P(Cancellation, OnCancelLetsTheWorkTakeTheRequestOver) {
  typename TestFixture::template Future<int> taken_over;
  typename TestFixture::template Future<int> declined;
  std::vector<std::string> asked;
  taken_over.on_cancel([&] {
    asked.push_back("taken over");
    return true;
  });
  declined.on_cancel([&] {
    asked.push_back("declined");
    return false;
  });

  EXPECT_TRUE(taken_over.cancel());
  EXPECT_TRUE(declined.cancel());

  EXPECT_FALSE(taken_over.done());  // it ends however its work ends
  taken_over.set_result(7);
  EXPECT_EQ(taken_over.result(), 7);
  EXPECT_TRUE(declined.cancelled());
  EXPECT_FALSE(taken_over.cancel());  // done now: the handler is not asked again
  EXPECT_THAT(asked, ElementsAre("taken over", "declined"));
}

REGISTER_TYPED_TEST_SUITE_P(Cancellation, CancelEndsAPendingFutureAndReadingItRaisesCancelledError,
                            CancellingADoneFutureReturnsFalseAndChangesNothing,
                            DoneCallbacksRunInlineWhenAFutureIsCancelled,
                            ACancelledFutureIsNotAFailureToLog,
                            CancelledErrorIsNotCaughtAsAnOrdinaryFailure,
                            FutureSetResultUnlessCancelled,
                            AFailureAfterTheFutureWasCancelledIsLoggedNotRaised,
                            ChainFuturePassesACancellationOnButNotBack,
                            OnCancelLetsTheWorkTakeTheRequestOver);

// ================================================================= run_sync's timeout

template <class Env>
class CancellationOnTheLoop : public VirtualLoopTest<Env> {
 protected:
  template <class T>
  using Future = typename Env::template Future<T>;
  using TimeoutError = typename Env::TimeoutError;
};
TYPED_TEST_SUITE_P(CancellationOnTheLoop);

TYPED_TEST_P(CancellationOnTheLoop, RunSyncCancelsTheFutureItGaveUpOnThenRaisesTimeoutError) {
  auto& loop = this->loop;
  typename TestFixture::template Future<int> slow;
  std::vector<std::string> seen;
  slow.add_done_callback([&](const auto& f) { seen.push_back(f.cancelled() ? "cancelled" : "resolved"); });

  expect_error<typename TestFixture::TimeoutError>([&] { loop.run_sync([&] { return slow; }, 5s); },
                                                   {"timed out after 5"});

  EXPECT_TRUE(slow.cancelled());
  EXPECT_THAT(seen, ElementsAre("cancelled"));
}

TYPED_TEST_P(CancellationOnTheLoop, AResultThatArrivesAfterTheTimeoutIsDroppedQuietly) {
  auto& loop = this->loop;
  typename TestFixture::template Future<int> late;
  loop.call_later(10s, [late] { future_set_result_unless_cancelled(late, 1); });
  EXPECT_THROW(loop.run_sync([&] { return late; }, 5s), typename TestFixture::TimeoutError);

  loop.run_sync([&] {  // outlives the late result at 10 s
    typename TestFixture::template Future<void> later;
    loop.call_later(20s, [later] { later.set_result(); });
    return later;
  });

  EXPECT_TRUE(late.cancelled());
  EXPECT_TRUE(loop.reported.empty());
}

TYPED_TEST_P(CancellationOnTheLoop, AFutureCancelledByItsOwnerIsRaisedAsCancelledErrorNotATimeout) {
  auto& loop = this->loop;
  typename TestFixture::template Future<int> future;
  loop.call_later(1s, [future] { future.cancel(); });

  EXPECT_THROW(loop.run_sync([&] { return future; }, 1h), typename TypeParam::CancelledError);
}

REGISTER_TYPED_TEST_SUITE_P(CancellationOnTheLoop,
                            RunSyncCancelsTheFutureItGaveUpOnThenRaisesTimeoutError,
                            AResultThatArrivesAfterTheTimeoutIsDroppedQuietly,
                            AFutureCancelledByItsOwnerIsRaisedAsCancelledErrorNotATimeout);

// ================================================================= executor Futures

template <class Env>
class CancellationAcrossThreads : public LoopTest<Env> {
 protected:
  template <class T>
  using Future = typename Env::template Future<T>;
  using Executor = typename Env::ThreadPoolExecutor;

  /// A door a worker waits at until the test opens it.
  struct Gate {
    std::mutex mutex;
    std::condition_variable changed;
    bool entered = false;
    bool open = false;
    void enter_and_wait() {
      std::unique_lock lock(mutex);
      entered = true;
      changed.notify_all();
      changed.wait(lock, [&] { return open; });
    }
    void wait_until_entered() {
      std::unique_lock lock(mutex);
      changed.wait(lock, [&] { return entered; });
    }
    void release() {
      std::lock_guard lock(mutex);
      open = true;
      changed.notify_all();
    }
  };
};
TYPED_TEST_SUITE_P(CancellationAcrossThreads);

TYPED_TEST_P(CancellationAcrossThreads, AJobAlreadyRunningFinishesAndItsResultIsDroppedQuietly) {
  auto& loop = this->loop;
  common::CapturedLog log;
  typename TestFixture::Executor pool(1);
  typename TestFixture::Gate gate;
  std::atomic<bool> finished{false};
  auto running = loop.run_in_executor(&pool, [&] {
    gate.enter_and_wait();
    finished = true;
    return 1;
  });
  gate.wait_until_entered();

  EXPECT_TRUE(running.cancel());  // a running job cannot be stopped; its Future can be
  gate.release();
  // One worker, one queue: this job's result comes back after the first one's.
  const int next = loop.run_sync([&] { return loop.run_in_executor(&pool, [] { return 2; }); });

  EXPECT_EQ(next, 2);
  EXPECT_TRUE(finished.load());
  EXPECT_TRUE(running.cancelled());
  EXPECT_TRUE(loop.reported.empty());  // no InvalidStateError from the late hand-back
  EXPECT_TRUE(log.messages(common::LogLevel::warning).empty());
}

TYPED_TEST_P(CancellationAcrossThreads, AJobNoWorkerHasStartedIsSkipped) {
  auto& loop = this->loop;
  typename TestFixture::Executor pool(1);
  typename TestFixture::Gate gate;
  std::atomic<bool> queued_job_ran{false};
  auto blocker = loop.run_in_executor(&pool, [&] {
    gate.enter_and_wait();
    return 1;
  });
  gate.wait_until_entered();
  auto queued = loop.run_in_executor(&pool, [&] {
    queued_job_ran = true;
    return 2;
  });

  EXPECT_TRUE(queued.cancel());
  EXPECT_TRUE(queued.cancelled());  // at once: nothing runs it any more
  gate.release();
  loop.run_sync([&] { return blocker; });
  const int after = loop.run_sync([&] { return loop.run_in_executor(&pool, [] { return 3; }); });

  EXPECT_EQ(after, 3);
  EXPECT_FALSE(queued_job_ran.load());
}

TYPED_TEST_P(CancellationAcrossThreads, AJobThatFailsAfterItsFutureWasCancelledIsLogged) {
  auto& loop = this->loop;
  common::CapturedLog log;
  typename TestFixture::Executor pool(1);
  typename TestFixture::Gate gate;
  auto failing = loop.run_in_executor(&pool, [&]() -> int {
    gate.enter_and_wait();
    throw std::runtime_error("worker failed after all");
  });
  gate.wait_until_entered();

  failing.cancel();
  gate.release();
  loop.run_sync([&] { return loop.run_in_executor(&pool, [] { return 0; }); });

  EXPECT_TRUE(loop.reported.empty());
  EXPECT_THAT(log.messages(common::LogLevel::error),
              ElementsAre(AllOf(HasSubstr("after Future was cancelled"), HasSubstr("worker failed after all"))));
}

REGISTER_TYPED_TEST_SUITE_P(CancellationAcrossThreads,
                            AJobAlreadyRunningFinishesAndItsResultIsDroppedQuietly,
                            AJobNoWorkerHasStartedIsSkipped,
                            AJobThatFailsAfterItsFutureWasCancelledIsLogged);

// ================================================================= coroutines, both styles

using Lines = std::vector<std::string>;

/// Sets a flag when destroyed: put in a coroutine frame, it shows when the frame goes.
struct DestroyedFlag {
  bool* destroyed;
  explicit DestroyedFlag(bool* flag) : destroyed(flag) {}
  DestroyedFlag(const DestroyedFlag&) = delete;
  ~DestroyedFlag() { *destroyed = true; }
};

// The scenarios, as C++20 coroutines.
template <class Env>
struct CancelCpp20 {
  static constexpr const char* name = "cpp20_coroutine";
  template <class T>
  using Future = typename Env::template Future<T>;
  template <class T>
  using Coroutine = typename Env::template Coroutine<T>;
  using CancelledError = typename Env::CancelledError;

  // try { return wait(f) } catch CancelledError { log "cleaning up"; raise }
  static Coroutine<int> clean_up_and_rethrow(Future<int> f, Lines& log, bool* frame_destroyed) {
    DestroyedFlag sentinel(frame_destroyed);
    try {
      const int v = co_await f;
      co_return v;
    } catch (const CancelledError&) {
      log.push_back("cleaning up");
      throw;
    }
  }
  // try { wait(f) } catch CancelledError { } wait(moment); log "cleaned up"; return -1
  static Coroutine<int> clean_up_and_return(Future<int> f, Lines& log) {
    bool cancelled = false;
    try {
      const int v = co_await f;
      co_return v;
    } catch (const CancelledError&) {
      cancelled = true;  // C++ allows no co_await inside a handler: the clean-up waits below
    }
    co_await Env::moment();
    log.push_back(cancelled ? "cleaned up" : "?");
    co_return -1;
  }
};

// The same scenarios, as chapter 1 state machines driven by the same Runner.
template <class Env>
struct CancelHandWritten {
  static constexpr const char* name = "hand_written_state_machine";
  template <class T>
  using Future = typename Env::template Future<T>;
  template <class T>
  using Gen = typename Env::template CoroutineGenerator<T>;
  using CancelledError = typename Env::CancelledError;

  // Stands for: try { return (yield f) } except CancelledError: log "cleaning up"; raise
  class CleanUpAndRethrow : public Gen<int> {
   public:
    CleanUpAndRethrow(Future<int> f, Lines& log, bool* destroyed)
        : f_(std::move(f)), log_(log), sentinel_(destroyed) {}

   protected:
    typename Gen<int>::Result resume(typename Gen<int>::Input in) override {
      if (!started_) {
        started_ = true;
        return this->yield(f_);
      }
      try {
        return this->return_(in.sent_value().template result<int>());
      } catch (const CancelledError&) {
        log_.push_back("cleaning up");
        throw;
      }
    }

   private:
    Future<int> f_;
    Lines& log_;
    DestroyedFlag sentinel_;
    bool started_ = false;
  };
  static Future<int> clean_up_and_rethrow(Future<int> f, Lines& log, bool* frame_destroyed) {
    return coroutine(std::make_unique<CleanUpAndRethrow>(std::move(f), log, frame_destroyed));
  }

  // Stands for: try { return (yield f) } except CancelledError: pass
  //             yield moment; log "cleaned up"; return -1
  class CleanUpAndReturn : public Gen<int> {
   public:
    CleanUpAndReturn(Future<int> f, Lines& log) : f_(std::move(f)), log_(log) {}

   protected:
    typename Gen<int>::Result resume(typename Gen<int>::Input in) override {
      switch (state_) {
        case State::Start:
          state_ = State::Waiting;
          return this->yield(f_);
        case State::Waiting:
          try {
            return this->return_(in.sent_value().template result<int>());
          } catch (const CancelledError&) {
            state_ = State::CleaningUp;
            return this->yield(Env::moment());
          }
        case State::CleaningUp:
          log_.push_back("cleaned up");
          return this->return_(-1);
      }
      throw std::logic_error("CleanUpAndReturn: resumed in an unknown state");
    }

   private:
    enum class State { Start, Waiting, CleaningUp };
    Future<int> f_;
    Lines& log_;
    State state_ = State::Start;
  };
  static Future<int> clean_up_and_return(Future<int> f, Lines& log) {
    return coroutine(std::make_unique<CleanUpAndReturn>(std::move(f), log));
  }
};

/// A chapter's environment with one of the two styles: the CoroutineCancellation suite's
/// parameter (coroutines_spec.hpp's Styled, for these scenarios).
template <class Env, template <class> class StyleOf>
struct CancelStyled : Env {
  using Style = StyleOf<Env>;
  static constexpr const char* name = StyleOf<Env>::name;
};
template <class Env>
using CancellationStylesOf =
    ::testing::Types<CancelStyled<Env, CancelHandWritten>, CancelStyled<Env, CancelCpp20>>;

template <class Styled>
class CoroutineCancellation : public VirtualLoopTest<Styled> {
 protected:
  using Style = typename Styled::Style;
  template <class T>
  using Future = typename Styled::template Future<T>;

  /// A Future a timer resolves with `value` after `delay`, unless it was cancelled by then.
  Future<int> later(int value, std::chrono::nanoseconds delay) {
    Future<int> f;
    this->loop.call_later(delay, [f, value] { future_set_result_unless_cancelled(f, value); });
    return f;
  }
};
TYPED_TEST_SUITE_P(CoroutineCancellation);

TYPED_TEST_P(CoroutineCancellation, ACancelledCoroutineGetsCancelledErrorWhereItWaitsAndEndsCancelled) {
  using Style = typename TestFixture::Style;
  typename TestFixture::template Future<int> awaited;
  Lines log;
  bool frame_destroyed = false;
  auto result = Style::clean_up_and_rethrow(awaited, log, &frame_destroyed);

  EXPECT_TRUE(result.cancel());
  EXPECT_TRUE(awaited.cancelled());  // the request went on to what it waits on
  EXPECT_FALSE(result.done());       // a request: the coroutine has not run yet
  this->loop.run_sync([] { return TypeParam::sleep(1ms); });

  EXPECT_THAT(log, ElementsAre("cleaning up"));
  EXPECT_TRUE(result.cancelled());
  EXPECT_TRUE(frame_destroyed);
  EXPECT_EQ(this->loop.suspended_coroutines(), 0u);
}

TYPED_TEST_P(CoroutineCancellation, ACoroutineThatCatchesTheCancelMayWaitAndReturnAValue) {
  // asyncio: a Task that swallows CancelledError and returns completes with that value.
  using Style = typename TestFixture::Style;
  typename TestFixture::template Future<int> awaited;
  Lines log;
  auto result = Style::clean_up_and_return(awaited, log);

  EXPECT_TRUE(result.cancel());
  const int value = this->loop.run_sync([&] { return result; });

  EXPECT_EQ(value, -1);
  EXPECT_FALSE(result.cancelled());
  EXPECT_THAT(log, ElementsAre("cleaned up"));
}

TYPED_TEST_P(CoroutineCancellation, CancellingAFinishedCoroutineReturnsFalse) {
  using Style = typename TestFixture::Style;
  typename TestFixture::template Future<int> done;
  done.set_result(5);
  Lines log;
  bool frame_destroyed = false;
  auto result = Style::clean_up_and_rethrow(done, log, &frame_destroyed);

  EXPECT_FALSE(result.cancel());
  EXPECT_EQ(result.result(), 5);
  EXPECT_TRUE(log.empty());
}

TYPED_TEST_P(CoroutineCancellation, ACancelPassesDownThroughACoroutineItWaitsOn) {
  using Style = typename TestFixture::Style;
  typename TestFixture::template Future<int> deepest;
  Lines log;
  bool inner_destroyed = false;
  bool outer_destroyed = false;
  auto inner = Style::clean_up_and_rethrow(deepest, log, &inner_destroyed);
  auto outer = Style::clean_up_and_rethrow(inner, log, &outer_destroyed);

  EXPECT_TRUE(outer.cancel());
  EXPECT_TRUE(deepest.cancelled());  // outer's Runner -> inner's Runner -> deepest
  EXPECT_FALSE(inner.done());
  this->loop.run_sync([] { return TypeParam::sleep(1ms); });

  EXPECT_THAT(log, ElementsAre("cleaning up", "cleaning up"));  // inner first, then outer
  EXPECT_TRUE(inner.cancelled());
  EXPECT_TRUE(outer.cancelled());
}

TYPED_TEST_P(CoroutineCancellation, AFrameDestroyedWithItsLoopRunsItsDestructorsButNoCatchBlock) {
  // Destroying is not cancelling: the frame's locals are destroyed, but no code of the body
  // runs, so its catch (CancelledError) never sees anything.
  using Style = typename TestFixture::Style;
  typename TestFixture::template Future<int> never;
  Lines log;
  bool frame_destroyed = false;
  typename TestFixture::template Future<int> result;
  {
    auto doomed = std::make_unique<typename TypeParam::Loop>(TypeParam::make_poller(), this->clock);
    doomed->make_current();
    result = Style::clean_up_and_rethrow(never, log, &frame_destroyed);
  }

  EXPECT_TRUE(frame_destroyed);
  EXPECT_TRUE(log.empty());
  EXPECT_FALSE(result.done());
  EXPECT_TRUE(result.cancel());  // nothing drives it any more: cancelled at once
  EXPECT_TRUE(result.cancelled());
}

TYPED_TEST_P(CoroutineCancellation, RunSyncTimeoutCancelsTheCoroutineAndWaitsForItsCleanUp) {
  // Tornado 6.2: ioloop_test.py, TestIOLoopRunSync.test_timeout, and what 5.0 added to it:
  // "If a timeout occurs, the func coroutine will be cancelled".
  using Style = typename TestFixture::Style;
  Lines log;
  bool frame_destroyed = false;
  typename TestFixture::template Future<int> slow = this->later(1, 1s);
  typename TestFixture::template Future<int> result;

  expect_error<typename TypeParam::TimeoutError>(
      [&] {
        this->loop.run_sync(
            [&] {
              result = Style::clean_up_and_rethrow(slow, log, &frame_destroyed);
              return result;
            },
            10ms);
      },
      {"timed out"});

  EXPECT_THAT(log, ElementsAre("cleaning up"));  // before run_sync returned
  EXPECT_TRUE(slow.cancelled());
  EXPECT_TRUE(result.cancelled());
  EXPECT_TRUE(frame_destroyed);
  EXPECT_EQ(this->loop.suspended_coroutines(), 0u);
}

TYPED_TEST_P(CoroutineCancellation, RunSyncReturnsWhatACoroutineReturnedAfterCatchingTheCancel) {
  // Tornado 6 on asyncio: run_sync raises TimeoutError only if the work ended cancelled.
  using Style = typename TestFixture::Style;
  typename TestFixture::template Future<int> never;
  Lines log;

  const int value = this->loop.run_sync([&] { return Style::clean_up_and_return(never, log); }, 10ms);

  EXPECT_EQ(value, -1);
  EXPECT_THAT(log, ElementsAre("cleaned up"));
}

REGISTER_TYPED_TEST_SUITE_P(CoroutineCancellation,
                            ACancelledCoroutineGetsCancelledErrorWhereItWaitsAndEndsCancelled,
                            ACoroutineThatCatchesTheCancelMayWaitAndReturnAValue,
                            CancellingAFinishedCoroutineReturnsFalse,
                            ACancelPassesDownThroughACoroutineItWaitsOn,
                            AFrameDestroyedWithItsLoopRunsItsDestructorsButNoCatchBlock,
                            RunSyncTimeoutCancelsTheCoroutineAndWaitsForItsCleanUp,
                            RunSyncReturnsWhatACoroutineReturnedAfterCatchingTheCancel);

// ================================================================= gen's helpers and C++20 alone

template <class Env>
class CancellationHelpers : public VirtualLoopTest<Env> {
 protected:
  template <class T>
  using Future = typename Env::template Future<T>;
  template <class T>
  using Coroutine = typename Env::template Coroutine<T>;
  using CancelledError = typename Env::CancelledError;
};
TYPED_TEST_SUITE_P(CancellationHelpers);

TYPED_TEST_P(CancellationHelpers, ACancelledSleepReportsNothingWhenItsTimerFires) {
  auto sleeper = [&]() -> typename TestFixture::template Coroutine<void> { co_await TypeParam::sleep(1s); };
  auto result = sleeper();

  result.cancel();
  this->loop.run_sync([] { return TypeParam::sleep(2s); });  // past the sleep's own timer

  EXPECT_TRUE(result.cancelled());
  EXPECT_TRUE(this->loop.reported.empty());  // the timer found its Future cancelled: no error
}

TYPED_TEST_P(CancellationHelpers, WithTimeoutNeverCancelsTheFutureItGaveUpOn) {
  typename TestFixture::template Future<int> slow;

  EXPECT_THROW(this->loop.run_sync([&] { return with_timeout(10ms, slow); }),
               typename TypeParam::GenTimeoutError);
  auto abandoned = with_timeout(1s, slow);
  abandoned.cancel();

  EXPECT_FALSE(slow.done());  // neither the timeout nor cancelling its result touched it
  slow.set_result(1);
}

TYPED_TEST_P(CancellationHelpers, ACoroutineThatCancelsItselfGetsCancelledErrorAtItsNextWait) {
  using CancelledError = typename TestFixture::CancelledError;
  auto self = std::make_shared<typename TestFixture::template Future<int>>();
  std::vector<std::string> log;
  auto body = [&, self]() -> typename TestFixture::template Coroutine<int> {
    co_await TypeParam::moment();  // now its Future exists and a Runner drives it
    log.push_back(self->cancel() ? "cancel accepted" : "cancel refused");
    try {
      co_await TypeParam::sleep(1s);
    } catch (const CancelledError&) {
      log.push_back("cancelled at the next wait");
      throw;
    }
    co_return 0;
  };

  EXPECT_THROW(this->loop.run_sync([&] {
                 *self = body();
                 return *self;
               }),
               CancelledError);

  EXPECT_THAT(log, ElementsAre("cancel accepted", "cancelled at the next wait"));
  EXPECT_TRUE(self->cancelled());
}

TYPED_TEST_P(CancellationHelpers, AwaitingACancelledFutureRaisesCancelledErrorThere) {
  using CancelledError = typename TestFixture::CancelledError;
  typename TestFixture::template Future<int> gone;
  gone.cancel();
  auto body = [&]() -> typename TestFixture::template Coroutine<int> {
    const int value = co_await gone;
    co_return value;
  };

  auto result = body();  // it never suspends: the body's first step ends it

  ASSERT_TRUE(result.done());
  EXPECT_TRUE(result.cancelled());  // the CancelledError it let out cancels it, as asyncio's Task
  EXPECT_THROW(result.result(), CancelledError);
}

TYPED_TEST_P(CancellationHelpers, ACoroutineCancelledWhileWaitingOnAListReportsNothingLater) {
  common::CapturedLog log;
  std::vector<typename TestFixture::template Future<int>> children(2);
  this->loop.call_later(1s, [children] {
    children[0].set_result(1);
    children[1].set_exception(std::make_exception_ptr(std::runtime_error("child failed")));
  });
  auto body = [&]() -> typename TestFixture::template Coroutine<void> { co_await children; };
  auto result = body();

  result.cancel();
  this->loop.run_sync([] { return TypeParam::sleep(2s); });  // the children finish after it

  EXPECT_TRUE(result.cancelled());
  EXPECT_FALSE(children[0].cancelled());  // as Tornado's multi, not asyncio's gather
  EXPECT_TRUE(this->loop.reported.empty());
  // The failure nobody will see is said once, not raised as InvalidStateError.
  EXPECT_THAT(log.messages(common::LogLevel::error),
              ElementsAre(AllOf(HasSubstr("after Future was cancelled"), HasSubstr("child failed"))));
}

REGISTER_TYPED_TEST_SUITE_P(CancellationHelpers, ACancelledSleepReportsNothingWhenItsTimerFires,
                            ACoroutineCancelledWhileWaitingOnAListReportsNothingLater,
                            WithTimeoutNeverCancelsTheFutureItGaveUpOn,
                            ACoroutineThatCancelsItselfGetsCancelledErrorAtItsNextWait,
                            AwaitingACancelledFutureRaisesCancelledErrorThere);

// ================================================================= streams (chapter 8)

template <class Env>
class StreamCancellation : public VirtualLoopTest<Env> {
 protected:
  template <class T>
  using Coroutine = typename Env::template Coroutine<T>;
  using Stream = typename Env::IOStream;
  common::SocketPair pair = common::make_socketpair();
  std::shared_ptr<Stream> stream = std::make_shared<Stream>(this->loop, std::move(pair.first));
  common::Fd& peer = pair.second;
};
TYPED_TEST_SUITE_P(StreamCancellation);

TYPED_TEST_P(StreamCancellation, AReadWhoseCoroutineWasCancelledDropsItsAnswerQuietly) {
  common::CapturedLog log;
  auto reader = [&]() -> typename TestFixture::template Coroutine<std::string> {
    std::string got = co_await this->stream->read_until("\r\n");
    co_return got;
  };
  auto line = reader();

  EXPECT_TRUE(line.cancel());
  common::write_all(this->peer.get(), "too late\r\n");
  this->loop.run_sync([] { return TypeParam::sleep(10ms); });  // the stream answers the read
  this->stream->close();

  EXPECT_TRUE(line.cancelled());
  EXPECT_TRUE(this->loop.reported.empty());  // no InvalidStateError from the stream
  EXPECT_TRUE(log.messages(common::LogLevel::warning).empty());
}

REGISTER_TYPED_TEST_SUITE_P(StreamCancellation, AReadWhoseCoroutineWasCancelledDropsItsAnswerQuietly);

}  // namespace spec
