// What every loop spec stands on. A spec is a typed test suite whose type parameter is an
// "environment": one chapter's loop on one poller backend. A chapter's test binary lists its
// environments once, e.g.
//
//     struct Select {
//       using Loop = ch02::IOLoop;
//       using Poller = ch02::Poller;
//       static constexpr const char* name = "select";
//       static std::unique_ptr<Poller> make_poller() { return ch02::make_poller("select"); }
//       template <class L> static std::unique_ptr<L> make_loop(std::unique_ptr<Poller> p) {
//         return std::make_unique<L>(std::move(p));
//       }
//     };
//
// and instantiates every spec it has with them, so chapter 6 re-proves chapter 2's rules.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>

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
#include <vector>

#include "common/testing/watchdog.hpp"

namespace spec {

using namespace std::chrono_literals;
using common::testing::run_with_watchdog;

/// Names each instantiation after its environment: "ch02/Handlers/epoll.ReadIsDelivered".
struct EnvName {
  template <class Env>
  static std::string GetName(int) {
    return Env::name;
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

  bool on_select() const { return std::string_view(Env::name).starts_with("select"); }
  bool on_epoll() const { return std::string_view(Env::name).starts_with("epoll"); }
};

/// Wraps a backend and counts its polls (and the ones a signal interrupted), so a spec can
/// tell which turn of the loop something happened in, or that an idle loop is not spinning.
template <class Poller>
class CountingPoller final : public Poller {
 public:
  struct Counts {
    std::atomic<int> polls{0};
    std::atomic<int> interrupted{0};
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
  void register_fd(int fd, unsigned events) override { inner_->register_fd(fd, events); }
  void modify(int fd, unsigned events) override { inner_->modify(fd, events); }
  void unregister(int fd) override { inner_->unregister(fd); }
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
