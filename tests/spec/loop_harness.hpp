// What every loop spec stands on. A spec is a typed test suite whose type parameter is an
// "environment": one chapter's loop on one poller backend (and, from chapter 3, one clock).
// A chapter's test binary describes its own types once, in a small traits struct:
//
//     struct Chapter02 {
//       using Loop = ch02::IOLoop;
//       using Poller = ch02::Poller;
//       static std::unique_ptr<Poller> make_poller(const char* name) { return ch02::make_poller(name); }
//     };
//
// and spec::Environments<Chapter02> turns it into the environments its specs run in
// (Loops: every backend; TimedLoops: every backend on both clocks; ...). So chapter 8's
// binary instantiates chapter 2's specs too, for its own loop.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <array>
#include <atomic>
#include <chrono>
#include <optional>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <cstddef>
#include <vector>

#include "common/testing/watchdog.hpp"

namespace spec {

using namespace std::chrono_literals;
using common::testing::run_with_watchdog;

/// Makes `Env`'s loop: on its steady or virtual clock, for a chapter that has one (3 and later).
template <class Env, class L>
std::unique_ptr<L> make_loop_on_clock(std::unique_ptr<typename Env::Poller> poller) {
  if constexpr (requires { typename Env::Clock; }) {
    std::shared_ptr<typename Env::Clock> clock;
    if constexpr (Env::virtual_time) {
      clock = std::make_shared<typename Env::VirtualClock>();
    } else {
      clock = std::make_shared<typename Env::SteadyClock>();
    }
    return std::make_unique<L>(std::move(poller), std::move(clock));
  } else {
    return std::make_unique<L>(std::move(poller));
  }
}

/// The backend a chapter makes its poller with, unless the kernel refuses it: then the
/// running spec is marked skipped with the chapter's reason (chapter 10's io_uring, in a
/// sandbox that forbids it), and it gets an epoll poller so its fixture can still be built;
/// GoogleTest does not run the body of a test that was skipped while being set up.
template <class Chapter>
std::unique_ptr<typename Chapter::Poller> make_poller_or_skip(const std::string& backend) {
  if constexpr (requires { Chapter::refusal(backend); }) {
    const std::string reason = Chapter::refusal(backend);
    if (!reason.empty()) {
      GTEST_MESSAGE_(reason.c_str(), ::testing::TestPartResult::kSkip);
      return Chapter::make_poller("epoll");
    }
  }
  return Chapter::make_poller(backend.c_str());
}

/// One chapter's loop on one fixed backend and one clock. The chapter's traits come along
/// (its Future, IOStream, ... for the specs that need them); a chapter with a Clock (3 and
/// later) gets a steady or a virtual one, as `Virtual` says.
template <class Chapter, const char* Backend, const char* Name, bool Virtual>
struct LoopOn : Chapter {
  using Poller = typename Chapter::Poller;
  static constexpr const char* name = Name;
  static constexpr bool virtual_time = Virtual;
  static std::string backend() { return Backend; }
  static std::unique_ptr<Poller> make_poller() { return make_poller_or_skip<Chapter>(Backend); }
  template <class L>
  static std::unique_ptr<L> make_loop(std::unique_ptr<Poller> poller) {
    return make_loop_on_clock<LoopOn, L>(std::move(poller));
  }
};

/// The backends a chapter has: select, poll and epoll, unless its traits list more.
template <class Chapter>
constexpr auto backends_of() {
  if constexpr (requires { Chapter::backends; }) {
    return Chapter::backends;
  } else {
    return std::array<std::string_view, 3>{"select", "poll", "epoll"};
  }
}

/// The backend the running spec is on, from the name of its instantiation:
/// "ch09/Handlers/poll" or "ch09/Timers/poll_virtual_clock" is on poll.
inline std::string running_backend() {
  const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
  if (test == nullptr) throw std::logic_error("running_backend(): no spec is running");
  std::string_view suite = test->test_suite_name();
  suite.remove_prefix(suite.rfind('/') + 1);
  if (const auto clock = suite.find("_virtual_clock"); clock != std::string_view::npos) {
    suite = suite.substr(0, clock);
  }
  return std::string(suite);
}

/// One chapter's loop on *every* backend, as one type. A typed spec is compiled once per
/// type, and the backends differ only in the name given to make_poller; so each backend's
/// copy of the spec is the same code, told its backend at run time by the name EnvName
/// gives it. (Three distinct types would compile every spec three times over: most of
/// what CI spent compiling.)
template <class Chapter, bool Virtual>
struct LoopOnEach : Chapter {
  using Poller = typename Chapter::Poller;
  static constexpr bool virtual_time = Virtual;
  static constexpr auto backends = backends_of<Chapter>();
  /// The name of this type's i-th copy in a list of copies: "poll", "poll_virtual_clock".
  static std::string instance_name(int i) {
    return std::string(backends[static_cast<std::size_t>(i) % backends.size()]) +
           (Virtual ? "_virtual_clock" : "");
  }
  static std::string backend() { return running_backend(); }
  static std::unique_ptr<Poller> make_poller() { return make_poller_or_skip<Chapter>(backend()); }
  template <class L>
  static std::unique_ptr<L> make_loop(std::unique_ptr<Poller> poller) {
    return make_loop_on_clock<LoopOnEach, L>(std::move(poller));
  }
};

inline constexpr char epoll_name[] = "epoll";
inline constexpr char epoll_virtual[] = "epoll_virtual_clock";

template <class T, std::size_t>
using Same = T;
/// ::testing::Types<E, E, ...>, one E per backend, then (if given) one V per backend.
template <class E, class V, std::size_t... I>
auto copies(std::index_sequence<I...>) -> ::testing::Types<Same<E, I>..., Same<V, I>...>;
template <class E, std::size_t... I>
auto copies(std::index_sequence<I...>) -> ::testing::Types<Same<E, I>...>;

/// The environments a chapter's specs are instantiated with.
template <class Chapter>
struct Environments {
  using Each = LoopOnEach<Chapter, false>;
  using EachVirtual = LoopOnEach<Chapter, true>;
  using Epoll = LoopOn<Chapter, epoll_name, epoll_name, false>;
  using EpollVirtual = LoopOn<Chapter, epoll_name, epoll_virtual, true>;
  using Backends = std::make_index_sequence<Each::backends.size()>;

  /// Every backend, on the default (steady) clock: chapter 2's specs and most others.
  using Loops = decltype(copies<Each>(Backends{}));
  /// Every backend on both clocks: the timer specs.
  using TimedLoops = decltype(copies<Each, EachVirtual>(Backends{}));
  using VirtualLoops = decltype(copies<EachVirtual>(Backends{}));
  /// For rules that do not depend on the backend: one environment is enough.
  using OneLoop = ::testing::Types<EpollVirtual>;
};

/// Names each instantiation after its environment: "ch02/Handlers/epoll.ReadIsDelivered".
struct EnvName {
  template <class Env>
  static std::string GetName(int i) {
    if constexpr (requires { Env::instance_name(i); }) {
      return Env::instance_name(i);
    } else {
      return Env::name;
    }
  }
};

/// The message of a stored exception, or a note that it is not a std::exception.
inline std::string what_of(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "(not a std::exception)";
  }
}

/// A loop whose handle_callback_exception records instead of logging, so a spec can assert
/// exactly what was reported.
template <class Loop>
class RecordingLoop : public Loop {
 public:
  using Loop::Loop;
  struct Report {
    std::string where;
    std::string what;
  };
  std::vector<Report> reported;

 protected:
  void handle_callback_exception(std::string_view where, std::exception_ptr error) override {
    reported.push_back({std::string(where), what_of(error)});
  }
};

/// The environment's own loop class, with its default exception reporting.
template <class Env>
std::unique_ptr<typename Env::Loop> make_plain_loop() {
  return Env::template make_loop<typename Env::Loop>(Env::make_poller());
}

/// The fixture most loop specs use: `loop` is the environment's loop, recording exceptions.
template <class Env>
class LoopTest : public ::testing::Test {
 protected:
  using Loop = typename Env::Loop;
  using Poller = typename Env::Poller;
  using TestLoop = RecordingLoop<Loop>;

  std::unique_ptr<TestLoop> loop_ptr = Env::template make_loop<TestLoop>(Env::make_poller());
  TestLoop& loop = *loop_ptr;

  bool on_select() const { return Env::backend() == "select"; }
  bool on_epoll() const { return Env::backend() == "epoll"; }
};

/// Wraps a backend and counts its polls (and the ones a signal interrupted), so a spec can
/// tell which turn of the loop something happened in, or that an idle loop is not spinning;
/// and the changes to what it watches (each one a system call on epoll: epoll_ctl).
template <class Poller>
class CountingPoller final : public Poller {
 public:
  struct Counts {
    std::atomic<int> polls{0};
    std::atomic<int> interrupted{0};
    std::atomic<int> changes{0};  // register_fd, modify and unregister calls
    /// The timeout each poll was given, in order (std::nullopt: no limit).
    std::vector<std::optional<std::chrono::nanoseconds>> timeouts() const {
      std::lock_guard lock(mutex);
      return timeouts_given;
    }
    mutable std::mutex mutex;
    std::vector<std::optional<std::chrono::nanoseconds>> timeouts_given;
  };
  CountingPoller(std::unique_ptr<Poller> inner, Counts& counts)
      : inner_(std::move(inner)), counts_(counts) {}
  std::string_view name() const override { return inner_->name(); }
  void register_fd(int fd, unsigned events) override {
    ++counts_.changes;
    inner_->register_fd(fd, events);
  }
  void modify(int fd, unsigned events) override {
    ++counts_.changes;
    inner_->modify(fd, events);
  }
  void unregister(int fd) override {
    ++counts_.changes;
    inner_->unregister(fd);
  }
  typename Poller::Result poll(std::optional<std::chrono::nanoseconds> timeout) override {
    {
      std::lock_guard lock(counts_.mutex);
      counts_.timeouts_given.push_back(timeout);
    }
    auto result = inner_->poll(timeout);
    ++counts_.polls;
    if (result.interrupted) ++counts_.interrupted;
    return result;
  }

 private:
  std::unique_ptr<Poller> inner_;
  Counts& counts_;
};

/// The fixture for specs that need to know how many times the loop polled.
template <class Env>
class CountingLoopTest : public ::testing::Test {
 protected:
  using Loop = typename Env::Loop;
  using Poller = typename Env::Poller;
  using TestLoop = RecordingLoop<Loop>;

  typename CountingPoller<Poller>::Counts counts;
  std::unique_ptr<TestLoop> loop_ptr = Env::template make_loop<TestLoop>(
      std::make_unique<CountingPoller<Poller>>(Env::make_poller(), counts));
  TestLoop& loop = *loop_ptr;
};

/// The fixture for specs on virtual time: `clock` is the loop's VirtualClock, which starts
/// at 1000 s (as Tornado's own fake clock does) and moves only when told or when idle.
template <class Env>
class VirtualLoopTest : public ::testing::Test {
 protected:
  using Loop = typename Env::Loop;
  using Clock = typename Env::VirtualClock;
  std::shared_ptr<Clock> clock = std::make_shared<Clock>();
  std::unique_ptr<RecordingLoop<Loop>> loop_ptr =
      std::make_unique<RecordingLoop<Loop>>(Env::make_poller(), clock);
  RecordingLoop<Loop>& loop = *loop_ptr;

  /// The loop's time in whole seconds since the clock's epoch (1000 at the start).
  long seconds_now() const {
    return static_cast<long>(
        std::chrono::duration_cast<std::chrono::seconds>(loop.time().time_since_epoch()).count());
  }
};

/// Raises this process's descriptor limit to at least `wanted` (up to the hard limit);
/// returns the soft limit now in force.
inline rlim_t raise_fd_limit(rlim_t wanted) {
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur < wanted) {
    limit.rlim_cur = std::min(wanted, limit.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &limit);
    ::getrlimit(RLIMIT_NOFILE, &limit);
  }
  return limit.rlim_cur;
}

/// Asserts that `body` throws E and that its message contains every one of `words`.
template <class E, class Body>
void expect_error(Body&& body, std::initializer_list<std::string_view> words) {
  try {
    std::forward<Body>(body)();
    ADD_FAILURE() << "expected an exception, none was thrown";
  } catch (const E& e) {
    for (std::string_view word : words) {
      EXPECT_THAT(e.what(), ::testing::HasSubstr(std::string(word)));
    }
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw the wrong type: " << e.what();
  }
}

}  // namespace spec
