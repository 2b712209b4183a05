// Chrome's trace-event format: the JSON file that Perfetto's UI (ui.perfetto.dev) and
// chrome://tracing draw as a timeline, one lane per thread, with nested slices. The chapters
// decide what their loops record (trace.hpp in each); this only writes it, for any of them.
#pragma once

#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

namespace common {

/// A string as a JSON string literal, quotes included.
std::string json_string(std::string_view text);

/// One trace file, shared by every loop of the process: each writes to its own thread's lane.
/// Every event is written (and flushed) as it comes, so a program that dies mid-run still
/// leaves a file the viewers read; the closing bracket, which they do not need, comes last.
class TraceEventFile {
 public:
  using Clock = std::chrono::steady_clock;

  /// Creates (or empties) `path`; throws std::system_error if it cannot.
  explicit TraceEventFile(const std::string& path);
  ~TraceEventFile();
  TraceEventFile(const TraceEventFile&) = delete;
  TraceEventFile& operator=(const TraceEventFile&) = delete;

  /// `args`, if any, is the inside of a JSON object: `"fd": 5, "events": "READ"`.
  /// A slice opens now on this thread's lane; end() closes the innermost one.
  void begin(std::string_view name, std::string_view category, std::string_view args = {});
  void end();
  /// A slice whose start and length are already known (a poll, once it has returned).
  void slice(std::string_view name, std::string_view category, Clock::time_point start,
             Clock::duration length, std::string_view args = {});
  /// A moment with no length (a wake from another thread).
  void instant(std::string_view name, std::string_view category, std::string_view args = {});

 private:
  void write(char phase, std::string_view name, std::string_view category, Clock::time_point at,
             std::string_view extra, std::string_view args);

  std::mutex mutex_;
  std::FILE* file_ = nullptr;
  bool first_ = true;
  Clock::time_point origin_ = Clock::now();  // the timeline's zero
};

}  // namespace common
