// Callbacks: what add_callback costs on the loop's own thread, and what it costs to wake the
// loop from another thread.
//
//   SameThread     1,000 callbacks queued, then one turn runs them all. Per callback.
//   Chained        each callback queues the next: one callback per turn of the loop, so this
//                  is the cost of a whole turn that has nothing to poll for. Per callback.
//   CrossThreadFlood  a second thread, on a core of its own, queues 100,000 callbacks as
//                  fast as it can while the loop runs them. Per callback: queueing, waking
//                  and running.
//   PingPong       the benchmark's thread queues one callback and blocks until the loop has
//                  run it (it writes an eventfd back); then the next. Per round trip, with both
//                  threads on one core (each wake-up is a context switch) and on two.
//
// libuv has no callback queue: the idiom is a mutex-guarded queue plus uv_async_send to wake
// the loop (cross-thread), and idle handles for work on the loop's own thread. libevent's is
// event_active. The peers' cross-thread rows use the same queue type as our loop does (a
// vector of std::function under a mutex), so what differs is the wake-up and the loop.
// Boost.Asio has a callback queue of its own, boost::asio::post on an io_context, from any
// thread: its rows use it as is, with no Mailbox.
// The floor for PingPong: two threads bouncing one eventfd each, with no loop at all.
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "common/fd.hpp"
#include "final_chapter.hpp"
#include "support.hpp"

#if BENCH_HAVE_LIBEVENT
#include <event2/event.h>
#include <event2/thread.h>
#endif
#if BENCH_HAVE_LIBUV
#include <uv.h>
#endif
#if BENCH_HAVE_ASIO
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/version.hpp>
#endif

namespace {

using final_chapter::IOLoop;

constexpr int batch = 1000;
constexpr int chain = 1000;
constexpr int flood = 100'000;

[[noreturn]] void fail(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

void items(benchmark::State& state, int per_iteration) { state.counters["items"] = per_iteration; }

// A blocking eventfd: how the ping-pong's sender waits for the loop's answer.
class Signal {
 public:
  Signal() : fd_(::eventfd(0, EFD_CLOEXEC)) {
    if (!fd_) fail("eventfd");
  }
  void post() const {
    const std::uint64_t one = 1;
    if (::write(fd_.get(), &one, sizeof one) != sizeof one) fail("write(eventfd)");
  }
  void wait() const {
    std::uint64_t count = 0;
    while (::read(fd_.get(), &count, sizeof count) != sizeof count) {
      if (errno != EINTR) fail("read(eventfd)");
    }
  }

 private:
  common::Fd fd_;
};

// The cores for a ping-pong: both threads on one, or one each (nullopt if there is only one).
std::optional<std::pair<int, int>> cores_for(int cores) {
  const std::vector<int> cpus = bench::allowed_cpus();
  if (cpus.empty()) return std::nullopt;
  if (cores == 1) return std::pair{cpus[0], cpus[0]};
  if (cpus.size() < 2) return std::nullopt;
  return std::pair{cpus[0], cpus[1]};
}

// The flood's two threads run on two cores, one each, when there are two: the benchmark's
// own thread runs the loop and a producer thread floods it. (Left to the scheduler, the pair
// sometimes shares a core and sometimes does not, and the result swings by several times.)
class FloodPins {
 public:
  FloodPins() : cpus_(cores_for(2)) {
    if (cpus_) loop_.emplace(cpus_->first);
  }
  void producer() const {
    if (cpus_) bench::PinnedThread::pin(cpus_->second);
  }

 private:
  std::optional<std::pair<int, int>> cpus_;
  std::optional<bench::PinnedThread> loop_;
};

// What the peers use for cross-thread work: our loop's own queue, without the loop.
class Mailbox {
 public:
  void push(std::function<void()> callback) {
    std::lock_guard lock(mutex_);
    queued_.push_back(std::move(callback));
  }
  void run_all() {
    {
      std::lock_guard lock(mutex_);
      running_.swap(queued_);
    }
    for (const auto& callback : running_) callback();
    running_.clear();
  }

 private:
  std::mutex mutex_;
  std::vector<std::function<void()>> queued_;
  std::vector<std::function<void()>> running_;
};

// ---------------------------------------------------------------------------- our loop

void ours_same_thread(benchmark::State& state) {
  IOLoop loop;
  int ran = 0;
  const auto queue_batch = [&] {
    ran = 0;
    for (int i = 0; i < batch; ++i) {
      loop.add_callback([&ran, &loop] {
        if (++ran == batch) loop.stop();
      });
    }
  };
  queue_batch();  // the first start() tells the loop which thread is its own
  loop.start();
  for (auto _ : state) {
    queue_batch();
    loop.start();
  }
  items(state, batch);
}

void ours_chained(benchmark::State& state) {
  IOLoop loop;
  struct Chain {
    IOLoop& loop;
    int left = 0;
    void step() {
      if (--left == 0) {
        loop.stop();
      } else {
        loop.add_callback([this] { step(); });
      }
    }
  } links{loop};
  for (auto _ : state) {
    links.left = chain;
    loop.add_callback([&links] { links.step(); });
    loop.start();
  }
  items(state, chain);
}

void ours_flood(benchmark::State& state) {
  const FloodPins pins;
  IOLoop loop;
  int ran = 0;
  for (auto _ : state) {
    ran = 0;
    std::thread producer([&] {
      pins.producer();
      for (int i = 0; i < flood; ++i) {
        loop.add_callback([&ran, &loop] {
          if (++ran == flood) loop.stop();
        });
      }
    });
    loop.start();
    producer.join();
  }
  items(state, flood);
}

void ours_ping_pong(benchmark::State& state, int cores) {
  const auto cpus = cores_for(cores);
  if (!cpus) return state.SkipWithError("needs two CPUs");
  bench::PinnedThread pinned(cpus->first);
  IOLoop loop;
  Signal answered;
  std::thread loop_thread([&] {
    bench::PinnedThread::pin(cpus->second);
    loop.start();
  });
  for (auto _ : state) {
    loop.add_callback([&answered] { answered.post(); });
    answered.wait();
  }
  loop.add_callback([&loop] { loop.stop(); });
  loop_thread.join();
  items(state, 1);
}

// ---------------------------------------------------------------------------- the floor

void raw_eventfd_ping_pong(benchmark::State& state, int cores) {
  const auto cpus = cores_for(cores);
  if (!cpus) return state.SkipWithError("needs two CPUs");
  bench::PinnedThread pinned(cpus->first);
  Signal asked, answered;
  std::atomic<bool> done = false;
  std::thread responder([&] {
    bench::PinnedThread::pin(cpus->second);
    while (true) {
      asked.wait();
      if (done.load(std::memory_order_relaxed)) break;
      answered.post();
    }
  });
  for (auto _ : state) {
    asked.post();
    answered.wait();
  }
  done = true;
  asked.post();
  responder.join();
  items(state, 1);
}

// ---------------------------------------------------------------------------- libuv

#if BENCH_HAVE_LIBUV
// Same thread: one idle handle per callback, started to queue it; it stops itself when run.
void libuv_same_thread(benchmark::State& state) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  struct Counter {
    int ran = 0;
  } counter;
  loop.data = &counter;
  auto idles = std::make_unique<uv_idle_t[]>(batch);
  for (int i = 0; i < batch; ++i) uv_idle_init(&loop, &idles[static_cast<std::size_t>(i)]);
  const auto on_idle = [](uv_idle_t* idle) {
    ++static_cast<Counter*>(idle->loop->data)->ran;
    uv_idle_stop(idle);
  };
  for (auto _ : state) {
    counter.ran = 0;
    for (int i = 0; i < batch; ++i) uv_idle_start(&idles[static_cast<std::size_t>(i)], on_idle);
    uv_run(&loop, UV_RUN_DEFAULT);  // runs every idle handle once; ends when none is active
  }
  if (counter.ran != batch) state.SkipWithError("not every callback ran");
  for (int i = 0; i < batch; ++i) uv_close(reinterpret_cast<uv_handle_t*>(&idles[static_cast<std::size_t>(i)]), nullptr);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  items(state, batch);
}

// Chained: one idle handle, which libuv runs once per turn until it stops itself.
void libuv_chained(benchmark::State& state) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  int left = 0;
  loop.data = &left;
  uv_idle_t idle;
  uv_idle_init(&loop, &idle);
  for (auto _ : state) {
    left = chain;
    uv_idle_start(&idle, [](uv_idle_t* self) {
      if (--*static_cast<int*>(self->loop->data) == 0) uv_idle_stop(self);
    });
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&idle), nullptr);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  items(state, chain);
}

// Cross-thread: a Mailbox, and uv_async_send to wake the loop (libuv coalesces the sends).
struct LibuvMailbox {
  uv_loop_t loop{};
  uv_async_t async{};
  Mailbox mailbox;

  LibuvMailbox() {
    uv_loop_init(&loop);
    async.data = this;
    uv_async_init(&loop, &async, [](uv_async_t* self) { static_cast<LibuvMailbox*>(self->data)->mailbox.run_all(); });
  }
  ~LibuvMailbox() { uv_loop_close(&loop); }  // after close_from_loop() and the last uv_run
  LibuvMailbox(const LibuvMailbox&) = delete;
  LibuvMailbox& operator=(const LibuvMailbox&) = delete;

  void add_callback(std::function<void()> callback) {
    mailbox.push(std::move(callback));
    uv_async_send(&async);
  }
  void close_from_loop() { uv_close(reinterpret_cast<uv_handle_t*>(&async), nullptr); }
};

void libuv_flood(benchmark::State& state) {
  const FloodPins pins;
  LibuvMailbox uv;
  int ran = 0;
  for (auto _ : state) {
    ran = 0;
    std::thread producer([&] {
      pins.producer();
      for (int i = 0; i < flood; ++i) {
        uv.add_callback([&ran, &uv] {
          if (++ran == flood) uv_stop(&uv.loop);
        });
      }
    });
    uv_run(&uv.loop, UV_RUN_DEFAULT);
    producer.join();
  }
  uv.close_from_loop();
  uv_run(&uv.loop, UV_RUN_DEFAULT);
  items(state, flood);
}

void libuv_ping_pong(benchmark::State& state, int cores) {
  const auto cpus = cores_for(cores);
  if (!cpus) return state.SkipWithError("needs two CPUs");
  bench::PinnedThread pinned(cpus->first);
  LibuvMailbox uv;
  Signal answered;
  std::thread loop_thread([&] {
    bench::PinnedThread::pin(cpus->second);
    uv_run(&uv.loop, UV_RUN_DEFAULT);  // until the async handle is closed
  });
  for (auto _ : state) {
    uv.add_callback([&answered] { answered.post(); });
    answered.wait();
  }
  uv.add_callback([&uv] { uv.close_from_loop(); });
  loop_thread.join();
  items(state, 1);
}
#endif

// ---------------------------------------------------------------------------- libevent

#if BENCH_HAVE_LIBEVENT
// A base without locks, for the rows that stay on one thread.
event_base* unlocked_base(int max_callbacks_per_turn = 0) {
  event_config* config = event_config_new();
  event_config_set_flag(config, EVENT_BASE_FLAG_NOLOCK);
  if (max_callbacks_per_turn > 0) {
    event_config_set_max_dispatch_interval(config, nullptr, max_callbacks_per_turn, 0);
  }
  event_base* base = event_base_new_with_config(config);
  event_config_free(config);
  if (base == nullptr) throw std::runtime_error("event_base_new_with_config failed");
  return base;
}

// Same thread: one event per callback, made active by event_active; the loop runs them all.
void libevent_same_thread(benchmark::State& state) {
  event_base* base = unlocked_base();
  int ran = 0;
  std::vector<event*> events;
  for (int i = 0; i < batch; ++i) {
    events.push_back(event_new(base, -1, 0, [](evutil_socket_t, short, void* count) { ++*static_cast<int*>(count); }, &ran));
  }
  for (auto _ : state) {
    ran = 0;
    for (event* e : events) event_active(e, EV_READ, 0);
    event_base_loop(base, 0);  // runs the active events; returns when nothing is left
  }
  if (ran != batch) state.SkipWithError("not every callback ran");
  for (event* e : events) event_free(e);
  event_base_free(base);
  items(state, batch);
}

// Chained: an event that makes itself active again. By default libevent would run it again
// in the same pass over its active queue, never polling; with max_dispatch_callbacks = 1 it
// goes round its loop (and polls) after each callback, as our loop and libuv's do.
void libevent_chained(benchmark::State& state) {
  event_base* base = unlocked_base(1);
  struct Chain {
    event_base* base;
    event* self = nullptr;
    int left = 0;
  } links{base};
  links.self = event_new(base, -1, 0, [](evutil_socket_t, short, void* arg) {
    auto* c = static_cast<Chain*>(arg);
    if (--c->left > 0) event_active(c->self, EV_READ, 0);
  }, &links);
  for (auto _ : state) {
    links.left = chain;
    event_active(links.self, EV_READ, 0);
    event_base_loop(base, 0);
  }
  event_free(links.self);
  event_base_free(base);
  items(state, chain);
}

// Cross-thread: a Mailbox, and event_active from the producer's thread (which takes the
// base's lock and, when the loop sleeps, wakes it through libevent's own eventfd).
struct LibeventMailbox {
  event_base* base = event_base_new();  // with locks: evthread_use_pthreads() ran in main
  event* notify = nullptr;
  Mailbox mailbox;

  LibeventMailbox() {
    if (base == nullptr) throw std::runtime_error("event_base_new failed");
    notify = event_new(base, -1, 0, [](evutil_socket_t, short, void* self) {
      static_cast<LibeventMailbox*>(self)->mailbox.run_all();
    }, this);
  }
  ~LibeventMailbox() {
    event_free(notify);
    event_base_free(base);
  }
  LibeventMailbox(const LibeventMailbox&) = delete;
  LibeventMailbox& operator=(const LibeventMailbox&) = delete;

  void add_callback(std::function<void()> callback) {
    mailbox.push(std::move(callback));
    event_active(notify, EV_READ, 0);
  }
  void run() { event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY); }  // until loopbreak
};

void libevent_flood(benchmark::State& state) {
  const FloodPins pins;
  LibeventMailbox le;
  int ran = 0;
  for (auto _ : state) {
    ran = 0;
    std::thread producer([&] {
      pins.producer();
      for (int i = 0; i < flood; ++i) {
        le.add_callback([&ran, &le] {
          if (++ran == flood) event_base_loopbreak(le.base);
        });
      }
    });
    le.run();
    producer.join();
  }
  items(state, flood);
}

void libevent_ping_pong(benchmark::State& state, int cores) {
  const auto cpus = cores_for(cores);
  if (!cpus) return state.SkipWithError("needs two CPUs");
  bench::PinnedThread pinned(cpus->first);
  LibeventMailbox le;
  Signal answered;
  std::thread loop_thread([&] {
    bench::PinnedThread::pin(cpus->second);
    le.run();
  });
  for (auto _ : state) {
    le.add_callback([&answered] { answered.post(); });
    answered.wait();
  }
  le.add_callback([&le] { event_base_loopbreak(le.base); });
  loop_thread.join();
  items(state, 1);
}
#endif

// ---------------------------------------------------------------------------- Boost.Asio

#if BENCH_HAVE_ASIO
// An io_context as our loop is used: run by one thread, posted to from any. Concurrency hint 1
// says exactly that. It keeps the scheduler's mutex (another thread may still post, as our
// add_callback keeps its lock), and lets a handler's own posts skip it: they go to a queue
// private to the running thread, moved to the shared one after the handler returns. (The
// hint that drops the mutex, BOOST_ASIO_CONCURRENCY_HINT_UNSAFE, would match the libevent
// rows' EVENT_BASE_FLAG_NOLOCK instead; but then no other thread could post, and our loop
// has no such mode.)
//
// An io_context that has only ever been posted to has no reactor: its run() just pops
// handlers, and never calls epoll_wait. One I/O object creates the epoll reactor for good, and
// then each pass over the queue includes one epoll_wait (with a zero timeout while handlers
// wait), as each turn of our loop does. Any real program has a socket or a timer; so do these
// rows, through a timer that never waits.
struct AsioLoop {
  boost::asio::io_context context{1};
  boost::asio::steady_timer reactor_maker{context};
};

// Same thread: 1,000 posts from outside run(), then run() until none is left. A post made
// outside run() finds no thread-local cache, so each allocates its operation with operator
// new (run() frees it, into a one-block cache that only code inside run() can reuse).
void asio_same_thread(benchmark::State& state) {
  AsioLoop asio;
  int ran = 0;
  for (auto _ : state) {
    ran = 0;
    asio.context.restart();  // run() left the context stopped when its work ran out
    for (int i = 0; i < batch; ++i) {
      boost::asio::post(asio.context, [&ran] { ++ran; });
    }
    asio.context.run();
  }
  if (ran != batch) state.SkipWithError("not every callback ran");
  items(state, batch);
}

// Chained: each handler posts the next, from inside run(): it goes to the thread's private
// queue and reuses the operation block its predecessor just gave back, so this row allocates
// nothing. Between two handlers run() takes its mutex, and passes the reactor once.
void asio_chained(benchmark::State& state) {
  AsioLoop asio;
  struct Chain {
    boost::asio::io_context& context;
    int left = 0;
    void step() {
      if (--left > 0) boost::asio::post(context, [this] { step(); });
    }
  } links{asio.context};
  for (auto _ : state) {
    asio.context.restart();
    links.left = chain;
    boost::asio::post(asio.context, [&links] { links.step(); });
    asio.context.run();  // returns when the last handler posts nothing
  }
  items(state, chain);
}

// Cross-thread: the producer posts straight into the io_context (its mutex, and a write to
// the reactor's eventfd when the loop sleeps in epoll_wait). A work guard keeps run() from
// returning while the queue is momentarily empty; the last handler stops it, as ours does.
void asio_flood(benchmark::State& state) {
  const FloodPins pins;
  AsioLoop asio;
  const auto guard = boost::asio::make_work_guard(asio.context);
  int ran = 0;
  for (auto _ : state) {
    ran = 0;
    asio.context.restart();
    std::thread producer([&] {
      pins.producer();
      for (int i = 0; i < flood; ++i) {
        boost::asio::post(asio.context, [&ran, &asio] {
          if (++ran == flood) asio.context.stop();
        });
      }
    });
    asio.context.run();
    producer.join();
  }
  items(state, flood);
}

void asio_ping_pong(benchmark::State& state, int cores) {
  const auto cpus = cores_for(cores);
  if (!cpus) return state.SkipWithError("needs two CPUs");
  bench::PinnedThread pinned(cpus->first);
  AsioLoop asio;
  auto guard = boost::asio::make_work_guard(asio.context);
  Signal answered;
  std::thread loop_thread([&] {
    bench::PinnedThread::pin(cpus->second);
    asio.context.run();  // until the guard is reset and nothing is queued
  });
  for (auto _ : state) {
    boost::asio::post(asio.context, [&answered] { answered.post(); });
    answered.wait();
  }
  guard.reset();
  loop_thread.join();
  items(state, 1);
}
#endif

// ---------------------------------------------------------------------------- registration

void add(const std::string& name, void (*run)(benchmark::State&)) {
  benchmark::RegisterBenchmark(name.c_str(), run)->UseRealTime()->Unit(benchmark::kMicrosecond);
}
void add_ping_pong(const std::string& who, void (*run)(benchmark::State&, int)) {
  for (const int cores : {1, 2}) {
    const std::string name = "BM_Callbacks_PingPong/" + who + "/cores:" + std::to_string(cores);
    benchmark::RegisterBenchmark(name.c_str(), [run, cores](benchmark::State& s) { run(s, cores); })
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond);
  }
}

}  // namespace

int main(int argc, char** argv) {
  bench::take_flag(argc, argv, "--quick");
#if BENCH_HAVE_LIBEVENT
  // Before any base exists: bases made from now on have locks (unless asked not to), which
  // is what lets another thread call event_active.
  evthread_use_pthreads();
#endif
  const std::string same = "BM_Callbacks_SameThread/", chained = "BM_Callbacks_Chained/",
                    cross = "BM_Callbacks_CrossThreadFlood/";
  const std::string batch_size = "/batch:" + std::to_string(batch), chain_size = "/chain:" + std::to_string(chain),
                    flood_size = "/callbacks:" + std::to_string(flood);
  add(same + "ours" + batch_size, ours_same_thread);
  add(chained + "ours" + chain_size, ours_chained);
  add(cross + "ours" + flood_size, ours_flood);
  add_ping_pong("ours", ours_ping_pong);
  add_ping_pong("raw-eventfd", raw_eventfd_ping_pong);
#if BENCH_HAVE_LIBUV
  add(same + "libuv" + batch_size, libuv_same_thread);
  add(chained + "libuv" + chain_size, libuv_chained);
  add(cross + "libuv" + flood_size, libuv_flood);
  add_ping_pong("libuv", libuv_ping_pong);
#endif
#if BENCH_HAVE_LIBEVENT
  add(same + "libevent" + batch_size, libevent_same_thread);
  add(chained + "libevent" + chain_size, libevent_chained);
  add(cross + "libevent" + flood_size, libevent_flood);
  add_ping_pong("libevent", libevent_ping_pong);
#endif
#if BENCH_HAVE_ASIO
  benchmark::AddCustomContext("asio", BOOST_LIB_VERSION);
  add(same + "asio" + batch_size, asio_same_thread);
  add(chained + "asio" + chain_size, asio_chained);
  add(cross + "asio" + flood_size, asio_flood);
  add_ping_pong("asio", asio_ping_pong);
#endif
  return bench::run_main(argc, argv);
}
