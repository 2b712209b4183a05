// A non-blocking socket with buffers and Futures: read until a delimiter, read n bytes, read
// until the peer closes, write and know when it is flushed. Tornado: iostream.py, IOStream
// (and BaseIOStream, which holds everything but the socket calls).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include <sys/socket.h>

#include "common/fd.hpp"
#include "concurrent.hpp"
#include "ioloop.hpp"

namespace ch10 {

/// The stream is closed, or closed while the operation waited. `real_error()` says why, when
/// the close had a cause (the peer reset the connection, a limit was reached, ...).
class StreamClosedError : public std::runtime_error {
 public:
  explicit StreamClosedError(std::exception_ptr real_error = nullptr);
  std::exception_ptr real_error() const noexcept { return real_error_; }

 private:
  std::exception_ptr real_error_;
};

/// read_until could not find its delimiter within max_bytes.
class UnsatisfiableReadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The read buffer grew past max_buffer_size (the peer sends faster than we read), or a
/// write would take the write buffer past max_write_buffer_size (it reads slower than we write).
class StreamBufferFullError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class IOStream : public std::enable_shared_from_this<IOStream> {
 public:
  struct Options {
    std::size_t max_buffer_size = 100 * 1024 * 1024;  // Tornado's default: 100 MiB
    std::size_t read_chunk_size = 64 * 1024;          // how much one recv() asks for
    /// A write that would queue more than this many unsent bytes fails with
    /// StreamBufferFullError instead (0: no bound, Tornado's default).
    std::size_t max_write_buffer_size = 0;
    /// Chapter 10: on a loop whose backend is io_uring, hand our reads and writes to the ring
    /// (the completion model). False keeps chapter 8's readiness model on any loop.
    bool use_ring = true;
  };

  /// Takes a connected (or, for connect(), a fresh) non-blocking socket. Streams are shared:
  /// create them with std::make_shared (while it waits on the kernel, the loop's handler
  /// holds the stream; idle, only its users do, though it stays registered until it closes).
  IOStream(IOLoop& loop, common::Fd socket);
  IOStream(IOLoop& loop, common::Fd socket, Options options);
  ~IOStream();
  IOStream(const IOStream&) = delete;
  IOStream& operator=(const IOStream&) = delete;

  /// A new stream on a new TCP socket, connected to host:port; the Future gives the stream
  /// once connected, or fails with StreamClosedError (real_error: the errno, e.g. ECONNREFUSED).
  /// The host may be a name, looked up with getaddrinfo, which blocks: fine for "localhost",
  /// and what Tornado's default resolver does too. Each address it gives is tried in turn
  /// (localhost may be ::1 first, and a server on 127.0.0.1 only). Tornado: TCPClient.
  static Future<std::shared_ptr<IOStream>> connect(IOLoop& loop, const std::string& host,
                                                   int port, Options options);
  static Future<std::shared_ptr<IOStream>> connect(IOLoop& loop, const std::string& host,
                                                   int port) {
    return connect(loop, host, port, Options{});
  }

  /// Everything up to and including `delimiter`. With max_bytes > 0, fails with
  /// UnsatisfiableReadError once that many bytes came without the delimiter; unlike Tornado,
  /// the stream stays open and the bytes stay buffered, so the caller can still answer.
  Future<std::string> read_until(std::string delimiter, std::size_t max_bytes = 0);
  /// Exactly `n` bytes; with `partial`, whatever is there (at least one byte, at most n).
  Future<std::string> read_bytes(std::size_t n, bool partial = false);
  /// Everything until the peer closes; resolves (not fails) when it does.
  Future<std::string> read_until_close();
  /// Queues `data` after whatever is queued; the Future resolves when it has all been handed
  /// to the kernel. Partial writes and EAGAIN are handled; a vanished peer fails it. Pass a
  /// big body with std::move: when nothing else is queued it becomes the buffer, uncopied.
  /// Past max_write_buffer_size it fails (StreamBufferFullError) and queues nothing.
  Future<void> write(std::string data);

  /// Closes the socket now. Pending reads and writes fail with StreamClosedError (a pending
  /// read_until_close resolves with what it got); the close callback runs on the next turn.
  void close(std::exception_ptr reason = nullptr);
  bool closed() const noexcept { return closed_; }
  /// Why it closed (null for a plain close() or a clean end of file).
  std::exception_ptr error() const noexcept { return error_; }
  void set_close_callback(std::function<void()> callback) { close_callback_ = std::move(callback); }

  bool reading() const noexcept { return read_.has_value(); }
  /// True if input is waiting: buffered here, or already in the kernel for us to read.
  bool input_pending() const;
  bool writing() const noexcept { return sending_.has_value() || write_offset_ < write_buffer_.size(); }
  /// Chapter 10: whether the kernel does this stream's reads and writes (see Options::use_ring).
  bool on_ring() const noexcept { return ring_ != nullptr; }
  /// How many bytes the kernel has taken from us so far: a writer that watches it can tell
  /// a slow peer (the count moves) from one that stopped reading (it does not).
  std::uint64_t bytes_written() const noexcept { return bytes_written_; }
  int fileno() const noexcept { return socket_.get(); }

 private:
  enum class ReadKind { Until, Bytes, UntilClose };
  struct PendingRead {
    ReadKind kind;
    std::string delimiter{};    // Until
    std::size_t max_bytes = 0;  // Until: 0 means no limit
    std::size_t count = 0;      // Bytes: how many
    bool partial = false;       // Bytes
    Future<std::string> future{};
  };
  // What the buffer says to the pending read: not yet, yes (its answer is the first `end`
  // bytes), or never (read_until met max_bytes without its delimiter).
  struct Answer {
    enum class Kind { NotYet, Ready, Unsatisfiable };
    Kind kind = Kind::NotYet;
    std::size_t end = 0;
  };
  struct PendingWrite {
    // Flushed once write_offset_ passes this position; on the ring (chapter 10), once
    // bytes_written_ reaches it.
    std::uint64_t end;
    Future<void> future;
  };

  // One address: a non-blocking connect, finished by finish_connect when it is writable.
  static Future<std::shared_ptr<IOStream>> connect_to(IOLoop& loop, const sockaddr_storage& address,
                                                      std::string where, Options options);
  Future<std::string> start_read(PendingRead read);
  bool try_complete_read();  // from the buffer; true when the pending read is done
  Answer answer_from_buffer();
  void read_from_socket();   // until EAGAIN, EOF, error or the buffer bound
  void read_ahead();         // idle: the peer spoke first (or finished); see update_interest
  enum class Received { bytes, nothing_yet, end_of_file, failed };
  Received receive();        // one recv() into the buffer; `failed` has closed the stream
  void trace(Tracer& tracer, std::string what) const;  // to the loop's trace (trace.hpp)
  void handle_write();
  void handle_events(unsigned events);
  void update_interest();
  void finish_connect();
  void finish_read_on_close();
  void fail_pending(std::exception_ptr error);
  std::string take(std::size_t n);
  // Chapter 10, the completion model: at most one recv and one send in the ring at a time.
  void check_loop_open() const;  // throws once the loop (and with it the ring) is closed
  void start_ring();      // the first operation: the socket becomes the ring's to wait on
  void keep_ring_busy();  // the ring's update_interest: a recv in flight when one is wanted
  void receive_in_ring();
  void received(int result, std::string_view bytes);
  void send_in_ring();
  void sent(int result, std::string_view bytes);
  void cancel_operations();
  void resolve_flushed(std::uint64_t flushed_to);
  std::size_t buffered() const noexcept { return read_buffer_.size() - read_offset_; }

  IOLoop& loop_;
  common::Fd socket_;
  Options options_;
  std::weak_ptr<const bool> alive_;  // expires with the loop: then we leave it alone
  bool connecting_ = false;
  std::string connect_where_;
  Future<std::shared_ptr<IOStream>> connect_future_;

  std::string read_buffer_;
  std::size_t read_offset_ = 0;   // consumed bytes at the front, dropped in bulk
  std::size_t search_from_ = 0;   // where read_until looks next, so no byte is scanned twice
  std::optional<PendingRead> read_;

  std::string write_buffer_;
  std::size_t write_offset_ = 0;
  std::uint64_t bytes_written_ = 0;
  std::deque<PendingWrite> writes_;

  // The loop's handler holds us through a Holder: strongly while someone waits on us (so a
  // stream nobody else holds still gets its answer), not at all while we are idle (so our
  // last user's letting go closes us) -- and the registration itself stays put.
  struct Holder {
    std::shared_ptr<IOStream> stream;
  };
  std::weak_ptr<Holder> holder_;
  std::shared_ptr<Holder> hold();  // the holder, made if there is none (chapter 10's operations keep it)
  // Chapter 10: the ring, when the kernel does our I/O; the operations it has of ours. A send
  // owns the bytes it sends, so write_buffer_ then holds only what waits for the next one.
  UringPoller* ring_ = nullptr;
  std::optional<UringPoller::OperationId> receiving_;
  std::optional<UringPoller::OperationId> sending_;
  std::size_t sending_bytes_ = 0;  // how many bytes the send in flight was given
  bool ring_started_ = false;      // a first wait happened: from now on read ahead when idle
  bool registered_ = false;
  unsigned interest_ = IOLoop::NONE;
  bool input_ended_ = false;  // the peer's end of file was seen while nobody was reading
  bool closed_ = false;
  std::exception_ptr error_;
  std::function<void()> close_callback_;
};

}  // namespace ch10
