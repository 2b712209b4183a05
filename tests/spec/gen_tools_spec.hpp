// The rest of chapter 7's gen, as Tornado users know it. Instantiated by every chapter from 6 on:
//   GenTools        quiet_exceptions for multi and with_timeout; multi over Future<void> and
//                   over moment; a hand-written generator that yields nothing (`yield None`);
//   WaitIterators   Futures one at a time as they finish, from a C++20 coroutine's loop and
//                   from a hand-written generator (Tornado's WaitIteratorTest, ported).
// The environment also names Env::template WaitIterator<T, Key> and
// Env::template quiet_exceptions<E...>().
#pragma once

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "common/log.hpp"
#include "loop_harness.hpp"

namespace spec {

/// What GenTools and WaitIterators share: Futures the loop resolves or fails later.
template <class Env>
class GenToolsTest : public VirtualLoopTest<Env> {
 protected:
  template <class T>
  using Future = typename Env::template Future<T>;
  template <class T>
  using Coroutine = typename Env::template Coroutine<T>;
  using Log = std::vector<std::string>;

  Future<int> later(int value, std::chrono::nanoseconds delay) {
    Future<int> f;
    this->loop.call_later(delay, [f, value] { f.set_result(value); });
    return f;
  }
  Future<void> done_later(std::chrono::nanoseconds delay) {
    Future<void> f;
    this->loop.call_later(delay, [f] { f.set_result(); });
    return f;
  }
  template <class T = int, class E>
  Future<T> fails_later(E error, std::chrono::nanoseconds delay) {
    Future<T> f;
    this->loop.call_later(delay, [f, error] { f.set_exception(std::make_exception_ptr(error)); });
    return f;
  }
  std::vector<std::string> errors_logged(const common::CapturedLog& log) const {
    return log.messages(common::LogLevel::error);
  }
};

// ================================================================= GenTools

template <class Env>
class GenTools : public GenToolsTest<Env> {};
TYPED_TEST_SUITE_P(GenTools);

TYPED_TEST_P(GenTools, MultiExceptionsAfterTheFirstAreLoggedUnlessQuiet) {
  // Tornado's test_multi_exceptions and test_multi_future_exceptions.
  common::CapturedLog loud;
  std::vector<typename TestFixture::template Future<int>> two_failures = {
      this->fails_later(std::runtime_error("error 1"), 1ms),
      this->fails_later(std::runtime_error("error 2"), 2ms)};
  expect_error<std::runtime_error>([&] { this->loop.run_sync([&] { return multi(two_failures); }); },
                                   {"error 1"});
  EXPECT_THAT(this->errors_logged(loud), ElementsAre("Multiple exceptions in yield list: error 2"));

  common::CapturedLog quiet;
  // quiet_exceptions<std::runtime_error> covers what derives from it too (Python's isinstance),
  // and nothing else: the logic_error is still logged.
  std::vector<typename TestFixture::template Future<int>> three_failures = {
      this->fails_later(std::runtime_error("error 1"), 1ms),
      this->fails_later(std::range_error("quiet, derived"), 2ms),
      this->fails_later(std::logic_error("not quiet"), 3ms),
      this->fails_later(std::runtime_error("quiet"), 4ms)};
  expect_error<std::runtime_error>(
      [&] {
        this->loop.run_sync(
            [&] { return multi(three_failures, TypeParam::template quiet_exceptions<std::runtime_error>()); });
      },
      {"error 1"});
  EXPECT_THAT(this->errors_logged(quiet), ElementsAre("Multiple exceptions in yield list: not quiet"));
}

TYPED_TEST_P(GenTools, MultiOverAMapTakesQuietExceptionsToo) {
  common::CapturedLog log;
  std::map<std::string, typename TestFixture::template Future<int>> children = {
      {"a", this->fails_later(std::runtime_error("error a"), 2ms)},
      {"b", this->fails_later(std::runtime_error("error b"), 1ms)},
      {"c", this->fails_later(std::invalid_argument("error c"), 1ms)}};
  // Two exception types, as Tornado's tuple: both quiet.
  const auto quiet = TypeParam::template quiet_exceptions<std::runtime_error, std::invalid_argument>();

  expect_error<std::runtime_error>([&] { this->loop.run_sync([&] { return multi(children, quiet); }); },
                                   {"error a"});  // first by key order, as the map's input order

  EXPECT_THAT(this->errors_logged(log), ::testing::IsEmpty());
}

TYPED_TEST_P(GenTools, WithTimeoutQuietExceptionsAreNotLoggedAfterTheTimeout) {
  common::CapturedLog log;
  const auto quiet = TypeParam::template quiet_exceptions<std::runtime_error>();
  auto quiet_late = this->fails_later(std::runtime_error("quiet and late"), 1s);
  auto loud_late = this->fails_later(std::logic_error("loud and late"), 1s);

  EXPECT_THROW(this->loop.run_sync([&] { return with_timeout(100ms, quiet_late, quiet); }),
               typename TypeParam::GenTimeoutError);
  EXPECT_THROW(this->loop.run_sync([&] { return with_timeout(100ms, loud_late, quiet); }),
               typename TypeParam::GenTimeoutError);
  this->loop.run_sync([] { return TypeParam::sleep(2s); });  // both fail, after their timeouts

  ASSERT_TRUE(quiet_late.done());
  ASSERT_TRUE(loud_late.done());
  EXPECT_THAT(this->errors_logged(log), ElementsAre("Exception in Future after timeout: loud and late"));
}

TYPED_TEST_P(GenTools, MultiOverVoidFuturesGivesOneEmptyValuePerChild) {
  // Tornado: a list of None, one per child. Ours: one std::monostate per child.
  const auto start = this->loop.time();
  std::vector<typename TestFixture::template Future<void>> writes = {this->done_later(30ms),
                                                                     this->done_later(10ms)};
  std::map<std::string, typename TestFixture::template Future<void>> named = {
      {"x", this->done_later(5ms)}, {"y", this->done_later(1ms)}};

  const std::vector<std::monostate> all = this->loop.run_sync([&] { return multi(writes); });
  const std::map<std::string, std::monostate> by_key = this->loop.run_sync([&] { return multi(named); });

  EXPECT_EQ(all.size(), 2u);
  EXPECT_EQ(this->loop.time() - start, 30ms);  // it waited for the slowest
  EXPECT_EQ(by_key.size(), 2u);
  EXPECT_EQ(by_key.count("x") + by_key.count("y"), 2u);
}

TYPED_TEST_P(GenTools, ACoroutineCanWaitOnAListOfVoidFutures) {
  common::CapturedLog log;
  typename TestFixture::Log order;
  auto body = [&]() -> typename TestFixture::template Coroutine<std::size_t> {
    std::vector<typename TestFixture::template Future<void>> writes = {this->done_later(2ms),
                                                                       this->done_later(1ms)};
    const std::vector<std::monostate> done = co_await writes;  // Tornado's `yield [w1, w2]`
    std::vector<typename TestFixture::template Future<void>> failing = {
        this->done_later(1ms), this->template fails_later<void>(std::runtime_error("disk full"), 2ms),
        this->template fails_later<void>(std::runtime_error("also full"), 3ms)};
    try {
      co_await failing;
    } catch (const std::runtime_error& e) {
      order.push_back(std::string("caught: ") + e.what());
    }
    co_return done.size();
  };

  EXPECT_EQ(this->loop.run_sync(body), 2u);
  EXPECT_THAT(order, ElementsAre("caught: disk full"));
  EXPECT_THAT(this->errors_logged(log), ElementsAre("Multiple exceptions in yield list: also full"));
}

TYPED_TEST_P(GenTools, MultiMomentGivesOneEmptyValuePerMomentAtOnce) {
  // Tornado's test_multi_moment: multi([moment, moment]) is [None, None], with no turn taken,
  // for moment is a Future already resolved with None.
  auto at_once = multi(std::vector{TypeParam::moment(), TypeParam::moment()});

  ASSERT_TRUE(at_once.done());
  EXPECT_EQ(at_once.result().size(), 2u);

  auto wait_a_moment = [&]() -> typename TestFixture::template Coroutine<std::size_t> {
    const std::vector moments = {TypeParam::moment(), TypeParam::moment()};
    const std::vector<std::monostate> result = co_await multi(moments);
    co_return result.size();
  };
  EXPECT_EQ(this->loop.run_sync(wait_a_moment), 2u);
}

TYPED_TEST_P(GenTools, NoneActsAsMoment) {
  // Tornado's test_none (`yield None`), and test_moment's interleaving: a hand-written
  // generator yields nothing, a C++20 coroutine awaits moment; each costs one turn.
  using Gen = typename TypeParam::template CoroutineGenerator<void>;
  // Stands for: for i in range(n): out += 'a'; yield None
  class YieldsNothing : public Gen {
   public:
    YieldsNothing(int n, std::string& out) : n_(n), out_(out) {}

   protected:
    typename Gen::Result resume(typename Gen::Input in) override {
      if (i_ > 0) in.sent_value();  // what is sent back is the moment it stood for
      if (i_ == n_) return this->return_();
      ++i_;
      out_ += 'a';
      return this->yield({});
    }

   private:
    int n_;
    std::string& out_;
    int i_ = 0;
  };
  std::string out;
  auto awaits_moments = [&]() -> typename TestFixture::template Coroutine<void> {
    for (int i = 0; i < 4; ++i) {
      out += 'b';
      co_await TypeParam::moment();
    }
  };
  bool waited = false;
  auto both = [&]() -> typename TestFixture::template Coroutine<void> {
    auto a = coroutine(std::make_unique<YieldsNothing>(4, out));
    auto b = awaits_moments();
    waited = !a.done();  // nothing was raised at the yield: it waits a turn
    co_await a;
    co_await b;
  };

  this->loop.run_sync(both);

  EXPECT_TRUE(waited);
  EXPECT_EQ(out, "abababab");
  EXPECT_EQ(this->loop.suspended_coroutines(), 0u);
}

REGISTER_TYPED_TEST_SUITE_P(GenTools, MultiExceptionsAfterTheFirstAreLoggedUnlessQuiet,
                            MultiOverAMapTakesQuietExceptionsToo,
                            WithTimeoutQuietExceptionsAreNotLoggedAfterTheTimeout,
                            MultiOverVoidFuturesGivesOneEmptyValuePerChild,
                            ACoroutineCanWaitOnAListOfVoidFutures,
                            MultiMomentGivesOneEmptyValuePerMomentAtOnce, NoneActsAsMoment);

// ================================================================= WaitIterators

template <class Env>
class WaitIterators : public GenToolsTest<Env> {
 protected:
  template <class Key = std::size_t>
  using Iterator = typename Env::template WaitIterator<int, Key>;

  /// Tornado's finish_coroutines: one step a turn; on turn 3 futures[2] gets 24, on turn 5
  /// futures[0] fails, on turn 8 futures[1] gets 42 and futures[3] 84.
  void finish_coroutines(int iteration, std::vector<typename GenToolsTest<Env>::template Future<int>> futures) {
    if (iteration == 3) {
      futures[2].set_result(24);
    } else if (iteration == 5) {
      futures[0].set_exception(std::make_exception_ptr(std::domain_error("division by zero")));
    } else if (iteration == 8) {
      futures[1].set_result(42);
      futures[3].set_result(84);
    }
    if (iteration < 8) this->loop.add_callback([this, iteration, futures] { finish_coroutines(iteration + 1, futures); });
  }
  static std::vector<typename GenToolsTest<Env>::template Future<int>> four_pending() {
    return {{}, {}, {}, {}};
  }
};
TYPED_TEST_SUITE_P(WaitIterators);

TYPED_TEST_P(WaitIterators, EmptyIteratorIsDoneAtOnce) {
  // Tornado's test_empty_iterator. Its second half, positional and keyword inputs mixed, has
  // no C++ counterpart: a vector and a map are two constructors.
  typename TestFixture::template Iterator<> empty(std::vector<typename TestFixture::template Future<int>>{});
  typename TestFixture::template Iterator<std::string> empty_map(
      std::map<std::string, typename TestFixture::template Future<int>>{});

  EXPECT_TRUE(empty.done());
  EXPECT_TRUE(empty_map.done());
  EXPECT_EQ(empty.current_index(), std::nullopt);
  EXPECT_FALSE(empty.current_future().has_value());
  // Where we differ: Tornado hands out a Future that never resolves; we say so.
  expect_error<typename TypeParam::InvalidStateError>([&] { empty.next(); }, {"check done() first"});
}

TYPED_TEST_P(WaitIterators, AlreadyDoneFuturesComeOutInInputOrder) {
  // Tornado's test_already_done, with a pending input after them: finished ones come first.
  typename TestFixture::template Future<int> f1, f2, f3;
  f1.set_result(24);
  f2.set_result(42);
  f3.set_result(84);
  auto f4 = this->later(168, 1ms);
  typename TestFixture::Log seen;
  bool cleared = false;
  auto body = [&]() -> typename TestFixture::template Coroutine<void> {
    const std::vector inputs = {f4, f1, f2, f3};
    typename TestFixture::template Iterator<> g(inputs);
    while (!g.done()) {
      const int r = co_await g.next();
      EXPECT_TRUE(g.current_future()->same_as(inputs[*g.current_index()]));
      seen.push_back(std::to_string(*g.current_index()) + ": " + std::to_string(r));
    }
    cleared = !g.current_index().has_value() && !g.current_future().has_value();

    typename TestFixture::template Iterator<std::string> dg(
        std::map<std::string, typename TestFixture::template Future<int>>{{"f1", f1}, {"f2", f2}});
    while (!dg.done()) {
      const int dr = co_await dg.next();
      EXPECT_TRUE(dg.current_future()->same_as(*dg.current_index() == "f1" ? f1 : f2));
      seen.push_back(*dg.current_index() + ": " + std::to_string(dr));
    }
    cleared = cleared && !dg.current_index().has_value();
  };

  this->loop.run_sync(body);

  EXPECT_THAT(seen, ElementsAre("1: 24", "2: 42", "3: 84", "0: 168", "f1: 24", "f2: 42"));
  EXPECT_TRUE(cleared);
}

TYPED_TEST_P(WaitIterators, IteratorGivesEachFutureAsItFinishesAndAFailureOnlyAtItsStep) {
  // Tornado's test_iterator, in a C++20 coroutine's loop.
  auto futures = TestFixture::four_pending();
  typename TestFixture::Log seen;
  this->finish_coroutines(0, futures);
  auto body = [&]() -> typename TestFixture::template Coroutine<void> {
    typename TestFixture::template Iterator<> g(futures);
    while (!g.done()) {
      try {
        const int r = co_await g.next();
        seen.push_back(std::to_string(*g.current_index()) + ": " + std::to_string(r));
      } catch (const std::domain_error& e) {
        EXPECT_TRUE(g.current_future()->same_as(futures[0]));
        seen.push_back(std::to_string(*g.current_index()) + " failed: " + e.what());
      }
    }
  };

  this->loop.run_sync(body);

  EXPECT_THAT(seen, ElementsAre("2: 24", "0 failed: division by zero", "1: 42", "3: 84"));
}

TYPED_TEST_P(WaitIterators, IteratorDrivenByAHandWrittenGenerator) {
  // Tornado's test_iterator again, as a generator written by hand and driven by the Runner:
  //     g = WaitIterator(*futures)
  //     while not g.done():
  //         try: r = yield g.next()
  //         except ZeroDivisionError as e: seen.append(...)
  //         else: seen.append(...)
  using Gen = typename TypeParam::template CoroutineGenerator<void>;
  using Iterator = typename TestFixture::template Iterator<>;
  class Drain : public Gen {
   public:
    Drain(Iterator g, typename TestFixture::Log& seen) : g_(std::move(g)), seen_(seen) {}

   protected:
    typename Gen::Result resume(typename Gen::Input in) override {
      if (started_) {
        const std::string index = std::to_string(*g_.current_index());
        try {
          const int r = in.sent_value().template result<int>();
          seen_.push_back(index + ": " + std::to_string(r));
        } catch (const std::domain_error& e) {
          seen_.push_back(index + " failed: " + e.what());
        }
      }
      started_ = true;
      if (g_.done()) return this->return_();
      return this->yield(g_.next());
    }

   private:
    Iterator g_;
    typename TestFixture::Log& seen_;
    bool started_ = false;
  };
  auto futures = TestFixture::four_pending();
  typename TestFixture::Log seen;
  this->finish_coroutines(0, futures);

  this->loop.run_sync([&] { return coroutine(std::make_unique<Drain>(Iterator(futures), seen)); });

  EXPECT_THAT(seen, ElementsAre("2: 24", "0 failed: division by zero", "1: 42", "3: 84"));
}

TYPED_TEST_P(WaitIterators, IteratorAsyncAwaitStopsAtAFailureAndASecondLoopGoesOn) {
  // Tornado's test_iterator_async_await: `async for` ends at the first failure; a second
  // `async for` over the same iterator gets the rest. C++ has no `for co_await`: a loop whose
  // try is outside it does the same.
  auto futures = TestFixture::four_pending();
  typename TestFixture::Log seen;
  this->finish_coroutines(0, futures);
  auto body = [&]() -> typename TestFixture::template Coroutine<void> {
    typename TestFixture::template Iterator<> g(futures);
    try {
      while (!g.done()) {
        const int r = co_await g.next();
        seen.push_back("first loop " + std::to_string(*g.current_index()) + ": " + std::to_string(r));
      }
    } catch (const std::domain_error&) {
      seen.push_back("first loop ended at " + std::to_string(*g.current_index()));
    }
    while (!g.done()) {
      const int r = co_await g.next();
      seen.push_back("second loop " + std::to_string(*g.current_index()) + ": " + std::to_string(r));
    }
  };

  this->loop.run_sync(body);

  EXPECT_THAT(seen, ElementsAre("first loop 2: 24", "first loop ended at 0", "second loop 1: 42",
                                "second loop 3: 84"));
}

TYPED_TEST_P(WaitIterators, NoRefTheIteratorMayGoBeforeTheFutureItsNextReturned) {
  // Tornado's test_no_ref: nothing holds the iterator, only the Future next() returned.
  using Iterator = typename TypeParam::template WaitIterator<void>;
  auto first_of_one_sleep = [] { return Iterator(std::vector{TypeParam::sleep(0ms)}).next(); };

  this->loop.run_sync([&] { return with_timeout(100ms, first_of_one_sleep()); });

  EXPECT_EQ(this->loop.suspended_coroutines(), 0u);
}

TYPED_TEST_P(WaitIterators, NextBeforeThePreviousResolvedIsRefused) {
  // Where we differ: Tornado would drop the first Future, which then never resolves.
  typename TestFixture::template Future<int> pending;
  typename TestFixture::template Iterator<> g(std::vector{pending, this->later(1, 1ms)});
  auto first = g.next();

  expect_error<typename TypeParam::InvalidStateError>([&] { g.next(); }, {"still pending"});

  pending.set_result(5);  // nothing to do with it: the next input to finish is the one handed out
  ASSERT_TRUE(first.done());
  EXPECT_EQ(first.result(), 5);
  EXPECT_EQ(g.current_index(), 0u);
  EXPECT_EQ(this->loop.run_sync([&] { return g.next(); }), 1);
  EXPECT_TRUE(g.done());
}

TYPED_TEST_P(WaitIterators, AMoveOnlyValueIsHandedOutNotCopied) {
  using Owned = std::unique_ptr<int>;
  typename TestFixture::template Future<Owned> input;
  typename TypeParam::template WaitIterator<Owned> g(std::vector{input});
  auto next = g.next();

  input.set_result(std::make_unique<int>(3));

  ASSERT_TRUE(next.done());
  EXPECT_EQ(*next.result(), 3);
}

TYPED_TEST_P(WaitIterators, ACancelledInputCancelsOnlyItsOwnStep) {
  // As chain_future passes a cancellation on: the step is cancelled, the others go on.
  typename TestFixture::template Future<int> cancelled, fine;
  typename TestFixture::template Iterator<> g(std::vector{cancelled, fine});
  auto first = g.next();

  cancelled.cancel();
  fine.set_result(2);

  ASSERT_TRUE(first.done());
  EXPECT_TRUE(first.cancelled());
  EXPECT_EQ(g.current_index(), 0u);
  EXPECT_EQ(g.next().result(), 2);
  EXPECT_TRUE(g.done());
}

TYPED_TEST_P(WaitIterators, AWaiterCancelledMidwayLosesNoInput) {
  // Cancelling the Future next() returned gives up that wait, not the input that would have
  // filled it: the next next() hands that input out.
  typename TestFixture::template Future<int> input;
  typename TestFixture::template Iterator<> g(std::vector{input});
  auto given_up = g.next();

  given_up.cancel();
  input.set_result(4);

  EXPECT_TRUE(given_up.cancelled());
  EXPECT_FALSE(g.done());
  EXPECT_EQ(g.next().result(), 4);
  EXPECT_TRUE(g.done());
}

REGISTER_TYPED_TEST_SUITE_P(WaitIterators, EmptyIteratorIsDoneAtOnce, AlreadyDoneFuturesComeOutInInputOrder,
                            IteratorGivesEachFutureAsItFinishesAndAFailureOnlyAtItsStep,
                            IteratorDrivenByAHandWrittenGenerator,
                            IteratorAsyncAwaitStopsAtAFailureAndASecondLoopGoesOn,
                            NoRefTheIteratorMayGoBeforeTheFutureItsNextReturned,
                            NextBeforeThePreviousResolvedIsRefused, AMoveOnlyValueIsHandedOutNotCopied,
                            ACancelledInputCancelsOnlyItsOwnStep, AWaiterCancelledMidwayLosesNoInput);

}  // namespace spec
