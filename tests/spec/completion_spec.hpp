// Chapter 10's rules for the completion model: a stream on an io_uring loop hands its reads
// and writes to the kernel, which owns each operation's buffer until it completes. Every
// IOStreams spec (iostream_spec.hpp) already runs on the ring too; these are the rules that
// only the completion model has: no handler, and operations still in flight when the stream
// closes, dies, or its loop does. Instantiated on the uring backend (chapter 10 on).
#pragma once

#include <sys/socket.h>

#include <functional>
#include <memory>
#include <string>
#include <system_error>

#include "iostream_spec.hpp"

namespace spec {

template <class Env>
class Completions : public IOStreams<Env> {
 protected:
  /// Lets the loop run for `how_long` with nothing to do but what is in flight.
  void idle_for(std::chrono::milliseconds how_long) {
    typename IOStreams<Env>::template Future<void> later;
    this->loop.call_later(how_long, [later] { later.set_result(); });
    this->wait(later);
  }
  /// One request from the peer and its answer, so the stream has done I/O on the ring.
  void one_round_trip() {
    common::write_all(this->peer.get(), "ping\n");
    EXPECT_EQ(this->wait(this->stream->read_until("\n")), "ping\n");
    this->wait(this->stream->write("pong\n"));
    char answer[5];
    ASSERT_EQ(::recv(this->peer.get(), answer, sizeof answer, MSG_WAITALL), 5);
  }
  /// Whether the peer sees our end closed: after what we sent, recv() gives 0 (end of
  /// file), within a second.
  bool peer_sees_the_close() {
    timeval second{.tv_sec = 1, .tv_usec = 0};
    ::setsockopt(this->peer.get(), SOL_SOCKET, SO_RCVTIMEO, &second, sizeof second);
    char bytes[64 * 1024];
    while (true) {
      const ssize_t n = ::recv(this->peer.get(), bytes, sizeof bytes, 0);
      if (n <= 0) return n == 0;
    }
  }
};
TYPED_TEST_SUITE_P(Completions);

TYPED_TEST_P(Completions, AStreamOnTheRingAsksTheLoopForNoHandler) {
  this->one_round_trip();

  EXPECT_TRUE(this->stream->on_ring());
  EXPECT_EQ(this->loop.handler_count(), 0u) << "the stream's I/O is the ring's: no handler";
}

TYPED_TEST_P(Completions, AnIdleStreamReadsAheadWhileItHoldsLessThanAChunkThenStops) {
  this->one_round_trip();
  common::set_nonblocking(this->peer.get());
  std::size_t sent = 0;
  while (sent < 1024 * 1024) {  // far more than one chunk, or until the kernel is full
    const ssize_t n = ::send(this->peer.get(), std::string(16 * 1024, 'x').data(), 16 * 1024, 0);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  this->idle_for(20ms);
  const std::size_t chunk = typename TestFixture::Stream::Options{}.read_chunk_size;

  EXPECT_EQ(this->loop.ring()->in_flight(), 0u) << "idle and a chunk ahead: no receive is asked for";
  const std::string ahead = this->wait(this->stream->read_bytes(sent, /*partial=*/true));
  EXPECT_GE(ahead.size(), chunk);
  EXPECT_LT(ahead.size(), 2 * chunk) << "the last receive began below one chunk";
}

TYPED_TEST_P(Completions, ClosingWithAReceiveInFlightCancelsItAndThePeerSeesTheClose) {
  auto read = this->stream->read_until("\n");  // nothing comes: the receive stays in flight
  this->idle_for(5ms);
  ASSERT_EQ(this->loop.ring()->in_flight(), 1u);

  this->stream->close();

  EXPECT_TRUE(this->peer_sees_the_close()) << "the cancelled receive no longer holds the socket";
  EXPECT_THROW(this->wait(read), typename TypeParam::StreamClosedError);
  EXPECT_EQ(this->loop.ring()->in_flight(), 0u) << "the cancelled receive has completed";
}

TYPED_TEST_P(Completions, ClosingWithASendInFlightFailsItsWrite) {
  // The peer never reads: the kernel takes what fits, and the send waits for room.
  auto write = this->stream->write(std::string(8 * 1024 * 1024, 'w'));
  this->idle_for(5ms);
  ASSERT_FALSE(write.done());

  this->stream->close();

  EXPECT_THROW(this->wait(write), typename TypeParam::StreamClosedError);
  this->idle_for(5ms);
  EXPECT_EQ(this->loop.ring()->in_flight(), 0u);
}

TYPED_TEST_P(Completions, AStreamLetGoWithAReceiveInFlightIsClosedAndItsBufferOutlivesIt) {
  this->one_round_trip();  // now idle, reading ahead
  std::weak_ptr<typename TestFixture::Stream> watch = this->stream;

  this->stream.reset();  // its last user lets go; the kernel still has its receive

  EXPECT_TRUE(watch.expired()) << "the ring holds the buffer, not the stream";
  EXPECT_TRUE(this->peer_sees_the_close());
  // The receive completes (cancelled, or with these bytes) into the ring's own buffer, and
  // its `done` finds nobody: AddressSanitizer would see a write into a freed stream here.
  ::send(this->peer.get(), "late\n", 5, MSG_NOSIGNAL);  // EPIPE, if it came too late
  this->idle_for(5ms);
  EXPECT_EQ(this->loop.ring()->in_flight(), 0u);
}

TYPED_TEST_P(Completions, ClosingTheLoopWithOperationsInFlightWaitsForEveryCompletion) {
  auto read = this->stream->read_until("\n");
  auto write = this->stream->write(std::string(8 * 1024 * 1024, 'w'));
  this->idle_for(5ms);
  ASSERT_EQ(this->loop.ring()->in_flight(), 2u);

  // The ring cancels both and waits for their completions before their buffers go, and
  // lets go of the stream its operations held.
  this->loop.close();
  std::weak_ptr<typename TestFixture::Stream> watch = this->stream;
  this->stream.reset();

  EXPECT_TRUE(watch.expired()) << "the closed loop's ring still holds the stream";
  EXPECT_TRUE(this->peer_sees_the_close());
}

TYPED_TEST_P(Completions, AStreamUsedAfterItsLoopClosedSaysSoInsteadOfTouchingTheRing) {
  this->one_round_trip();
  this->loop.close();  // and with it the ring

  expect_error<std::logic_error>([&] { this->stream->write("late\n"); }, {"IOLoop is closed"});
  expect_error<std::logic_error>([&] { this->stream->read_until("\n"); }, {"IOLoop is closed"});
}

TYPED_TEST_P(Completions, AReadCompletesWhileCallbacksKeepTheLoopFromSleeping) {
  // A callback that adds itself again keeps every poll at a zero timeout: the ring must still
  // be asked for what it has finished (with COOP_TASKRUN it posts it only when we enter).
  auto read = this->stream->read_until("\n");
  auto busy = std::make_shared<std::function<void()>>();
  int spins = 0;
  *busy = [this, &read, &spins, weak = std::weak_ptr(busy)] {
    ++spins;
    if (read.done()) return;
    if (auto again = weak.lock()) this->loop.add_callback(*again);
  };
  this->loop.add_callback(*busy);
  this->peer_writes_later("busy\n", 5ms);

  EXPECT_EQ(this->wait(read), "busy\n");
  EXPECT_GT(spins, 1);
}

TYPED_TEST_P(Completions, AVanishedPeerFailsTheSendWithTheKernelsReason) {
  this->one_round_trip();
  this->peer.close();

  std::exception_ptr error;
  try {
    for (int i = 0; i < 100; ++i) this->wait(this->stream->write(std::string(64 * 1024, 'v')));
  } catch (const typename TypeParam::StreamClosedError& closed) {
    error = closed.real_error();
  }

  ASSERT_NE(error, nullptr) << "writes to a vanished peer kept succeeding";
  try {
    std::rethrow_exception(error);
  } catch (const std::system_error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("send"));
    EXPECT_TRUE(e.code().value() == EPIPE || e.code().value() == ECONNRESET) << e.what();
  }
}

TYPED_TEST_P(Completions, WritesQueuedBehindASendInFlightGoOutInOrderAndResolveInOrder) {
  std::vector<int> resolved;
  std::string expected;
  for (int i = 0; i < 20; ++i) {
    const std::string piece = std::to_string(i) + std::string(100 * 1024, static_cast<char>('a' + i)) + ";";
    expected += piece;
    this->stream->write(piece).add_done_callback([&resolved, i](const auto&) { resolved.push_back(i); });
  }
  auto other = std::make_shared<typename TestFixture::Stream>(this->loop, std::move(this->peer));

  const std::string received = this->wait(other->read_bytes(expected.size()));
  this->idle_for(5ms);

  EXPECT_TRUE(received == expected) << "the bytes came out of order or incomplete";
  ASSERT_EQ(resolved.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(resolved[static_cast<std::size_t>(i)], i);
}

REGISTER_TYPED_TEST_SUITE_P(Completions, AStreamOnTheRingAsksTheLoopForNoHandler,
                            AnIdleStreamReadsAheadWhileItHoldsLessThanAChunkThenStops,
                            ClosingWithAReceiveInFlightCancelsItAndThePeerSeesTheClose,
                            ClosingWithASendInFlightFailsItsWrite,
                            AStreamLetGoWithAReceiveInFlightIsClosedAndItsBufferOutlivesIt,
                            ClosingTheLoopWithOperationsInFlightWaitsForEveryCompletion,
                            AStreamUsedAfterItsLoopClosedSaysSoInsteadOfTouchingTheRing,
                            AReadCompletesWhileCallbacksKeepTheLoopFromSleeping,
                            AVanishedPeerFailsTheSendWithTheKernelsReason,
                            WritesQueuedBehindASendInFlightGoOutInOrderAndResolveInOrder);

}  // namespace spec
