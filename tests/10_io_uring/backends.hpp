// The backend a chapter 10 test that is not a spec (the real clients, the load) runs on:
// the one asked for, unless it is io_uring and this kernel or sandbox refuses it; then the
// running test is marked skipped, with the reason, and gets epoll so its fixture can still
// be built (GoogleTest runs no body of a test skipped while being set up).
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "10_io_uring/platform/uring.hpp"

namespace ch10_tests {

inline const char* backend_or_skip(const char* backend) {
  if (std::string(backend) == "uring") {
    static const std::string refused = ch10::uring_refusal();
    if (!refused.empty()) {
      GTEST_MESSAGE_(refused.c_str(), ::testing::TestPartResult::kSkip);
      return "epoll";
    }
  }
  return backend;
}

}  // namespace ch10_tests
