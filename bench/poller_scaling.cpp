// Poller scaling: how the time of one round grows with the number of registered descriptors.
//
// The workload is libevent's classic benchmark (test/bench.c, Niels Provos, with Davide
// Libenzi's chained writes), rebuilt here around our own types. N connections (socketpairs,
// or pipes), each with a read callback. A round starts by writing one byte to A connections
// spread evenly over the N; every read callback reads its byte and, while the round still
// has writes left (W = 100), writes one byte to the next connection. The round is over when
// every byte written has been read: A + W read callbacks, W of them writing.
//
// With A = 100 many descriptors are ready at once and the read/write syscalls dominate; with
// A = 1 every poll finds exactly one ready descriptor, so the round is 101 polls in a row and
// shows what one poll costs on each backend. Only the round itself is timed (manual time),
// as bench.c times it: not the registration, nor the A writes that start it. A round never
// sleeps (a descriptor is always ready), so we time it with the thread's CPU clock, which
// leaves out time stolen by other processes (bench::thread_seconds).
//
// Rows: our final chapter's loop on select, poll, epoll and io_uring ("uring": one one-shot
// POLL_ADD per watched fd, re-armed after it fires, all handed over by the io_uring_enter
// that waits; where the kernel refuses io_uring its rows skip); libevent forced to each of its
// backends and libuv, when installed; and a raw epoll loop with no abstraction: the floor.
// BM_LoopOverhead runs the same rounds through our loop with a poller that makes no syscalls:
// what the loop itself costs per event.
#include <sys/epoll.h>
#include <sys/select.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "common/fd.hpp"
#include "final_chapter.hpp"
#include "support.hpp"

#if BENCH_HAVE_LIBEVENT
#include <event2/event.h>
#endif
#if BENCH_HAVE_LIBUV
#include <uv.h>
#endif

namespace {

constexpr int writes_per_round = 100;  // W
// The largest N we ask for: about 9,900 connections fit under a 20,000-descriptor limit.
constexpr int largest_wanted = 9900;
constexpr int spare_fds = 200;  // stdio, epoll/eventfd descriptors, libraries' own

enum class Transport { socketpair, pipe };

[[noreturn]] void fail(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

// N connections and the round's bookkeeping: bench.c's globals, as one object.
class Workload {
 public:
  Workload(Transport transport, int connections, int active) : active_(active) {
    read_ends_.reserve(static_cast<std::size_t>(connections));
    write_ends_.reserve(static_cast<std::size_t>(connections));
    for (int i = 0; i < connections; ++i) {
      if (transport == Transport::socketpair) {
        common::SocketPair pair = common::make_socketpair();
        read_ends_.push_back(std::move(pair.first));
        write_ends_.push_back(std::move(pair.second));
      } else {
        common::Pipe pipe = common::make_pipe();
        read_ends_.push_back(std::move(pipe.read_end));
        write_ends_.push_back(std::move(pipe.write_end));
      }
    }
  }

  int size() const noexcept { return static_cast<int>(read_ends_.size()); }
  int read_fd(int i) const noexcept { return read_ends_[static_cast<std::size_t>(i)].get(); }
  int events_per_round() const noexcept { return active_ + writes_per_round; }
  bool round_over() const noexcept { return count_ == fired_; }

  // bench.c's run_once(), before its clock starts: one byte to each of A connections,
  // spaced N/A apart.
  void start_round() {
    count_ = 0;
    fired_ = 0;
    writes_left_ = writes_per_round;
    const int space = size() / active_;
    for (int i = 0; i < active_; ++i, ++fired_) send_byte(i * space);
  }

  // bench.c's read_cb(): read our byte; while writes are left, pass one on to the next
  // connection (wrapping around), which makes the chain that keeps the round going.
  void on_readable(int i) {
    char byte;
    if (::read(read_fd(i), &byte, 1) == 1) ++count_;
    if (writes_left_ > 0) {
      send_byte(i + 1 == size() ? 0 : i + 1);
      --writes_left_;
      ++fired_;
    }
  }

 private:
  void send_byte(int i) {
    if (::write(write_ends_[static_cast<std::size_t>(i)].get(), "e", 1) != 1) fail("write");
  }

  std::vector<common::Fd> read_ends_, write_ends_;
  int active_;
  int count_ = 0;        // bytes read this round
  int fired_ = 0;        // bytes written this round
  int writes_left_ = 0;  // chained writes still to make
};

// ---------------------------------------------------------------------------- our loop

// One handler per connection; the handler that reads the round's last byte stops the loop.
class OurLoop {
 public:
  OurLoop(Workload& work, const char* backend)
      : work_(work), loop_(final_chapter::make_poller(backend)) {
    for (int i = 0; i < work.size(); ++i) {
      // [this, i] fits inside std::function's own storage: no allocation, no extra pointer.
      loop_.add_handler(work.read_fd(i), [this, i](int, unsigned) { on_readable(i); },
                        final_chapter::IOLoop::READ);
    }
  }
  void run_round() { loop_.start(); }

 private:
  void on_readable(int i) {
    work_.on_readable(i);
    if (work_.round_over()) loop_.stop();
  }

  Workload& work_;
  final_chapter::IOLoop loop_;
};

// ---------------------------------------------------------------------------- the floor

// What any epoll loop must do, and nothing else: one epoll_wait, then the callbacks, with
// the connection's index in the event itself. No handler table, no callbacks, no timers.
class RawEpoll {
 public:
  explicit RawEpoll(Workload& work) : work_(work), epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)), ready_(1024) {
    if (!epoll_fd_) fail("epoll_create1");
    for (int i = 0; i < work.size(); ++i) {
      epoll_event event{};
      event.events = EPOLLIN;
      event.data.u32 = static_cast<std::uint32_t>(i);
      if (::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, work.read_fd(i), &event) != 0) fail("epoll_ctl");
    }
  }
  void run_round() {
    while (!work_.round_over()) {
      const int n = ::epoll_wait(epoll_fd_.get(), ready_.data(), static_cast<int>(ready_.size()), -1);
      if (n < 0 && errno != EINTR) fail("epoll_wait");
      for (int k = 0; k < n; ++k) work_.on_readable(static_cast<int>(ready_[static_cast<std::size_t>(k)].data.u32));
    }
  }

 private:
  Workload& work_;
  common::Fd epoll_fd_;
  std::vector<epoll_event> ready_;
};

// ---------------------------------------------------------------------------- libevent

#if BENCH_HAVE_LIBEVENT
// libevent with one backend forced: every other method is avoided. One persistent read
// event per connection; the callback that ends the round breaks the loop.
class Libevent {
 public:
  Libevent(Workload& work, const char* method) : work_(work) {
    event_config* config = event_config_new();
    for (const char* other : {"select", "poll", "epoll"}) {
      if (std::string_view(other) != method) event_config_avoid_method(config, other);
    }
    base_ = event_base_new_with_config(config);
    event_config_free(config);
    if (base_ == nullptr || std::string_view(event_base_get_method(base_)) != method) {
      if (base_ != nullptr) event_base_free(base_);
      throw std::runtime_error(std::string("libevent cannot use ") + method + " here");
    }
    connections_.resize(static_cast<std::size_t>(work.size()));
    for (int i = 0; i < work.size(); ++i) {
      Connection& c = connections_[static_cast<std::size_t>(i)];
      c = {this, i, event_new(base_, work.read_fd(i), EV_READ | EV_PERSIST, &on_read, &c)};
      event_add(c.ev, nullptr);
    }
  }
  ~Libevent() {
    for (Connection& c : connections_) event_free(c.ev);
    event_base_free(base_);
  }
  Libevent(const Libevent&) = delete;
  Libevent& operator=(const Libevent&) = delete;

  void run_round() { event_base_loop(base_, 0); }

 private:
  struct Connection {
    Libevent* self;
    int index;
    event* ev;
  };
  static void on_read(evutil_socket_t, short, void* arg) {
    const auto* c = static_cast<Connection*>(arg);
    c->self->work_.on_readable(c->index);
    if (c->self->work_.round_over()) event_base_loopbreak(c->self->base_);
  }

  Workload& work_;
  event_base* base_ = nullptr;
  std::vector<Connection> connections_;
};
#endif

// ---------------------------------------------------------------------------- libuv

#if BENCH_HAVE_LIBUV
// libuv (always epoll on Linux): one uv_poll_t per connection; the round ends with uv_stop.
class Libuv {
 public:
  explicit Libuv(Workload& work)
      : work_(work), polls_(std::make_unique<uv_poll_t[]>(static_cast<std::size_t>(work.size()))) {
    if (uv_loop_init(&loop_) != 0) throw std::runtime_error("uv_loop_init failed");
    for (int i = 0; i < work.size(); ++i) {
      uv_poll_t* poll = &polls_[static_cast<std::size_t>(i)];
      if (uv_poll_init(&loop_, poll, work.read_fd(i)) != 0) throw std::runtime_error("uv_poll_init failed");
      poll->data = this;
      uv_poll_start(poll, UV_READABLE, &on_read);
    }
  }
  ~Libuv() {
    for (int i = 0; i < work_.size(); ++i) {
      uv_close(reinterpret_cast<uv_handle_t*>(&polls_[static_cast<std::size_t>(i)]), nullptr);
    }
    uv_run(&loop_, UV_RUN_DEFAULT);  // lets the closes finish
    uv_loop_close(&loop_);
  }
  Libuv(const Libuv&) = delete;
  Libuv& operator=(const Libuv&) = delete;

  void run_round() { uv_run(&loop_, UV_RUN_DEFAULT); }

 private:
  static void on_read(uv_poll_t* poll, int, int) {
    auto* self = static_cast<Libuv*>(poll->data);
    self->work_.on_readable(static_cast<int>(poll - self->polls_.get()));
    if (self->work_.round_over()) uv_stop(&self->loop_);
  }

  Workload& work_;
  uv_loop_t loop_{};
  std::unique_ptr<uv_poll_t[]> polls_;
};
#endif

// ---------------------------------------------------------------------------- the loop alone

// A poller that asks the kernel nothing: each poll reports the next `per_poll` registered
// descriptors as readable, round-robin (never the first one registered, which is the loop's
// own waker). With it a round costs only what our loop does around each event: the five
// phases of a turn, the handler lookup, the std::function call. The descriptors are numbers
// nobody opened; the handlers never touch them.
class ScriptedPoller final : public final_chapter::Poller {
 public:
  explicit ScriptedPoller(int per_poll) : per_poll_(per_poll) {}
  std::string_view name() const override { return "scripted"; }
  void register_fd(int fd, unsigned) override { fds_.push_back(fd); }
  void modify(int, unsigned) override {}
  void unregister(int fd) override { std::erase(fds_, fd); }
  Result poll(std::optional<std::chrono::nanoseconds>) override {
    ready_.clear();
    for (int k = 0; k < per_poll_; ++k) {
      ready_.push_back({fds_[next_], READ});
      next_ = next_ + 1 < fds_.size() ? next_ + 1 : 1;  // fds_[0] is the waker
    }
    return {ready_, false};
  }

 private:
  int per_poll_;
  std::vector<int> fds_;
  std::size_t next_ = 1;
  std::vector<final_chapter::Event> ready_;
};

void loop_overhead(benchmark::State& state, int active, int connections) {
  final_chapter::IOLoop loop(std::make_unique<ScriptedPoller>(active));
  const int events_per_round = active + writes_per_round;  // as many handler calls as a real round
  int handled = 0;
  constexpr int first_fake_fd = 100'000;  // far above anything open
  for (int i = 0; i < connections; ++i) {
    loop.add_handler(first_fake_fd + i, [&handled, &loop, events_per_round](int, unsigned) {
      if (++handled == events_per_round) loop.stop();
    }, final_chapter::IOLoop::READ);
  }
  for (auto _ : state) {
    handled = 0;
    loop.start();
  }
  state.counters["items"] = events_per_round;
  state.counters["fds"] = connections;
}

// ---------------------------------------------------------------------------- the benchmark

template <class Loop, class... Args>
void poller_scaling(benchmark::State& state, Transport transport, int active, int connections,
                    Args... args) {
  std::optional<Workload> work;
  std::optional<Loop> loop;
  try {
    work.emplace(transport, connections, active);
    loop.emplace(*work, args...);
    work->start_round();  // one round untimed: buffers grow, pages fault in
    loop->run_round();
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  for (auto _ : state) {
    work->start_round();
    const double started = bench::thread_seconds();
    loop->run_round();
    state.SetIterationTime(bench::thread_seconds() - started);
  }
  state.counters["items"] = work->events_per_round();  // the report divides by this: per event
  state.counters["fds"] = connections;
}

// select takes descriptors below FD_SETSIZE only, and each connection uses two numbers (its
// read end and its write end), so our select backend stops near FD_SETSIZE / 2 connections.
bool fits_in_fd_set(int connections) { return 2 * connections + 16 < FD_SETSIZE; }

struct Row {
  std::string name;  // the name in the benchmark's title
  std::function<void(benchmark::State&, Transport, int, int)> run;
  bool select_limited = false;
};

std::vector<Row> rows() {
  std::vector<Row> out;
  for (const char* backend : {"select", "poll", "epoll", "uring"}) {
    out.push_back({backend,
                   [backend](benchmark::State& s, Transport t, int a, int n) {
                     poller_scaling<OurLoop>(s, t, a, n, backend);
                   },
                   std::string_view(backend) == "select"});
  }
#if BENCH_HAVE_LIBEVENT
  // libevent's select backend would grow its fd_sets past FD_SETSIZE, but Debian builds it
  // with _FORTIFY_SOURCE, whose FD_SET aborts the program on such an fd: the same wall.
  for (const char* method : {"select", "poll", "epoll"}) {
    out.push_back({std::string("libevent-") + method,
                   [method](benchmark::State& s, Transport t, int a, int n) {
                     poller_scaling<Libevent>(s, t, a, n, method);
                   },
                   std::string_view(method) == "select"});
  }
#endif
#if BENCH_HAVE_LIBUV
  out.push_back({"libuv", [](benchmark::State& s, Transport t, int a, int n) { poller_scaling<Libuv>(s, t, a, n); }});
#endif
  out.push_back({"raw-epoll", [](benchmark::State& s, Transport t, int a, int n) { poller_scaling<RawEpoll>(s, t, a, n); }});
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  // --quick: fewer sizes and no pipes, for `./tutorial bench --quick`.
  const bool quick = bench::take_flag(argc, argv, "--quick");
  const rlim_t limit = bench::raise_fd_limit(2 * largest_wanted + spare_fds);
  const long fitting = (static_cast<long>(limit) - spare_fds) / 2 / 100 * 100;
  const int largest = static_cast<int>(std::clamp<long>(fitting, 100, largest_wanted));

  std::set<int> sizes = quick ? std::set<int>{100, 500} : std::set<int>{100, 250, 500, 1000, 2500, 5000};
  sizes.insert(largest);
  std::erase_if(sizes, [&](int n) { return n > largest; });
  const std::set<int> pipe_sizes{100, 1000, largest};

  // Ordered by workload, then by implementation: rows compared with each other run one after
  // another, so a machine that gets busier during the run shifts them alike.
  const std::vector<Row> implementations = rows();
  for (const Transport transport : {Transport::socketpair, Transport::pipe}) {
    if (quick && transport == Transport::pipe) continue;
    const std::string family = transport == Transport::socketpair ? "BM_PollerScaling" : "BM_PollerScalingPipes";
    for (const int active : {1, 100}) {
      for (const int n : transport == Transport::socketpair ? sizes : pipe_sizes) {
        for (const Row& row : implementations) {
          if (row.select_limited && !fits_in_fd_set(n)) continue;
          const std::string name = family + "/" + row.name + "/active:" + std::to_string(active) +
                                   "/fds:" + std::to_string(n);
          benchmark::RegisterBenchmark(name.c_str(), [run = row.run, transport, active, n](benchmark::State& s) {
            run(s, transport, active, n);
          })->UseManualTime()->Unit(benchmark::kMicrosecond);
        }
      }
    }
  }
  // Our loop with no syscalls at all: its own share of the cost per event.
  for (const int active : {1, 100}) {
    for (const int n : {100, largest}) {
      const std::string name = "BM_LoopOverhead/ours/active:" + std::to_string(active) + "/fds:" + std::to_string(n);
      benchmark::RegisterBenchmark(name.c_str(), [active, n](benchmark::State& s) { loop_overhead(s, active, n); })
          ->Unit(benchmark::kMicrosecond);
    }
  }
  return bench::run_main(argc, argv);
}
