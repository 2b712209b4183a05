// Chapter 4's types, as its specs know them: every environment its specs run in is made
// from this one struct by spec::Environments (tests/spec/loop_harness.hpp).
#pragma once

#include <functional>
#include <memory>

#include "04_callbacks/ioloop.hpp"
#include "loop_harness.hpp"

namespace ch04_tests {

struct Chapter04 {
  using Loop = ch04::IOLoop;
  using Tracer = ch04::Tracer;
  using TraceEvent = ch04::TraceEvent;
  using Poller = ch04::Poller;
  using Clock = ch04::Clock;
  using SteadyClock = ch04::SteadyClock;
  using VirtualClock = ch04::VirtualClock;
  using PeriodicCallback = ch04::PeriodicCallback;
  static std::unique_ptr<Poller> make_poller(const char* name) { return ch04::make_poller(name); }
};

using Environments = spec::Environments<Chapter04>;
using Loops = Environments::Loops;
using TimedLoops = Environments::TimedLoops;
using VirtualLoops = Environments::VirtualLoops;
using OneLoop = Environments::OneLoop;

}  // namespace ch04_tests
