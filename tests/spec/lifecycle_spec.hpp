// Chapter 2's rules for a loop's life: start and stop, the current loop, close, and the
// poller underneath (FD_SETSIZE, EINTR). Instantiated by every chapter from 2 on.
#pragma once

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "common/fd.hpp"
#include "loop_harness.hpp"

namespace spec {

template <class Env>
class Lifecycle : public LoopTest<Env> {};
TYPED_TEST_SUITE_P(Lifecycle);

inline bool fd_is_open(int fd) { return ::fcntl(fd, F_GETFD) >= 0; }

// ---------------------------------------------------------------- start and stop

TYPED_TEST_P(Lifecycle, StopBeforeStartMakesTheNextStartReturnAtOnceRunningNothing) {
  using Loop = typename TestFixture::Loop;
  auto pair = common::make_socketpair();
  int calls = 0;
  this->loop.add_handler(pair.first.get(), [&](int, unsigned) {
    ++calls;
    this->loop.stop();
  }, Loop::WRITE);
  this->loop.stop();

  run_with_watchdog(this->loop);  // returns at once: the early stop() is used up here
  EXPECT_EQ(calls, 0);

  run_with_watchdog(this->loop);  // a normal run: the flag does not stick
  EXPECT_EQ(calls, 1);
}

TYPED_TEST_P(Lifecycle, StopDuringARunDoesNotCancelTheNextRun) {
  using Loop = typename TestFixture::Loop;
  auto pair = common::make_socketpair();
  int calls = 0;
  this->loop.add_handler(pair.first.get(), [&](int, unsigned) {
    ++calls;
    this->loop.stop();
  }, Loop::WRITE);

  run_with_watchdog(this->loop);
  run_with_watchdog(this->loop);

  EXPECT_EQ(calls, 2);
}

TYPED_TEST_P(Lifecycle, StartWhileRunningIsAnError) {
  using Loop = typename TestFixture::Loop;
  auto pair = common::make_socketpair();
  this->loop.add_handler(pair.first.get(), [&](int, unsigned) {
    expect_error<std::logic_error>([&] { this->loop.start(); }, {"already running"});
    this->loop.stop();
  }, Loop::WRITE);

  run_with_watchdog(this->loop);

  EXPECT_FALSE(this->loop.running());
}

TYPED_TEST_P(Lifecycle, StartOnAClosedLoopIsAnError) {
  this->loop.close();
  expect_error<std::logic_error>([&] { this->loop.start(); }, {"closed"});
}

// ---------------------------------------------------------------- the current loop

TYPED_TEST_P(Lifecycle, ANewLoopBecomesCurrentOnlyIfTheThreadHasNone) {
  using Loop = typename TestFixture::Loop;
  Loop::clear_current();
  auto first = make_plain_loop<TypeParam>();
  EXPECT_EQ(Loop::current(), first.get());

  auto second = make_plain_loop<TypeParam>();
  EXPECT_EQ(Loop::current(), first.get());

  second->make_current();
  EXPECT_EQ(Loop::current(), second.get());
  second.reset();  // a destroyed loop is never left current
  EXPECT_EQ(Loop::current(), nullptr);
}

TYPED_TEST_P(Lifecycle, StartMakesTheLoopCurrentAndRestoresThePreviousOne) {
  using Loop = typename TestFixture::Loop;
  auto outer = make_plain_loop<TypeParam>();
  auto inner = make_plain_loop<TypeParam>();
  outer->make_current();
  auto pair = common::make_socketpair();
  std::vector<Loop*> seen;
  inner->add_handler(pair.first.get(), [&](int, unsigned) {
    seen.push_back(Loop::current());
    inner->stop();
  }, Loop::WRITE);
  outer->add_handler(pair.second.get(), [&](int, unsigned) {
    seen.push_back(Loop::current());
    run_with_watchdog(*inner);  // a different loop may run inside a handler
    seen.push_back(Loop::current());
    outer->stop();
  }, Loop::WRITE);
  Loop::clear_current();

  run_with_watchdog(*outer);

  EXPECT_THAT(seen, ElementsAre(outer.get(), inner.get(), outer.get()));
  EXPECT_EQ(Loop::current(), nullptr);
}

// ---------------------------------------------------------------- close

TYPED_TEST_P(Lifecycle, CloseWithAllFdsClosesEveryRegisteredDescriptor) {
  using Loop = typename TestFixture::Loop;
  auto registered = common::make_pipe();
  auto unregistered = common::make_pipe();
  const int fd = registered.read_end.release();  // the loop will close it
  this->loop.add_handler(fd, [](int, unsigned) {}, Loop::READ);
  this->loop.add_handler(unregistered.read_end.get(), [](int, unsigned) {}, Loop::READ);
  this->loop.remove_handler(unregistered.read_end.get());

  this->loop.close(true);

  EXPECT_FALSE(fd_is_open(fd));
  EXPECT_TRUE(fd_is_open(unregistered.read_end.get()));
  EXPECT_TRUE(this->loop.closed());
}

TYPED_TEST_P(Lifecycle, CloseWithoutAllFdsLeavesThemOpen) {
  using Loop = typename TestFixture::Loop;
  auto pipe = common::make_pipe();
  this->loop.add_handler(pipe.read_end.get(), [](int, unsigned) {}, Loop::READ);

  this->loop.close();

  EXPECT_TRUE(fd_is_open(pipe.read_end.get()));
}

// A file object with its own close(), like a Python socket.
struct FileWithClose {
  common::Fd fd;
  int closes = 0;
  int fileno() const { return fd.get(); }
  void close() {
    ++closes;
    fd.close();
  }
};

// A file object without close(): the loop closes its descriptor directly.
struct FileWithoutClose {
  int fd;
  int fileno() const { return fd; }
};

TYPED_TEST_P(Lifecycle, CloseWithAllFdsUsesAnObjectsOwnClose) {
  using Loop = typename TestFixture::Loop;
  auto pair = common::make_socketpair();
  FileWithClose with{std::move(pair.first)};
  FileWithoutClose without{pair.second.release()};
  this->loop.add_handler(with, [](FileWithClose&, unsigned) {}, Loop::READ);
  this->loop.add_handler(without, [](FileWithoutClose&, unsigned) {}, Loop::READ);

  this->loop.close(true);

  EXPECT_EQ(with.closes, 1);
  EXPECT_FALSE(fd_is_open(without.fd));
}

TYPED_TEST_P(Lifecycle, CloseWhileRunningIsRefusedAndCloseTwiceIsHarmless) {
  using Loop = typename TestFixture::Loop;
  auto pair = common::make_socketpair();
  this->loop.add_handler(pair.first.get(), [&](int, unsigned) {
    expect_error<std::logic_error>([&] { this->loop.close(); }, {"still running"});
    this->loop.stop();
  }, Loop::WRITE);
  run_with_watchdog(this->loop);

  this->loop.close();
  this->loop.close();

  EXPECT_TRUE(this->loop.closed());
  expect_error<std::logic_error>(
      [&] { this->loop.add_handler(pair.second.get(), [](int, unsigned) {}, Loop::READ); },
      {"closed"});
}

// ---------------------------------------------------------------- the poller underneath

TYPED_TEST_P(Lifecycle, UnknownPollerNameIsRefusedNamingTheChoices) {
  using Loop = typename TestFixture::Loop;
  expect_error<std::invalid_argument>([] { Loop loop("kqueue"); },
                                      {"unknown poller \"kqueue\"", "select", "poll", "epoll"});
}

TYPED_TEST_P(Lifecycle, DefaultPollerIsEpollOnLinux) {
  typename TestFixture::Loop loop;
  EXPECT_EQ(loop.poller_name(), "epoll");
}

TYPED_TEST_P(Lifecycle, SelectRefusesAnFdAtOrAboveFdSetsizeOthersTakeIt) {
  using Loop = typename TestFixture::Loop;
  ASSERT_GE(raise_fd_limit(FD_SETSIZE + 64), static_cast<rlim_t>(FD_SETSIZE + 64))
      << "cannot raise the descriptor limit past FD_SETSIZE here";
  auto pair = common::make_socketpair();
  common::Fd high(::fcntl(pair.first.get(), F_DUPFD_CLOEXEC, FD_SETSIZE));
  ASSERT_GE(high.get(), FD_SETSIZE);
  int calls = 0;
  auto add = [&] {
    this->loop.add_handler(high.get(), [&](int, unsigned) {
      ++calls;
      this->loop.stop();
    }, Loop::WRITE);
  };

  if (this->on_select()) {
    expect_error<std::invalid_argument>(add, {"FD_SETSIZE", "poll or epoll"});
    EXPECT_EQ(this->loop.handler_count(), 0u);
  } else {
    add();
    run_with_watchdog(this->loop);
    EXPECT_EQ(calls, 1);
  }
}

TYPED_TEST_P(Lifecycle, PollInterruptedBySignalIsRetried) {
  using Loop = typename TestFixture::Loop;
  using Poller = typename TestFixture::Poller;
  // A handler installed without SA_RESTART, so the signal cuts the poll short with EINTR.
  struct sigaction action {};
  struct sigaction previous {};
  action.sa_handler = [](int) {};
  sigemptyset(&action.sa_mask);
  ASSERT_EQ(::sigaction(SIGUSR1, &action, &previous), 0);
  typename CountingPoller<Poller>::Counts counts;
  auto loop = TypeParam::template make_loop<Loop>(
      std::make_unique<CountingPoller<Poller>>(TypeParam::make_poller(), counts));
  auto wake = common::make_pipe();
  int calls = 0;
  loop->add_handler(wake.read_end.get(), [&](int, unsigned) {
    ++calls;
    loop->stop();
  }, Loop::READ);
  const pthread_t loop_thread = ::pthread_self();
  std::thread signaller([&] {
    // Keep interrupting until one signal lands inside a poll, then make an fd ready.
    while (counts.interrupted.load() == 0) {
      ::pthread_kill(loop_thread, SIGUSR1);
      std::this_thread::sleep_for(1ms);
    }
    common::write_all(wake.write_end.get(), "x");
  });

  run_with_watchdog(*loop);
  signaller.join();
  ::sigaction(SIGUSR1, &previous, nullptr);

  EXPECT_GE(counts.interrupted.load(), 1);
  EXPECT_EQ(calls, 1);
}

TYPED_TEST_P(Lifecycle, ALoopDestroyedOnAnotherThreadIsCurrentNowhere) {
  using Loop = typename TestFixture::Loop;
  Loop::clear_current();
  auto loop = make_plain_loop<TypeParam>();  // current here, on the main thread
  ASSERT_EQ(Loop::current(), loop.get());
  auto pair = common::make_socketpair();
  loop->add_handler(pair.first.get(), [&](int, unsigned) { loop->stop(); }, Loop::WRITE);

  std::thread worker([&] {
    run_with_watchdog(*loop);  // run, and destroyed, on another thread
    loop.reset();
  });
  worker.join();

  EXPECT_EQ(Loop::current(), nullptr);  // not a pointer to the destroyed loop
}

TYPED_TEST_P(Lifecycle, AClosedLoopIsNoLongerCurrent) {
  using Loop = typename TestFixture::Loop;
  this->loop.make_current();

  this->loop.close();

  EXPECT_EQ(Loop::current(), nullptr);
  this->loop.make_current();  // nor can it be made current again
  EXPECT_EQ(Loop::current(), nullptr);
}

REGISTER_TYPED_TEST_SUITE_P(Lifecycle, StopBeforeStartMakesTheNextStartReturnAtOnceRunningNothing,
                            StopDuringARunDoesNotCancelTheNextRun, StartWhileRunningIsAnError,
                            StartOnAClosedLoopIsAnError,
                            ANewLoopBecomesCurrentOnlyIfTheThreadHasNone,
                            StartMakesTheLoopCurrentAndRestoresThePreviousOne,
                            CloseWithAllFdsClosesEveryRegisteredDescriptor,
                            CloseWithoutAllFdsLeavesThemOpen, CloseWithAllFdsUsesAnObjectsOwnClose,
                            CloseWhileRunningIsRefusedAndCloseTwiceIsHarmless,
                            UnknownPollerNameIsRefusedNamingTheChoices, DefaultPollerIsEpollOnLinux,
                            SelectRefusesAnFdAtOrAboveFdSetsizeOthersTakeIt,
                            PollInterruptedBySignalIsRetried,
                            ALoopDestroyedOnAnotherThreadIsCurrentNowhere,
                            AClosedLoopIsNoLongerCurrent);

}  // namespace spec
