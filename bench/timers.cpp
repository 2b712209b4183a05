// Timers: what one timer costs, scheduled and fired, or scheduled and cancelled, when a
// million of them (and, for comparison, a hundred thousand) wait at once.
//
// Deadlines fall in a window of one second, either in random order or in the order they are
// scheduled; every implementation gets the same sequence. To fire, every implementation
// schedules into the coming second, sleeps through it off the clock (libuv and libevent only
// take delays from "now", so a deadline cannot be put in the past), then runs its loop, which
// finds every timer due. Each such iteration sleeps a second, so fire rows run a fixed few
// iterations. To cancel, the window is an hour away and every timer is cancelled, in the order
// it was scheduled, without running the loop. Time per timer = the timed part / the number of
// timers, timed with the thread's CPU clock (bench::thread_seconds).
//
// Our heap keeps (deadline, sequence) inline in a vector and finds the callback by index;
// libuv and libevent keep their heaps as arrays (libevent) or trees (libuv) of pointers to the
// timer objects, which hold the deadline: one more memory access per comparison. Boost.Asio's
// heap, like ours, keeps the deadline inline, beside a pointer to the timer's state. Peers' timer
// objects are allocated once, contiguously, before timing starts: their steady state. Ours is
// measured in its steady state too: one loop per size, grown to hold every timer before any
// timing starts. FirstFill measures what that growth costs a fresh loop.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "final_chapter.hpp"
#include "support.hpp"

#if BENCH_HAVE_LIBEVENT
#include <event2/event.h>
#endif
#if BENCH_HAVE_LIBUV
#include <uv.h>
#endif
#if BENCH_HAVE_ASIO
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/version.hpp>
#endif

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int largest_count = 1'000'000;
constexpr std::chrono::nanoseconds window = 1s;

enum class Order { random, in_order };

// Where each deadline falls inside the window, in nanoseconds: the first `count` of one fixed
// random sequence, as drawn or sorted. Every row of a size schedules the same deadlines.
const std::vector<std::int64_t>& offsets(Order order, int count) {
  static std::map<std::pair<Order, int>, std::vector<std::int64_t>> made;
  std::vector<std::int64_t>& out = made[{order, count}];
  if (out.empty()) {
    std::mt19937_64 generator(20170404);  // any fixed seed: every run schedules the same
    std::uniform_int_distribution<std::int64_t> within(0, window.count() - 1);
    out.resize(static_cast<std::size_t>(count));
    for (std::int64_t& offset : out) offset = within(generator);
    if (order == Order::in_order) std::sort(out.begin(), out.end());
  }
  return out;
}

void finish(benchmark::State& state, int count) { state.counters["items"] = count; }

// ---------------------------------------------------------------------------- our loop

// A loop per size whose heap, slots and free list have already grown to hold `count` timers,
// so that timing measures the heap's work and not its first growth (FirstFill measures that).
// Growing is abandoned, and nullptr returned, if it is on course to take over a minute:
// chapter 7's call_at reserves room for one more entry at a time (reserve(size() + 1)), so a
// fresh loop's first fill costs time quadratic in the number of timers.
final_chapter::IOLoop* grown_loop(int count, std::string& why_not) {
  static std::map<int, std::unique_ptr<final_chapter::IOLoop>> loops;
  static std::map<int, std::string> refused;
  if (const auto it = refused.find(count); it != refused.end()) {
    why_not = it->second;
    return nullptr;
  }
  std::unique_ptr<final_chapter::IOLoop>& loop = loops[count];
  if (loop) return loop.get();
  loop = std::make_unique<final_chapter::IOLoop>();
  std::vector<final_chapter::IOLoop::Timeout> timeouts;
  timeouts.reserve(static_cast<std::size_t>(count));
  const auto started = Clock::now();
  for (int i = 0; i < count; ++i) {
    timeouts.push_back(loop->call_at(loop->time() + 1h, [] {}));
    if ((i + 1) % 10'000 != 0 || i + 1 < 50'000) continue;
    const double done = static_cast<double>(i + 1) / count;
    const double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
    const double projected = elapsed / (done * done);  // quadratic
    if (projected > 60) {
      char text[256];
      std::snprintf(text, sizeof text,
                    "growing a fresh loop to %d timers would take about %.0f s (call_at grows "
                    "its heap one entry at a time); see BM_Timers_FirstFill",
                    count, projected);
      why_not = refused[count] = text;
      loop.reset();
      return nullptr;
    }
  }
  for (const auto& timeout : timeouts) loop->remove_timeout(timeout);
  // And one turn that fires them all, so the list of due timeouts has grown as well. (A
  // callback's stop() ends the loop after the turn: the timeouts due in it still run.)
  for (int i = 0; i < count; ++i) loop->call_at(loop->time() - 1s, [] {});
  loop->add_callback([l = loop.get()] { l->stop(); });
  loop->start();
  return loop.get();
}

void ours_fire(benchmark::State& state, Order order, int count) {
  std::string why_not;
  final_chapter::IOLoop* loop = grown_loop(count, why_not);
  if (loop == nullptr) return state.SkipWithError(why_not.c_str());
  struct Run {
    final_chapter::IOLoop* loop;
    int count;
    int fired = 0;
  } run{loop, count};
  const std::vector<std::int64_t>& offset = offsets(order, count);
  for (auto _ : state) {
    run.fired = 0;
    const double scheduled = bench::thread_seconds();
    const auto start = loop->time();
    for (int i = 0; i < count; ++i) {
      // One pointer: the callable fits inside std::function, so call_at allocates nothing.
      loop->call_at(start + std::chrono::nanoseconds(offset[static_cast<std::size_t>(i)]), [r = &run] {
        if (++r->fired == r->count) r->loop->stop();
      });
    }
    const double schedule_time = bench::thread_seconds() - scheduled;
    std::this_thread::sleep_for(window + 2ms);  // off the clock, until every deadline is past
    const double fire_started = bench::thread_seconds();
    loop->start();  // its first turn finds every timer due
    state.SetIterationTime(schedule_time + (bench::thread_seconds() - fire_started));
    if (run.fired != count) state.SkipWithError("not every timer fired");
  }
  finish(state, count);
}

void ours_cancel(benchmark::State& state, Order order, int count) {
  std::string why_not;
  final_chapter::IOLoop* loop = grown_loop(count, why_not);
  if (loop == nullptr) return state.SkipWithError(why_not.c_str());
  std::vector<final_chapter::IOLoop::Timeout> timeouts(static_cast<std::size_t>(count));
  const std::vector<std::int64_t>& offset = offsets(order, count);
  for (auto _ : state) {
    const double started = bench::thread_seconds();
    const auto start = loop->time() + 1h;
    for (int i = 0; i < count; ++i) {
      timeouts[static_cast<std::size_t>(i)] =
          loop->call_at(start + std::chrono::nanoseconds(offset[static_cast<std::size_t>(i)]), [] {});
    }
    for (const auto& timeout : timeouts) loop->remove_timeout(timeout);
    state.SetIterationTime(bench::thread_seconds() - started);
  }
  finish(state, count);
}

// A fresh loop each time: what the first `count` timers cost while the heap grows.
void ours_first_fill(benchmark::State& state, Order order, int count) {
  const std::vector<std::int64_t>& offset = offsets(order, count);
  for (auto _ : state) {
    final_chapter::IOLoop loop;
    const double started = bench::thread_seconds();
    const auto start = loop.time() + 1h;
    for (int i = 0; i < count; ++i) {
      loop.call_at(start + std::chrono::nanoseconds(offset[static_cast<std::size_t>(i)]), [] {});
    }
    state.SetIterationTime(bench::thread_seconds() - started);
  }
  finish(state, count);
}

// ---------------------------------------------------------------------------- libuv

#if BENCH_HAVE_LIBUV
struct Libuv {
  uv_loop_t loop{};
  int count;
  std::unique_ptr<uv_timer_t[]> timers;
  int fired = 0;

  explicit Libuv(int n) : count(n), timers(std::make_unique<uv_timer_t[]>(static_cast<std::size_t>(n))) {
    uv_loop_init(&loop);
    loop.data = this;
    for (int i = 0; i < count; ++i) uv_timer_init(&loop, at(i));
  }
  ~Libuv() {
    for (int i = 0; i < count; ++i) uv_close(reinterpret_cast<uv_handle_t*>(at(i)), nullptr);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
  }
  Libuv(const Libuv&) = delete;
  Libuv& operator=(const Libuv&) = delete;

  uv_timer_t* at(int i) { return &timers[static_cast<std::size_t>(i)]; }
  static void on_fire(uv_timer_t* timer) { ++static_cast<Libuv*>(timer->loop->data)->fired; }
};

// libuv's timeouts are whole milliseconds from its cached "now".
std::uint64_t milliseconds(std::int64_t offset_ns) { return static_cast<std::uint64_t>(offset_ns / 1'000'000); }

void libuv_fire(benchmark::State& state, Order order, int count) {
  Libuv uv(count);
  const std::vector<std::int64_t>& offset = offsets(order, count);
  for (auto _ : state) {
    uv.fired = 0;
    uv_update_time(&uv.loop);
    const double scheduled = bench::thread_seconds();
    for (int i = 0; i < count; ++i) {
      uv_timer_start(uv.at(i), &Libuv::on_fire, milliseconds(offset[static_cast<std::size_t>(i)]), 0);
    }
    const double schedule_time = bench::thread_seconds() - scheduled;
    std::this_thread::sleep_for(window + 2ms);  // off the clock, until every deadline is past
    const double fire_started = bench::thread_seconds();
    uv_run(&uv.loop, UV_RUN_DEFAULT);  // every timer is due; the loop ends when none is left
    state.SetIterationTime(schedule_time + (bench::thread_seconds() - fire_started));
    if (uv.fired != count) state.SkipWithError("not every timer fired");
  }
  finish(state, count);
}

void libuv_cancel(benchmark::State& state, Order order, int count) {
  Libuv uv(count);
  const std::vector<std::int64_t>& offset = offsets(order, count);
  for (auto _ : state) {
    const double started = bench::thread_seconds();
    for (int i = 0; i < count; ++i) {
      uv_timer_start(uv.at(i), &Libuv::on_fire, 3'600'000 + milliseconds(offset[static_cast<std::size_t>(i)]), 0);
    }
    for (int i = 0; i < count; ++i) uv_timer_stop(uv.at(i));
    state.SetIterationTime(bench::thread_seconds() - started);
  }
  finish(state, count);
}
#endif

// ---------------------------------------------------------------------------- libevent

#if BENCH_HAVE_LIBEVENT
struct Libevent {
  event_base* base = event_base_new();
  int count;
  // The events side by side in one block (event_assign), as libuv's handles are.
  std::size_t stride = event_get_struct_event_size();
  std::unique_ptr<unsigned char[]> block;
  int fired = 0;

  explicit Libevent(int n) : count(n), block(std::make_unique<unsigned char[]>(stride * static_cast<std::size_t>(n))) {
    if (base == nullptr) throw std::runtime_error("event_base_new failed");
    for (int i = 0; i < count; ++i) evtimer_assign(at(i), base, &on_fire, this);
  }
  ~Libevent() {
    for (int i = 0; i < count; ++i) event_del(at(i));
    event_base_free(base);
  }
  Libevent(const Libevent&) = delete;
  Libevent& operator=(const Libevent&) = delete;

  event* at(int i) { return reinterpret_cast<event*>(block.get() + stride * static_cast<std::size_t>(i)); }
  static void on_fire(evutil_socket_t, short, void* self) { ++static_cast<Libevent*>(self)->fired; }
};

// libevent's timeouts are timevals (microseconds) from now.
timeval delay(std::int64_t seconds_ahead, std::int64_t offset_ns) {
  const std::int64_t us = offset_ns / 1000;
  return {static_cast<time_t>(seconds_ahead + us / 1'000'000), static_cast<suseconds_t>(us % 1'000'000)};
}

void libevent_fire(benchmark::State& state, Order order, int count) {
  Libevent le(count);
  const std::vector<std::int64_t>& offset = offsets(order, count);
  for (auto _ : state) {
    le.fired = 0;
    const double scheduled = bench::thread_seconds();
    for (int i = 0; i < count; ++i) {
      const timeval tv = delay(0, offset[static_cast<std::size_t>(i)]);
      evtimer_add(le.at(i), &tv);
    }
    const double schedule_time = bench::thread_seconds() - scheduled;
    std::this_thread::sleep_for(window + 2ms);  // off the clock, until every deadline is past
    const double fire_started = bench::thread_seconds();
    event_base_loop(le.base, 0);  // every timer is due; the loop ends when none is left
    state.SetIterationTime(schedule_time + (bench::thread_seconds() - fire_started));
    if (le.fired != count) state.SkipWithError("not every timer fired");
  }
  finish(state, count);
}

void libevent_cancel(benchmark::State& state, Order order, int count) {
  Libevent le(count);
  const std::vector<std::int64_t>& offset = offsets(order, count);
  for (auto _ : state) {
    const double started = bench::thread_seconds();
    for (int i = 0; i < count; ++i) {
      const timeval tv = delay(3600, offset[static_cast<std::size_t>(i)]);
      evtimer_add(le.at(i), &tv);
    }
    for (int i = 0; i < count; ++i) evtimer_del(le.at(i));
    state.SetIterationTime(bench::thread_seconds() - started);
  }
  finish(state, count);
}
#endif

// ---------------------------------------------------------------------------- Boost.Asio

#if BENCH_HAVE_ASIO
// One steady_timer per timer, made before timing starts, as the other peers' are. Each
// async_wait still allocates one operation to hold its handler: outside run() there is no
// per-thread cache to take it from. Asio's deadlines are steady_clock time points, like ours,
// so they are set absolutely, to the nanosecond. The io_context has concurrency hint 1 (one
// thread runs it), as in callbacks.cpp. With that hint or without, the timer heap belongs to
// the epoll reactor and every change to it is made under the reactor's mutex; and expires_at
// on a timer that has waited before first cancels whatever wait it might still have, a second
// pass under that mutex. Both are what re-arming a timer costs in Asio, so both are timed.
struct Asio {
  boost::asio::io_context context{1};
  std::vector<boost::asio::steady_timer> timers;
  int fired = 0;
  int aborted = 0;

  explicit Asio(int count) {
    timers.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) timers.emplace_back(context);
  }
  boost::asio::steady_timer& at(int i) { return timers[static_cast<std::size_t>(i)]; }
  // The handler's one pointer is all it carries, as our callbacks do.
  auto on_fire() {
    return [self = this](const boost::system::error_code& error) { ++(error ? self->aborted : self->fired); };
  }
};

void asio_fire(benchmark::State& state, Order order, int count) {
  Asio asio(count);
  const std::vector<std::int64_t>& offset = offsets(order, count);
  for (auto _ : state) {
    asio.fired = 0;
    asio.context.restart();  // the last run() left it stopped, out of work
    const double scheduled = bench::thread_seconds();
    const auto start = Clock::now();
    for (int i = 0; i < count; ++i) {
      asio.at(i).expires_at(start + std::chrono::nanoseconds(offset[static_cast<std::size_t>(i)]));
      asio.at(i).async_wait(asio.on_fire());
    }
    const double schedule_time = bench::thread_seconds() - scheduled;
    std::this_thread::sleep_for(window + 2ms);  // off the clock, until every deadline is past
    const double fire_started = bench::thread_seconds();
    asio.context.run();  // every timer is due; run() returns when no wait is left
    state.SetIterationTime(schedule_time + (bench::thread_seconds() - fire_started));
    if (asio.fired != count) state.SkipWithError("not every timer fired");
  }
  finish(state, count);
}

// Cancelling a wait is not over when cancel() returns: Asio promises every handler is called
// once, so cancel() takes the timer out of the heap and queues its handler, to be called with
// operation_aborted. The timed part therefore ends with the run() that calls those handlers
// (and frees their operations); without it, a timer's cancellation would be half done.
void asio_cancel(benchmark::State& state, Order order, int count) {
  Asio asio(count);
  const std::vector<std::int64_t>& offset = offsets(order, count);
  for (auto _ : state) {
    asio.aborted = 0;
    asio.context.restart();
    const double started = bench::thread_seconds();
    const auto start = Clock::now() + 1h;
    for (int i = 0; i < count; ++i) {
      asio.at(i).expires_at(start + std::chrono::nanoseconds(offset[static_cast<std::size_t>(i)]));
      asio.at(i).async_wait(asio.on_fire());
    }
    for (int i = 0; i < count; ++i) asio.at(i).cancel();
    asio.context.run();  // calls every handler, with operation_aborted
    state.SetIterationTime(bench::thread_seconds() - started);
    if (asio.aborted != count) state.SkipWithError("not every wait was cancelled");
  }
  finish(state, count);
}
#endif

using Run = void (*)(benchmark::State&, Order, int);

void add(const std::string& question, const std::string& who, Order order, int count, Run run) {
  const std::string name = "BM_Timers_" + question + "/" + who + "/deadlines:" +
                           (order == Order::random ? "random" : "in_order") +
                           "/timers:" + std::to_string(count);
  auto* b = benchmark::RegisterBenchmark(name.c_str(), [run, order, count](benchmark::State& s) { run(s, order, count); })
                ->UseManualTime()
                ->Unit(benchmark::kMillisecond);
  // Every fire iteration sleeps a second: a fixed few of them, not as many as min_time asks.
  if (question == "ScheduleAndFire") b->Iterations(count >= largest_count ? 1 : 3);
}

}  // namespace

int main(int argc, char** argv) {
  // --quick: a hundred thousand timers with random deadlines only.
  const bool quick = bench::take_flag(argc, argv, "--quick");
  for (const int count : {100'000, largest_count}) {
    if (quick && count != 100'000) continue;
    for (const Order order : {Order::random, Order::in_order}) {
      if (quick && order == Order::in_order) continue;
      add("ScheduleAndFire", "ours", order, count, ours_fire);
#if BENCH_HAVE_LIBUV
      add("ScheduleAndFire", "libuv", order, count, libuv_fire);
#endif
#if BENCH_HAVE_LIBEVENT
      add("ScheduleAndFire", "libevent", order, count, libevent_fire);
#endif
#if BENCH_HAVE_ASIO
      add("ScheduleAndFire", "asio", order, count, asio_fire);
#endif
      add("ScheduleAndCancel", "ours", order, count, ours_cancel);
#if BENCH_HAVE_LIBUV
      add("ScheduleAndCancel", "libuv", order, count, libuv_cancel);
#endif
#if BENCH_HAVE_LIBEVENT
      add("ScheduleAndCancel", "libevent", order, count, libevent_cancel);
#endif
#if BENCH_HAVE_ASIO
      add("ScheduleAndCancel", "asio", order, count, asio_cancel);
#endif
    }
  }
  for (const int count : {10'000, 100'000}) {
    if (quick && count != 10'000) continue;
    add("FirstFill", "ours", Order::random, count, ours_first_fill);
  }
#if BENCH_HAVE_ASIO
  benchmark::AddCustomContext("asio", BOOST_LIB_VERSION);
#endif
  return bench::run_main(argc, argv);
}
