// Coroutines: what one step of a suspended computation costs, from the bare mechanism up to a
// full round trip through the Runner and the loop.
//
//   Step         one step of chapter 1's hand-written state machine (Counter, through the
//                generator protocol), one resume of a bare C++20 coroutine (the floor), and
//                one call of a std::function (a callback chain's step).
//   RoundTrip    1,000 waits in one coroutine, per wait: a hand-written generator yielding
//                an already-done Future (the Runner sends it straight back in, no loop turn);
//                a C++20 coroutine doing `co_await` on a done Future (which does not suspend
//                at all), with no loop, and inside a running one (where every 64th in a row
//                costs a turn); `co_await moment` (one loop turn each); and `co_await` on a
//                Future that a loop callback resolves (the callback's turn, then the Runner's).
//                Boost.Asio's nearest: one awaitable `co_await`ing another that co_returns at
//                once (asio-ready-awaitable, beside co_await-done-future), and `co_await
//                post(executor, use_awaitable)` (asio-post-awaitable, one turn, beside moment).
//   Multi        multi() over 1,000 Futures, each resolved afterwards. Per Future.
#include <climits>
#include <coroutine>
#include <exception>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "final_chapter.hpp"
#include "support.hpp"

#if BENCH_HAVE_ASIO
// Boost 1.74 turns awaitable<> on by itself for g++ in C++20 mode (it finds __cpp_impl_coroutine
// and <coroutine>): nothing to define here. Fail loudly rather than lose the rows if it stops.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/version.hpp>
#if !defined(BOOST_ASIO_HAS_CO_AWAIT)
#error "Boost.Asio did not detect co_await support; the asio-* rows need it"
#endif
#endif

namespace {

using final_chapter::Future;
using final_chapter::IOLoop;

constexpr int steps = 1000;

void items(benchmark::State& state, int per_iteration) { state.counters["items"] = per_iteration; }

// ---------------------------------------------------------------------------- Step

void state_machine_step(benchmark::State& state) {
  auto counter = std::make_unique<final_chapter::Counter>(INT_MAX);
  benchmark::DoNotOptimize(counter.get());  // no devirtualising from a known dynamic type
  for (auto _ : state) {
    auto step = counter->next();
    benchmark::DoNotOptimize(step);
  }
  items(state, 1);
}

// The least a C++20 generator can be: a promise that keeps the last yielded int.
class Ints {
 public:
  struct promise_type {
    int value = 0;
    Ints get_return_object() { return Ints(std::coroutine_handle<promise_type>::from_promise(*this)); }
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    std::suspend_always yield_value(int v) noexcept {
      value = v;
      return {};
    }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }
  };

  explicit Ints(std::coroutine_handle<promise_type> frame) : frame_(frame) {}
  Ints(Ints&& other) noexcept : frame_(std::exchange(other.frame_, {})) {}
  Ints& operator=(Ints&&) = delete;
  ~Ints() {
    if (frame_) frame_.destroy();
  }

  int next() {
    frame_.resume();
    return frame_.promise().value;
  }

 private:
  std::coroutine_handle<promise_type> frame_;
};

Ints count_up() {
  for (int i = 1;; ++i) co_yield i;
}

void raw_coroutine_resume(benchmark::State& state) {
  Ints ints = count_up();
  benchmark::DoNotOptimize(ints);
  for (auto _ : state) benchmark::DoNotOptimize(ints.next());
  items(state, 1);
}

void std_function_call(benchmark::State& state) {
  std::function<int(int)> callback = [](int x) { return x + 1; };
  benchmark::DoNotOptimize(callback);
  int x = 0;
  for (auto _ : state) {
    x = callback(x);
    benchmark::DoNotOptimize(x);
  }
  items(state, 1);
}

// ---------------------------------------------------------------------------- RoundTrip

// Stands for the Python coroutine
//     @gen.coroutine
//     def add_up(n, done):
//         total = 0
//         for _ in range(n):
//             total += yield done
//         return total
// where `done` is a Future that already has its result: each yield is one Runner round trip.
class AddUp final : public final_chapter::CoroutineGenerator<int> {
 public:
  AddUp(int n, Future<int> done) : n_(n), done_(std::move(done)) {}

 private:
  Result resume(Input in) override {
    switch (state_) {
      case State::Start:
        break;
      case State::AtYield:
        total_ += in.sent_value().result<int>();
        ++i_;
        break;
    }
    if (i_ < n_) {
      state_ = State::AtYield;
      return yield(done_);
    }
    return return_(total_);
  }

  enum class State { Start, AtYield };
  State state_ = State::Start;
  int n_;
  Future<int> done_;
  int i_ = 0;
  int total_ = 0;
};

Future<int> done_future() {
  Future<int> done;
  done.set_result(1);
  return done;
}

void runner_done_future(benchmark::State& state) {
  const Future<int> done = done_future();
  for (auto _ : state) {
    Future<int> total = final_chapter::coroutine(std::make_unique<AddUp>(steps, done));
    benchmark::DoNotOptimize(total.result());
  }
  items(state, steps);
}

final_chapter::Coroutine<int> add_up(int n, Future<int> done) {
  int total = 0;
  for (int i = 0; i < n; ++i) total += co_await done;
  co_return total;
}

void co_await_done_future(benchmark::State& state) {
  const Future<int> done = done_future();
  for (auto _ : state) {
    Future<int> total = add_up(steps, done);
    benchmark::DoNotOptimize(total.result());
  }
  items(state, steps);
}

// The same inside a running loop, where fairness has a price: after 64 finished Futures in a
// row a coroutine gives the loop a turn (chapter 7's max_steps_without_a_turn). 100,000 waits
// per run, so that starting and stopping the loop is not what is measured.
void co_await_done_future_in_a_loop(benchmark::State& state) {
  IOLoop loop;
  const Future<int> done = done_future();
  for (auto _ : state) {
    benchmark::DoNotOptimize(loop.run_sync([&done] { return add_up(100 * steps, done); }));
  }
  items(state, 100 * steps);
}

final_chapter::Coroutine<int> hop(int n) {
  for (int i = 0; i < n; ++i) co_await final_chapter::moment;
  co_return n;
}

void runner_moment(benchmark::State& state) {
  IOLoop loop;
  for (auto _ : state) benchmark::DoNotOptimize(loop.run_sync([] { return hop(steps); }));
  items(state, steps);
}

final_chapter::Coroutine<int> wait_for_loop(IOLoop& loop, int n) {
  int total = 0;
  for (int i = 0; i < n; ++i) {
    Future<int> answer;
    loop.add_callback([answer] { answer.set_result(1); });
    total += co_await answer;
  }
  co_return total;
}

void runner_loop_resolved(benchmark::State& state) {
  IOLoop loop;
  for (auto _ : state) {
    benchmark::DoNotOptimize(loop.run_sync([&loop] { return wait_for_loop(loop, steps); }));
  }
  items(state, steps);
}

// ---------------------------------------------------------------------------- Boost.Asio

#if BENCH_HAVE_ASIO
// An asio::awaitable runs only inside an io_context, started by co_spawn: no row here can go
// without one. Each run is co_spawned and the context run() until it is done; that costs one
// post and the outer frame, shared by the run's 1,000 waits. As in callbacks.cpp, the context
// has concurrency hint 1 (one thread runs it, as one runs our loop) and a reactor, through a
// timer that never waits, so that a turn includes its epoll_wait as our loop's does.
struct AsioLoop {
  boost::asio::io_context context{1};
  boost::asio::steady_timer reactor_maker{context};

  // co_spawns `work` and runs the context until it is done; returns its result.
  int run(boost::asio::awaitable<int> work) {
    int result = 0;
    context.restart();
    boost::asio::co_spawn(context, std::move(work), [&result](std::exception_ptr error, int value) {
      if (error) std::rethrow_exception(error);
      result = value;
    });
    context.run();
    return result;
  }
};

boost::asio::awaitable<int> ready_one() { co_return 1; }

// What stands in for a done Future: Asio cannot await a value that is already there except
// through a coroutine that produces it. Every wait makes that callee's frame (from a one-block
// cache per thread, so no malloc after the first) and suspends the caller: the callee goes on
// Asio's stack of frames, the context's pump loop resumes it, and its final suspend pops it and
// hands control back to the caller. Our co_await on a done Future does not suspend at all.
boost::asio::awaitable<int> asio_add_up(int n) {
  int total = 0;
  for (int i = 0; i < n; ++i) total += co_await ready_one();
  co_return total;
}

void asio_ready_awaitable(benchmark::State& state) {
  AsioLoop asio;
  for (auto _ : state) benchmark::DoNotOptimize(asio.run(asio_add_up(steps)));
  items(state, steps);
}

// One turn of the loop: the coroutine posts its own continuation and waits for it, as `co_await
// moment` has the Runner resume us on the loop's next turn.
boost::asio::awaitable<int> asio_hop(int n) {
  const auto executor = co_await boost::asio::this_coro::executor;
  for (int i = 0; i < n; ++i) co_await boost::asio::post(executor, boost::asio::use_awaitable);
  co_return n;
}

void asio_post_awaitable(benchmark::State& state) {
  AsioLoop asio;
  for (auto _ : state) benchmark::DoNotOptimize(asio.run(asio_hop(steps)));
  items(state, steps);
}
#endif

// ---------------------------------------------------------------------------- Multi

void multi_futures(benchmark::State& state) {
  for (auto _ : state) {
    std::vector<Future<int>> children(steps);
    Future<std::vector<int>> all = final_chapter::multi(children);
    for (const Future<int>& child : children) child.set_result(1);
    benchmark::DoNotOptimize(all.result().size());
  }
  items(state, steps);
}

const std::string per_run = "/steps:" + std::to_string(steps);

BENCHMARK(raw_coroutine_resume)->Name("BM_Coroutines_Step/raw-coroutine");
BENCHMARK(state_machine_step)->Name("BM_Coroutines_Step/state-machine");
BENCHMARK(std_function_call)->Name("BM_Coroutines_Step/std-function");
BENCHMARK(runner_done_future)->Name("BM_Coroutines_RoundTrip/runner-done-future" + per_run)->Unit(benchmark::kMicrosecond);
BENCHMARK(co_await_done_future)->Name("BM_Coroutines_RoundTrip/co_await-done-future" + per_run)->Unit(benchmark::kMicrosecond);
BENCHMARK(co_await_done_future_in_a_loop)
    ->Name("BM_Coroutines_RoundTrip/co_await-done-future-in-a-loop/steps:" + std::to_string(100 * steps))
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(runner_moment)->Name("BM_Coroutines_RoundTrip/moment" + per_run)->Unit(benchmark::kMicrosecond);
BENCHMARK(runner_loop_resolved)->Name("BM_Coroutines_RoundTrip/loop-resolved" + per_run)->Unit(benchmark::kMicrosecond);
BENCHMARK(multi_futures)->Name("BM_Coroutines_Multi/ours/futures:" + std::to_string(steps))->Unit(benchmark::kMicrosecond);
#if BENCH_HAVE_ASIO
BENCHMARK(asio_ready_awaitable)->Name("BM_Coroutines_RoundTrip/asio-ready-awaitable" + per_run)->Unit(benchmark::kMicrosecond);
BENCHMARK(asio_post_awaitable)->Name("BM_Coroutines_RoundTrip/asio-post-awaitable" + per_run)->Unit(benchmark::kMicrosecond);
#endif

}  // namespace

int main(int argc, char** argv) {
  bench::take_flag(argc, argv, "--quick");
#if BENCH_HAVE_ASIO
  benchmark::AddCustomContext("asio", BOOST_LIB_VERSION);
#endif
  return bench::run_main(argc, argv);
}
