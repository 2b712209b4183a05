#include "uring.hpp"

#include <poll.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>
#include <utility>

namespace ch10 {
namespace {

[[noreturn]] void throw_uring(int negative_errno, const std::string& what) {
  throw std::system_error(-negative_errno, std::generic_category(), "io_uring: " + what);
}

// The loop's bits are poll(2)'s own (poller.hpp), so a mask needs no translating.
unsigned poll_mask(unsigned events) { return events & (Poller::READ | Poller::WRITE); }

}  // namespace

std::string uring_refusal() {
  io_uring probe{};
  const int rc = io_uring_queue_init(2, &probe, 0);
  if (rc < 0) {
    return "io_uring is refused here (io_uring_setup: " + std::string(std::strerror(-rc)) +
           "): the kernel lacks it, or a sandbox or kernel.io_uring_disabled forbids it";
  }
  io_uring_queue_exit(&probe);
  return {};
}

UringPoller::UringPoller(unsigned entries) {
  // COOP_TASKRUN: the kernel finishes our operations' work (and posts their completions)
  // when this thread next enters it, instead of interrupting the thread for it. Measured on
  // chapter 9's hello-world under wrk, 32 connections: 51,000 requests/s without it, 81,000
  // with it (epoll: 76,000). DEFER_TASKRUN (kernel 6.1) measured the same, and would tie
  // the ring to the thread that made it; a loop may be made on one thread and run on another.
  io_uring_params params{};
  params.flags = IORING_SETUP_COOP_TASKRUN;
  int rc = io_uring_queue_init_params(entries, &ring_, &params);
  if (rc == -EINVAL) rc = io_uring_queue_init(entries, &ring_, 0);  // a kernel before 5.19
  if (rc < 0) {
    throw std::system_error(-rc, std::generic_category(),
                            "io_uring is refused here (io_uring_setup): the kernel lacks it, or a "
                            "sandbox or kernel.io_uring_disabled forbids it");
  }
}

UringPoller::~UringPoller() {
  // The kernel may write into an operation's buffer until the operation completes, so the
  // buffers must outlive every operation: cancel them all, and wait for each completion.
  for (const auto& [id, operation] : operations_) cancel(id);
  for (int tries = 0; !operations_.empty() && tries < 100; ++tries) {
    __kernel_timespec ten_ms{.tv_sec = 0, .tv_nsec = 10'000'000};
    io_uring_cqe* cqe = nullptr;
    io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ten_ms, nullptr);
    std::vector<Event> ignored;
    reap(ignored);
  }
  // An operation the kernel would not end within a second keeps its buffer: leaked, so
  // that nothing can write into freed memory (never seen with sockets).
  for (auto& [id, operation] : operations_) (void)operation.release();
  io_uring_queue_exit(&ring_);  // polls still armed are the kernel's to drop
}

io_uring_sqe* UringPoller::next_sqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  if (sqe == nullptr) {  // the SQ is full: hand the kernel what is queued, then there is room
    if (const int rc = io_uring_submit(&ring_); rc < 0) throw_uring(rc, "submit");
    sqe = io_uring_get_sqe(&ring_);
  }
  return sqe;
}

// ---------------------------------------------------------------------------- readiness

void UringPoller::arm(int fd, Watched& watched, bool multishot) {
  // One shot: a poll request completes once. poll() arms it again after reporting it, and a
  // request armed on an fd that is still ready completes at once: level-triggered, as the
  // loop's contract is (a handler that leaves data unread is called again next turn).
  // Multishot stays armed and answers each time the fd's state changes: edge-triggered, so
  // we use it only to wait out a state that one-shot requests would report forever (reap).
  const OperationId id = next_id_++;
  io_uring_sqe* sqe = next_sqe();
  if (multishot) {
    io_uring_prep_poll_multishot(sqe, fd, poll_mask(watched.events));
  } else {
    io_uring_prep_poll_add(sqe, fd, poll_mask(watched.events));
  }
  io_uring_sqe_set_data64(sqe, id);
  watched.armed = id;
  polls_.emplace(id, fd);
}

void UringPoller::remove_poll(OperationId armed) {
  polls_.erase(armed);  // its completion (-ECANCELED, or a late event) finds nothing now
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_poll_remove(sqe, armed);
  io_uring_sqe_set_data64(sqe, 0);  // the remove's own completion: nothing to do
}

void UringPoller::register_fd(int fd, unsigned events) {
  auto [it, added] = watched_.try_emplace(fd, Watched{events});
  if (!added) {
    throw std::system_error(EEXIST, std::generic_category(),
                            "io_uring: register fd " + std::to_string(fd));
  }
  arm(fd, it->second);  // queued; the next poll() submits it with everything else
}

void UringPoller::modify(int fd, unsigned events) {
  const auto it = watched_.find(fd);
  if (it == watched_.end()) {
    throw std::system_error(ENOENT, std::generic_category(),
                            "io_uring: modify fd " + std::to_string(fd));
  }
  it->second.events = events;
  if (it->second.armed != 0) {  // the armed request asks the old question: replace it
    remove_poll(it->second.armed);
    arm(fd, it->second);
  }  // else it fired and poll() re-arms it, with the new mask
}

void UringPoller::unregister(int fd) {
  const auto it = watched_.find(fd);
  if (it == watched_.end()) return;
  if (it->second.armed != 0) {
    remove_poll(it->second.armed);
    // Now, not at the next poll: an armed request holds the file, so the close() that
    // usually follows would not close the socket, and the peer would not see us go.
    io_uring_submit(&ring_);
  }
  watched_.erase(it);
}

Poller::Result UringPoller::poll(std::optional<std::chrono::nanoseconds> timeout) {
  ready_.clear();
  // Re-arm what fired last time and is still watched. These requests, the changes the
  // handlers made, and the operations started since the last poll all go to the kernel in
  // the one io_uring_enter() below, the same call that waits.
  for (const int fd : std::exchange(fired_, {})) {
    const auto watched = watched_.find(fd);
    if (watched != watched_.end() && watched->second.armed == 0) arm(fd, watched->second);
  }
  int rc = 0;
  io_uring_cqe* cqe = nullptr;
  if (!timeout) {
    rc = io_uring_submit_and_wait(&ring_, 1);
  } else if (*timeout <= std::chrono::nanoseconds::zero()) {
    // Enters the kernel even with nothing to submit: with COOP_TASKRUN, completions the
    // kernel has work left on are posted only when we do (a loop kept busy by callbacks
    // would otherwise never see them).
    rc = io_uring_submit_and_get_events(&ring_);
  } else {
    const auto ns = timeout->count();
    __kernel_timespec wait{.tv_sec = ns / 1'000'000'000, .tv_nsec = ns % 1'000'000'000};
    rc = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &wait, nullptr);
  }
  if (rc == -EINTR) return {{}, true};
  if (rc < 0 && rc != -ETIME && rc != -EBUSY) throw_uring(rc, "io_uring_enter");
  reap(ready_);
  return {ready_, false};
}

void UringPoller::reap(std::vector<Event>& ready) {
  io_uring_cqe* cqe = nullptr;
  unsigned seen = 0;
  unsigned head = 0;
  io_uring_for_each_cqe(&ring_, head, cqe) {
    ++seen;
    const OperationId id = io_uring_cqe_get_data64(cqe);
    if (id == 0) continue;  // a cancel's or a poll remove's own completion
    if (const auto poll = polls_.find(id); poll != polls_.end()) {
      const int fd = poll->second;
      const bool more = (cqe->flags & IORING_CQE_F_MORE) != 0;  // a multishot, still armed
      if (!more) polls_.erase(poll);
      const auto watched = watched_.find(fd);
      if (watched == watched_.end() || watched->second.armed != id) continue;  // stale
      const unsigned bits = cqe->res < 0 ? 0 : static_cast<unsigned>(cqe->res) & (READ | WRITE | ERROR);
      if (cqe->res >= 0 && bits == 0) {
        // Only what we did not ask for: io_uring always adds POLLRDHUP (the peer finished
        // sending) to the mask, and a stream that has seen that end of file stops asking
        // for READ. Re-armed one shot at a time, it would be reported at once, every turn:
        // a spin. A multishot request waits for the next change instead.
        if (!more) arm(fd, watched->second, /*multishot=*/true);
        continue;
      }
      if (more) remove_poll(id);  // back to one-shot requests, re-armed by poll()
      watched->second.armed = 0;  // fired: the next poll() re-arms it
      fired_.push_back(fd);
      if (cqe->res == -EBADF) {
        ready.push_back({fd, CLOSED});  // closed behind the loop's back, as POLLNVAL says
      } else if (cqe->res < 0) {
        ready.push_back({fd, ERROR});
      } else {
        ready.push_back({fd, bits});
      }
      continue;
    }
    if (const auto operation = operations_.find(id); operation != operations_.end()) {
      completed_.push_back({cqe->res, std::move(operation->second)});
      operations_.erase(operation);
    }
  }
  io_uring_cq_advance(&ring_, seen);
}

// ---------------------------------------------------------------------------- operations

UringPoller::OperationId UringPoller::recv(int fd, std::size_t size, Done done) {
  const OperationId id = next_id_++;
  auto operation = std::make_unique<Operation>(Operation{
      .fd = fd, .what = "recv", .receiving = std::make_unique_for_overwrite<char[]>(size), .done = std::move(done)});
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_recv(sqe, fd, operation->receiving.get(), size, 0);
  io_uring_sqe_set_data64(sqe, id);
  operations_.emplace(id, std::move(operation));
  return id;
}

UringPoller::OperationId UringPoller::send(int fd, std::string bytes, Done done) {
  const OperationId id = next_id_++;
  auto operation = std::make_unique<Operation>(Operation{.fd = fd, .what = "send", .sending = std::move(bytes), .done = std::move(done)});
  io_uring_sqe* sqe = next_sqe();
  // MSG_NOSIGNAL: a vanished peer is an -EPIPE for us to report, not a SIGPIPE that kills.
  io_uring_prep_send(sqe, fd, operation->sending.data(), operation->sending.size(), MSG_NOSIGNAL);
  io_uring_sqe_set_data64(sqe, id);
  operations_.emplace(id, std::move(operation));
  return id;
}

void UringPoller::Completed::finish() {
  std::string_view bytes = operation->sending;
  if (operation->receiving) {
    bytes = {operation->receiving.get(), result > 0 ? static_cast<std::size_t>(result) : 0};
  }
  operation->done(result, bytes);
}

bool UringPoller::finished(OperationId id) {
  if (!operations_.contains(id)) return true;  // reaped already: its done runs in phase (6)
  io_uring_get_events(&ring_);  // the kernel posts what it has finished but not yet told us
  io_uring_cqe* cqe = nullptr;
  unsigned head = 0;
  io_uring_for_each_cqe(&ring_, head, cqe) {  // looked at, not consumed: reap() does that
    if (io_uring_cqe_get_data64(cqe) == id) return true;
  }
  return false;
}

void UringPoller::cancel(OperationId id) {
  if (!operations_.contains(id)) return;  // completed already: its done has run or will
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_cancel64(sqe, id, 0);
  io_uring_sqe_set_data64(sqe, 0);
  io_uring_submit(&ring_);  // now: a close waits for no turn to let the socket go
}

}  // namespace ch10
