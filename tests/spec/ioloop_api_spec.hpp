// The rest of Tornado's tornado.ioloop reference, as specs:
//   CurrentLoopOptions      chapter 2: MakeCurrent (Tornado's make_current=None/True/False),
//                           and instance()/install()/clear_instance(), the deprecated aliases.
//   Configure               chapter 2: IOLoop::configure, the process-wide default backend.
//   CloseFd                 chapter 2: close_fd, what close(all_fds) does to each descriptor.
//   BlockingSignal          chapter 4: set_blocking_signal_threshold and log_stack, a report
//                           written from a signal handler while the loop is still blocked.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include "common/fd.hpp"
#include "loop_harness.hpp"

namespace spec {

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

}  // namespace spec
