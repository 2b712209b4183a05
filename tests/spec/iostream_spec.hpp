// Chapter 8's rules for IOStream, on socketpairs. Instantiated by every chapter from 7 on,
// on every backend. The environment also names Env::IOStream, Env::StreamClosedError,
// Env::UnsatisfiableReadError and Env::StreamBufferFullError.
#pragma once

#include <sys/ioctl.h>
#include <sys/socket.h>

#include <memory>
#include <string>

#include "common/fd.hpp"
#include "loop_harness.hpp"

namespace spec {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

/// Runs `loop` until `future` is done, under the watchdog; returns its value (or rethrows).
template <class Loop, class Future>
auto run_until_done(Loop& loop, const Future& future) {
  return common::testing::with_watchdog(std::chrono::seconds(10),
                                        [&] { return loop.run_sync([future] { return future; }); });
}

template <class Env>
class IOStreams : public LoopTest<Env> {
 protected:
  using Stream = typename Env::IOStream;
  template <class T>
  using Future = typename Env::template Future<T>;

  common::SocketPair pair = common::make_socketpair();
  std::shared_ptr<Stream> stream = std::make_shared<Stream>(this->loop, std::move(pair.first));
  common::Fd& peer = pair.second;  // the other end, written and read directly

  /// Writes `data` from the peer after `delay`, on the loop.
  void peer_writes_later(std::string data, std::chrono::milliseconds delay) {
    this->loop.call_later(delay, [this, data] { common::write_all(peer.get(), data); });
  }
  /// Runs the loop until `future` is done; returns its value (or rethrows).
  template <class T>
  auto wait(const Future<T>& future) {
    return run_until_done(this->loop, future);
  }
  /// The exception a finished-or-soon-failed future holds.
  template <class T>
  std::exception_ptr failure_of(const Future<T>& future) {
    try {
      wait(future);
    } catch (...) {
      return std::current_exception();
    }
    return nullptr;
  }
};
TYPED_TEST_SUITE_P(IOStreams);

TYPED_TEST_P(IOStreams, ReadUntilGivesEverythingUpToAndIncludingTheDelimiter) {
  common::write_all(this->peer.get(), "first line\r\nsecond");

  EXPECT_EQ(this->wait(this->stream->read_until("\r\n")), "first line\r\n");
  EXPECT_EQ(this->wait(this->stream->read_bytes(6)), "second");
}

TYPED_TEST_P(IOStreams, ADelimiterSplitAcrossPacketsIsFound) {
  auto line = this->stream->read_until("\r\n\r\n");
  this->peer_writes_later("GET / HT", 1ms);
  this->peer_writes_later("TP/1.1\r", 2ms);
  this->peer_writes_later("\n\r", 3ms);
  this->peer_writes_later("\nafter", 4ms);

  EXPECT_EQ(this->wait(line), "GET / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(this->wait(this->stream->read_bytes(5)), "after");
}

TYPED_TEST_P(IOStreams, ReadUntilPastMaxBytesFailsButTheStreamStaysOpen) {
  common::write_all(this->peer.get(), std::string(100, 'x'));

  const auto error = this->failure_of(this->stream->read_until("\n", 64));

  EXPECT_EQ(what_of(error), "read_until: delimiter not found within max_bytes (64)");
  EXPECT_FALSE(this->stream->closed());
  EXPECT_EQ(this->wait(this->stream->read_bytes(100)), std::string(100, 'x'));  // still buffered
}

TYPED_TEST_P(IOStreams, ReadBytesWaitsForExactlyNOrWithPartialTakesWhatIsThere) {
  common::write_all(this->peer.get(), "abc");
  EXPECT_EQ(this->wait(this->stream->read_bytes(10, true)), "abc");

  auto exact = this->stream->read_bytes(4);
  this->peer_writes_later("de", 1ms);
  this->peer_writes_later("fg", 2ms);
  EXPECT_EQ(this->wait(exact), "defg");
}

TYPED_TEST_P(IOStreams, ReadUntilCloseGetsEverythingOnceThePeerCloses) {
  auto all = this->stream->read_until_close();
  this->peer_writes_later("one ", 1ms);
  this->peer_writes_later("two", 2ms);
  this->loop.call_later(3ms, [this] { this->peer.close(); });

  EXPECT_EQ(this->wait(all), "one two");
  EXPECT_TRUE(this->stream->closed());
  EXPECT_EQ(this->stream->error(), nullptr);  // a clean end of file
}

TYPED_TEST_P(IOStreams, TheReadBufferBoundClosesTheStreamWithAClearError) {
  typename TestFixture::Stream::Options small;
  small.max_buffer_size = 1024;
  small.read_chunk_size = 256;
  auto pair = common::make_socketpair();
  auto bounded = std::make_shared<typename TestFixture::Stream>(this->loop, std::move(pair.first), small);
  common::write_all(pair.second.get(), std::string(4096, 'y'));  // no delimiter, ever

  const auto error = this->failure_of(bounded->read_until("\n"));

  EXPECT_THROW(std::rethrow_exception(error), typename TypeParam::StreamClosedError);
  EXPECT_THAT(what_of(error), HasSubstr("Reached maximum read buffer size (1024 bytes)"));
  EXPECT_TRUE(bounded->closed());
}

TYPED_TEST_P(IOStreams, AWriteLargerThanTheSocketBufferIsFlushedWholeAndInOrder) {
  auto other = std::make_shared<typename TestFixture::Stream>(this->loop, std::move(this->peer));
  std::string big(8 * 1024 * 1024, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);

  auto first = this->stream->write(big);
  auto second = this->stream->write("<end>");
  EXPECT_FALSE(first.done());  // the kernel cannot take 8 MiB at once
  const std::string received = this->wait(other->read_bytes(big.size() + 5));

  EXPECT_TRUE(first.done());
  EXPECT_TRUE(second.done());
  EXPECT_EQ(received.size(), big.size() + 5);
  EXPECT_TRUE(received == big + "<end>");
}

TYPED_TEST_P(IOStreams, AWritePastTheWriteBufferBoundFailsAndQueuesNothing) {
  typename TestFixture::Stream::Options bounded_writes;
  bounded_writes.max_write_buffer_size = 64 * 1024;
  auto pair = common::make_socketpair();
  auto bounded = std::make_shared<typename TestFixture::Stream>(this->loop, std::move(pair.first), bounded_writes);
  // The peer never reads: once the kernel's buffer is full, what we write stays queued.
  std::size_t written = 0;
  typename TestFixture::template Future<void> last;
  while (!bounded->writing()) {
    last = bounded->write(std::string(16 * 1024, 'q'));
    written += 16 * 1024;
  }

  const auto error = this->failure_of(bounded->write(std::string(64 * 1024, 'r')));

  EXPECT_THROW(std::rethrow_exception(error), typename TypeParam::StreamBufferFullError);
  EXPECT_THAT(what_of(error), HasSubstr("Reached maximum write buffer size (65536 bytes)"));
  EXPECT_FALSE(bounded->closed());  // only that write failed; the queued ones still go out
  auto reader = std::make_shared<typename TestFixture::Stream>(this->loop, std::move(pair.second));
  const std::string received = this->wait(reader->read_bytes(written));
  EXPECT_EQ(received, std::string(written, 'q'));
  EXPECT_TRUE(last.done());
}

TYPED_TEST_P(IOStreams, CloseDuringAPendingReadFailsItAndRunsTheCloseCallbackNextTurn) {
  std::vector<std::string> happened;
  this->stream->set_close_callback([&] { happened.push_back("close callback"); });
  auto pending = this->stream->read_until("\n");
  this->loop.call_later(1ms, [&] {
    this->stream->close();
    happened.push_back("close() returned");
  });

  const auto error = this->failure_of(pending);

  EXPECT_THROW(std::rethrow_exception(error), typename TypeParam::StreamClosedError);
  EXPECT_THAT(happened, ElementsAre("close() returned", "close callback"));
}

TYPED_TEST_P(IOStreams, AVanishedPeerFailsTheWriteInsteadOfKillingTheProcess) {
  this->peer.close();
  // Several writes: the first may land in the dead socket's buffer; one of them must fail.
  std::exception_ptr error;
  for (int i = 0; i < 4 && !error; ++i) error = this->failure_of(this->stream->write(std::string(1 << 20, 'z')));

  ASSERT_NE(error, nullptr);  // (and SIGPIPE did not end the test binary)
  EXPECT_THROW(std::rethrow_exception(error), typename TypeParam::StreamClosedError);
  EXPECT_TRUE(this->stream->closed());
}

TYPED_TEST_P(IOStreams, OneReadAtATime) {
  auto first = this->stream->read_until("\n");
  expect_error<std::logic_error>([&] { this->stream->read_bytes(1); }, {"already reading"});
  common::write_all(this->peer.get(), "ok\n");
  EXPECT_EQ(this->wait(first), "ok\n");
}

TYPED_TEST_P(IOStreams, ReadingOrWritingAClosedStreamFails) {
  this->stream->close();
  EXPECT_THROW(this->wait(this->stream->read_bytes(1)), typename TypeParam::StreamClosedError);
  EXPECT_THROW(this->wait(this->stream->write("x")), typename TypeParam::StreamClosedError);
}

TYPED_TEST_P(IOStreams, AStreamWaitingOnAClosedLoopIsReleased) {
  auto pair = common::make_socketpair();
  std::weak_ptr<typename TestFixture::Stream> watch;
  typename TestFixture::template Future<std::string> pending;
  {
    auto doomed = make_plain_loop<TypeParam>();
    auto waiting = std::make_shared<typename TestFixture::Stream>(*doomed, std::move(pair.first));
    pending = waiting->read_until("\n");  // the loop now holds the stream
    watch = waiting;
  }
  EXPECT_TRUE(watch.expired());  // the loop let go of it; its socket is closed
  ASSERT_TRUE(pending.done());
  EXPECT_THROW(pending.result(), typename TypeParam::StreamClosedError);
}

REGISTER_TYPED_TEST_SUITE_P(IOStreams, ReadUntilGivesEverythingUpToAndIncludingTheDelimiter,
                            ADelimiterSplitAcrossPacketsIsFound,
                            ReadUntilPastMaxBytesFailsButTheStreamStaysOpen,
                            ReadBytesWaitsForExactlyNOrWithPartialTakesWhatIsThere,
                            ReadUntilCloseGetsEverythingOnceThePeerCloses,
                            TheReadBufferBoundClosesTheStreamWithAClearError,
                            AWriteLargerThanTheSocketBufferIsFlushedWholeAndInOrder,
                            AWritePastTheWriteBufferBoundFailsAndQueuesNothing,
                            CloseDuringAPendingReadFailsItAndRunsTheCloseCallbackNextTurn,
                            AVanishedPeerFailsTheWriteInsteadOfKillingTheProcess, OneReadAtATime,
                            ReadingOrWritingAClosedStreamFails, AStreamWaitingOnAClosedLoopIsReleased);

// ---------------------------------------------------------------------------------------------
// What a stream asks of the poller. A keep-alive connection goes idle between requests; if
// it left the poller each time and came back for the next request, epoll would pay two
// epoll_ctl calls per request that poll and select do not. So a stream stays registered
// from its first wait until it closes, and idle it keeps listening, as Tornado's does.

template <class Env>
class StreamRegistrations : public CountingLoopTest<Env> {
 protected:
  using Stream = typename Env::IOStream;
  template <class T>
  using Future = typename Env::template Future<T>;

  common::SocketPair pair = common::make_socketpair();
  common::Fd& peer = pair.second;

  std::shared_ptr<Stream> make_stream(typename Stream::Options options = {}) {
    return std::make_shared<Stream>(this->loop, std::move(pair.first), options);
  }
  template <class T>
  auto wait(const Future<T>& future) {
    return run_until_done(this->loop, future);
  }
  /// One request as a keep-alive server sees it: it waits for a line that the peer sends a
  /// moment later (so the stream has to wait on the loop), and answers it.
  void one_request(Stream& stream) {
    auto line = stream.read_until("\n");
    this->loop.call_later(1ms, [this] { common::write_all(peer.get(), "request\n"); });
    EXPECT_EQ(wait(line), "request\n");
    wait(stream.write("answer\n"));
    char answer[7];
    ASSERT_EQ(::recv(peer.get(), answer, sizeof answer, MSG_WAITALL), 7);
  }
  /// Lets the loop run for `how_long` with nothing for it to do but what is registered.
  void idle_for(std::chrono::milliseconds how_long) {
    Future<void> later;
    this->loop.call_later(how_long, [later] { later.set_result(); });
    wait(later);
  }
  bool on_select() const { return Env::backend() == "select"; }
};
TYPED_TEST_SUITE_P(StreamRegistrations);

TYPED_TEST_P(StreamRegistrations, AKeepAliveStreamCostsThePollerNothingPerRequest) {
  auto stream = this->make_stream();
  this->one_request(*stream);  // the first wait registers it
  const int after_first = this->counts.changes.load();

  for (int request = 0; request < 5; ++request) this->one_request(*stream);

  EXPECT_EQ(this->counts.changes.load(), after_first)
      << "the stream left the poller and came back between requests";
  EXPECT_EQ(this->loop.handler_count(), 1u);
}

TYPED_TEST_P(StreamRegistrations, TheLoopDoesNotKeepAnIdleStreamAlive) {
  auto stream = this->make_stream();
  this->one_request(*stream);  // registered, and now idle
  std::weak_ptr<typename TestFixture::Stream> watch = stream;

  stream.reset();  // its last user lets go

  EXPECT_TRUE(watch.expired());
  EXPECT_EQ(this->loop.handler_count(), 0u);
  char byte = 0;
  EXPECT_EQ(::recv(this->peer.get(), &byte, 1, MSG_DONTWAIT), 0);  // its socket is closed
}

TYPED_TEST_P(StreamRegistrations, WhatAPeerSendsToAnIdleStreamIsReadAheadOneChunkAtMost) {
  typename TestFixture::Stream::Options options;
  options.read_chunk_size = 16;
  auto stream = this->make_stream(options);
  this->one_request(*stream);
  const int polls_before = this->counts.polls.load();

  common::write_all(this->peer.get(), std::string(100, 'x'));  // nobody is reading
  this->idle_for(20ms);

  // One chunk may wait in the stream; the rest stays in the kernel, where it pushes back on
  // the peer; and the loop did not spin on a descriptor that stays readable.
  int in_kernel = 0;
  ASSERT_EQ(::ioctl(stream->fileno(), FIONREAD, &in_kernel), 0);
  EXPECT_GE(in_kernel, 100 - 16);
  EXPECT_LT(this->counts.polls.load() - polls_before, 20) << "the loop spun on the unread bytes";
  EXPECT_EQ(this->wait(stream->read_bytes(100)), std::string(100, 'x'));
}

TYPED_TEST_P(StreamRegistrations, APeerThatStopsSendingToAnIdleStreamCanStillBeAnswered) {
  auto stream = this->make_stream();
  this->one_request(*stream);
  const int polls_before = this->counts.polls.load();

  ::shutdown(this->peer.get(), SHUT_WR);  // "that was my last request; I am still listening"
  this->idle_for(20ms);

  EXPECT_FALSE(stream->closed());
  EXPECT_LT(this->counts.polls.load() - polls_before, 20) << "the loop spun on the end of file";
  this->wait(stream->write("late answer\n"));
  char answer[12];
  ASSERT_EQ(::recv(this->peer.get(), answer, sizeof answer, MSG_WAITALL), 12);
  EXPECT_THROW(this->wait(stream->read_bytes(1)), typename TypeParam::StreamClosedError);
}

TYPED_TEST_P(StreamRegistrations, APeerThatLeavesAnIdleStreamIsNoticed) {
  auto stream = this->make_stream();
  bool close_callback_ran = false;
  stream->set_close_callback([&] { close_callback_ran = true; });
  this->one_request(*stream);

  this->peer.close();
  this->idle_for(20ms);

  if (this->on_select()) {
    // select cannot watch for a hang-up without watching for input, which an idle stream
    // that has seen the end of file no longer does: it learns at its next read or write.
    EXPECT_THROW(this->wait(stream->read_bytes(1)), typename TypeParam::StreamClosedError);
  } else {
    EXPECT_TRUE(stream->closed());  // without anyone reading: the poller reported the hang-up
  }
  this->idle_for(1ms);
  EXPECT_TRUE(close_callback_ran);
  EXPECT_EQ(this->loop.handler_count(), 0u);
}

REGISTER_TYPED_TEST_SUITE_P(StreamRegistrations, AKeepAliveStreamCostsThePollerNothingPerRequest,
                            TheLoopDoesNotKeepAnIdleStreamAlive,
                            WhatAPeerSendsToAnIdleStreamIsReadAheadOneChunkAtMost,
                            APeerThatStopsSendingToAnIdleStreamCanStillBeAnswered,
                            APeerThatLeavesAnIdleStreamIsNoticed);

}  // namespace spec
