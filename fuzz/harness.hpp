// What the socket targets share: one loop per process, and the input's first byte read as
// the size of the pieces the peer sends, so libFuzzer explores split points too.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>

#include "09_http/ioloop.hpp"
#include "common/log.hpp"

namespace fuzz {

/// A broken rule that is not an exception (an exception escaping is reported anyway):
/// say which, then abort, which libFuzzer records as a crash with its input.
[[noreturn]] inline void broken(std::string_view rule) {
  std::fprintf(stderr, "fuzz: broken rule: %.*s\n", static_cast<int>(rule.size()), rule.data());
  std::abort();
}

/// An error logged is an exception that escaped a callback or a handler (the loop reports
/// them and goes on): a bug, unless its message starts with `expected`. The rest is dropped.
inline void fail_on_logged_errors(std::string_view expected = {}) {
  common::set_log_sink([expected](common::LogLevel level, std::string_view message) {
    if (level != common::LogLevel::error) return;
    if (!expected.empty() && message.substr(0, expected.size()) == expected) return;
    std::fprintf(stderr, "fuzz: logged: %.*s\n", static_cast<int>(message.size()), message.data());
    broken("no exception escapes a callback or a handler");
  });
}

/// One loop for the whole run (a loop per input would cost an epoll fd and a waker each).
inline ch09::IOLoop& loop() {
  static ch09::IOLoop instance("epoll");
  return instance;
}

/// The input after its first byte, and the size of the pieces to send it in: 0 means all
/// at once, 1 to 255 pieces of that many bytes (or more, see below), each written on its
/// own turn of the loop.
struct Input {
  std::string bytes;
  std::size_t piece;
};
inline Input split(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return {"", std::numeric_limits<std::size_t>::max()};
  std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::size_t piece = data[0] == 0 ? std::numeric_limits<std::size_t>::max() : data[0];
  // At most 4096 pieces: a long input sent a byte a turn would take seconds under ASan.
  piece = std::max(piece, (bytes.size() + 4095) / 4096);
  return {std::move(bytes), piece};
}

/// One more turn or two, so what closing queued (close callbacks, finished coroutines
/// letting go of their frames) runs now, not at the start of the next input.
inline void drain() {
  loop().run_sync([] {});
  loop().run_sync([] {});
}

}  // namespace fuzz
