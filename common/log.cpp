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

namespace {

// The index just past the bracket that closes the one at `open` (or the end, if none does).
std::size_t past_matching(std::string_view text, std::size_t open, char opening, char closing) {
  int depth = 0;
  for (std::size_t at = open; at < text.size(); ++at) {
    if (text[at] == opening) ++depth;
    if (text[at] == closing && --depth == 0) return at + 1;
  }
  return text.size();
}

// Drops the template arguments at the end of `out`, if it ends with them ("f<int>" -> "f").
void drop_trailing_template_arguments(std::string& out) {
  if (out.empty() || out.back() != '>') return;
  int depth = 0;
  for (std::size_t at = out.size(); at-- > 0;) {
    if (out[at] == '>') ++depth;
    if (out[at] == '<' && --depth == 0) {
      out.erase(at);
      return;
    }
  }
}

}  // namespace

std::string short_type_name(std::string_view name) {
  // A lambda is named by the function it is written in, and the compiler spells that
  // function out whole: "ch07::IOLoop::run_sync<F>(F, std::optional<...>)::{lambda()#1}",
  // and for a lambda inside a lambda "f()::{lambda()#1}::operator()() const::{lambda()#1}".
  // Like Python's __qualname__, we keep the names and drop the signatures: each enclosing
  // function's parameters and template arguments, and each "::operator()(...) const", the
  // body an inner lambda was written in, which the enclosing lambda's name already says.
  static constexpr std::string_view call = "::operator()(";
  std::string out;
  std::size_t at = 0;
  while (at < name.size()) {
    if (name.substr(at).starts_with(call)) {
      at = past_matching(name, at + call.size() - 1, '(', ')');
      if (name.substr(at).starts_with(" const")) at += 6;
      continue;
    }
    const char c = name[at];
    if (c == '{') {  // "{lambda(int)#1}": its own signature stays, it is the lambda's name
      const std::size_t end = past_matching(name, at, '{', '}');
      out += name.substr(at, end - at);
      at = end;
      continue;
    }
    if (c == '(' && !out.empty() && out.back() != ':') {  // not "(anonymous namespace)"
      std::size_t end = past_matching(name, at, '(', ')');
      if (name.substr(end).starts_with(" const")) end += 6;
      if (name.substr(end).starts_with("::")) {  // an enclosing function's parameters
        drop_trailing_template_arguments(out);
        at = end;
        continue;
      }
    }
    out += c;
    ++at;
  }
  // The standard library's string, as everyone writes it.
  static constexpr std::string_view long_string =
      "std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >";
  for (std::size_t found; (found = out.find(long_string)) != std::string::npos;) {
    out.replace(found, long_string.size(), "std::string");
  }
  // A container's default allocator, which code never spells out either:
  // "std::vector<int, std::allocator<int> >" -> "std::vector<int>".
  static constexpr std::string_view allocator = ", std::allocator<";
  for (std::size_t found; (found = out.find(allocator)) != std::string::npos;) {
    std::size_t end = past_matching(out, found + allocator.size() - 1, '<', '>');
    if (out.compare(end, 1, " ") == 0) ++end;  // the space GCC writes in "> >"
    out.erase(found, end - found);
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
