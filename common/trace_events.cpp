#include "common/trace_events.hpp"

#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace common {

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
          out += escaped;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

TraceEventFile::TraceEventFile(const std::string& path) : file_(std::fopen(path.c_str(), "w")) {
  if (file_ == nullptr) throw std::system_error(errno, std::generic_category(), "trace file " + path);
  std::fputs("[\n", file_);
}

TraceEventFile::~TraceEventFile() {
  std::fputs("\n]\n", file_);
  std::fclose(file_);
}

void TraceEventFile::begin(std::string_view name, std::string_view category, std::string_view args) {
  write('B', name, category, Clock::now(), {}, args);
}

void TraceEventFile::end() { write('E', {}, {}, Clock::now(), {}, {}); }

void TraceEventFile::slice(std::string_view name, std::string_view category, Clock::time_point start,
                           Clock::duration length, std::string_view args) {
  const auto us = std::chrono::duration<double, std::micro>(length).count();
  write('X', name, category, start, ", \"dur\": " + std::to_string(us), args);
}

void TraceEventFile::instant(std::string_view name, std::string_view category, std::string_view args) {
  write('i', name, category, Clock::now(), ", \"s\": \"t\"", args);
}

void TraceEventFile::write(char phase, std::string_view name, std::string_view category,
                           Clock::time_point at, std::string_view extra, std::string_view args) {
  // Timestamps in microseconds since the file was made, as the format wants them.
  const auto us = std::chrono::duration<double, std::micro>(at - origin_).count();
  std::string event = "{\"ph\": \"";
  event += phase;
  event += "\", \"pid\": " + std::to_string(::getpid()) + ", \"tid\": " + std::to_string(::gettid()) +
           ", \"ts\": " + std::to_string(us);
  if (!name.empty()) event += ", \"name\": " + json_string(name);
  if (!category.empty()) event += ", \"cat\": " + json_string(category);
  event += extra;
  if (!args.empty()) event += ", \"args\": {" + std::string(args) + "}";
  event += "}";
  std::lock_guard lock(mutex_);
  std::fputs(first_ ? "" : ",\n", file_);
  first_ = false;
  std::fputs(event.c_str(), file_);
  std::fflush(file_);
}

}  // namespace common
