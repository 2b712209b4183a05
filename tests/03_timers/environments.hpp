// Chapter 3's types, as its specs know them: every environment its specs run in is made
// from this one struct by spec::Environments (tests/spec/loop_harness.hpp).
#pragma once

#include <memory>

#include "03_timers/ioloop.hpp"
#include "loop_harness.hpp"

namespace ch03_tests {

struct Chapter03 {
  using Loop = ch03::IOLoop;
  using Tracer = ch03::Tracer;
  using TraceEvent = ch03::TraceEvent;
  using Poller = ch03::Poller;
  using Clock = ch03::Clock;
  using SteadyClock = ch03::SteadyClock;
  using VirtualClock = ch03::VirtualClock;
  static std::unique_ptr<Poller> make_poller(const char* name) { return ch03::make_poller(name); }
};

using Environments = spec::Environments<Chapter03>;
using Loops = Environments::Loops;
using TimedLoops = Environments::TimedLoops;
using VirtualLoops = Environments::VirtualLoops;
using OneLoop = Environments::OneLoop;

}  // namespace ch03_tests
