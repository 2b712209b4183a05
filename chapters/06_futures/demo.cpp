// Chapter 6's demo. First the book's one job (add up the squares of 1, 2 and 3, asking a
// square service), now with Futures: each square is a Future that a worker thread resolves
// (run_in_executor), and adding them up takes callbacks and shared counters (the "callback
// soup" chapter 7 cleans up); run_sync's timeout is the job's deadline. Then Futures resolved
// by timers ("simulated I/O delay") and watched with add_future, and what run_sync does with an
// exception and with a timeout. demo.py is the same program on Tornado.
#include <chrono>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "common/demo.hpp"
#include "ioloop.hpp"

using namespace ch06;
using namespace std::chrono_literals;

namespace {

// The square service, chapter 4's worker made into a Future: n * n, worked out off the loop.
Future<int> square(IOLoop& loop, int n) {
  return loop.run_in_executor(nullptr, [n] {
    std::this_thread::sleep_for(5ms);  // blocks a worker, never the loop
    return n * n;
  });
}

// The job with callbacks only: each answer is a Future, but adding them up is still by hand.
Future<int> sum_of_squares(IOLoop& loop) {
  Future<int> result;
  // State the callbacks share: what a coroutine would keep in local variables.
  auto total = std::make_shared<int>(0);
  auto pending = std::make_shared<int>(3);
  for (int n : {1, 2, 3}) {
    loop.add_future(square(loop, n), [result, total, pending](const Future<int>& f) {
      *total += f.result();
      // Had the deadline cancelled `result`, a plain set_result would throw here.
      if (--*pending == 0) future_set_result_unless_cancelled(result, *total);
    });
  }
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  IOLoop loop = common::loop_from_arguments<IOLoop>(argc, argv, "default");

  std::cout << "== the job: add up the squares of 1, 2 and 3, asking a square service ==\n";
  std::cout << "client: asking three workers at once for the squares of 1, 2 and 3\n";
  const int sum = loop.run_sync([&] { return sum_of_squares(loop); }, 500ms);  // the deadline
  std::cout << "client: run_sync returned the sum of the squares: " << sum << "\n";

  std::cout << "== Futures, add_future and run_sync ==\n";

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

  std::cout << "2. an exception travels through the Future to run_sync's caller\n";
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

  std::cout << "3. run_sync with a timeout that expires first\n";
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
