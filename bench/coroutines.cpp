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
// row a coroutine gives the loop a turn (chapter 6's max_steps_without_a_turn). 100,000 waits
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

}  // namespace

int main(int argc, char** argv) {
  bench::take_flag(argc, argv, "--quick");
  return bench::run_main(argc, argv);
}
