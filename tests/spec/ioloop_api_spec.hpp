// The rest of Tornado's tornado.ioloop reference, as specs:
//   CurrentLoopOptions      chapter 2: MakeCurrent (Tornado's make_current=None/True/False),
//                           and instance()/install()/clear_instance(), the deprecated aliases.
//   Configure               chapter 2: IOLoop::configure, the process-wide default backend.
//   CloseFd                 chapter 2: close_fd, what close(all_fds) does to each descriptor.
//   BlockingSignal          chapter 5: set_blocking_signal_threshold and log_stack, a report
//                           written from a signal handler while the loop is still blocked.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include "common/fd.hpp"
#include "common/log.hpp"
#include "loop_harness.hpp"

namespace spec {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// ================================================================ the current loop (chapter 2)

template <class Env>
class CurrentLoopOptions : public ::testing::Test {
 protected:
  using Loop = typename Env::Loop;
  // Every spec starts and ends with no current loop, so none leaks into the next.
  CurrentLoopOptions() { Loop::clear_current(); }
  ~CurrentLoopOptions() override { Loop::clear_current(); }

  template <class... Options>
  static std::unique_ptr<Loop> make(Options... options) {
    return std::make_unique<Loop>(Env::make_poller(), options...);
  }
};
TYPED_TEST_SUITE_P(CurrentLoopOptions);

// Tornado: TestIOLoopCurrent.test_default_current.
TYPED_TEST_P(CurrentLoopOptions, DefaultCurrent) {
  using Loop = typename TestFixture::Loop;
  auto first = this->make();
  EXPECT_EQ(Loop::current(), first.get());  // the first loop with default options is current

  auto second = this->make(Loop::MakeCurrent::if_none);  // the default, spelled out

  EXPECT_EQ(Loop::current(), first.get());  // a second one is made, but not current
}

// Tornado: TestIOLoopCurrent.test_non_current.
TYPED_TEST_P(CurrentLoopOptions, NonCurrent) {
  using Loop = typename TestFixture::Loop;
  auto loop = this->make(Loop::MakeCurrent::never);
  EXPECT_EQ(Loop::current(), nullptr);

  // Starting it makes it current for the run, and only for the run; again and again.
  auto pair = common::make_socketpair();
  std::vector<Loop*> seen;
  loop->add_handler(pair.first.get(), [&](int, unsigned) {
    seen.push_back(Loop::current());
    loop->stop();
  }, Loop::WRITE);
  for (int run = 0; run < 3; ++run) {
    run_with_watchdog(*loop);
    EXPECT_EQ(Loop::current(), nullptr);
  }

  EXPECT_THAT(seen, ElementsAre(loop.get(), loop.get(), loop.get()));
}

// Tornado: TestIOLoopCurrent.test_force_current.
TYPED_TEST_P(CurrentLoopOptions, ForceCurrent) {
  using Loop = typename TestFixture::Loop;
  auto loop = this->make(Loop::MakeCurrent::always);
  EXPECT_EQ(Loop::current(), loop.get());

  expect_error<std::logic_error>([&] { this->make(Loop::MakeCurrent::always); },
                                 {"MakeCurrent::always", "already has a current loop"});

  EXPECT_EQ(Loop::current(), loop.get());  // the refused construction changed nothing
}

TYPED_TEST_P(CurrentLoopOptions, ForceCurrentOverridesAnOtherwiseNeverCurrentThread) {
  using Loop = typename TestFixture::Loop;
  auto quiet = this->make(Loop::MakeCurrent::never);
  auto forced = this->make(Loop::MakeCurrent::always);  // no current loop yet: allowed

  EXPECT_EQ(Loop::current(), forced.get());
  forced.reset();  // the current loop's open token still clears it when it goes
  EXPECT_EQ(Loop::current(), nullptr);
}

TYPED_TEST_P(CurrentLoopOptions, ForceCurrentOnAnotherThreadIgnoresThisThreadsLoop) {
  using Loop = typename TestFixture::Loop;
  auto here = this->make();
  ASSERT_EQ(Loop::current(), here.get());
  Loop* seen_there = nullptr;

  std::thread worker([&] {
    auto there = this->make(Loop::MakeCurrent::always);  // "current" is per thread
    seen_there = Loop::current();
    EXPECT_EQ(seen_there, there.get());
  });
  worker.join();

  EXPECT_NE(seen_there, nullptr);
  EXPECT_EQ(Loop::current(), here.get());
}

// instance(), install() and clear_instance() are deprecated (Tornado 5.0 made them aliases of
// current(), make_current() and clear_current()); calling them warns, so the spec says it
// means to.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
TYPED_TEST_P(CurrentLoopOptions, InstanceInstallAndClearInstanceAreTheDeprecatedAliases) {
  using Loop = typename TestFixture::Loop;
  auto first = this->make();
  auto second = this->make();
  std::vector<Loop*> seen;

  seen.push_back(Loop::instance());
  second->install();
  seen.push_back(Loop::instance());
  seen.push_back(Loop::current());
  Loop::clear_instance();
  seen.push_back(Loop::instance());

  EXPECT_THAT(seen, ElementsAre(first.get(), second.get(), second.get(), nullptr));
}
#pragma GCC diagnostic pop

REGISTER_TYPED_TEST_SUITE_P(CurrentLoopOptions, DefaultCurrent, NonCurrent, ForceCurrent,
                            ForceCurrentOverridesAnOtherwiseNeverCurrentThread,
                            ForceCurrentOnAnotherThreadIgnoresThisThreadsLoop,
                            InstanceInstallAndClearInstanceAreTheDeprecatedAliases);

// ================================================================ configure (chapter 2)

template <class Env>
class Configure : public ::testing::Test {
 protected:
  using Loop = typename Env::Loop;
  // Whatever a spec configures is undone, pass or fail: the choice is process-wide.
  ~Configure() override { Loop::configure("default"); }
};
TYPED_TEST_SUITE_P(Configure);

TYPED_TEST_P(Configure, ChoosesTheBackendOfEveryDefaultLoop) {
  using Loop = typename TestFixture::Loop;
  EXPECT_EQ(Loop::configured_backend(), "default");
  EXPECT_EQ(Loop().poller_name(), "epoll");  // unconfigured: the platform's best

  for (const char* backend : {"select", "poll", "epoll"}) {
    Loop::configure(backend);
    EXPECT_EQ(Loop::configured_backend(), backend);
    EXPECT_EQ(Loop().poller_name(), backend);
    EXPECT_EQ(Loop("default").poller_name(), backend);
    EXPECT_EQ(Loop(Loop::MakeCurrent::never).poller_name(), backend);
  }
}

TYPED_TEST_P(Configure, ANamedBackendIsNotOverridden) {
  using Loop = typename TestFixture::Loop;
  Loop::configure("select");

  EXPECT_EQ(Loop("poll").poller_name(), "poll");
  EXPECT_EQ(Loop(TypeParam::make_poller()).poller_name(), TypeParam::make_poller()->name());
}

TYPED_TEST_P(Configure, DefaultGoesBackToThePlatformsBest) {
  using Loop = typename TestFixture::Loop;
  Loop::configure("poll");
  Loop before;

  Loop::configure("default");

  EXPECT_EQ(Loop::configured_backend(), "default");
  EXPECT_EQ(Loop().poller_name(), "epoll");
  EXPECT_EQ(before.poller_name(), "poll");  // a loop already made keeps its backend
}

TYPED_TEST_P(Configure, AnUnknownBackendIsRefusedAndChangesNothing) {
  using Loop = typename TestFixture::Loop;
  Loop::configure("poll");

  expect_error<std::invalid_argument>([] { Loop::configure("kqueue"); },
                                      {"unknown backend \"kqueue\"", "select", "poll", "epoll"});

  EXPECT_EQ(Loop::configured_backend(), "poll");
}

TYPED_TEST_P(Configure, IsSeenByLoopsMadeOnAnotherThread) {
  using Loop = typename TestFixture::Loop;
  // Threads configure and make loops at once: the choice is read and written atomically.
  std::atomic<bool> done{false};
  std::thread configurer([&] {
    for (int i = 0; !done.load(); ++i) Loop::configure(i % 2 == 0 ? "select" : "poll");
  });
  std::vector<std::string> seen;
  for (int i = 0; i < 200; ++i) seen.emplace_back(Loop(Loop::MakeCurrent::never).poller_name());
  done = true;
  configurer.join();
  Loop::configure("select");
  std::thread maker([&] { seen.emplace_back(Loop(Loop::MakeCurrent::never).poller_name()); });
  maker.join();

  EXPECT_EQ(seen.back(), "select");
  for (const std::string& name : seen) EXPECT_TRUE(name == "select" || name == "poll" || name == "epoll") << name;
}

REGISTER_TYPED_TEST_SUITE_P(Configure, ChoosesTheBackendOfEveryDefaultLoop,
                            ANamedBackendIsNotOverridden, DefaultGoesBackToThePlatformsBest,
                            AnUnknownBackendIsRefusedAndChangesNothing,
                            IsSeenByLoopsMadeOnAnotherThread);

// ================================================================ close_fd (chapter 2)

/// A subclass, as close_fd is meant for: it lets the spec call the protected helper.
template <class Loop>
class ClosingLoop : public Loop {
 public:
  using Loop::Loop;
  using Loop::close_fd;
};

template <class Env>
class CloseFd : public LoopTest<Env> {};
TYPED_TEST_SUITE_P(CloseFd);

namespace close_fd_files {
inline bool is_open(int fd) { return ::fcntl(fd, F_GETFD) >= 0; }
struct WithClose {
  common::Fd fd;
  int closes = 0;
  int fileno() const { return fd.get(); }
  void close() {
    ++closes;
    fd.close();
  }
};
struct WithoutClose {
  int fd;
  int fileno() const { return fd; }
};
struct ThrowingClose {
  int fd;
  int fileno() const { return fd; }
  void close() { throw std::runtime_error("already closed"); }
};
}  // namespace close_fd_files

TYPED_TEST_P(CloseFd, ClosesAnFdAnObjectThroughItsCloseOrElseItsFd) {
  using Loop = ClosingLoop<typename TestFixture::Loop>;
  using namespace close_fd_files;
  auto one = common::make_socketpair();
  auto two = common::make_socketpair();
  const int plain = one.first.release();
  WithClose with{std::move(one.second)};
  WithoutClose without{two.first.release()};

  Loop::close_fd(plain);
  Loop::close_fd(with);
  Loop::close_fd(without);

  EXPECT_FALSE(is_open(plain));
  EXPECT_EQ(with.closes, 1);
  EXPECT_FALSE(is_open(without.fd));
}

TYPED_TEST_P(CloseFd, IgnoresWhatIsAlreadyClosed) {
  using Loop = ClosingLoop<typename TestFixture::Loop>;
  using namespace close_fd_files;
  auto pair = common::make_socketpair();
  const int fd = pair.first.release();
  ::close(fd);
  ThrowingClose throwing{pair.second.get()};

  Loop::close_fd(fd);        // EBADF: nothing to report
  Loop::close_fd(throwing);  // its close() throws: swallowed, as close(all_fds) must go on

  EXPECT_TRUE(is_open(pair.second.get()));  // an object with a close() is left to it
}

TYPED_TEST_P(CloseFd, IsWhatCloseWithAllFdsDoesToEachDescriptor) {
  using Loop = typename TestFixture::Loop;
  using namespace close_fd_files;
  auto one = common::make_socketpair();
  auto two = common::make_socketpair();
  const int plain = one.first.release();
  WithClose with{std::move(one.second)};
  ThrowingClose throwing{two.first.get()};
  this->loop.add_handler(plain, [](int, unsigned) {}, Loop::READ);
  this->loop.add_handler(with, [](WithClose&, unsigned) {}, Loop::READ);
  this->loop.add_handler(throwing, [](ThrowingClose&, unsigned) {}, Loop::READ);

  this->loop.close(true);  // a throwing close() does not stop it half-way

  EXPECT_FALSE(is_open(plain));
  EXPECT_EQ(with.closes, 1);
  EXPECT_TRUE(is_open(two.first.get()));
}

REGISTER_TYPED_TEST_SUITE_P(CloseFd, ClosesAnFdAnObjectThroughItsCloseOrElseItsFd,
                            IgnoresWhatIsAlreadyClosed, IsWhatCloseWithAllFdsDoesToEachDescriptor);

// ================================================================ the watchdog (chapter 5)

/// The function a blocked callback is stuck in: exported (the test binaries link with
/// -rdynamic) and never inlined, so log_stack's backtrace can name it. It spins until
/// `released`, or until `give_up`; each turn reads the clock, a real call (ThreadSanitizer
/// hands a signal to the program only at such calls).
[[gnu::noinline]] inline void spin_in_a_blocked_callback(const std::atomic<bool>& released,
                                                          std::chrono::steady_clock::time_point give_up) {
  while (!released.load() && std::chrono::steady_clock::now() < give_up) {
    asm volatile("" ::: "memory");  // a loop the optimizer must keep as it is
  }
}

/// Everything written to `fd` so far (it must be non-blocking).
inline std::string read_available(int fd) {
  std::string text;
  for (std::string chunk; !(chunk = common::read_some(fd)).empty();) text += chunk;
  return text;
}

inline bool readable_now(int fd) {
  pollfd poller{fd, POLLIN, 0};
  return ::poll(&poller, 1, 0) == 1;
}

// What a spec's own action saw: plain atomics, all a signal handler may touch.
inline std::atomic<int> alarms_fired{0};
inline std::atomic<pid_t> alarm_thread{0};
inline std::atomic<long> alarm_threshold_ms{0};

template <class Env>
class BlockingSignal : public LoopTest<Env> {
 protected:
  BlockingSignal() {
    alarms_fired = 0;
    alarm_thread = 0;
    alarm_threshold_ms = 0;
    this->loop.set_blocking_report_fd(report.write_end.get());
  }
  common::Pipe report = common::make_pipe();

  // An action that only counts, and remembers which thread it ran on.
  static void count_alarm(const auto& blocked) noexcept {
    alarms_fired.fetch_add(1);
    alarm_thread = ::gettid();
    alarm_threshold_ms =
        static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(blocked.threshold).count());
  }
};
TYPED_TEST_SUITE_P(BlockingSignal);

TYPED_TEST_P(BlockingSignal, LogStackNamesTheFunctionACallbackIsStuckInWhileItIsStuck) {
  auto& loop = this->loop;
  const int report_fd = this->report.read_end.get();
  common::CapturedLog log;
  std::atomic<bool> never{false};
  bool reported_while_running = false;
  loop.set_blocking_log_threshold(50ms);
  loop.add_callback([&] {
    spin_in_a_blocked_callback(never, std::chrono::steady_clock::now() + 300ms);
    reported_while_running = readable_now(report_fd);  // before this callback returns
    loop.stop();
  });

  run_with_watchdog(loop);

  EXPECT_TRUE(reported_while_running);
  const std::string report = read_available(report_fd);
  EXPECT_THAT(report, StartsWith("IOLoop blocked for more than 50 ms; its thread is at:\n"));
  EXPECT_THAT(report, HasSubstr("spin_in_a_blocked_callback"));
  EXPECT_THAT(report, HasSubstr("(end of the blocked thread's stack)"));
  // When it does return, log_stack's other half: the whole time, by the loop's clock.
  const auto warnings = log.messages(common::LogLevel::warning);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_THAT(warnings[0], AllOf(HasSubstr("IOLoop blocked for "), HasSubstr(" in callback ")));
}

TYPED_TEST_P(BlockingSignal, ReportsACallbackThatNeverReturnsOnItsOwn) {
  auto& loop = this->loop;
  const int report_fd = this->report.read_end.get();
  std::atomic<bool> released{false};
  std::string report;
  // The only way out of the callback is the report: this thread reads it, then lets go.
  std::thread reader([&] {
    const auto give_up = std::chrono::steady_clock::now() + 10s;
    while (report.find("(end of the blocked thread's stack)") == std::string::npos &&
           std::chrono::steady_clock::now() < give_up) {
      pollfd poller{report_fd, POLLIN, 100};
      if (::poll(&poller, 1, 100) == 1) report += read_available(report_fd);
    }
    released = true;
  });
  loop.set_blocking_log_threshold(50ms);
  loop.add_callback([&] {
    spin_in_a_blocked_callback(released, std::chrono::steady_clock::now() + 10s);
    loop.stop();
  });

  run_with_watchdog(loop, 20s);
  reader.join();

  EXPECT_THAT(report, StartsWith("IOLoop blocked for more than 50 ms"));
  EXPECT_THAT(report, HasSubstr("spin_in_a_blocked_callback"));
}

TYPED_TEST_P(BlockingSignal, WatchesHandlersAndTimeoutsOncePerPieceOfWork) {
  auto& loop = this->loop;
  using Loop = typename TestFixture::Loop;
  auto pair = common::make_socketpair();
  std::atomic<bool> never{false};
  std::vector<int> fired_after;
  loop.set_blocking_signal_threshold(20ms, [](const auto& blocked) noexcept { TestFixture::count_alarm(blocked); });
  loop.add_handler(pair.first.get(), [&](int fd, unsigned) {
    loop.remove_handler(fd);
    spin_in_a_blocked_callback(never, std::chrono::steady_clock::now() + 100ms);  // 5 thresholds
    fired_after.push_back(alarms_fired.load());
    // The timeout is added here, not before the run: one due before the first poll would
    // run first, and its stop() would end the loop before the handler's turn.
    loop.call_later(1ms, [&] {
      spin_in_a_blocked_callback(never, std::chrono::steady_clock::now() + 100ms);
      fired_after.push_back(alarms_fired.load());
      loop.stop();
    });
  }, Loop::WRITE);

  run_with_watchdog(loop);

  EXPECT_THAT(fired_after, ElementsAre(1, 2));  // one shot each, as Tornado's setitimer
  EXPECT_EQ(alarm_threshold_ms.load(), 20);
}

TYPED_TEST_P(BlockingSignal, IsDisarmedWhenTheWorkReturns) {
  auto& loop = this->loop;
  int callbacks = 0;
  loop.set_blocking_signal_threshold(30ms, [](const auto& blocked) noexcept { TestFixture::count_alarm(blocked); });
  for (int i = 0; i < 100; ++i) loop.add_callback([&] { ++callbacks; });
  loop.call_later(150ms, [&] { loop.stop(); });  // the loop sleeps in poll, well past 30 ms

  run_with_watchdog(loop);

  EXPECT_EQ(callbacks, 100);
  EXPECT_EQ(alarms_fired.load(), 0);
}

TYPED_TEST_P(BlockingSignal, TheActionRunsOnTheLoopsOwnThread) {
  auto& loop = this->loop;
  std::atomic<bool> never{false};
  pid_t loop_thread = 0;
  loop.set_blocking_signal_threshold(20ms, [](const auto& blocked) noexcept { TestFixture::count_alarm(blocked); });
  loop.add_callback([&] {
    loop_thread = ::gettid();
    spin_in_a_blocked_callback(never, std::chrono::steady_clock::now() + 100ms);
    loop.stop();
  });

  // The loop runs on another thread than the one that set the threshold; this one stays
  // busy too, so a signal sent to "the process" could as well have landed here.
  std::atomic<bool> done{false};
  std::thread runner([&] {
    run_with_watchdog(loop);
    done = true;
  });
  spin_in_a_blocked_callback(done, std::chrono::steady_clock::now() + 10s);
  runner.join();

  EXPECT_EQ(alarms_fired.load(), 1);
  EXPECT_EQ(alarm_thread.load(), loop_thread);
}

TYPED_TEST_P(BlockingSignal, TurnedOffItStopsWatchingEvenFromInsideTheWorkItWatches) {
  auto& loop = this->loop;
  std::atomic<bool> never{false};
  loop.set_blocking_signal_threshold(20ms, [](const auto& blocked) noexcept { TestFixture::count_alarm(blocked); });
  loop.add_callback([&] {
    loop.set_blocking_signal_threshold(std::nullopt, nullptr);
    spin_in_a_blocked_callback(never, std::chrono::steady_clock::now() + 100ms);
  });
  loop.add_callback([&] {
    spin_in_a_blocked_callback(never, std::chrono::steady_clock::now() + 100ms);
    loop.stop();
  });

  run_with_watchdog(loop);

  EXPECT_EQ(alarms_fired.load(), 0);
}

// A process's SIGALRM handler is the process's: we borrow it while a watchdog exists, pass
// on every SIGALRM that is not a watchdog's, and give it back.
inline std::atomic<int> foreign_alarms{0};

TYPED_TEST_P(BlockingSignal, ASigalrmThatIsNotOursGoesToTheHandlerWeReplacedWhichComesBack) {
  auto& loop = this->loop;
  struct sigaction theirs {};
  struct sigaction original {};
  theirs.sa_handler = [](int) { foreign_alarms.fetch_add(1); };
  sigemptyset(&theirs.sa_mask);
  ASSERT_EQ(::sigaction(SIGALRM, &theirs, &original), 0);
  foreign_alarms = 0;

  loop.set_blocking_log_threshold(1s);
  struct sigaction during {};
  ::sigaction(SIGALRM, nullptr, &during);
  ::pthread_kill(::pthread_self(), SIGALRM);  // someone else's alarm(2), say
  loop.set_blocking_log_threshold(std::nullopt);
  struct sigaction after {};
  ::sigaction(SIGALRM, nullptr, &after);
  ::pthread_kill(::pthread_self(), SIGALRM);
  ::sigaction(SIGALRM, &original, nullptr);

  EXPECT_NE(during.sa_handler, theirs.sa_handler);  // ours, while the watchdog exists
  EXPECT_EQ(after.sa_handler, theirs.sa_handler);   // theirs again
  EXPECT_EQ(foreign_alarms.load(), 2);              // and it saw both signals
  EXPECT_TRUE(read_available(this->report.read_end.get()).empty());
}

TYPED_TEST_P(BlockingSignal, AThresholdOfZeroOrANullActionIsRefused) {
  auto& loop = this->loop;
  expect_error<std::invalid_argument>([&] { loop.set_blocking_log_threshold(0ms); },
                                      {"threshold must be positive", "std::nullopt"});
  expect_error<std::invalid_argument>(
      [&] { loop.set_blocking_signal_threshold(50ms, nullptr); }, {"action is null", "log_stack"});
}

REGISTER_TYPED_TEST_SUITE_P(BlockingSignal, LogStackNamesTheFunctionACallbackIsStuckInWhileItIsStuck,
                            ReportsACallbackThatNeverReturnsOnItsOwn,
                            WatchesHandlersAndTimeoutsOncePerPieceOfWork, IsDisarmedWhenTheWorkReturns,
                            TheActionRunsOnTheLoopsOwnThread,
                            TurnedOffItStopsWatchingEvenFromInsideTheWorkItWatches,
                            ASigalrmThatIsNotOursGoesToTheHandlerWeReplacedWhichComesBack,
                            AThresholdOfZeroOrANullActionIsRefused);

}  // namespace spec
