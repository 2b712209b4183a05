// Chapter 5's rules for stack contexts (Tornado 4.5's stack_context.py), carried into 5 to 7:
//   StackContexts               what callbacks, timeouts and handlers carry (every backend);
//   StackContextsAcrossThreads  a callback added from another thread carries that thread's;
//   StackContextFutures         done callbacks and add_future carry theirs (chapter 6 on);
//   StackContextCoroutines      a coroutine and its try block (chapter 7 on).
// Ported cases keep the names of tornado/test/stack_context_test.py (4.5.3). The environment
// names `Env::StackContext`, `Env::ExceptionStackContext`, `Env::NullContext`,
// `Env::StackContextInconsistentError`, `Env::wrap(fn)`, `Env::wrap_if_open(fn)` and
// `Env::context_active()`; from chapter 6 on `Env::template Future<T>`, from 6 on
// `Env::template Coroutine<T>` and `Env::moment()`.
#pragma once

#include <unistd.h>

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/fd.hpp"
#include "common/log.hpp"
#include "loop_harness.hpp"

namespace spec {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// The fixture: `active` is the stack of entered contexts as the contexts themselves see it,
// as stack_context_test.py's self.active_contexts.
template <class Env>
class StackContexts : public LoopTest<Env> {
 protected:
  using StackContext = typename Env::StackContext;
  using ExceptionStackContext = typename Env::ExceptionStackContext;
  using NullContext = typename Env::NullContext;

  std::vector<std::string> active;

  // A context's enter and exit that record it in `active` while it is entered.
  std::function<void()> enter(const std::string& name) {
    return [this, name] { active.push_back(name); };
  }
  std::function<void()> exit(const std::string& name) {
    return [this, name] {
      EXPECT_FALSE(active.empty());
      if (!active.empty()) {
        EXPECT_EQ(active.back(), name) << "contexts left in the wrong order";
        active.pop_back();
      }
    };
  }
};
TYPED_TEST_SUITE_P(StackContexts);

// The application opens its context; a library captures it (wrap), opens its own, and later
// calls the application back: the callback runs inside the application's context again,
// innermost. Tornado: test_exit_library_context.
TYPED_TEST_P(StackContexts, ExitLibraryContext) {
  using StackContext = typename TestFixture::StackContext;
  auto& loop = this->loop;
  std::vector<std::vector<std::string>> seen;

  auto library_function = [&](std::function<void()> callback) {
    callback = TypeParam::wrap(std::move(callback));  // the caller's context, before ours
    StackContext library(this->enter("library"), this->exit("library"));
    loop.add_callback([&, callback] {
      seen.push_back(this->active);  // library_inner_callback
      callback();
    });
  };
  {
    StackContext application(this->enter("application"), this->exit("application"));
    library_function([&] {
      seen.push_back(this->active);  // final_callback
      loop.stop();
    });
  }
  EXPECT_THAT(this->active, IsEmpty());

  run_with_watchdog(loop);

  // As Tornado 4.5: the wrapped callback re-enters its whole stack, inside the one it found.
  EXPECT_THAT(seen, ElementsAre(ElementsAre("application", "library"),
                                ElementsAre("application", "library", "application")));
  EXPECT_THAT(this->active, IsEmpty());
  EXPECT_THAT(loop.reported, IsEmpty());
}

// Deactivating a context leaves the callbacks running inside it alone, and keeps it out of
// everything scheduled from then on. Tornado: test_deactivate.
TYPED_TEST_P(StackContexts, Deactivate) {
  using StackContext = typename TestFixture::StackContext;
  auto& loop = this->loop;
  std::vector<std::function<void()>> deactivators;
  std::vector<std::vector<std::string>> seen;

  std::function<void()> f5 = [&] {
    seen.push_back(this->active);
    loop.stop();
  };
  std::function<void()> f4 = [&] {
    seen.push_back(this->active);
    deactivators[1]();
    seen.push_back(this->active);  // not removed from what is running now
    loop.add_callback(f5);
  };
  auto nest = [&](const char* name, std::function<void()>& next) {
    return [&, name] {
      StackContext context(this->enter(name), this->exit(name));
      deactivators.push_back(context.deactivator());
      loop.add_callback(next);
    };
  };
  std::function<void()> f3 = nest("c3", f4);
  std::function<void()> f2 = nest("c2", f3);
  std::function<void()> f1 = nest("c1", f2);
  loop.add_callback(f1);

  run_with_watchdog(loop);

  EXPECT_THAT(seen, ElementsAre(ElementsAre("c1", "c2", "c3"), ElementsAre("c1", "c2", "c3"),
                                ElementsAre("c1", "c3")));
  EXPECT_THAT(loop.reported, IsEmpty());
}

// Deactivating the outermost, a middle or the innermost context of a captured stack.
// Tornado: test_deactivate_order.
TYPED_TEST_P(StackContexts, DeactivateOrder) {
  using StackContext = typename TestFixture::StackContext;
  using NullContext = typename TestFixture::NullContext;
  struct Made {
    std::function<void()> function;
    std::vector<std::function<void()>> deactivators;
  };
  std::vector<std::string> result;
  auto make_wrapped_function = [&] {
    const NullContext none;  // the outermost context must be ours, to deactivate it
    StackContext c0(this->enter("c0"), this->exit("c0"));
    StackContext c1(this->enter("c1"), this->exit("c1"));
    StackContext c2(this->enter("c2"), this->exit("c2"));
    return Made{TypeParam::wrap(std::function<void()>([&] { result = this->active; })),
                {c0.deactivator(), c1.deactivator(), c2.deactivator()}};
  };
  auto run = [&](int deactivate) {
    Made made = make_wrapped_function();
    if (deactivate >= 0) made.deactivators[deactivate]();
    made.function();
    return result;
  };

  EXPECT_THAT(run(-1), ElementsAre("c0", "c1", "c2"));
  EXPECT_THAT(run(0), ElementsAre("c1", "c2"));
  EXPECT_THAT(run(1), ElementsAre("c0", "c2"));
  EXPECT_THAT(run(2), ElementsAre("c0", "c1"));
  EXPECT_THAT(this->active, IsEmpty());
}

// f2 and f3 are one chain of work, started in c1. f2 happens to be called inside c2, which
// must not leak into f3. Tornado: test_isolation_nonempty.
TYPED_TEST_P(StackContexts, IsolationNonempty) {
  using StackContext = typename TestFixture::StackContext;
  auto& loop = this->loop;
  std::vector<std::string> in_f2, in_f3;
  std::function<void()> f3 = [&] {
    in_f3 = this->active;
    loop.stop();
  };
  std::function<void()> f2 = [&] {
    in_f2 = this->active;
    loop.add_callback(f3);
  };
  loop.add_callback([&] {
    std::function<void()> wrapped;
    {
      StackContext c1(this->enter("c1"), this->exit("c1"));
      wrapped = TypeParam::wrap(f2);
    }
    StackContext c2(this->enter("c2"), this->exit("c2"));
    wrapped();
  });

  run_with_watchdog(loop);

  EXPECT_THAT(in_f2, ElementsAre("c2", "c1"));  // inside c2, where it was called
  EXPECT_THAT(in_f3, ElementsAre("c1"));        // c1 only: f2's stack, not its caller's
}

// The same chain started with no context: still nothing of c2 leaks into f3.
// Tornado: test_isolation_empty.
TYPED_TEST_P(StackContexts, IsolationEmpty) {
  using StackContext = typename TestFixture::StackContext;
  using NullContext = typename TestFixture::NullContext;
  auto& loop = this->loop;
  std::vector<std::string> in_f3{"not run"};
  std::function<void()> f3 = [&] {
    in_f3 = this->active;
    loop.stop();
  };
  std::function<void()> f2 = [&] { loop.add_callback(f3); };
  loop.add_callback([&] {
    std::function<void()> wrapped;
    {
      const NullContext none;
      wrapped = TypeParam::wrap(f2);
    }
    StackContext c2(this->enter("c2"), this->exit("c2"));
    wrapped();
  });

  run_with_watchdog(loop);

  EXPECT_THAT(in_f3, IsEmpty());
}

// The reason for it all: a failure three turns later, in a timeout scheduled by a handler
// scheduled by a callback, still reaches the handler its author installed around the first.
TYPED_TEST_P(StackContexts, AnExceptionSeveralTurnsLaterReachesTheHandlerInstalledAroundItsStart) {
  using ExceptionStackContext = typename TestFixture::ExceptionStackContext;
  auto& loop = this->loop;
  common::Pipe pipe = common::make_pipe();
  std::vector<std::string> caught;
  {
    ExceptionStackContext on_error([&](std::exception_ptr error) {
      caught.push_back(what_of(error));
      loop.stop();
      return true;
    });
    loop.add_callback([&] {
      loop.add_handler(pipe.read_end.get(), [&](int fd, unsigned) {
        loop.remove_handler(fd);
        loop.call_later(1ms, [] { throw std::runtime_error("three turns later"); });
      }, TypeParam::Loop::READ);
      ASSERT_EQ(::write(pipe.write_end.get(), "x", 1), 1);
    });
  }  // the scope is long closed when the timeout throws

  run_with_watchdog(loop);

  EXPECT_THAT(caught, ElementsAre("three turns later"));
  EXPECT_THAT(loop.reported, IsEmpty());  // handled: the loop never heard of it
}

// A handler that returns false passes the exception on: outwards to the enclosing handler
// first, then to the loop, which names the callback that threw, not the wrapper.
TYPED_TEST_P(StackContexts, AnUnhandledExceptionGoesOutwardsThenToTheLoop) {
  using ExceptionStackContext = typename TestFixture::ExceptionStackContext;
  auto& loop = this->loop;
  std::vector<std::string> heard;
  {
    ExceptionStackContext outer([&](std::exception_ptr error) {
      heard.push_back("outer: " + what_of(error));
      return false;
    });
    ExceptionStackContext inner([&](std::exception_ptr error) {
      heard.push_back("inner: " + what_of(error));
      return false;
    });
    loop.add_callback([] { throw std::runtime_error("nobody handles this"); });
  }
  loop.add_callback([&] { loop.stop(); });

  run_with_watchdog(loop);

  EXPECT_THAT(heard, ElementsAre("inner: nobody handles this", "outer: nobody handles this"));
  ASSERT_EQ(loop.reported.size(), 1u);
  EXPECT_THAT(loop.reported[0].where, HasSubstr("lambda"));
  EXPECT_THAT(loop.reported[0].where, ::testing::Not(HasSubstr("Wrapped")));
  EXPECT_EQ(loop.reported[0].what, "nobody handles this");
}

// An inner handler that handles it stops it there: the outer one never hears of it, and an
// enclosing StackContext is still left properly (its exit runs, once).
TYPED_TEST_P(StackContexts, AHandledExceptionStopsAtTheInnermostHandler) {
  using StackContext = typename TestFixture::StackContext;
  using ExceptionStackContext = typename TestFixture::ExceptionStackContext;
  auto& loop = this->loop;
  std::vector<std::string> heard;
  std::vector<std::string> inside;
  {
    ExceptionStackContext outer([&](std::exception_ptr) {
      heard.push_back("outer");
      return true;
    });
    StackContext tag(this->enter("tag"), this->exit("tag"));
    ExceptionStackContext inner([&](std::exception_ptr) {
      heard.push_back("inner");
      inside = this->active;  // the handler runs inside the contexts around it
      return true;
    });
    loop.call_later(0ms, [] { throw std::runtime_error("x"); });
  }
  loop.call_later(1ms, [&] { loop.stop(); });

  run_with_watchdog(loop);

  EXPECT_THAT(heard, ElementsAre("inner"));
  EXPECT_THAT(inside, ElementsAre("tag"));
  EXPECT_THAT(this->active, IsEmpty());
  EXPECT_THAT(loop.reported, IsEmpty());
}

// Tornado's IOLoop.spawn_callback: the callback runs with none of the caller's contexts, and
// neither does what it schedules.
TYPED_TEST_P(StackContexts, SpawnCallbackCarriesNoContext) {
  using StackContext = typename TestFixture::StackContext;
  using ExceptionStackContext = typename TestFixture::ExceptionStackContext;
  auto& loop = this->loop;
  std::vector<std::string> in_spawned{"not run"}, in_added{"not run"};
  bool handler_called = false;
  {
    ExceptionStackContext on_error([&](std::exception_ptr) { return handler_called = true; });
    StackContext c1(this->enter("c1"), this->exit("c1"));
    loop.spawn_callback([&] {
      in_spawned = this->active;
      loop.add_callback([] { throw std::runtime_error("spawned work fails"); });
    });
    loop.add_callback([&] { in_added = this->active; });
  }
  loop.call_later(1ms, [&] { loop.stop(); });

  run_with_watchdog(loop);

  EXPECT_THAT(in_spawned, IsEmpty());
  EXPECT_THAT(in_added, ElementsAre("c1"));
  EXPECT_FALSE(handler_called);
  ASSERT_EQ(loop.reported.size(), 1u);
  EXPECT_EQ(loop.reported[0].what, "spawned work fails");
}

// With no context open, the loop's wrapping costs nothing: the very callable comes back.
// And a callback scheduled with none runs with none, even when start() itself is called
// inside a context (which is open again when start() returns).
TYPED_TEST_P(StackContexts, WithNoContextOpenWrapIsFreeAndCallbacksRunWithNone) {
  using StackContext = typename TestFixture::StackContext;
  auto& loop = this->loop;
  auto plain = [] {};
  const std::function<void()> passed = TypeParam::wrap_if_open(std::function<void()>(plain));
  EXPECT_NE(passed.template target<decltype(plain)>(), nullptr);  // what the loop stores
  const std::function<void()> wrapped = TypeParam::wrap(std::function<void()>(plain));
  EXPECT_EQ(wrapped.template target<decltype(plain)>(), nullptr);  // wrap() clears, see IsolationEmpty
  EXPECT_FALSE(TypeParam::context_active());

  bool active_inside = true;
  loop.add_callback([&] {
    active_inside = TypeParam::context_active();
    loop.stop();
  });
  StackContext around_start(this->enter("around start"), this->exit("around start"));
  run_with_watchdog(loop);

  EXPECT_FALSE(active_inside);
  EXPECT_TRUE(TypeParam::context_active());
}

// A StackContext's exit runs around every re-entry, also when the callback throws, and in
// reverse order of entry.
TYPED_TEST_P(StackContexts, ExitRunsWhenTheCallbackThrowsInReverseOrder) {
  using StackContext = typename TestFixture::StackContext;
  auto& loop = this->loop;
  std::vector<std::string> log;
  {
    StackContext outer([&] { log.push_back("enter outer"); }, [&] { log.push_back("exit outer"); });
    StackContext inner([&] { log.push_back("enter inner"); }, [&] { log.push_back("exit inner"); });
    log.clear();  // from here on: the re-entry only
    loop.add_callback([&] {
      log.push_back("callback");
      throw std::runtime_error("thrown inside");
    });
    log.push_back("scope ends");
  }
  loop.add_callback([&] { loop.stop(); });

  run_with_watchdog(loop);

  EXPECT_THAT(log, ElementsAre("scope ends", "exit inner", "exit outer", "enter outer", "enter inner",
                               "callback", "exit inner", "exit outer"));
  ASSERT_EQ(loop.reported.size(), 1u);
  EXPECT_EQ(loop.reported[0].what, "thrown inside");
}

// A callback that opens a context and returns with it still open (what a coroutine does
// when it suspends inside one) is reported; the stack is put back in order.
TYPED_TEST_P(StackContexts, ACallbackThatLeavesAContextOpenIsReported) {
  using StackContext = typename TestFixture::StackContext;
  using ExceptionStackContext = typename TestFixture::ExceptionStackContext;
  auto& loop = this->loop;
  std::unique_ptr<StackContext> leaked;
  {
    ExceptionStackContext pass_on([](std::exception_ptr) { return false; });
    loop.add_callback([&] { leaked = std::make_unique<StackContext>(nullptr, nullptr); });
  }
  loop.add_callback([&] { loop.stop(); });

  run_with_watchdog(loop);

  ASSERT_EQ(loop.reported.size(), 1u);
  EXPECT_THAT(loop.reported[0].what, HasSubstr("stack_context inconsistency"));
  EXPECT_FALSE(TypeParam::context_active());
  common::CapturedLog log;
  leaked.reset();  // now out of order too: said, not thrown (a destructor)
  EXPECT_THAT(log.messages(common::LogLevel::error),
              ElementsAre(HasSubstr("stack_context inconsistency")));
  EXPECT_FALSE(TypeParam::context_active());  // not open, so it closes nothing
}

REGISTER_TYPED_TEST_SUITE_P(StackContexts, ExitLibraryContext, Deactivate, DeactivateOrder,
                            IsolationNonempty, IsolationEmpty,
                            AnExceptionSeveralTurnsLaterReachesTheHandlerInstalledAroundItsStart,
                            AnUnhandledExceptionGoesOutwardsThenToTheLoop,
                            AHandledExceptionStopsAtTheInnermostHandler, SpawnCallbackCarriesNoContext,
                            WithNoContextOpenWrapIsFreeAndCallbacksRunWithNone,
                            ExitRunsWhenTheCallbackThrowsInReverseOrder,
                            ACallbackThatLeavesAContextOpenIsReported);

// ================================================================= across threads

template <class Env>
class StackContextsAcrossThreads : public StackContexts<Env> {};
TYPED_TEST_SUITE_P(StackContextsAcrossThreads);

// The stack is per thread: a callback added from another thread carries that thread's
// contexts, never those the loop's thread has open.
TYPED_TEST_P(StackContextsAcrossThreads, ACallbackCarriesTheStackOfTheThreadThatAddedIt) {
  using ExceptionStackContext = typename TestFixture::ExceptionStackContext;
  auto& loop = this->loop;
  std::atomic<int> main_handler{0}, worker_handler{0};
  std::thread worker;
  loop.add_callback([&] {
    ExceptionStackContext on_main([&](std::exception_ptr) { return ++main_handler, true; });
    worker = std::thread([&] {
      loop.add_callback([] { throw std::runtime_error("from a bare thread"); });
      ExceptionStackContext on_worker([&](std::exception_ptr) { return ++worker_handler, true; });
      loop.add_callback([&] {
        loop.stop();
        throw std::runtime_error("from the worker's context");
      });
    });
  });

  run_with_watchdog(loop);
  worker.join();

  EXPECT_EQ(main_handler.load(), 0);
  EXPECT_EQ(worker_handler.load(), 1);
  ASSERT_EQ(this->loop.reported.size(), 1u);
  EXPECT_EQ(this->loop.reported[0].what, "from a bare thread");
}

REGISTER_TYPED_TEST_SUITE_P(StackContextsAcrossThreads, ACallbackCarriesTheStackOfTheThreadThatAddedIt);

// ================================================================= Futures (chapter 6 on)

template <class Env>
class StackContextFutures : public StackContexts<Env> {
 protected:
  template <class T>
  using Future = typename Env::template Future<T>;
};
TYPED_TEST_SUITE_P(StackContextFutures);

// A done callback carries the contexts open where it was added, not where the Future is
// resolved: here it is resolved by a timeout that carries none.
TYPED_TEST_P(StackContextFutures, ADoneCallbackCarriesTheContextsOfWhereItWasAdded) {
  using ExceptionStackContext = typename TestFixture::ExceptionStackContext;
  using StackContext = typename TestFixture::StackContext;
  auto& loop = this->loop;
  typename TestFixture::template Future<int> future;
  std::vector<std::string> caught, inside;
  common::CapturedLog log;
  {
    ExceptionStackContext on_error([&](std::exception_ptr error) {
      caught.push_back(what_of(error));
      return true;
    });
    StackContext tag(this->enter("waiter"), this->exit("waiter"));
    future.add_done_callback([&](const auto& done) {
      inside = this->active;
      throw std::runtime_error("done callback failed with " + std::to_string(done.result()));
    });
  }
  {
    StackContext resolver(this->enter("resolver"), this->exit("resolver"));
    loop.call_later(1ms, [&] {
      future.set_result(7);
      loop.stop();
    });
  }
  {
    const typename TestFixture::NullContext none;
    run_with_watchdog(loop);
  }

  EXPECT_THAT(inside, ElementsAre("resolver", "waiter"));  // inside the resolver's timeout,
  EXPECT_THAT(caught, ElementsAre("done callback failed with 7"));  // but not its handler
  EXPECT_THAT(log.messages(common::LogLevel::error), IsEmpty());
}

// Resolved inside a context, a Future's callbacks that carry none run with none, and what
// they schedule carries none either. Tornado: test_isolation_empty, through a Future.
TYPED_TEST_P(StackContextFutures, ADoneCallbackRunsWithoutTheResolversContexts) {
  using ExceptionStackContext = typename TestFixture::ExceptionStackContext;
  auto& loop = this->loop;
  typename TestFixture::template Future<void> future;
  bool active_inside = true;
  bool resolver_heard = false;
  future.add_done_callback([&](const auto&) {
    active_inside = TypeParam::context_active();
    loop.add_callback([] { throw std::runtime_error("belongs to the waiter"); });
  });
  loop.add_callback([&] {
    ExceptionStackContext resolver([&](std::exception_ptr) { return resolver_heard = true; });
    future.set_result();
    loop.add_callback([&] { loop.stop(); });
  });

  run_with_watchdog(loop);

  EXPECT_FALSE(active_inside);
  EXPECT_FALSE(resolver_heard);
  ASSERT_EQ(loop.reported.size(), 1u);
  EXPECT_EQ(loop.reported[0].what, "belongs to the waiter");
}

// add_future's callback runs a turn after the Future resolves, inside the contexts open
// where add_future was called (Tornado 4.5 wrapped it there).
TYPED_TEST_P(StackContextFutures, AddFutureCarriesTheCallersContexts) {
  using ExceptionStackContext = typename TestFixture::ExceptionStackContext;
  auto& loop = this->loop;
  typename TestFixture::template Future<int> future;
  std::vector<std::string> caught;
  {
    ExceptionStackContext on_error([&](std::exception_ptr error) {
      caught.push_back(what_of(error));
      loop.stop();
      return true;
    });
    loop.add_future(future, [](const auto&) { throw std::runtime_error("add_future's callback"); });
  }
  loop.call_later(1ms, [&] { future.set_result(1); });

  run_with_watchdog(loop);

  EXPECT_THAT(caught, ElementsAre("add_future's callback"));
  EXPECT_THAT(loop.reported, IsEmpty());
}

REGISTER_TYPED_TEST_SUITE_P(StackContextFutures, ADoneCallbackCarriesTheContextsOfWhereItWasAdded,
                            ADoneCallbackRunsWithoutTheResolversContexts,
                            AddFutureCarriesTheCallersContexts);

// ================================================================= coroutines (chapter 7 on)

template <class Env>
class StackContextCoroutines : public StackContexts<Env> {
 protected:
  template <class T>
  using Future = typename Env::template Future<T>;
  template <class T>
  using Coroutine = typename Env::template Coroutine<T>;
};
TYPED_TEST_SUITE_P(StackContextCoroutines);

// A context kept open across a co_await: the coroutine suspends and leaves it open behind
// it, on top of whatever runs next. Tornado raised StackContextInconsistentError; so do we,
// when the callback that resumed the coroutine ends. Tornado: test_yield_in_with.
TYPED_TEST_P(StackContextCoroutines, YieldInWith) {
  using StackContext = typename TestFixture::StackContext;
  auto& loop = this->loop;
  bool leaked_to_the_next_callback = false;
  auto f = [&]() -> typename TestFixture::template Coroutine<void> {
    StackContext c1(this->enter("c1"), this->exit("c1"));
    co_await TypeParam::moment();  // the mistake
  };
  loop.add_callback([&] {
    auto running = f();
    loop.add_callback([&] { leaked_to_the_next_callback = TypeParam::context_active(); });
  });
  loop.call_later(5ms, [&] { loop.stop(); });

  run_with_watchdog(loop);

  EXPECT_TRUE(leaked_to_the_next_callback);  // the harm: it ran inside c1, from a callback without it
  ASSERT_EQ(loop.reported.size(), 1u);
  EXPECT_THAT(loop.reported[0].what, HasSubstr("stack_context inconsistency"));
  EXPECT_FALSE(TypeParam::context_active());
}

// The same with an ExceptionStackContext. Tornado: test_yield_in_with_exception_stack_context.
TYPED_TEST_P(StackContextCoroutines, YieldInWithExceptionStackContext) {
  using ExceptionStackContext = typename TestFixture::ExceptionStackContext;
  auto& loop = this->loop;
  auto f = [&]() -> typename TestFixture::template Coroutine<void> {
    ExceptionStackContext handler([](std::exception_ptr) { return false; });
    co_await TypeParam::moment();
  };
  loop.add_callback([&] { auto running = f(); });
  loop.call_later(5ms, [&] { loop.stop(); });

  run_with_watchdog(loop);

  ASSERT_EQ(loop.reported.size(), 1u);
  EXPECT_THAT(loop.reported[0].what, HasSubstr("stack_context inconsistency"));
}

// The pattern that avoids it: the scope closes before the co_await, and what was scheduled
// inside it still carries it. Tornado: test_yield_outside_with.
TYPED_TEST_P(StackContextCoroutines, YieldOutsideWith) {
  using StackContext = typename TestFixture::StackContext;
  using Future = typename TestFixture::template Future<void>;
  auto& loop = this->loop;
  std::vector<std::string> inside;
  auto f = [&]() -> typename TestFixture::template Coroutine<void> {
    Future woken;
    {
      StackContext c1(this->enter("c1"), this->exit("c1"));
      loop.add_callback([&, woken] {
        inside = this->active;
        woken.set_result();
      });
    }
    co_await woken;
  };

  loop.run_sync([&] { return f(); });

  EXPECT_THAT(inside, ElementsAre("c1"));
  EXPECT_THAT(loop.reported, IsEmpty());
  EXPECT_THAT(this->active, IsEmpty());
}

// A coroutine started inside a context keeps it across its co_awaits: each resumption is a
// done callback that carries it. Tornado: test_run_with_stack_context.
TYPED_TEST_P(StackContextCoroutines, RunWithStackContext) {
  using StackContext = typename TestFixture::StackContext;
  auto& loop = this->loop;
  std::vector<std::vector<std::string>> seen;
  auto f2 = [&]() -> typename TestFixture::template Coroutine<void> {
    seen.push_back(this->active);
    co_await TypeParam::moment();
    seen.push_back(this->active);
  };
  auto f1 = [&]() -> typename TestFixture::template Coroutine<void> {
    seen.push_back(this->active);
    typename TestFixture::template Coroutine<void> inner = [&] {
      StackContext c2(this->enter("c2"), this->exit("c2"));  // Tornado: run_with_stack_context
      return f2();
    }();
    co_await inner;
    seen.push_back(this->active);
    loop.stop();
  };
  std::optional<typename TestFixture::template Coroutine<void>> outer;
  loop.add_callback([&] {
    StackContext c1(this->enter("c1"), this->exit("c1"));
    outer = f1();
  });  // both scopes are closed long before the coroutines resume

  run_with_watchdog(loop);

  EXPECT_THAT(seen, ElementsAre(ElementsAre("c1"), ElementsAre("c1", "c2"), ElementsAre("c1", "c2"),
                                ElementsAre("c1")));
  EXPECT_THAT(this->active, IsEmpty());
}

// Why Tornado 5 let it go: inside a coroutine, a plain try block catches the failure of a
// callback it waits on several turns later, because the wait brings the failure back to it.
TYPED_TEST_P(StackContextCoroutines, ACoroutinesTryBlockDoesTheSameJobInPlainSight) {
  auto& loop = this->loop;
  using Future = typename TestFixture::template Future<void>;
  std::string caught;
  auto f = [&]() -> typename TestFixture::template Coroutine<void> {
    try {
      Future step;
      loop.add_callback([&, step] {
        loop.call_later(1ms, [step] {
          step.set_exception(std::make_exception_ptr(std::runtime_error("two turns later")));
        });
      });
      co_await step;
    } catch (const std::runtime_error& e) {
      caught = e.what();
    }
  };

  loop.run_sync([&] { return f(); });

  EXPECT_EQ(caught, "two turns later");
  EXPECT_THAT(loop.reported, IsEmpty());
}

REGISTER_TYPED_TEST_SUITE_P(StackContextCoroutines, YieldInWith, YieldInWithExceptionStackContext,
                            YieldOutsideWith, RunWithStackContext,
                            ACoroutinesTryBlockDoesTheSameJobInPlainSight);

}  // namespace spec
