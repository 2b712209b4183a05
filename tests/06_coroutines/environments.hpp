// Chapter 6's loop on each poller backend and each clock: the environments its specs run in.
#pragma once

#include <memory>
#include <utility>

#include "06_coroutines/gen.hpp"
#include "06_coroutines/ioloop.hpp"
#include "coroutines_spec.hpp"
#include "loop_harness.hpp"

namespace ch06_tests {

template <const char* Backend, const char* Name, bool Virtual>
struct LoopOn {
  using Loop = ch06::IOLoop;
  using Poller = ch06::Poller;
  using VirtualClock = ch06::VirtualClock;
  using PeriodicCallback = ch06::PeriodicCallback;
  template <class T>
  using Future = ch06::Future<T>;
  using InvalidStateError = ch06::InvalidStateError;
  using TimeoutError = ch06::TimeoutError;
  using ThreadPoolExecutor = ch06::ThreadPoolExecutor;
  template <class T>
  using Coroutine = ch06::Coroutine<T>;
  template <class T>
  using CoroutineGenerator = ch06::CoroutineGenerator<T>;
  using AnyFuture = ch06::AnyFuture;
  using GenTimeoutError = ch06::GenTimeoutError;
  static constexpr ch06::Moment moment() { return ch06::moment; }
  static ch06::Future<void> sleep(ch06::IOLoop::duration delay) { return ch06::sleep(delay); }
  static constexpr bool virtual_time = Virtual;
  static constexpr const char* name = Name;
  static std::unique_ptr<Poller> make_poller() { return ch06::make_poller(Backend); }
  static std::shared_ptr<ch06::Clock> make_clock() {
    if constexpr (Virtual) return std::make_shared<ch06::VirtualClock>();
    else return std::make_shared<ch06::SteadyClock>();
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

}  // namespace ch06_tests
