#include "iostream.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
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

namespace ch09 {
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
}

IOStream::~IOStream() {
  // Nobody holds us, so nobody waits on us; an idle stream is still registered, though.
  if (registered_ && !alive_.expired() && !loop_.closed()) loop_.remove_handler(socket_.get());
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
  const std::size_t unsent = write_buffer_.size() - write_offset_;
  if (options_.max_write_buffer_size != 0 && unsent + data.size() > options_.max_write_buffer_size) {
    return failed<void>(std::make_exception_ptr(StreamBufferFullError(
        "Reached maximum write buffer size (" + std::to_string(options_.max_write_buffer_size) + " bytes)")));
  }
  Future<void> future;
  if (write_buffer_.empty()) {
    write_buffer_ = std::move(data);  // the usual case: the caller's bytes are the buffer
  } else {
    write_buffer_.append(data);
  }
  writes_.push_back({write_buffer_.size(), future});
  if (!connecting_) handle_write();  // most writes go out right here
  if (!closed_) update_interest();
  return future;
}

void IOStream::handle_write() {
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
  if (registered_) {
    registered_ = false;
    if (!alive_.expired() && !loop_.closed()) loop_.remove_handler(socket_.get());
  }
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

}  // namespace ch09
