// Chapter 5's demo: Futures resolved by timers ("simulated I/O delay"), watched with
// add_future; a sum of three delayed values written with callbacks only (the "callback soup"
// chapter 6 cleans up); blocking work on a worker thread; and what run_sync does with an
// exception and with a timeout. demo.py is the same program on Tornado.
#include <chrono>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "ioloop.hpp"

using namespace ch05;
using namespace std::chrono_literals;

int main(int argc, char** argv) {
  IOLoop loop(argc > 1 ? argv[1] : "default");

  // A Future that a timer resolves later: how the docs simulate a slow I/O operation.
  // (Unless it was cancelled meanwhile, as run_sync's timeout does: then the value is dropped.)
  auto delayed = [&loop](auto value, IOLoop::duration delay) {
    Future<decltype(value)> future;
    loop.call_later(delay, [future, value] { future_set_result_unless_cancelled(future, value); });
    return future;
  };

  std::cout << "1. add_future: a Future that call_later resolves 10 ms later\n";
  loop.run_sync([&] {
    Future<void> done;
    loop.add_future(delayed(42, 10ms), [done](const Future<int>& f) {
      std::cout << "   the add_future callback got " << f.result() << "\n";
      done.set_result();
    });
    std::cout << "   waiting for it...\n";
    return done;
  });

  std::cout << "2. the sum of three delayed values, with callbacks only\n";
  const int sum = loop.run_sync([&] {
    Future<int> result;
    // State the callbacks share: what a coroutine would keep in local variables.
    auto total = std::make_shared<int>(0);
    auto pending = std::make_shared<int>(3);
    for (auto [value, delay] : {std::pair{1, 30ms}, std::pair{2, 10ms}, std::pair{3, 20ms}}) {
      loop.add_future(delayed(value, delay), [result, total, pending](const Future<int>& f) {
        *total += f.result();
        std::cout << "   got " << f.result() << "; running total " << *total << "\n";
        if (--*pending == 0) result.set_result(*total);
      });
    }
    return result;
  });
  std::cout << "   run_sync returned " << sum << "\n";

  std::cout << "3. run_in_executor: blocking work on a worker thread\n";
  const int square = loop.run_sync([&] {
    return loop.run_in_executor(nullptr, [] {
      std::this_thread::sleep_for(5ms);  // blocks a worker, never the loop
      return 7 * 7;
    });
  });
  std::cout << "   run_sync returned " << square << "\n";

  std::cout << "4. an exception travels through the Future to run_sync's caller\n";
  try {
    loop.run_sync([&] {
      Future<int> future;
      loop.call_later(5ms, [future] {
        future.set_exception(std::make_exception_ptr(std::invalid_argument("no such user")));
      });
      return future;
    });
  } catch (const std::invalid_argument& e) {
    std::cout << "   run_sync raised: " << e.what() << "\n";
  }

  std::cout << "5. run_sync with a timeout that expires first\n";
  const Future<std::string> late = delayed(std::string("late"), 1s);
  try {
    loop.run_sync([&] { return late; }, 50ms);
  } catch (const TimeoutError& e) {
    std::cout << "   run_sync raised TimeoutError: " << e.what() << "\n";
  }
  std::cout << "   and cancelled the Future it waited for: cancelled() is "
            << (late.cancelled() ? "true" : "false") << "\n";
  const std::string again = loop.run_sync([&] { return delayed(std::string("again"), 5ms); });
  std::cout << "   and the loop runs " << again << "\n";
}
