#include "iostream.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>
#include <system_error>
#include <utility>
#include <vector>

#include "common/log.hpp"
#include "gen.hpp"

namespace ch10 {
namespace {

std::string message_of(std::exception_ptr error) {
  if (!error) return "Stream is closed";
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return std::string("Stream is closed: ") + e.what();
  } catch (...) {
    return "Stream is closed";
  }
}

template <class T>
Future<T> failed(std::exception_ptr error) {
  Future<T> future;
  future.set_exception(std::move(error));
  return future;
}

std::exception_ptr errno_error(int error, const std::string& what) {
  return std::make_exception_ptr(std::system_error(error, std::generic_category(), what));
}

}  // namespace

StreamClosedError::StreamClosedError(std::exception_ptr real_error)
    : std::runtime_error(message_of(real_error)), real_error_(std::move(real_error)) {}

IOStream::IOStream(IOLoop& loop, common::Fd socket) : IOStream(loop, std::move(socket), Options{}) {}

IOStream::IOStream(IOLoop& loop, common::Fd socket, Options options)
    : loop_(loop), socket_(std::move(socket)), options_(options), alive_(loop.alive_token()) {
  if (!socket_) throw std::invalid_argument("IOStream: the socket is not open");
  if (options_.max_buffer_size == 0 || options_.read_chunk_size == 0) {
    throw std::invalid_argument("IOStream: buffer sizes must be positive");
  }
  common::set_nonblocking(socket_.get());
  if (options_.use_ring) ring_ = loop.ring();
}

IOStream::~IOStream() {
  // Nobody holds us, so nobody waits on us; an idle stream is still registered, though
  // (or, on the ring, still has a recv reading ahead).
  if (!alive_.expired() && !loop_.closed()) {
    if (registered_) loop_.remove_handler(socket_.get());
    cancel_operations();
  }
  if (!closed_) fail_pending(std::make_exception_ptr(StreamClosedError()));
}

namespace {

// Tries each address in turn until one connects (Tornado's TCPClient races them; we keep
// the idea and drop the race). Failing them all fails with the last address's error.
Coroutine<std::shared_ptr<IOStream>> connect_any(
    std::vector<std::pair<sockaddr_storage, std::string>> addresses,
    std::function<Future<std::shared_ptr<IOStream>>(const sockaddr_storage&, std::string)> attempt) {
  std::exception_ptr last;
  for (auto& [address, where] : addresses) {
    try {
      co_return co_await attempt(address, where);
    } catch (const StreamClosedError&) {
      last = std::current_exception();
    }
  }
  std::rethrow_exception(last);
}

}  // namespace

Future<std::shared_ptr<IOStream>> IOStream::connect(IOLoop& loop, const std::string& host,
                                                     int port, Options options) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    return failed<std::shared_ptr<IOStream>>(std::make_exception_ptr(StreamClosedError(
        std::make_exception_ptr(std::runtime_error("cannot resolve " + host + ": " + ::gai_strerror(rc))))));
  }
  std::vector<std::pair<sockaddr_storage, std::string>> addresses;
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    sockaddr_storage address{};
    std::memcpy(&address, a->ai_addr, a->ai_addrlen);
    addresses.emplace_back(address, "connect to " + host + ":" + service);
  }
  ::freeaddrinfo(found);
  if (addresses.size() == 1) {
    return connect_to(loop, addresses[0].first, addresses[0].second, options);
  }
  return connect_any(std::move(addresses), [&loop, options](const sockaddr_storage& address, std::string where) {
    return connect_to(loop, address, std::move(where), options);
  });
}

Future<std::shared_ptr<IOStream>> IOStream::connect_to(IOLoop& loop, const sockaddr_storage& address,
                                                        std::string where, Options options) {
  Future<std::shared_ptr<IOStream>> connected;
  common::Fd socket(::socket(address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!socket) {
    connected.set_exception(std::make_exception_ptr(StreamClosedError(errno_error(errno, "socket"))));
    return connected;
  }
  const int on = 1;
  ::setsockopt(socket.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);  // requests go out whole
  auto stream = std::make_shared<IOStream>(loop, std::move(socket), options);
  const socklen_t length = address.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  if (::connect(stream->fileno(), reinterpret_cast<const sockaddr*>(&address), length) == 0) {
    connected.set_result(stream);
    return connected;
  }
  if (errno != EINPROGRESS) {
    const auto error = errno_error(errno, where);
    stream->close(error);
    connected.set_exception(std::make_exception_ptr(StreamClosedError(error)));
    return connected;
  }
  // Writable means connected, or failed: finish_connect tells which (SO_ERROR).
  stream->connecting_ = true;
  stream->connect_where_ = std::move(where);
  stream->connect_future_ = connected;
  stream->update_interest();
  return connected;
}

// ---------------------------------------------------------------------------- reading

Future<std::string> IOStream::read_until(std::string delimiter, std::size_t max_bytes) {
  if (delimiter.empty()) throw std::invalid_argument("read_until: the delimiter is empty");
  return start_read({.kind = ReadKind::Until, .delimiter = std::move(delimiter), .max_bytes = max_bytes});
}

Future<std::string> IOStream::read_bytes(std::size_t n, bool partial) {
  if (n == 0) throw std::invalid_argument("read_bytes: asks for zero bytes");
  return start_read({.kind = ReadKind::Bytes, .count = n, .partial = partial});
}

Future<std::string> IOStream::read_until_close() {
  return start_read({.kind = ReadKind::UntilClose});
}

Future<std::string> IOStream::start_read(PendingRead read) {
  if (read_) {
    throw std::logic_error("IOStream: already reading (one read at a time, as in Tornado)");
  }
  Future<std::string> future = read.future;
  read_ = std::move(read);
  search_from_ = read_offset_;
  // Tornado's _try_inline_read: the buffer may already hold the answer; else read what the
  // socket has right now; only then wait for the loop.
  if (try_complete_read()) return future;
  if (closed_) {  // what is buffered may still answer it; otherwise it fails now
    finish_read_on_close();
    fail_pending(std::make_exception_ptr(StreamClosedError(error_)));
    return future;
  }
  read_from_socket();
  if (!closed_) update_interest();
  return future;
}

IOStream::Answer IOStream::answer_from_buffer() {
  using enum Answer::Kind;
  switch (read_->kind) {
    case ReadKind::Bytes:
      if (buffered() >= read_->count) return {Ready, read_->count};
      if (read_->partial && buffered() > 0) return {Ready, buffered()};
      return {NotYet};
    case ReadKind::Until: {
      const std::string& delimiter = read_->delimiter;
      const std::size_t at = read_buffer_.find(delimiter, search_from_);
      const std::size_t max = read_->max_bytes;
      if (at != std::string::npos) {
        const std::size_t end = at - read_offset_ + delimiter.size();
        if (max == 0 || end <= max) return {Ready, end};
      } else {
        // Next time, look only at what is new (but keep room for a delimiter split in two).
        search_from_ = std::max(read_offset_,
                                read_buffer_.size() - std::min(read_buffer_.size(), delimiter.size() - 1));
        if (max == 0 || buffered() < max) return {NotYet};
      }
      return {Unsatisfiable};  // found past max_bytes, or max_bytes came without it
    }
    case ReadKind::UntilClose:
      return {NotYet};  // only close() finishes it
  }
  return {NotYet};
}

bool IOStream::try_complete_read() {
  if (!read_) return false;
  const Answer answer = answer_from_buffer();
  if (answer.kind == Answer::Kind::NotYet) return false;
  Future<std::string> future = std::move(read_->future);
  const std::size_t max = read_->max_bytes;
  read_.reset();
  if (answer.kind == Answer::Kind::Unsatisfiable) {
    // Unlike Tornado, which closes the stream here, only the read fails: the bytes stay
    // buffered and the stream open, so a server can still answer "431 headers too large".
    if (!future.cancelled()) {  // its reader gave up on it: nobody to tell
      future.set_exception(std::make_exception_ptr(UnsatisfiableReadError(
          "read_until: delimiter not found within max_bytes (" + std::to_string(max) + ")")));
    }
    return true;
  }
  // May run a callback that starts the next read. A read whose coroutine was cancelled still
  // consumes its bytes, as Tornado's does: they were meant for it.
  future_set_result_unless_cancelled(future, take(answer.end));
  return true;
}

void IOStream::trace(Tracer& tracer, std::string what) const {
  tracer.record({.what = TraceEvent::What::stream, .turn = loop_.turns(), .fd = socket_.get(),
                 .detail = std::move(what)});
}

void IOStream::read_from_socket() {
  if (ring_) {
    receive_in_ring();
    return;
  }
  while (read_ && !closed_) {
    if (try_complete_read()) continue;  // a callback may have started another read
    if (!read_ || closed_) return;
    if (buffered() >= options_.max_buffer_size) {
      close(std::make_exception_ptr(StreamBufferFullError(
          "Reached maximum read buffer size (" + std::to_string(options_.max_buffer_size) + " bytes)")));
      return;
    }
    switch (receive()) {
      case Received::bytes: continue;
      case Received::end_of_file: close(); return;  // the peer closed: a clean end of file
      case Received::nothing_yet: return;
      case Received::failed: return;
    }
  }
}

void IOStream::read_ahead() {
  // Nobody is reading, yet we listen (update_interest says why), and the peer spoke: keep
  // one chunk for the next read. Its end of file is only noted: a peer that has finished
  // sending may still be waiting for our answer, which must go out; the next read sees it.
  if (receive() == Received::end_of_file) input_ended_ = true;
}

IOStream::Received IOStream::receive() {
  // Uninitialised: a zero-filled chunk would cost a memset of read_chunk_size per recv().
  const auto chunk = std::make_unique_for_overwrite<char[]>(options_.read_chunk_size);
  while (true) {
    const ssize_t n = ::recv(socket_.get(), chunk.get(), options_.read_chunk_size, 0);
    if (n > 0) {
      read_buffer_.append(chunk.get(), static_cast<std::size_t>(n));
      if (Tracer* tracer = loop_.tracer()) trace(*tracer, "read " + std::to_string(n) + " bytes");
      return Received::bytes;
    }
    if (n == 0) return Received::end_of_file;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Received::nothing_yet;
    close(errno_error(errno, "recv"));
    return Received::failed;
  }
}

bool IOStream::input_pending() const {
  if (buffered() > 0) return true;
  if (closed_) return false;
  // On the ring, a receive in flight takes the bytes out of the socket as they arrive: they
  // are pending if the kernel has finished it, though the loop has not yet run its `done`
  // (a timer that runs first, such as the server's idle timeout, must not think it idle).
  if (receiving_ && ring_ != nullptr && !alive_.expired() && !loop_.closed()) {
    return ring_->finished(*receiving_);
  }
  char byte = 0;
  return ::recv(socket_.get(), &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

std::string IOStream::take(std::size_t n) {
  std::string data = read_buffer_.substr(read_offset_, n);
  read_offset_ += n;
  if (read_offset_ == read_buffer_.size()) {
    read_buffer_.clear();
    read_offset_ = 0;
  } else if (read_offset_ > read_buffer_.size() / 2) {
    // Consumed bytes are dropped in bulk, not one read at a time: O(1) per byte overall.
    read_buffer_.erase(0, read_offset_);
    read_offset_ = 0;
  }
  search_from_ = read_offset_;
  return data;
}

// ---------------------------------------------------------------------------- writing

Future<void> IOStream::write(std::string data) {
  if (closed_) return failed<void>(std::make_exception_ptr(StreamClosedError(error_)));
  const std::size_t unsent = write_buffer_.size() - write_offset_ + sending_bytes_;
  if (options_.max_write_buffer_size != 0 && unsent + data.size() > options_.max_write_buffer_size) {
    return failed<void>(std::make_exception_ptr(StreamBufferFullError(
        "Reached maximum write buffer size (" + std::to_string(options_.max_write_buffer_size) + " bytes)")));
  }
  Future<void> future;
  const std::size_t data_size = data.size();
  if (write_buffer_.empty()) {
    write_buffer_ = std::move(data);  // the usual case: the caller's bytes are the buffer
  } else {
    write_buffer_.append(data);
  }
  writes_.push_back({ring_ ? bytes_written_ + unsent + data_size : write_buffer_.size(), future});
  if (!connecting_) handle_write();  // most writes go out right here
  if (!closed_) update_interest();
  return future;
}

void IOStream::handle_write() {
  if (ring_) {
    send_in_ring();
    return;
  }
  while (write_offset_ < write_buffer_.size()) {
    // MSG_NOSIGNAL: a vanished peer is an EPIPE for us to report, not a SIGPIPE that kills.
    const ssize_t n = ::send(socket_.get(), write_buffer_.data() + write_offset_,
                             write_buffer_.size() - write_offset_, MSG_NOSIGNAL);
    if (n > 0) {
      write_offset_ += static_cast<std::size_t>(n);
      bytes_written_ += static_cast<std::uint64_t>(n);
      if (Tracer* tracer = loop_.tracer()) trace(*tracer, "wrote " + std::to_string(n) + " bytes");
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 || errno == EAGAIN || errno == EWOULDBLOCK) break;  // the kernel's buffer is full
    close(errno_error(errno, "send"));
    return;
  }
  // Resolve what is flushed only after the buffer is tidy: a callback may write again.
  std::vector<Future<void>> flushed;
  while (!writes_.empty() && writes_.front().end <= write_offset_) {
    flushed.push_back(std::move(writes_.front().future));
    writes_.pop_front();
  }
  if (write_offset_ == write_buffer_.size() || write_offset_ > write_buffer_.size() / 2) {
    write_buffer_.erase(0, write_offset_);
    for (PendingWrite& pending : writes_) pending.end -= write_offset_;
    write_offset_ = 0;
  }
  for (const Future<void>& future : flushed) future_set_result_unless_cancelled(future);
}

// ---------------------------------------------------------------------------- the loop's side

void IOStream::update_interest() {
  if (closed_) return;
  if (ring_ && !connecting_) {
    keep_ring_busy();
    return;
  }
  // Someone waits on us: a read, a write the kernel has not taken yet, or a connect.
  const bool awaited = read_ || connecting_ || writing();
  // READ while a read waits; and while idle too, as long as there is room to read ahead
  // and the peer has not finished: a keep-alive connection's next request then comes in
  // through the registration it already has, and a peer that leaves is noticed. So an
  // idle stream costs the poller nothing; interest changes only when it really changes.
  const bool listen = read_ || (!input_ended_ && buffered() < options_.read_chunk_size);
  const unsigned want = (listen ? IOLoop::READ : IOLoop::NONE) |
                        ((connecting_ || writing()) ? IOLoop::WRITE : IOLoop::NONE);
  if (!registered_) {
    if (!awaited) return;  // never register only to sit idle
    auto holder = std::make_shared<Holder>();
    loop_.add_handler(
        socket_.get(),
        [holder, stream = weak_from_this()](int, unsigned events) {
          if (const auto self = stream.lock()) self->handle_events(events);
        },
        want);
    holder_ = holder;
    registered_ = true;
  } else if (want != interest_) {
    loop_.update_handler(socket_.get(), want);
  }
  interest_ = want;
  if (const auto holder = holder_.lock()) holder->stream = awaited ? shared_from_this() : nullptr;
}

void IOStream::handle_events(unsigned events) {
  const auto self = shared_from_this();  // what we call may drop the loop's reference
  if (connecting_) {
    if (events & (IOLoop::WRITE | IOLoop::ERROR)) finish_connect();
    if (closed_ || connecting_) return;
  }
  if (events & IOLoop::READ) {
    if (read_) {
      read_from_socket();
    } else {
      read_ahead();
    }
  }
  if (closed_) return;
  if (events & IOLoop::WRITE) handle_write();
  if (closed_) return;
  if ((events & IOLoop::ERROR) && !(events & IOLoop::READ)) {
    // An error or hang-up with nothing left to read: Tornado closes with the socket's error.
    int error = 0;
    socklen_t length = sizeof error;
    ::getsockopt(socket_.get(), SOL_SOCKET, SO_ERROR, &error, &length);
    close(error != 0 ? errno_error(error, "socket") : nullptr);
    return;
  }
  update_interest();
}

void IOStream::finish_connect() {
  int error = 0;
  socklen_t length = sizeof error;
  ::getsockopt(socket_.get(), SOL_SOCKET, SO_ERROR, &error, &length);
  connecting_ = false;
  Future<std::shared_ptr<IOStream>> connected = std::move(connect_future_);
  connect_future_ = {};
  if (error != 0) {
    const auto reason = errno_error(error, connect_where_);
    close(reason);
    if (!connected.cancelled()) {
      connected.set_exception(std::make_exception_ptr(StreamClosedError(reason)));
    }
    return;
  }
  future_set_result_unless_cancelled(connected, shared_from_this());
  if (!closed_) {
    handle_write();  // what was written while connecting
    if (!closed_) update_interest();
  }
}

// ---------------------------------------------------------------------------- closing

void IOStream::close(std::exception_ptr reason) {
  if (closed_) return;
  const auto self = weak_from_this().lock();  // (may be null inside a destructor)
  closed_ = true;
  if (!error_) error_ = reason;
  if (!alive_.expired() && !loop_.closed()) {
    if (registered_) loop_.remove_handler(socket_.get());
    cancel_operations();  // before the close: the ring lets the socket go when they end
  }
  registered_ = false;
  if (!alive_.expired() && loop_.tracer() != nullptr) {
    trace(*loop_.tracer(), error_ ? "closed: " + common::describe(error_) : std::string("closed"));
  }
  socket_.close();
  finish_read_on_close();
  fail_pending(std::make_exception_ptr(StreamClosedError(error_)));
  if (close_callback_ && !alive_.expired() && !loop_.closed()) {
    loop_.add_callback(std::exchange(close_callback_, nullptr));
  }
}

void IOStream::finish_read_on_close() {
  if (!read_) return;
  if (read_->kind == ReadKind::UntilClose) {
    // Reading until close is done when the stream closes, whatever the reason.
    Future<std::string> future = std::move(read_->future);
    read_.reset();
    future_set_result_unless_cancelled(future, take(buffered()));
    return;
  }
  try_complete_read();  // what is buffered may still answer it; if not, it fails below
}

// Each failure is read back at once, marking it seen: a closed stream is news only to those
// still waiting, and when nobody is (a server shutting down destroys the coroutines that
// waited) it must not be logged as "never retrieved". Tornado's _signal_closed does the same.
void IOStream::fail_pending(std::exception_ptr error) {
  const auto fail = [&error](const auto& future) {
    if (future.cancelled()) return;  // its waiter gave up on it: nobody to tell
    future.set_exception(error);
    future.exception();
  };
  if (read_) {
    Future<std::string> future = std::move(read_->future);
    read_.reset();
    fail(future);
  }
  std::deque<PendingWrite> writes = std::exchange(writes_, {});
  for (PendingWrite& pending : writes) fail(pending.future);
  if (connecting_) {
    connecting_ = false;
    Future<std::shared_ptr<IOStream>> connected = std::move(connect_future_);
    connect_future_ = {};
    if (!connected.done()) fail(connected);
  }
}

// ---------------------------------------------------------------------------- chapter 10: the ring

// The completion model. Instead of waiting to be told the socket is ready and then calling
// recv() or send() ourselves, we hand the kernel the whole operation, with a buffer it owns
// until the operation completes, and are told how many bytes it moved. The rules the
// readiness code keeps (one chunk of read-ahead while idle, the buffer bounds, a peer that
// leaves an idle stream is noticed) stay the same; only who does the I/O changes.

std::shared_ptr<IOStream::Holder> IOStream::hold() {
  std::shared_ptr<Holder> holder = holder_.lock();
  if (!holder) {
    holder = std::make_shared<Holder>();
    holder_ = holder;
  }
  return holder;
}

void IOStream::check_loop_open() const {
  // The ring is the loop's poller: it goes when the loop closes (readiness streams learn
  // the same from add_handler).
  if (alive_.expired() || loop_.closed()) throw std::logic_error("IOStream: the IOLoop is closed");
}

void IOStream::start_ring() {
  if (ring_started_) return;
  ring_started_ = true;
  // On a non-blocking socket the ring's recv and send answer -EAGAIN, as recv() and send()
  // would, and leave the waiting to us. Blocking, the kernel waits for readiness itself
  // (without blocking anyone: the ring polls the socket and retries), which is the point.
  // Only the ring touches the socket from here on (input_pending peeks with MSG_DONTWAIT).
  const int flags = ::fcntl(socket_.get(), F_GETFL);
  if (flags >= 0) ::fcntl(socket_.get(), F_SETFL, flags & ~O_NONBLOCK);
}

void IOStream::keep_ring_busy() {
  check_loop_open();  // a receive we were never told the end of may still look in flight
  if (registered_) {  // a connect was waited for with a poll; from now on the ring does the I/O
    loop_.remove_handler(socket_.get());
    registered_ = false;
  }
  const bool awaited = read_ || writing();
  if (awaited) start_ring();
  // The same rule as update_interest's READ: receive while a read waits, and while idle as
  // long as there is room to read ahead and the peer has not finished.
  const bool listen = read_ || (!input_ended_ && buffered() < options_.read_chunk_size);
  if (listen && ring_started_ && !receiving_) receive_in_ring();
  // Held strongly while someone waits on us, not at all while idle (see Holder).
  if (const auto holder = holder_.lock()) holder->stream = awaited ? shared_from_this() : nullptr;
}

void IOStream::receive_in_ring() {
  if (closed_ || receiving_) return;
  check_loop_open();
  if (read_ && buffered() >= options_.max_buffer_size) {
    close(std::make_exception_ptr(StreamBufferFullError(
        "Reached maximum read buffer size (" + std::to_string(options_.max_buffer_size) + " bytes)")));
    return;
  }
  start_ring();
  // The operation keeps the holder, so a stream someone waits on lives until it completes,
  // and its buffer is the ring's, so it may outlive us: its `done` then finds nobody.
  receiving_ = ring_->recv(socket_.get(), options_.read_chunk_size,
                           [holder = hold(), stream = weak_from_this()](int result, std::string_view bytes) {
                             if (const auto self = stream.lock()) self->received(result, bytes);
                           });
}

void IOStream::received(int result, std::string_view bytes) {
  receiving_.reset();
  if (closed_ || result == -ECANCELED) return;  // cancelled by close(): it has said all
  if (result < 0) {
    close(errno_error(-result, "recv"));
    return;
  }
  if (result == 0) {  // the peer's end of file
    if (read_) {
      close();
      return;
    }
    input_ended_ = true;  // only noted while idle, as read_ahead does: our answer may still go
    update_interest();
    return;
  }
  read_buffer_.append(bytes);
  if (Tracer* tracer = loop_.tracer()) trace(*tracer, "read " + std::to_string(bytes.size()) + " bytes");
  while (read_ && !closed_ && try_complete_read()) {
  }  // each answer's callback may start the next read, which the buffer may answer too
  if (!closed_) update_interest();
}

void IOStream::send_in_ring() {
  if (closed_ || connecting_ || sending_ || write_buffer_.empty()) return;
  check_loop_open();
  // The send owns its bytes (the kernel reads them until it completes), so what is queued
  // moves into it whole; later writes queue behind it in a fresh write_buffer_.
  sending_bytes_ = write_buffer_.size();
  sending_ = ring_->send(socket_.get(), std::exchange(write_buffer_, {}),
                         [holder = hold(), stream = weak_from_this()](int result, std::string_view bytes) {
                           if (const auto self = stream.lock()) self->sent(result, bytes);
                         });
  write_offset_ = 0;
  update_interest();  // a write waits: hold us
}

void IOStream::sent(int result, std::string_view bytes) {
  sending_.reset();
  sending_bytes_ = 0;
  if (closed_ || result == -ECANCELED) return;
  if (result < 0) {  // EPIPE, ECONNRESET: the peer vanished while we wrote
    close(errno_error(-result, "send"));
    return;
  }
  const auto n = static_cast<std::size_t>(result);
  bytes_written_ += n;
  if (Tracer* tracer = loop_.tracer()) trace(*tracer, "wrote " + std::to_string(n) + " bytes");
  if (n < bytes.size()) {
    // A partial send (the kernel's buffer filled): the rest goes first in the next one.
    write_buffer_.insert(0, bytes.substr(n));
  }
  resolve_flushed(bytes_written_);
  if (closed_) return;
  send_in_ring();
  update_interest();
}

void IOStream::resolve_flushed(std::uint64_t flushed_to) {
  // Taken out first: a callback may write again.
  std::vector<Future<void>> flushed;
  while (!writes_.empty() && writes_.front().end <= flushed_to) {
    flushed.push_back(std::move(writes_.front().future));
    writes_.pop_front();
  }
  for (const Future<void>& future : flushed) future_set_result_unless_cancelled(future);
}

void IOStream::cancel_operations() {
  // The kernel still holds them, and through them the socket: closing our descriptor alone
  // would not end them, nor let the peer see us go. Each completes (-ECANCELED) on its own
  // time, with a buffer the ring still owns; its `done` then finds us closed, or gone.
  if (receiving_) ring_->cancel(*receiving_);
  if (sending_) ring_->cancel(*sending_);
  receiving_.reset();
  sending_.reset();
  sending_bytes_ = 0;
}

}  // namespace ch10
