// Test helper: run a loop (or any blocking call) under a watchdog, so a regression that
// leaves a loop running fails the test binary in seconds with a clear message, not a hang.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

namespace common::testing {

/// Calls `body()`; if it has not returned after `limit`, prints which test is stuck and ends
/// the process with status 124. Nothing the stuck thread holds can be trusted any more, so
/// exiting is the only honest way out.
template <class Body>
decltype(auto) with_watchdog(std::chrono::milliseconds limit, Body&& body) {
  std::string test = "(outside a test)";
  if (const auto* info = ::testing::UnitTest::GetInstance()->current_test_info()) {
    test = std::string(info->test_suite_name()) + "." + info->name();
  }
  std::mutex mutex;
  std::condition_variable cv;
  bool finished = false;
  std::thread dog([&, test] {
    std::unique_lock lock(mutex);
    if (!cv.wait_for(lock, limit, [&] { return finished; })) {
      std::fprintf(stderr,
                   "\nwatchdog: %s is still running after %lld ms: the loop never stopped.\n",
                   test.c_str(), static_cast<long long>(limit.count()));
      std::fflush(stderr);
      std::_Exit(124);
    }
  });
  struct Release {
    std::mutex& m;
    std::condition_variable& c;
    bool& f;
    std::thread& t;
    ~Release() {
      {
        std::lock_guard lock(m);
        f = true;
      }
      c.notify_one();
      t.join();
    }
  } release{mutex, cv, finished, dog};
  return std::forward<Body>(body)();
}

/// The usual case: `loop.start()` must return (something in the test calls `stop()`).
template <class Loop>
void run_with_watchdog(Loop& loop, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  with_watchdog(limit, [&] { loop.start(); });
}

}  // namespace common::testing
