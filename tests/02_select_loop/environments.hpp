// Chapter 2's types, as its specs know them: every environment its specs run in is made
// from this one struct by spec::Environments (tests/spec/loop_harness.hpp).
#pragma once

#include <memory>

#include "02_select_loop/ioloop.hpp"
#include "loop_harness.hpp"

namespace ch02_tests {

struct Chapter02 {
  using Loop = ch02::IOLoop;
  using Tracer = ch02::Tracer;
  using TraceEvent = ch02::TraceEvent;
  using Poller = ch02::Poller;
  static std::unique_ptr<Poller> make_poller(const char* name) { return ch02::make_poller(name); }
};

using Environments = spec::Environments<Chapter02>;
using Loops = Environments::Loops;
using OneLoop = ::testing::Types<Environments::Epoll>;  // rules no backend changes (no clock yet)

}  // namespace ch02_tests
