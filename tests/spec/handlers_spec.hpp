// Chapter 2's rules for I/O handlers: registration, delivery, update, removal, errors.
// Instantiated by every chapter from 2 on, for every poller backend.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <set>

#include "common/fd.hpp"
#include "common/log.hpp"
#include "loop_harness.hpp"

namespace spec {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

template <class Env>
class Handlers : public LoopTest<Env> {};
TYPED_TEST_SUITE_P(Handlers);

// ---------------------------------------------------------------- registration mistakes

TYPED_TEST_P(Handlers, NegativeFdIsRefused) {
  expect_error<std::invalid_argument>(
      [&] { this->loop.add_handler(-1, [](int, unsigned) {}, TestFixture::Loop::READ); },
      {"fd -1", "negative"});
  EXPECT_EQ(this->loop.handler_count(), 0u);
}

TYPED_TEST_P(Handlers, SameFdTwiceIsRefusedAndTheFirstHandlerStays) {
  using Loop = typename TestFixture::Loop;
  auto pair = common::make_socketpair();
  const int fd = pair.first.get();
  std::vector<std::string> ran;
  this->loop.add_handler(fd, [&](int, unsigned) { ran.push_back("first"); this->loop.stop(); },
                         Loop::WRITE);

  expect_error<std::invalid_argument>(
      [&] { this->loop.add_handler(fd, [&](int, unsigned) { ran.push_back("second"); }, Loop::READ); },
      {"fd " + std::to_string(fd), "already registered"});
  run_with_watchdog(this->loop);

  EXPECT_THAT(ran, ElementsAre("first"));
}

TYPED_TEST_P(Handlers, AnObjectAndItsRawFdAreTheSameFd) {
  using Loop = typename TestFixture::Loop;
  auto pair = common::make_socketpair();
  this->loop.add_handler(pair.first, [](common::Fd&, unsigned) {}, Loop::READ);

  expect_error<std::invalid_argument>(
      [&] { this->loop.add_handler(pair.first.get(), [](int, unsigned) {}, Loop::READ); },
      {"already registered"});
  EXPECT_EQ(this->loop.handler_count(), 1u);
}

TYPED_TEST_P(Handlers, UnknownEventBitsAreRefused) {
  auto pair = common::make_socketpair();
  expect_error<std::invalid_argument>(
      [&] { this->loop.add_handler(pair.first.get(), [](int, unsigned) {}, 0x40); },
      {"unknown event bits 0x40"});
  EXPECT_EQ(this->loop.handler_count(), 0u);
}

TYPED_TEST_P(Handlers, UpdatingAnUnknownFdIsRefused) {
  auto pair = common::make_socketpair();
  expect_error<std::invalid_argument>(
      [&] { this->loop.update_handler(pair.first.get(), TestFixture::Loop::READ); },
      {"update_handler", "not registered"});
}

TYPED_TEST_P(Handlers, RemovingAnUnknownFdIsIgnoredAndLoggedAtDebugLevel) {
  common::CapturedLog log;
  this->loop.remove_handler(12345);

  const auto entries = log.entries();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].level, common::LogLevel::debug);
  EXPECT_THAT(entries[0].message, HasSubstr("fd 12345 is not registered; ignored"));
}

// ---------------------------------------------------------------- delivery

TYPED_TEST_P(Handlers, ReadIsDeliveredWhenDataArrives) {
  using Loop = typename TestFixture::Loop;
  auto pair = common::make_socketpair();
  common::write_all(pair.second.get(), "hello");
  std::vector<std::string> got;
  this->loop.add_handler(pair.first.get(), [&](int fd, unsigned events) {
    EXPECT_TRUE(events & Loop::READ);
    got.push_back(common::read_some(fd));
    this->loop.stop();
  }, Loop::READ);

  run_with_watchdog(this->loop);

  EXPECT_THAT(got, ElementsAre("hello"));
}

TYPED_TEST_P(Handlers, WriteIsDeliveredWhenTheSocketCanTakeData) {
  using Loop = typename TestFixture::Loop;
  auto pair = common::make_socketpair();
  std::vector<unsigned> masks;
  this->loop.add_handler(pair.first.get(), [&](int, unsigned events) {
    masks.push_back(events & (Loop::READ | Loop::WRITE));
    this->loop.stop();
  }, Loop::WRITE);

  run_with_watchdog(this->loop);

  EXPECT_THAT(masks, ElementsAre(Loop::WRITE));
}

TYPED_TEST_P(Handlers, LevelTriggeredReadyFdIsReportedAgainEveryTurn) {
  using Loop = typename TestFixture::Loop;
  auto pair = common::make_socketpair();
  common::write_all(pair.second.get(), "never read");
  int calls = 0;
  this->loop.add_handler(pair.first.get(), [&](int, unsigned) {
    if (++calls == 3) this->loop.stop();  // we never read, so the fd stays readable
  }, Loop::READ);

  run_with_watchdog(this->loop);

  EXPECT_EQ(calls, 3);
}

TYPED_TEST_P(Handlers, PeerHangUpIsDeliveredAndReadsEndOfFile) {
  using Loop = typename TestFixture::Loop;
  auto pair = common::make_socketpair();
  pair.second.close();
  unsigned mask = 0;
  std::string read_back = "not read";
  this->loop.add_handler(pair.first.get(), [&](int fd, unsigned events) {
    mask = events;
    read_back = common::read_some(fd);
    this->loop.stop();
  }, Loop::READ);

  run_with_watchdog(this->loop);

  EXPECT_TRUE(mask & Loop::READ) << "mask " << mask;
  // poll and epoll also say "hang-up" (POLLHUP, part of ERROR); select has no such answer.
  if (!this->on_select()) {
    EXPECT_TRUE(mask & Loop::ERROR) << "mask " << mask;
  }
  EXPECT_EQ(read_back, "");  // end of file
}

TYPED_TEST_P(Handlers, ErrorIsWatchedEvenWhenNotAskedFor) {
  using Loop = typename TestFixture::Loop;
  if (this->on_select()) {
    GTEST_SKIP() << "select has no error set: its 'exceptional' set means out-of-band data, "
                    "so a broken pipe shows only as writable there";
  }
  auto pipe = common::make_pipe();
  pipe.read_end.close();  // the write end now has no reader: an error condition
  unsigned mask = 0;
  this->loop.add_handler(pipe.write_end.get(), [&](int, unsigned events) {
    mask = events;
    this->loop.stop();
  }, Loop::NONE);

  run_with_watchdog(this->loop);

  EXPECT_TRUE(mask & Loop::ERROR) << "mask " << mask;
}

TYPED_TEST_P(Handlers, HandlerForAnObjectReceivesThatObject) {
  using Loop = typename TestFixture::Loop;
  auto pair = common::make_socketpair();
  const common::Fd* seen = nullptr;
  this->loop.add_handler(pair.first, [&](common::Fd& file, unsigned) {
    seen = &file;
    this->loop.stop();
  }, Loop::WRITE);

  run_with_watchdog(this->loop);

  EXPECT_EQ(seen, &pair.first);
}

TYPED_TEST_P(Handlers, UpdateHandlerSwitchesWhatTheFdIsWatchedFor) {
  using Loop = typename TestFixture::Loop;
  auto pair = common::make_socketpair();
  auto kick = common::make_socketpair();
  std::vector<unsigned> seen;
  // Watched for READ with nothing to read: silent until the kick switches it to WRITE.
  this->loop.add_handler(pair.first.get(), [&](int fd, unsigned events) {
    seen.push_back(events & (Loop::READ | Loop::WRITE));
    if (events & Loop::WRITE) {
      this->loop.update_handler(fd, Loop::READ);
      common::write_all(pair.second.get(), "now readable");
    } else {
      this->loop.stop();
    }
  }, Loop::READ);
  this->loop.add_handler(kick.first.get(), [&](int fd, unsigned) {
    this->loop.update_handler(pair.first.get(), Loop::WRITE);
    this->loop.remove_handler(fd);
  }, Loop::WRITE);

  run_with_watchdog(this->loop);

  EXPECT_THAT(seen, ElementsAre(Loop::WRITE, Loop::READ));
}

// ---------------------------------------------------------------- removal

TYPED_TEST_P(Handlers, RemovedByAnotherHandlerIsNotCalled) {
  using Loop = typename TestFixture::Loop;
  auto a = common::make_socketpair();
  auto b = common::make_socketpair();
  // Both are writable, so one poll reports both; whichever runs first removes the other.
  std::vector<int> ran;
  const int fa = a.first.get();
  const int fb = b.first.get();
  this->loop.add_handler(fa, [&](int fd, unsigned) {
    ran.push_back(fd);
    this->loop.remove_handler(fb);
    this->loop.stop();
  }, Loop::WRITE);
  this->loop.add_handler(fb, [&](int fd, unsigned) {
    ran.push_back(fd);
    this->loop.remove_handler(fa);
    this->loop.stop();
  }, Loop::WRITE);

  run_with_watchdog(this->loop);

  EXPECT_EQ(ran.size(), 1u);
  EXPECT_EQ(this->loop.handler_count(), 1u);
}

// Needs to know which poll each call came from, so it has a suite of its own.
template <class Env>
class HandlerRounds : public CountingLoopTest<Env> {};
TYPED_TEST_SUITE_P(HandlerRounds);

TYPED_TEST_P(HandlerRounds, ReAddedInTheSameRoundWaitsForTheNextPoll) {
  using Loop = typename TestFixture::Loop;
  auto a = common::make_socketpair();
  auto b = common::make_socketpair();
  // Both writable: one poll reports both. The first to run replaces the other's handler;
  // the replacement must not inherit the events collected for the old one.
  struct Call {
    std::string who;
    int poll;
  };
  std::vector<Call> calls;
  auto replacement = [&](int, unsigned) {
    calls.push_back({"replacement", this->counts.polls.load()});
    this->loop.stop();
  };
  auto original = [&](int other) {
    return [&, other](int, unsigned) {
      if (!calls.empty()) return;
      calls.push_back({"original", this->counts.polls.load()});
      this->loop.remove_handler(other);
      this->loop.add_handler(other, replacement, Loop::WRITE);
    };
  };
  this->loop.add_handler(a.first.get(), original(b.first.get()), Loop::WRITE);
  this->loop.add_handler(b.first.get(), original(a.first.get()), Loop::WRITE);

  run_with_watchdog(this->loop);

  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].who, "original");
  EXPECT_EQ(calls[1].who, "replacement");
  EXPECT_GT(calls[1].poll, calls[0].poll);
}

REGISTER_TYPED_TEST_SUITE_P(HandlerRounds, ReAddedInTheSameRoundWaitsForTheNextPoll);

TYPED_TEST_P(Handlers, HandlerMayRemoveItselfWhileRunning) {
  using Loop = typename TestFixture::Loop;
  auto pair = common::make_socketpair();
  // The capture makes the function object big enough to live on the heap: if removal
  // destroyed it mid-call, AddressSanitizer would see the use after free below.
  std::string big_capture(100, 'x');
  std::string seen;
  this->loop.add_handler(pair.first.get(), [&, big_capture](int fd, unsigned) {
    this->loop.remove_handler(fd);
    seen = big_capture;
    this->loop.stop();
  }, Loop::WRITE);

  run_with_watchdog(this->loop);

  EXPECT_EQ(seen, big_capture);
  EXPECT_EQ(this->loop.handler_count(), 0u);
}

// ---------------------------------------------------------------- errors in handlers

TYPED_TEST_P(Handlers, ExceptionIsReportedAndTheLoopGoesOn) {
  using Loop = typename TestFixture::Loop;
  auto pair = common::make_socketpair();
  const int fd = pair.first.get();
  int calls = 0;
  this->loop.add_handler(fd, [&](int, unsigned) {
    if (++calls == 1) throw std::runtime_error("boom");
    this->loop.stop();
  }, Loop::WRITE);

  run_with_watchdog(this->loop);

  EXPECT_EQ(calls, 2);
  ASSERT_EQ(this->loop.reported.size(), 1u);
  EXPECT_EQ(this->loop.reported[0].where, "handler for fd " + std::to_string(fd));
  EXPECT_EQ(this->loop.reported[0].what, "boom");
}

TYPED_TEST_P(Handlers, DefaultReportIsAnErrorLogNamingTheHandler) {
  using Loop = typename TestFixture::Loop;
  common::CapturedLog log;
  auto plain = make_plain_loop<TypeParam>();
  auto pair = common::make_socketpair();
  const int fd = pair.first.get();
  int calls = 0;
  plain->add_handler(fd, [&](int, unsigned) {
    if (++calls == 1) throw std::runtime_error("boom");
    plain->stop();
  }, Loop::WRITE);

  run_with_watchdog(*plain);

  EXPECT_THAT(log.messages(common::LogLevel::error),
              ElementsAre("Exception in handler for fd " + std::to_string(fd) + ": boom"));
}

TYPED_TEST_P(Handlers, BrokenPipeFromAHandlerIsIgnored) {
  using Loop = typename TestFixture::Loop;
  auto pair = common::make_socketpair();
  int calls = 0;
  this->loop.add_handler(pair.first.get(), [&](int, unsigned) {
    if (++calls == 1) throw std::system_error(EPIPE, std::generic_category(), "write");
    this->loop.stop();
  }, Loop::WRITE);

  run_with_watchdog(this->loop);

  EXPECT_EQ(calls, 2);
  EXPECT_TRUE(this->loop.reported.empty());
}

// ---------------------------------------------------------------- many fds, closed fds

TYPED_TEST_P(Handlers, OnlyTheReadyOnesOfManyRegisteredFdsAreDispatched) {
  using Loop = typename TestFixture::Loop;
  // select cannot go past FD_SETSIZE (1024), so it gets 400 pipes; the others get 1000.
  const std::size_t count = this->on_select() ? 400 : 1000;
  ASSERT_GE(raise_fd_limit(2 * count + 64), 2 * count + 64) << "cannot open enough fds here";
  std::vector<common::Pipe> pipes(count);
  for (auto& p : pipes) p = common::make_pipe();
  std::set<int> called;
  std::set<int> written;
  for (auto& p : pipes) {
    this->loop.add_handler(p.read_end.get(), [&](int fd, unsigned) {
      common::read_some(fd);
      called.insert(fd);
      if (called.size() == written.size()) this->loop.stop();
    }, Loop::READ);
  }
  for (std::size_t i = 7; i < count; i += count / 10) {
    common::write_all(pipes[i].write_end.get(), "x");
    written.insert(pipes[i].read_end.get());
  }

  run_with_watchdog(this->loop);

  EXPECT_EQ(called, written);
  EXPECT_EQ(this->loop.handler_count(), count);
}

TYPED_TEST_P(Handlers, FdClosedBehindTheLoopsBackIsDroppedNotSpunOn) {
  using Loop = typename TestFixture::Loop;
  auto doomed = common::make_pipe();
  auto stopper = common::make_pipe();
  const int doomed_fd = doomed.read_end.get();
  int doomed_calls = 0;
  int polls_after = 0;
  common::CapturedLog log;
  this->loop.add_handler(doomed_fd, [&](int, unsigned) { ++doomed_calls; }, Loop::READ);
  this->loop.add_handler(stopper.read_end.get(), [&](int fd, unsigned) {
    common::read_some(fd);
    if (++polls_after == 3) this->loop.stop();
    else common::write_all(stopper.write_end.get(), "again");
  }, Loop::READ);
  doomed.read_end.close();  // the bug under test: closed without remove_handler
  common::write_all(stopper.write_end.get(), "go");

  run_with_watchdog(this->loop);

  EXPECT_EQ(doomed_calls, 0);
  if (this->on_epoll()) {
    // epoll forgot the fd when it was closed; nothing tells the loop, so the entry stays.
    EXPECT_EQ(this->loop.handler_count(), 2u);
  } else {
    EXPECT_EQ(this->loop.handler_count(), 1u);
    EXPECT_THAT(log.messages(common::LogLevel::error),
                ElementsAre(HasSubstr("fd " + std::to_string(doomed_fd) + " was closed while "
                                      "still registered")));
  }
}

TYPED_TEST_P(Handlers, AClosedFdsNumberReusedAtOnceIsATrapTheErrorNames) {
  using Loop = typename TestFixture::Loop;
  // Tornado's trap too: closing an fd without remove_handler leaves its entry behind, and
  // the kernel hands the same number to the next descriptor opened.
  auto doomed = common::make_pipe();
  auto stopper = common::make_pipe();
  const int number = doomed.read_end.get();
  std::vector<std::string> old_handler_saw;
  int turns = 0;
  this->loop.add_handler(number, [&](int fd, unsigned events) {
    old_handler_saw.push_back("fd " + std::to_string(fd) + (events & Loop::READ ? " readable" : ""));
    common::read_some(fd);
  }, Loop::READ);
  this->loop.add_handler(stopper.read_end.get(), [&](int fd, unsigned) {
    common::read_some(fd);
    if (++turns == 3) this->loop.stop();
    else common::write_all(stopper.write_end.get(), "again");
  }, Loop::READ);
  doomed.read_end.close();  // the mistake: no remove_handler first
  auto newcomer = common::make_pipe();
  ASSERT_EQ(newcomer.read_end.get(), number) << "the kernel gives the lowest free number";
  common::write_all(newcomer.write_end.get(), "for the newcomer");
  common::write_all(stopper.write_end.get(), "go");

  run_with_watchdog(this->loop);

  if (this->on_epoll()) {
    // epoll watched the closed descriptor, not the number: the newcomer is unknown to it.
    EXPECT_THAT(old_handler_saw, ::testing::IsEmpty());
  } else {
    // select and poll watch numbers: the old handler gets the newcomer's events.
    EXPECT_THAT(old_handler_saw, ::testing::Contains("fd " + std::to_string(number) + " readable"));
  }
  // On every backend, registering the newcomer is refused with the likely cause named.
  expect_error<std::invalid_argument>(
      [&] { this->loop.add_handler(number, [](int, unsigned) {}, Loop::READ); },
      {"fd " + std::to_string(number), "already registered", "closed without remove_handler",
       "number reused"});
}

REGISTER_TYPED_TEST_SUITE_P(Handlers, NegativeFdIsRefused, SameFdTwiceIsRefusedAndTheFirstHandlerStays,
                            AnObjectAndItsRawFdAreTheSameFd, UnknownEventBitsAreRefused,
                            UpdatingAnUnknownFdIsRefused,
                            RemovingAnUnknownFdIsIgnoredAndLoggedAtDebugLevel,
                            ReadIsDeliveredWhenDataArrives, WriteIsDeliveredWhenTheSocketCanTakeData,
                            LevelTriggeredReadyFdIsReportedAgainEveryTurn,
                            PeerHangUpIsDeliveredAndReadsEndOfFile, ErrorIsWatchedEvenWhenNotAskedFor,
                            HandlerForAnObjectReceivesThatObject,
                            UpdateHandlerSwitchesWhatTheFdIsWatchedFor,
                            RemovedByAnotherHandlerIsNotCalled, HandlerMayRemoveItselfWhileRunning,
                            ExceptionIsReportedAndTheLoopGoesOn,
                            DefaultReportIsAnErrorLogNamingTheHandler,
                            BrokenPipeFromAHandlerIsIgnored,
                            OnlyTheReadyOnesOfManyRegisteredFdsAreDispatched,
                            FdClosedBehindTheLoopsBackIsDroppedNotSpunOn,
                            AClosedFdsNumberReusedAtOnceIsATrapTheErrorNames);

}  // namespace spec
