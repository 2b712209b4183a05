// What the socket targets share: one loop per process, and the input's first byte read as
// the size of the pieces the peer sends, so libFuzzer explores split points too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>

#include "07_iostream/ioloop.hpp"

namespace fuzz {

/// One loop for the whole run (a loop per input would cost an epoll fd and a waker each).
inline ch07::IOLoop& loop() {
  static ch07::IOLoop instance("epoll");
  return instance;
}

/// The input after its first byte, and the size of the pieces to send it in: 0 means all
/// at once, 1 to 255 pieces of that many bytes, each written on its own turn of the loop.
struct Input {
  std::string bytes;
  std::size_t piece;
};
inline Input split(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return {"", 0};
  const std::size_t piece = data[0] == 0 ? std::numeric_limits<std::size_t>::max() : data[0];
  return {std::string(reinterpret_cast<const char*>(data) + 1, size - 1), piece};
}

/// One more turn or two, so what closing queued (close callbacks, finished coroutines
/// letting go of their frames) runs now, not at the start of the next input.
inline void drain() {
  loop().run_sync([] {});
  loop().run_sync([] {});
}

/// A broken rule that is not an exception (an exception escaping is reported anyway):
/// say which, then abort, which libFuzzer records as a crash with its input.
[[noreturn]] inline void broken(std::string_view rule) {
  std::fprintf(stderr, "fuzz: broken rule: %.*s\n", static_cast<int>(rule.size()), rule.data());
  std::abort();
}

}  // namespace fuzz
