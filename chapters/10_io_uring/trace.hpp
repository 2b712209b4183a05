// The loop's own account of what it does, turn by turn, in the notes' words and with the phase
// numbers of the code's comments. `./tutorial demo 10 --trace` prints it between the demo's
// own lines; `./tutorial trace 10` writes it as a timeline that Perfetto opens. Off unless a
// tracer is set: then each phase of a turn costs the loop one test of a pointer.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include "platform/poller.hpp"

namespace ch10 {

/// One thing the loop did. Which fields mean something depends on `what`.
struct TraceEvent {
  enum class What {
    turn,      ///< a turn begins, its callbacks and due timeouts taken: `turn`, `callbacks`,
               ///< `due`, `heap`, `tombstones`
    polled,    ///< (4) the poller came back: `backend`, `asked`, `deadline_in`, `slept`, `ready`
    run,       ///< (3) a callback or timeout, or (5) a handler, is called: `work`, `fd`,
               ///< `events`, `callable`
    returned,  ///< what the last `run` called has returned (or thrown)
    resumed,    ///< a Runner resumes coroutine `coroutine`: `detail` says with what
    suspended,  ///< coroutine `coroutine` waits: `detail` says on what
    finished,   ///< coroutine `coroutine` is over: `detail` says how
    stream,     ///< an IOStream on `fd` read, wrote or closed: `detail` says which, how much
    stopped,   ///< start() returns, after `turn` turns
  };
  /// What `run` calls.
  enum class Work { callback, timeout, handler, completion };
  What what = What::turn;
  std::uint64_t turn = 0;
  std::size_t callbacks = 0;   ///< (1) callbacks taken for this turn
  std::size_t due = 0;         ///< (2) timeouts due this turn
  std::size_t heap = 0;        ///< entries left in the timer heap, tombstones included
  std::size_t tombstones = 0;  ///< removed timeouts whose entries are still in the heap
  std::string_view backend{};
  std::optional<std::chrono::nanoseconds> asked{};  ///< how long the poll could sleep; none: no limit
  std::optional<std::chrono::nanoseconds> deadline_in{};  ///< the nearest deadline, by the loop's clock
  std::chrono::nanoseconds slept{};               ///< how long it did
  std::vector<Event> ready{};
  Work work = Work::handler;
  int fd = -1;
  unsigned events = 0;
  const std::type_info* callable = nullptr;  ///< the callable's type, for its readable name
  std::uint64_t coroutine = 0;  ///< which coroutine: its Runner's number, from 1
  std::string detail{};
};

/// Where a loop's trace goes. Called on the loop's thread, in the order things happen.
class Tracer {
 public:
  virtual ~Tracer() = default;
  virtual void record(const TraceEvent& event) = 0;
};

/// Lines on standard output, where a demo's own lines go, so the two interleave in order:
/// one line per turn, then one indented line per poll and per piece of work.
class TextTracer final : public Tracer {
 public:
  void record(const TraceEvent& event) override;
};

/// The same as Chrome trace events in `path` (see common/trace_events.hpp): turns, polls,
/// callbacks, timeouts and handlers as slices on the loop thread's lane.
class ChromeTracer final : public Tracer {
 public:
  explicit ChromeTracer(const std::string& path);
  ~ChromeTracer() override;
  void record(const TraceEvent& event) override;

 private:
  struct File;
  std::unique_ptr<File> file_;
};

/// What $TUTORIAL_TRACE asks for, shared by every loop of the process: "text" a TextTracer,
/// any other value a ChromeTracer writing to that path; unset or empty, none (nullptr).
std::shared_ptr<Tracer> tracer_from_environment();

/// "READ|WRITE": the bits of an event mask by name.
std::string event_names(unsigned events);

}  // namespace ch10
