// Chapter 7's loop on each poller backend and each clock: the environments its specs run in.
#pragma once

#include <memory>
#include <utility>

#include "07_iostream/gen.hpp"
#include "07_iostream/iostream.hpp"
#include "07_iostream/ioloop.hpp"
#include "coroutines_spec.hpp"
#include "loop_harness.hpp"

namespace ch07_tests {

template <const char* Backend, const char* Name, bool Virtual>
struct LoopOn {
  using Loop = ch07::IOLoop;
  using Poller = ch07::Poller;
  using VirtualClock = ch07::VirtualClock;
  using PeriodicCallback = ch07::PeriodicCallback;
  template <class T>
  using Future = ch07::Future<T>;
  using InvalidStateError = ch07::InvalidStateError;
  using TimeoutError = ch07::TimeoutError;
  using ThreadPoolExecutor = ch07::ThreadPoolExecutor;
  template <class T>
  using Coroutine = ch07::Coroutine<T>;
  template <class T>
  using CoroutineGenerator = ch07::CoroutineGenerator<T>;
  using AnyFuture = ch07::AnyFuture;
  using GenTimeoutError = ch07::GenTimeoutError;
  static constexpr ch07::Moment moment() { return ch07::moment; }
  using IOStream = ch07::IOStream;
  using StreamClosedError = ch07::StreamClosedError;
  using UnsatisfiableReadError = ch07::UnsatisfiableReadError;
  using StreamBufferFullError = ch07::StreamBufferFullError;
  static ch07::Future<void> sleep(ch07::IOLoop::duration delay) { return ch07::sleep(delay); }
  static constexpr bool virtual_time = Virtual;
  static constexpr const char* name = Name;
  static std::unique_ptr<Poller> make_poller() { return ch07::make_poller(Backend); }
  static std::shared_ptr<ch07::Clock> make_clock() {
    if constexpr (Virtual) return std::make_shared<ch07::VirtualClock>();
    else return std::make_shared<ch07::SteadyClock>();
  }
  template <class L>
  static std::unique_ptr<L> make_loop(std::unique_ptr<Poller> poller) {
    return std::make_unique<L>(std::move(poller), make_clock());
  }
};

inline constexpr char select_name[] = "select";
inline constexpr char poll_name[] = "poll";
inline constexpr char epoll_name[] = "epoll";
inline constexpr char select_virtual[] = "select_virtual_clock";
inline constexpr char poll_virtual[] = "poll_virtual_clock";
inline constexpr char epoll_virtual[] = "epoll_virtual_clock";

using Select = LoopOn<select_name, select_name, false>;
using Poll = LoopOn<poll_name, poll_name, false>;
using Epoll = LoopOn<epoll_name, epoll_name, false>;
using SelectVirtual = LoopOn<select_name, select_virtual, true>;
using PollVirtual = LoopOn<poll_name, poll_virtual, true>;
using EpollVirtual = LoopOn<epoll_name, epoll_virtual, true>;

/// Chapter 2's specs: every backend, on the default (steady) clock.
using Loops = ::testing::Types<Select, Poll, Epoll>;
/// The timer specs: every backend on both clocks.
using TimedLoops = ::testing::Types<Select, Poll, Epoll, SelectVirtual, PollVirtual, EpollVirtual>;
using VirtualLoops = ::testing::Types<SelectVirtual, PollVirtual, EpollVirtual>;
/// Bookkeeping that does not depend on the backend: one environment is enough.
using OneLoop = ::testing::Types<EpollVirtual>;

/// The Runner's rules, once for each kind of generator (the backend does not matter).
using CoroutineStyles = ::testing::Types<spec::Styled<EpollVirtual, spec::HandWrittenStyle>,
                                         spec::Styled<EpollVirtual, spec::Cpp20Style>>;

}  // namespace ch07_tests
