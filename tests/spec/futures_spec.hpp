// Chapter 6's rules for Futures. Instantiated by every chapter from 5 on:
//   Futures               the Future on its own (no loop needed, but each chapter has its own);
//   LoopFutures           add_future, chain_future, run_sync, on every backend;
//   RunSyncTimeouts       run_sync's timeout, on the virtual clock;
//   FuturesAcrossThreads  run_in_executor and the thread pool (ThreadSanitizer runs these).
// The environment also names `Env::template Future<T>`, `Env::InvalidStateError`,
// `Env::TimeoutError` and `Env::ThreadPoolExecutor`.
#pragma once

#include <pthread.h>

#include <functional>
#include <memory>
#include <thread>

#include "common/log.hpp"
#include "loop_harness.hpp"

namespace spec {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

template <class Env>
class Futures : public LoopTest<Env> {
 protected:
  template <class T>
  using Future = typename Env::template Future<T>;
  using InvalidStateError = typename Env::InvalidStateError;
};
TYPED_TEST_SUITE_P(Futures);

TYPED_TEST_P(Futures, ANewFutureIsPendingAndReadingItsResultIsAnError) {
  typename TestFixture::template Future<int> future;

  EXPECT_FALSE(future.done());
  expect_error<typename TestFixture::InvalidStateError>([&] { future.result(); },
                                                        {"result", "still pending"});
  expect_error<typename TestFixture::InvalidStateError>([&] { future.exception(); },
                                                        {"exception", "still pending"});
}

TYPED_TEST_P(Futures, SetResultMakesItDoneWithThatValue) {
  typename TestFixture::template Future<std::string> future;

  future.set_result("hello");

  EXPECT_TRUE(future.done());
  EXPECT_EQ(future.result(), "hello");
  EXPECT_EQ(future.exception(), nullptr);
}

TYPED_TEST_P(Futures, SetExceptionMakesResultRethrowIt) {
  typename TestFixture::template Future<int> future;

  future.set_exception(std::make_exception_ptr(std::out_of_range("no such key")));

  EXPECT_TRUE(future.done());
  EXPECT_THROW(future.result(), std::out_of_range);
  EXPECT_EQ(what_of(future.exception()), "no such key");
}

TYPED_TEST_P(Futures, ResolvingTwiceIsAnErrorAndTheFirstOutcomeStays) {
  typename TestFixture::template Future<int> future;
  future.set_result(1);

  expect_error<typename TestFixture::InvalidStateError>([&] { future.set_result(2); },
                                                        {"set_result", "already done"});
  expect_error<typename TestFixture::InvalidStateError>(
      [&] { future.set_exception(std::make_exception_ptr(std::runtime_error("x"))); },
      {"set_exception", "already done"});
  EXPECT_EQ(future.result(), 1);
}

TYPED_TEST_P(Futures, ANullExceptionIsRefused) {
  typename TestFixture::template Future<int> future;
  expect_error<std::invalid_argument>([&] { future.set_exception(nullptr); }, {"null"});
  EXPECT_FALSE(future.done());
}

TYPED_TEST_P(Futures, DoneCallbacksRunInlineInOrderExactlyOnce) {
  typename TestFixture::template Future<int> future;
  std::vector<std::string> ran;
  future.add_done_callback([&](const auto& f) { ran.push_back("first saw " + std::to_string(f.result())); });
  future.add_done_callback([&](const auto&) { ran.push_back("second"); });

  ran.push_back("before set_result");
  future.set_result(7);
  ran.push_back("after set_result");

  EXPECT_THAT(ran, ElementsAre("before set_result", "first saw 7", "second", "after set_result"));
}

TYPED_TEST_P(Futures, ACallbackAddedToADoneFutureRunsAtOnce) {
  typename TestFixture::template Future<int> future;
  future.set_result(3);
  std::vector<std::string> ran;

  future.add_done_callback([&](const auto&) { ran.push_back("ran inside add_done_callback"); });
  ran.push_back("returned");

  EXPECT_THAT(ran, ElementsAre("ran inside add_done_callback", "returned"));
}

TYPED_TEST_P(Futures, AThrowingDoneCallbackIsReportedAndTheOthersStillRun) {
  typename TestFixture::template Future<int> future;
  common::CapturedLog log;
  std::vector<std::string> ran;
  future.add_done_callback([&](const auto&) { ran.push_back("first"); });
  future.add_done_callback([](const auto&) { throw std::runtime_error("callback broke"); });
  future.add_done_callback([&](const auto&) { ran.push_back("third"); });

  future.set_result(1);

  EXPECT_THAT(ran, ElementsAre("first", "third"));
  EXPECT_THAT(log.messages(common::LogLevel::error),
              ElementsAre(AllOf(HasSubstr("Exception in done callback"), HasSubstr("callback broke"))));
}

TYPED_TEST_P(Futures, ACallbackMayDestroyTheHandleTheFutureWasResolvedThrough) {
  using IntFuture = typename TestFixture::template Future<int>;
  auto handle = std::make_unique<IntFuture>();
  std::vector<int> seen;
  handle->add_done_callback([&](const IntFuture&) { handle.reset(); });
  handle->add_done_callback([&](const IntFuture& f) { seen.push_back(f.result()); });

  handle->set_result(4);  // the first callback destroys *handle; the second must not care

  EXPECT_THAT(seen, ElementsAre(4));
}

TYPED_TEST_P(Futures, AMoveOnlyValueWorks) {
  typename TestFixture::template Future<std::unique_ptr<int>> future;
  std::unique_ptr<int> taken;
  future.add_done_callback([&](const auto& f) { taken = std::move(f.result()); });

  future.set_result(std::make_unique<int>(42));

  ASSERT_NE(taken, nullptr);
  EXPECT_EQ(*taken, 42);
}

TYPED_TEST_P(Futures, CopiesShareOneStateAsPythonReferencesDo) {
  typename TestFixture::template Future<int> original;
  auto copy = original;

  copy.set_result(5);

  EXPECT_TRUE(original.done());
  EXPECT_EQ(original.result(), 5);
  EXPECT_TRUE(original.same_as(copy));
  EXPECT_FALSE(original.same_as(typename TestFixture::template Future<int>()));
}

TYPED_TEST_P(Futures, TheStateIsFreedWithItsLastHolderAndCallback) {
  auto value = std::make_shared<int>(1);
  std::weak_ptr<int> value_watch = value;
  auto captured = std::make_shared<int>(2);
  std::weak_ptr<int> captured_watch = captured;
  {
    typename TestFixture::template Future<std::shared_ptr<int>> future;
    future.add_done_callback([captured = std::move(captured)](const auto&) {});
    auto copy = future;
    copy.set_result(std::move(value));
    EXPECT_TRUE(captured_watch.expired());  // callbacks are dropped once they have run
    EXPECT_FALSE(value_watch.expired());
  }
  EXPECT_TRUE(value_watch.expired());
}

TYPED_TEST_P(Futures, VoidFuturesCarryOnlyDoneOrFailed) {
  typename TestFixture::template Future<void> ok;
  typename TestFixture::template Future<void> failed;

  ok.set_result();
  failed.set_exception(std::make_exception_ptr(std::runtime_error("nope")));

  EXPECT_NO_THROW(ok.result());
  EXPECT_THROW(failed.result(), std::runtime_error);
}

TYPED_TEST_P(Futures, AnExceptionNobodyReadIsLoggedWhenTheFutureGoes) {
  common::CapturedLog log;
  {
    typename TestFixture::template Future<int> ignored;
    ignored.set_exception(std::make_exception_ptr(std::runtime_error("lost")));
    typename TestFixture::template Future<int> read;
    read.set_exception(std::make_exception_ptr(std::runtime_error("seen")));
    EXPECT_THROW(read.result(), std::runtime_error);
  }
  EXPECT_THAT(log.messages(common::LogLevel::error),
              ElementsAre("Future exception was never retrieved: lost"));
}

TYPED_TEST_P(Futures, AMovedFromFutureSaysItIsEmpty) {
  using IntFuture = typename TestFixture::template Future<int>;
  IntFuture original;
  IntFuture taken = std::move(original);

  // A moved-from handle refers to no Future at all: every use says so, none dereferences null.
  expect_error<typename TestFixture::InvalidStateError>([&] { (void)original.done(); },
                                                        {"done", "moved from"});
  expect_error<typename TestFixture::InvalidStateError>([&] { original.set_result(1); },
                                                        {"set_result", "moved from"});
  expect_error<typename TestFixture::InvalidStateError>(
      [&] { original.add_done_callback([](const IntFuture&) {}); }, {"add_done_callback", "moved from"});
  EXPECT_FALSE(original.same_as(taken));

  taken.set_result(2);  // the Future itself lives on in the handle it was moved to
  EXPECT_EQ(taken.result(), 2);

  original = taken;  // assigning makes it a handle again
  EXPECT_EQ(original.result(), 2);
}

REGISTER_TYPED_TEST_SUITE_P(Futures, ANewFutureIsPendingAndReadingItsResultIsAnError,
                            SetResultMakesItDoneWithThatValue, SetExceptionMakesResultRethrowIt,
                            ResolvingTwiceIsAnErrorAndTheFirstOutcomeStays,
                            ANullExceptionIsRefused, DoneCallbacksRunInlineInOrderExactlyOnce,
                            ACallbackAddedToADoneFutureRunsAtOnce,
                            AThrowingDoneCallbackIsReportedAndTheOthersStillRun,
                            ACallbackMayDestroyTheHandleTheFutureWasResolvedThrough,
                            AMoveOnlyValueWorks, CopiesShareOneStateAsPythonReferencesDo,
                            TheStateIsFreedWithItsLastHolderAndCallback,
                            VoidFuturesCarryOnlyDoneOrFailed,
                            AnExceptionNobodyReadIsLoggedWhenTheFutureGoes,
                            AMovedFromFutureSaysItIsEmpty);

// ================================================================= with the loop

/// Runs `body` on a new thread with a stack of `bytes`, and waits for it: where unbounded
/// recursion shows as a crash, not as a test that passes on a big main stack.
inline void run_on_a_small_stack(std::size_t bytes, std::function<void()> body) {
  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  pthread_attr_setstacksize(&attributes, bytes);
  pthread_t thread;
  const int created = pthread_create(
      &thread, &attributes,
      [](void* arg) -> void* {
        (*static_cast<std::function<void()>*>(arg))();
        return nullptr;
      },
      &body);
  pthread_attr_destroy(&attributes);
  ASSERT_EQ(created, 0);
  common::testing::with_watchdog(60s, [&] { pthread_join(thread, nullptr); });
}

template <class Env>
class LoopFutures : public CountingLoopTest<Env> {
 protected:
  template <class T>
  using Future = typename Env::template Future<T>;
};
TYPED_TEST_SUITE_P(LoopFutures);

TYPED_TEST_P(LoopFutures, AddFutureCallsBackOnTheNextTurnNeverInsideSetResult) {
  auto& loop = this->loop;
  typename TestFixture::template Future<int> future;
  std::vector<std::pair<std::string, int>> ran;
  loop.add_future(future, [&](const auto& f) {
    ran.push_back({"add_future callback got " + std::to_string(f.result()), this->counts.polls.load()});
    loop.stop();
  });
  loop.add_callback([&] {
    future.set_result(9);
    ran.push_back({"set_result returned", this->counts.polls.load()});
  });

  run_with_watchdog(loop);

  ASSERT_EQ(ran.size(), 2u);
  EXPECT_EQ(ran[0].first, "set_result returned");
  EXPECT_EQ(ran[1].first, "add_future callback got 9");
  EXPECT_GT(ran[1].second, ran[0].second);  // a later turn
}

TYPED_TEST_P(LoopFutures, AddFutureOnADoneFutureStillWaitsATurn) {
  auto& loop = this->loop;
  typename TestFixture::template Future<int> future;
  future.set_result(1);
  std::vector<std::string> ran;

  loop.add_future(future, [&](const auto&) {
    ran.push_back("callback");
    loop.stop();
  });
  ran.push_back("add_future returned");
  run_with_watchdog(loop);

  EXPECT_THAT(ran, ElementsAre("add_future returned", "callback"));
}

TYPED_TEST_P(LoopFutures, ChainFutureCopiesTheOutcomeUnlessTheTargetIsDone) {
  using IntFuture = typename TestFixture::template Future<int>;
  IntFuture a, b, c, d, done_target;
  chain_future(a, b);
  chain_future(c, d);
  done_target.set_result(100);
  chain_future(a, done_target);

  a.set_result(5);
  c.set_exception(std::make_exception_ptr(std::runtime_error("failed upstream")));

  EXPECT_EQ(b.result(), 5);
  EXPECT_EQ(what_of(d.exception()), "failed upstream");
  EXPECT_EQ(done_target.result(), 100);
}

TYPED_TEST_P(LoopFutures, RunSyncReturnsWhatTheFutureResolvesTo) {
  auto& loop = this->loop;
  const int value = loop.run_sync([&] {
    typename TestFixture::template Future<int> future;
    loop.call_later(1ms, [future] { future.set_result(41 + 1); });
    return future;
  });
  EXPECT_EQ(value, 42);
}

TYPED_TEST_P(LoopFutures, RunSyncTakesAFunctionThatReturnsNothing) {
  // A plain value is refused at compile time (tests/compile_fail/run_sync_plain_value.cpp).
  auto& loop = this->loop;
  bool ran = false;

  loop.run_sync([&] { ran = true; });

  EXPECT_TRUE(ran);
}

TYPED_TEST_P(LoopFutures, RunSyncRethrowsWhatFailed) {
  auto& loop = this->loop;
  EXPECT_THROW(loop.run_sync([]() -> typename TestFixture::template Future<int> {
                 throw std::domain_error("thrown by func");
               }),
               std::domain_error);
  EXPECT_THROW(loop.run_sync([&] {
                 typename TestFixture::template Future<int> future;
                 loop.call_later(1ms, [future] {
                   future.set_exception(std::make_exception_ptr(std::range_error("in the Future")));
                 });
                 return future;
               }),
               std::range_error);
}

TYPED_TEST_P(LoopFutures, RunSyncRunsFuncInsideTheLoopAsItsCurrentLoop) {
  using Loop = typename TestFixture::Loop;
  auto& loop = this->loop;
  Loop::clear_current();
  std::vector<bool> seen;

  loop.run_sync([&] { seen = {loop.running(), Loop::current() == &loop}; });

  EXPECT_THAT(seen, ElementsAre(true, true));
  EXPECT_FALSE(loop.running());
}

TYPED_TEST_P(LoopFutures, RunSyncWithAMoveOnlyResult) {
  auto& loop = this->loop;
  auto owned = loop.run_sync([] {
    typename TestFixture::template Future<std::unique_ptr<int>> future;
    future.set_result(std::make_unique<int>(8));
    return future;
  });
  ASSERT_NE(owned, nullptr);
  EXPECT_EQ(*owned, 8);
}

TYPED_TEST_P(LoopFutures, ARunSyncEndedByAnEarlierStopNeverRunsItsFunctionLater) {
  auto& loop = this->loop;
  int calls = 0;
  loop.stop();  // idle: the next start() returns at once, with run_sync's starter unrun
  EXPECT_THROW(loop.run_sync([&] { ++calls; }), std::runtime_error);

  loop.run_sync([] {});  // a later run must not pick up the abandoned starter

  EXPECT_EQ(calls, 0);
}

TYPED_TEST_P(LoopFutures, DestroyingALoopWithPendingFuturesRunsNothingAndLeaksNothing) {
  typename TestFixture::template Future<int> future;
  bool called = false;
  auto held = std::make_shared<int>(1);
  std::weak_ptr<int> watch = held;
  {
    auto doomed = make_plain_loop<TypeParam>();
    doomed->add_future(future, [&, held = std::move(held)](const auto&) { called = true; });
    doomed->call_later(1h, [future] { future.set_result(1); });
  }

  future.set_result(2);  // the loop is gone: its add_future callback must do nothing

  EXPECT_FALSE(called);
  EXPECT_TRUE(watch.expired());
}

TYPED_TEST_P(LoopFutures, ASecondRunSyncOfAMoveOnlyFutureIsRefused) {
  auto& loop = this->loop;
  typename TestFixture::template Future<std::unique_ptr<int>> future;
  future.set_result(std::make_unique<int>(8));

  auto first = loop.run_sync([&] { return future; });

  ASSERT_NE(first, nullptr);
  EXPECT_EQ(*first, 8);
  // One Future, one taker: the value went to the first; the second is told so, not handed null.
  expect_error<typename TypeParam::InvalidStateError>([&] { loop.run_sync([&] { return future; }); },
                                                      {"already taken", "one Future, one taker"});
}

TYPED_TEST_P(LoopFutures, AChainOfAHundredThousandFuturesResolvesOnA512KiBStack) {
  using IntFuture = typename TestFixture::template Future<int>;
  // Done callbacks run inline, so each link's set_result runs the next link's: a chain this
  // long would need a stack frame per link (Tornado 4.5 recurses too, to RecursionError).
  std::vector<IntFuture> chain(100'001);
  for (std::size_t i = 0; i + 1 < chain.size(); ++i) chain_future(chain[i], chain[i + 1]);
  bool all_done_on_return = false;

  run_on_a_small_stack(512 * 1024, [&] {
    chain.front().set_result(7);
    all_done_on_return = chain.back().done();  // resolved before set_result returned
  });

  EXPECT_TRUE(all_done_on_return);
  ASSERT_TRUE(chain.back().done());
  EXPECT_EQ(chain.back().result(), 7);
}

REGISTER_TYPED_TEST_SUITE_P(LoopFutures, AddFutureCallsBackOnTheNextTurnNeverInsideSetResult,
                            AddFutureOnADoneFutureStillWaitsATurn,
                            ChainFutureCopiesTheOutcomeUnlessTheTargetIsDone,
                            RunSyncReturnsWhatTheFutureResolvesTo,
                            RunSyncTakesAFunctionThatReturnsNothing, RunSyncRethrowsWhatFailed,
                            RunSyncRunsFuncInsideTheLoopAsItsCurrentLoop, RunSyncWithAMoveOnlyResult,
                            ARunSyncEndedByAnEarlierStopNeverRunsItsFunctionLater,
                            DestroyingALoopWithPendingFuturesRunsNothingAndLeaksNothing,
                            ASecondRunSyncOfAMoveOnlyFutureIsRefused,
                            AChainOfAHundredThousandFuturesResolvesOnA512KiBStack);

// ================================================================= run_sync's timeout

template <class Env>
class RunSyncTimeouts : public VirtualLoopTest<Env> {
 protected:
  template <class T>
  using Future = typename Env::template Future<T>;
  using TimeoutError = typename Env::TimeoutError;
};
TYPED_TEST_SUITE_P(RunSyncTimeouts);

TYPED_TEST_P(RunSyncTimeouts, ATimeoutThatExpiresThrowsSayingHowLongItWaited) {
  auto& loop = this->loop;
  typename TestFixture::template Future<int> never;
  const auto started = loop.time();

  expect_error<typename TestFixture::TimeoutError>(
      [&] { loop.run_sync([&] { return never; }, std::chrono::milliseconds(2500)); },
      {"timed out after 2.5"});

  EXPECT_EQ(loop.time() - started, std::chrono::nanoseconds(2500ms));
  EXPECT_FALSE(loop.running());
}

TYPED_TEST_P(RunSyncTimeouts, AfterATimeoutTheLoopIsReusableAndTheLateFutureDoesNotStopIt) {
  auto& loop = this->loop;
  typename TestFixture::template Future<int> late;
  // The timeout cancels `late`: its result, when it comes, is dropped (see cancellation_spec).
  loop.call_later(10s, [late] { future_set_result_unless_cancelled(late, 1); });
  EXPECT_THROW(loop.run_sync([&] { return late; }, 5s), typename TestFixture::TimeoutError);

  // The next run outlives the late Future's resolution at 10 s; Tornado 4.5 would stop here.
  const int value = loop.run_sync([&] {
    typename TestFixture::template Future<int> slower;
    loop.call_later(20s, [slower] { slower.set_result(2); });
    return slower;
  });

  EXPECT_EQ(value, 2);
  EXPECT_TRUE(late.done());
}

TYPED_TEST_P(RunSyncTimeouts, AFutureThatWinsRemovesTheTimeout) {
  auto& loop = this->loop;
  const int value = loop.run_sync([&] {
    typename TestFixture::template Future<int> quick;
    loop.call_later(1s, [quick] { quick.set_result(3); });
    return quick;
  }, 1h);

  EXPECT_EQ(value, 3);
  EXPECT_EQ(loop.timer_stats().scheduled, 0u);
}

TYPED_TEST_P(RunSyncTimeouts, AForeignStopIsNotATimeout) {
  auto& loop = this->loop;
  typename TestFixture::template Future<int> never;
  expect_error<std::runtime_error>(
      [&] {
        loop.run_sync([&] {
          loop.add_callback([&] { loop.stop(); });
          return never;
        });
      },
      {"stopped before the operation finished"});
}

REGISTER_TYPED_TEST_SUITE_P(RunSyncTimeouts, ATimeoutThatExpiresThrowsSayingHowLongItWaited,
                            AfterATimeoutTheLoopIsReusableAndTheLateFutureDoesNotStopIt,
                            AFutureThatWinsRemovesTheTimeout, AForeignStopIsNotATimeout);

// ================================================================= worker threads

template <class Env>
class FuturesAcrossThreads : public LoopTest<Env> {
 protected:
  template <class T>
  using Future = typename Env::template Future<T>;
  using Executor = typename Env::ThreadPoolExecutor;
};
TYPED_TEST_SUITE_P(FuturesAcrossThreads);

TYPED_TEST_P(FuturesAcrossThreads, RunInExecutorRunsOnAWorkerAndResolvesOnTheLoopsThread) {
  auto& loop = this->loop;
  typename TestFixture::Executor pool(2);
  std::thread::id worked_on;
  std::thread::id resolved_on;

  const int value = loop.run_sync([&] {
    auto future = loop.run_in_executor(&pool, [&] {
      worked_on = std::this_thread::get_id();
      return 6 * 7;
    });
    future.add_done_callback([&](const auto&) { resolved_on = std::this_thread::get_id(); });
    return future;
  });

  EXPECT_EQ(value, 42);
  EXPECT_NE(worked_on, std::this_thread::get_id());
  EXPECT_EQ(resolved_on, std::this_thread::get_id());
}

TYPED_TEST_P(FuturesAcrossThreads, AnExceptionOnTheWorkerFailsTheFuture) {
  auto& loop = this->loop;
  EXPECT_THROW(loop.run_sync([&] {
                 return loop.run_in_executor(nullptr, []() -> int { throw std::length_error("worker failed"); });
               }),
               std::length_error);
}

TYPED_TEST_P(FuturesAcrossThreads, ManyJobsAllComeBack) {
  auto& loop = this->loop;
  typename TestFixture::Executor pool(4);
  const int total = loop.run_sync([&] {
    typename TestFixture::template Future<int> sum;
    auto state = std::make_shared<std::pair<int, int>>(0, 0);  // (sum, arrived)
    for (int i = 1; i <= 200; ++i) {
      loop.add_future(loop.run_in_executor(&pool, [i] { return i; }), [sum, state](const auto& f) {
        state->first += f.result();
        if (++state->second == 200) sum.set_result(state->first);
      });
    }
    return sum;
  });
  EXPECT_EQ(total, 200 * 201 / 2);
}

TYPED_TEST_P(FuturesAcrossThreads, AShutDownExecutorRefusesWorkClearly) {
  auto& loop = this->loop;
  typename TestFixture::Executor pool(1);
  pool.shutdown();

  expect_error<std::logic_error>([&] { loop.run_in_executor(&pool, [] { return 1; }); },
                                 {"shut down"});
}

TYPED_TEST_P(FuturesAcrossThreads, DestroyingAnExecutorFinishesItsQueueAndJoinsItsWorkers) {
  std::atomic<int> done{0};
  {
    typename TestFixture::Executor pool(2);
    for (int i = 0; i < 20; ++i) {
      pool.submit([&] {
        std::this_thread::sleep_for(1ms);
        ++done;
      });
    }
  }
  EXPECT_EQ(done.load(), 20);
}

TYPED_TEST_P(FuturesAcrossThreads, DestroyingALoopWhileItsWorkersRunIsSafe) {
  std::atomic<bool> started{false};
  std::atomic<bool> finished{false};
  {
    auto loop = make_plain_loop<TypeParam>();
    loop->run_in_executor(nullptr, [&] {
      started = true;
      std::this_thread::sleep_for(20ms);  // still working while the loop is destroyed
      finished = true;
      return 1;
    });
    while (!started) std::this_thread::yield();
  }  // joins the default executor; the late result is dropped (the sanitizers watch this)
  EXPECT_TRUE(finished.load());  // the destructor waited for the worker
}

TYPED_TEST_P(FuturesAcrossThreads, AnExecutorWhoseLastReferenceDiesInItsOwnJobShutsDownCleanly) {
  using Executor = typename TestFixture::Executor;
  auto pool = std::make_shared<Executor>(2);
  std::weak_ptr<Executor> watch = pool;
  // On the heap, held by the jobs: nobody joins the worker that reads them last, so they
  // must not live on this test's stack, which the next test reuses.
  struct Flags {
    std::atomic<bool> released{false};
    std::atomic<bool> later_job_ran{false};
  };
  auto flags = std::make_shared<Flags>();
  pool->submit([flags] { flags->later_job_ran = true; });
  // The job holds the last reference: the executor is destroyed on its own worker thread,
  // which cannot join itself.
  pool->submit([flags, keep = pool] {
    while (!flags->released) std::this_thread::yield();
  });
  pool.reset();

  flags->released = true;
  common::testing::with_watchdog(5s, [&] {
    while (!watch.expired()) std::this_thread::sleep_for(1ms);
  });

  EXPECT_TRUE(flags->later_job_ran.load());
}

TYPED_TEST_P(FuturesAcrossThreads, ADefaultExecutorThatOutlivesItsLoopDropsTheLateResult) {
  // Tornado's test_set_default_executor, with the executor shared beyond the loop's life.
  auto pool = std::make_shared<typename TestFixture::Executor>(1);
  std::atomic<bool> started{false};
  std::atomic<bool> released{false};
  {
    auto loop = make_plain_loop<TypeParam>();
    loop->set_default_executor(pool);
    loop->run_in_executor(nullptr, [&] {
      started = true;
      while (!released) std::this_thread::yield();
      return 1;
    });
    while (!started) std::this_thread::yield();
  }  // the loop is gone; the pool, which we still hold, is not joined

  released = true;
  pool->shutdown(true);  // the job's hand-back to the destroyed loop has happened by now

  EXPECT_EQ(pool.use_count(), 1);  // nothing of the dead loop holds on to it
}

REGISTER_TYPED_TEST_SUITE_P(FuturesAcrossThreads,
                            RunInExecutorRunsOnAWorkerAndResolvesOnTheLoopsThread,
                            AnExceptionOnTheWorkerFailsTheFuture, ManyJobsAllComeBack,
                            AShutDownExecutorRefusesWorkClearly,
                            DestroyingAnExecutorFinishesItsQueueAndJoinsItsWorkers,
                            DestroyingALoopWhileItsWorkersRunIsSafe,
                            AnExecutorWhoseLastReferenceDiesInItsOwnJobShutsDownCleanly,
                            ADefaultExecutorThatOutlivesItsLoopDropsTheLateResult);

}  // namespace spec
