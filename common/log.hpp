// The logging hook: every chapter reports through common::log, and tests swap the sink to
// read what was reported. Tornado logs to the "tornado.application" logger; this is ours.
#pragma once

#include <chrono>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

namespace common {

enum class LogLevel { debug, info, warning, error };

std::string_view to_string(LogLevel level);

using LogSink = std::function<void(LogLevel, std::string_view message)>;

/// Sends one message to the current sink (by default: warnings and errors to stderr).
/// Safe from any thread; the sink runs under a lock, so it must not log itself.
void log(LogLevel level, std::string_view message);

/// The message of a stored exception (its what()), for a log line or an error message; one
/// that is not a std::exception is named as such. Every chapter's one way to say what failed.
std::string describe(std::exception_ptr error);

/// Whether a stored exception is an E or derives from one: Python's isinstance(e, E) for an
/// exception held in an exception_ptr. False for a null one.
template <class E>
bool holds(const std::exception_ptr& error) noexcept {
  if (!error) return false;
  try {
    std::rethrow_exception(error);
  } catch (const E&) {
    return true;
  } catch (...) {
    return false;
  }
}

/// The readable name of a type, e.g. "main::{lambda()#1}" (the compiler's mangled name if it
/// cannot be demangled): the closest C++ comes to the repr Python prints for a callable.
/// A lambda is named by the functions and lambdas it is in, as Python's __qualname__ names
/// a nested function: "main::{lambda()#1}::{lambda()#1}", "ch07::IOLoop::run_sync::{lambda()#1}".
std::string type_name(const std::type_info& type);

/// The short form type_name gives a demangled name: the enclosing functions' parameters and
/// template arguments, and every "::operator()(...) const" (the body an inner lambda was
/// written in), are left out. A class's template arguments stay, less what code never spells
/// out: "std::string" for std::basic_string<char, ...>, "std::vector<int>" without its allocator.
std::string short_type_name(std::string_view demangled);

/// A duration in seconds as a person writes it ("0.05", "2.5", "5"), for messages that say
/// how long something waited: the way Python prints the float Tornado was given.
std::string seconds_text(std::chrono::duration<double> seconds);

/// Replaces the sink and returns the previous one; an empty sink restores the default.
LogSink set_log_sink(LogSink sink);

/// Captures every message logged while it is alive (for tests), then restores the old sink.
class CapturedLog {
 public:
  struct Entry {
    LogLevel level;
    std::string message;
  };

  CapturedLog();
  ~CapturedLog();
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;

  std::vector<Entry> entries() const;
  /// Just the messages at `level` or above, in order.
  std::vector<std::string> messages(LogLevel at_least = LogLevel::debug) const;

 private:
  mutable std::mutex mutex_;
  std::vector<Entry> entries_;
  LogSink previous_;
};

}  // namespace common
