// Chapter 2's loop on each poller backend: the environments every loop spec runs in.
#pragma once

#include <memory>
#include <utility>

#include "02_select_loop/ioloop.hpp"
#include "loop_harness.hpp"

namespace ch02_tests {

template <const char* Name>
struct LoopOn {
  using Loop = ch02::IOLoop;
  using Poller = ch02::Poller;
  static constexpr const char* name = Name;
  static std::unique_ptr<Poller> make_poller() { return ch02::make_poller(Name); }
  template <class L>
  static std::unique_ptr<L> make_loop(std::unique_ptr<Poller> poller) {
    return std::make_unique<L>(std::move(poller));
  }
};

inline constexpr char select_name[] = "select";
inline constexpr char poll_name[] = "poll";
inline constexpr char epoll_name[] = "epoll";

using Loops = ::testing::Types<LoopOn<select_name>, LoopOn<poll_name>, LoopOn<epoll_name>>;

}  // namespace ch02_tests
