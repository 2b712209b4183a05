// io_uring(7): two rings shared with the kernel. We write requests into the submission queue
// (SQ), one io_uring_enter() hands the kernel all of them at once and waits, and the kernel
// writes one completion (CQE) per request into the completion queue (CQ).
//
// This backend uses the ring twice over:
//  * as a Poller, so the loop's question stays "which descriptors are ready?": each watched
//    fd has one POLL_ADD request in the ring, answered by one completion when it is ready;
//  * as a doer of I/O: recv and send *operations*, the completion model. The kernel does the
//    read or the write itself and reports how many bytes it moved; the loop runs the
//    operation's `done` with that result in phase (6) of its turn (ioloop.cpp).
// Not Tornado: no Python loop has an io_uring backend. liburing: io_uring_queue_init(3),
// io_uring_prep_poll_add(3), io_uring_prep_recv(3), io_uring_prep_cancel64(3).
#pragma once

#include <liburing.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "poller.hpp"

namespace ch10 {

class UringPoller final : public Poller {
 public:
  /// Throws std::system_error saying that io_uring was refused, when the kernel has none or
  /// a sandbox (seccomp, kernel.io_uring_disabled) forbids it.
  explicit UringPoller(unsigned entries = 256);
  ~UringPoller() override;
  UringPoller(const UringPoller&) = delete;
  UringPoller& operator=(const UringPoller&) = delete;

  std::string_view name() const override { return "uring"; }
  void register_fd(int fd, unsigned events) override;
  void modify(int fd, unsigned events) override;
  void unregister(int fd) override;
  Result poll(std::optional<std::chrono::nanoseconds> timeout) override;
  UringPoller* ring() noexcept override { return this; }

  // ------------------------------------------------------------ the completion model
  using OperationId = std::uint64_t;
  /// What an operation finished with: cqe->res, bytes moved (0 for recv: end of file) or a
  /// negative errno (-ECANCELED: cancelled); and its bytes: for a recv, those that came; for
  /// a send, all it was given (the first `result` of them went out).
  using Done = std::function<void(int result, std::string_view bytes)>;

  /// Asks the kernel to receive up to `size` bytes from `fd` into a buffer the operation owns.
  OperationId recv(int fd, std::size_t size, Done done);
  /// Asks the kernel to send `bytes` (which the operation now owns) to `fd`.
  OperationId send(int fd, std::string bytes, Done done);
  /// Asks the kernel to give up the operation: it completes with -ECANCELED, or with what it
  /// had done if it was already finishing. Its `done` still runs, once, either way.
  void cancel(OperationId id);
  /// Operations handed to the kernel and not yet completed.
  std::size_t in_flight() const noexcept { return operations_.size(); }

  struct Operation;
  /// One completed operation, for the loop to finish (IOLoop::run_completions).
  struct Completed {
    int result;
    std::unique_ptr<Operation> operation;
    /// Runs the operation's `done` with its result.
    void finish();
  };
  /// The operations that completed in the last poll(), in completion order; taking them
  /// empties the list.
  std::vector<Completed> take_completed() { return std::exchange(completed_, {}); }
  bool has_completed() const noexcept { return !completed_.empty(); }
  /// Whether the kernel has finished operation `id` though the loop has not yet run its
  /// `done`: its completion waits in the CQ (or in the kernel's queue of work to post).
  bool finished(OperationId id);

  // The kernel reads from (send) or writes into (recv) the operation's bytes until it
  // completes, so the ring owns them until then, whatever happens to whoever asked.
  struct Operation {
    int fd = -1;
    const char* what = "";                // "recv" or "send", for the trace
    std::string sending{};                // send
    std::unique_ptr<char[]> receiving{};  // recv: uninitialised, as chapter 8's chunk is
    Done done{};
  };

 private:
  // Whatever kind of request a completion answers: the poll armed for a watched fd, or an
  // operation. Its id is the request's user_data, so a late completion of a request we no
  // longer care about (a poll removed, an fd reused) finds nothing and is ignored.
  struct Watched {
    unsigned events;
    OperationId armed = 0;  // the POLL_ADD in the ring now; 0: fired, re-armed by poll()
  };
  io_uring_sqe* next_sqe();  // a free submission slot, submitting what is queued if full
  void arm(int fd, Watched& watched, bool multishot = false);
  void remove_poll(OperationId armed);
  void reap(std::vector<Event>& ready);  // every completion waiting in the CQ

  io_uring ring_{};
  OperationId next_id_ = 1;
  std::unordered_map<int, Watched> watched_;
  std::unordered_map<OperationId, int> polls_;  // armed poll -> its fd
  std::vector<int> fired_;  // fds whose poll completed: poll() re-arms those still watched
  std::unordered_map<OperationId, std::unique_ptr<Operation>> operations_;
  std::vector<Completed> completed_;
  std::vector<Event> ready_;
};

/// Empty if this process may use io_uring; else why not, as UringPoller's constructor says.
std::string uring_refusal();

}  // namespace ch10
