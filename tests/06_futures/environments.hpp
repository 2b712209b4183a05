// Chapter 6's types, as its specs know them: every environment its specs run in is made
// from this one struct by spec::Environments (tests/spec/loop_harness.hpp).
#pragma once

#include <functional>
#include <memory>

#include "06_futures/ioloop.hpp"
#include "loop_harness.hpp"

namespace ch06_tests {

struct Chapter06 {
  using Loop = ch06::IOLoop;
  using Tracer = ch06::Tracer;
  using TraceEvent = ch06::TraceEvent;
  using Poller = ch06::Poller;
  using Clock = ch06::Clock;
  using SteadyClock = ch06::SteadyClock;
  using VirtualClock = ch06::VirtualClock;
  using PeriodicCallback = ch06::PeriodicCallback;
  template <class T>
  using Future = ch06::Future<T>;
  using InvalidStateError = ch06::InvalidStateError;
  using TimeoutError = ch06::TimeoutError;
  using CancelledError = ch06::CancelledError;
  using ThreadPoolExecutor = ch06::ThreadPoolExecutor;
  using StackContext = ch06::stack_context::StackContext;
  using ExceptionStackContext = ch06::stack_context::ExceptionStackContext;
  using NullContext = ch06::stack_context::NullContext;
  using StackContextInconsistentError = ch06::stack_context::StackContextInconsistentError;
  template <class... Args>
  static std::function<void(Args...)> wrap(std::function<void(Args...)> fn) {
    return ch06::stack_context::wrap(std::move(fn));
  }
  template <class... Args>
  static std::function<void(Args...)> wrap_if_open(std::function<void(Args...)> fn) {
    return ch06::stack_context::wrap_if_open(std::move(fn));
  }
  static bool context_active() { return ch06::stack_context::active(); }
  static std::unique_ptr<Poller> make_poller(const char* name) { return ch06::make_poller(name); }
};

using Environments = spec::Environments<Chapter06>;
using Loops = Environments::Loops;
using TimedLoops = Environments::TimedLoops;
using VirtualLoops = Environments::VirtualLoops;
using OneLoop = Environments::OneLoop;

}  // namespace ch06_tests
