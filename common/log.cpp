#include "common/log.hpp"

#include <cxxabi.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <utility>

namespace common {
namespace {

std::mutex& sink_mutex() {
  static std::mutex m;
  return m;
}

void default_sink(LogLevel level, std::string_view message) {
  if (level < LogLevel::warning) return;
  // What the program printed before this line goes out first: piped, standard output is
  // held in a buffer while standard error is not, and the two would come out of order.
  std::fflush(stdout);
  std::fprintf(stderr, "[%.*s] %.*s\n", static_cast<int>(to_string(level).size()),
               to_string(level).data(), static_cast<int>(message.size()), message.data());
}

LogSink& sink() {
  static LogSink s = default_sink;
  return s;
}

}  // namespace

std::string_view to_string(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warning: return "warning";
    case LogLevel::error: return "error";
  }
  return "?";
}

std::string describe(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an exception not derived from std::exception";
  }
}

std::string short_type_name(std::string_view name) {
  // A lambda inside a lambda demangles as "f::{lambda()#1}::operator()() const::{lambda()#1}":
  // each "::operator()(...)" (with its parameters and a trailing " const") names the body the
  // inner lambda was written in, which the enclosing lambda's name already says.
  static constexpr std::string_view call = "::operator()(";
  std::string out;
  while (!name.empty()) {
    const std::size_t at = name.find(call);
    out += name.substr(0, at);
    if (at == std::string_view::npos) break;
    std::size_t end = at + call.size();
    for (int depth = 1; end < name.size() && depth > 0; ++end) {
      if (name[end] == '(') ++depth;
      if (name[end] == ')') --depth;
    }
    name.remove_prefix(end);
    if (name.starts_with(" const")) name.remove_prefix(6);
  }
  return out;
}

std::string type_name(const std::type_info& type) {
  int status = 0;
  const std::unique_ptr<char, void (*)(void*)> readable(
      abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), std::free);
  return status == 0 && readable ? short_type_name(readable.get()) : type.name();
}

std::string seconds_text(std::chrono::duration<double> seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", seconds.count());
  return text;
}

void log(LogLevel level, std::string_view message) {
  std::lock_guard lock(sink_mutex());
  sink()(level, message);
}

LogSink set_log_sink(LogSink new_sink) {
  std::lock_guard lock(sink_mutex());
  LogSink old = std::exchange(sink(), new_sink ? std::move(new_sink) : LogSink(default_sink));
  return old;
}

CapturedLog::CapturedLog() {
  previous_ = set_log_sink([this](LogLevel level, std::string_view message) {
    std::lock_guard lock(mutex_);
    entries_.push_back({level, std::string(message)});
  });
}

CapturedLog::~CapturedLog() { set_log_sink(std::move(previous_)); }

std::vector<CapturedLog::Entry> CapturedLog::entries() const {
  std::lock_guard lock(mutex_);
  return entries_;
}

std::vector<std::string> CapturedLog::messages(LogLevel at_least) const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& e : entries_) {
    if (e.level >= at_least) out.push_back(e.message);
  }
  return out;
}

}  // namespace common
