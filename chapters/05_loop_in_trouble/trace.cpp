#include "trace.hpp"

#include <cstdio>
#include <cstdlib>

#include "common/log.hpp"
#include "common/trace_events.hpp"

namespace ch05 {
namespace {

std::string milliseconds(std::chrono::nanoseconds d) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f ms", std::chrono::duration<double, std::milli>(d).count());
  return text;
}

std::string asked_text(const TraceEvent& event) {
  std::string text =
      event.asked ? "asked " + milliseconds(*event.asked) : std::string("asked no limit");
  if (event.deadline_in) text += " (nearest deadline in " + milliseconds(*event.deadline_in) + ")";
  return text;
}

// (1)'s and (2)'s part of a turn's line: the callbacks taken, what was due, and what the
// heap holds.
std::string taken_text(const TraceEvent& event) {
  std::string text;
  if (event.callbacks != 0) {
    text += " (1) " + std::to_string(event.callbacks) + (event.callbacks == 1 ? " callback" : " callbacks");
  }
  if (event.due != 0 || event.heap != 0) {
    text += " (2) " + std::to_string(event.due) + (event.due == 1 ? " timeout" : " timeouts") +
            " due; heap " + std::to_string(event.heap) + " (" + std::to_string(event.tombstones) +
            (event.tombstones == 1 ? " tombstone)" : " tombstones)");
  }
  return text.empty() ? text : ":" + text;
}

std::string ready_text(const TraceEvent& event) {
  if (event.ready.empty()) return "nothing ready";
  std::string text;
  for (const Event& ready : event.ready) {
    text += (text.empty() ? "ready: fd " : ", fd ") + std::to_string(ready.fd) + " " +
            event_names(ready.events);
  }
  return text;
}

std::string work_text(const TraceEvent& event) {
  if (event.work == TraceEvent::Work::callback) return "(3) callback";
  if (event.work == TraceEvent::Work::timeout) return "(3) timeout";
  return "(5) handler for fd " + std::to_string(event.fd) + " (" + event_names(event.events) + ")";
}

const char* work_category(const TraceEvent& event) {
  switch (event.work) {
    case TraceEvent::Work::callback: return "callback";
    case TraceEvent::Work::timeout: return "timeout";
    case TraceEvent::Work::handler: return "handler";
  }
  return "?";
}

std::string callable_name(const TraceEvent& event) {
  return event.callable != nullptr ? common::type_name(*event.callable) : std::string("?");
}

}  // namespace

std::string event_names(unsigned events) {
  std::string names;
  auto add = [&](unsigned bits, const char* name) {
    if ((events & bits) == 0) return;
    if (!names.empty()) names += "|";
    names += name;
  };
  add(Poller::READ, "READ");
  add(Poller::WRITE, "WRITE");
  add(Poller::ERROR, "ERROR");
  add(Poller::CLOSED, "CLOSED");
  return names.empty() ? "NONE" : names;
}

void TextTracer::record(const TraceEvent& event) {
  std::string line;
  switch (event.what) {
    case TraceEvent::What::turn:
      line = "| turn " + std::to_string(event.turn) + taken_text(event);
      break;
    case TraceEvent::What::polled:
      line = "|   (4) " + std::string(event.backend) + ": " + asked_text(event) + ", slept " +
             milliseconds(event.slept) + "; " + ready_text(event);
      break;
    case TraceEvent::What::run:
      line = "|   " + work_text(event) + ": " + callable_name(event);
      break;
    case TraceEvent::What::returned:
      return;
    case TraceEvent::What::stopped:
      line = "| start() returns after turn " + std::to_string(event.turn);
      break;
  }
  // The demo's lines go through the same stdio buffer, so the order is the order of events.
  std::fputs((line + "\n").c_str(), stdout);
}

struct ChromeTracer::File {
  explicit File(const std::string& path) : events(path) {}
  common::TraceEventFile events;
};

ChromeTracer::ChromeTracer(const std::string& path) : file_(std::make_unique<File>(path)) {}
ChromeTracer::~ChromeTracer() = default;

void ChromeTracer::record(const TraceEvent& event) {
  // A turn is a slice from its start to the next turn's, or to the loop's stop.
  thread_local bool turn_open = false;
  common::TraceEventFile& out = file_->events;
  switch (event.what) {
    case TraceEvent::What::turn:
      if (turn_open) out.end();
      out.begin("turn " + std::to_string(event.turn), "turn",
                "\"callbacks\": " + std::to_string(event.callbacks) + ", \"due\": " + std::to_string(event.due) + ", \"heap\": " + std::to_string(event.heap) +
                    ", \"tombstones\": " + std::to_string(event.tombstones));
      turn_open = true;
      break;
    case TraceEvent::What::polled:
      out.slice("(4) poll", "poll", common::TraceEventFile::Clock::now() - event.slept, event.slept,
                "\"backend\": " + common::json_string(event.backend) +
                    ", \"asked\": " + common::json_string(asked_text(event)) +
                    ", \"ready\": " + common::json_string(ready_text(event)));
      break;
    case TraceEvent::What::run:
      out.begin(work_text(event), work_category(event),
                "\"callable\": " + common::json_string(callable_name(event)));
      break;
    case TraceEvent::What::returned:
      out.end();
      break;
    case TraceEvent::What::stopped:
      if (turn_open) out.end();
      turn_open = false;
      break;
  }
}

std::shared_ptr<Tracer> tracer_from_environment() {
  // Read once: every loop of the process shares the one tracer (and its one file).
  static const std::shared_ptr<Tracer> shared = []() -> std::shared_ptr<Tracer> {
    const char* asked = std::getenv("TUTORIAL_TRACE");
    if (asked == nullptr || *asked == '\0') return nullptr;
    if (std::string_view(asked) == "text") return std::make_shared<TextTracer>();
    return std::make_shared<ChromeTracer>(asked);
  }();
  return shared;
}

}  // namespace ch05
