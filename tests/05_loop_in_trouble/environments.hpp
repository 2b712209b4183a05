// Chapter 5's types, as its specs know them: every environment its specs run in is made
// from this one struct by spec::Environments (tests/spec/loop_harness.hpp).
#pragma once

#include <functional>
#include <memory>

#include "05_loop_in_trouble/ioloop.hpp"
#include "loop_harness.hpp"

namespace ch05_tests {

struct Chapter05 {
  using Loop = ch05::IOLoop;
  using Tracer = ch05::Tracer;
  using TraceEvent = ch05::TraceEvent;
  using Poller = ch05::Poller;
  using Clock = ch05::Clock;
  using SteadyClock = ch05::SteadyClock;
  using VirtualClock = ch05::VirtualClock;
  using PeriodicCallback = ch05::PeriodicCallback;
  using StackContext = ch05::stack_context::StackContext;
  using ExceptionStackContext = ch05::stack_context::ExceptionStackContext;
  using NullContext = ch05::stack_context::NullContext;
  using StackContextInconsistentError = ch05::stack_context::StackContextInconsistentError;
  template <class... Args>
  static std::function<void(Args...)> wrap(std::function<void(Args...)> fn) {
    return ch05::stack_context::wrap(std::move(fn));
  }
  template <class... Args>
  static std::function<void(Args...)> wrap_if_open(std::function<void(Args...)> fn) {
    return ch05::stack_context::wrap_if_open(std::move(fn));
  }
  static bool context_active() { return ch05::stack_context::active(); }
  static std::unique_ptr<Poller> make_poller(const char* name) { return ch05::make_poller(name); }
};

using Environments = spec::Environments<Chapter05>;
using Loops = Environments::Loops;
using TimedLoops = Environments::TimedLoops;
using VirtualLoops = Environments::VirtualLoops;
using OneLoop = Environments::OneLoop;

}  // namespace ch05_tests
