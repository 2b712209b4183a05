// Chapter 4's demo. First the book's one job (add up the squares of 1, 2 and 3, asking a
// square service), now with worker threads: the squares are worked out off the loop's thread,
// all three at once, and each worker hands its answer back with add_callback. Then workers
// that report through a PeriodicCallback, and a callback that throws stops nothing. Each of
// those workers starts only after the ticker has reported the one before, so what is printed
// does not depend on how the threads are scheduled.
// demo.py is the same program on Tornado.
#include <chrono>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "common/demo.hpp"
#include "ioloop.hpp"

using namespace ch04;
using namespace std::chrono_literals;

namespace {

void the_job(IOLoop& loop) {
  const std::vector<int> numbers = {1, 2, 3};
  std::vector<int> squares(numbers.size());  // written on the loop's thread only
  std::size_t answered = 0;
  std::vector<std::thread> workers;

  std::cout << "client: asking three workers at once for the squares of 1, 2 and 3\n";
  for (std::size_t i = 0; i < numbers.size(); ++i) {
    workers.emplace_back([&, i] {
      std::this_thread::sleep_for(5ms);  // the work, off the loop's thread
      const int square = numbers[i] * numbers[i];
      loop.add_callback([&, i, square] {  // from here on, on the loop's thread
        squares[i] = square;
        if (++answered < numbers.size()) return;  // the last one to arrive adds them up
        std::cout << "client: all three squares are in (" << squares[0] << ", " << squares[1]
                  << ", " << squares[2] << "); the sum is " << squares[0] + squares[1] + squares[2]
                  << "\n";
        loop.stop();
      });
    });
  }
  loop.start();
  for (std::thread& worker : workers) worker.join();
}

}  // namespace

int main(int argc, char** argv) {
  IOLoop loop = common::loop_from_arguments<IOLoop>(argc, argv, "default");

  std::cout << "== the job: add up the squares of 1, 2 and 3, asking a square service ==\n";
  the_job(loop);

  std::cout << "== workers that report through a PeriodicCallback ==\n";
  constexpr int workers = 3;
  int started = 0;
  std::optional<std::pair<int, int>> result;  // (worker, square): touched on the loop's thread only
  std::thread worker;

  auto start_worker = [&] {
    const int n = ++started;
    std::cout << "starting worker " << n << "\n";
    worker = std::thread([&loop, &result, n] {
      std::this_thread::sleep_for(5ms);  // the "work", off the loop's thread
      const int square = n * n;
      if (n == 2) {
        loop.add_callback([] {
          std::cout << "a callback from worker 2 throws\n";
          throw std::runtime_error("worker 2 sent garbage first");
        });
      }
      // The only IOLoop method another thread may call: the lambda runs on the loop's thread.
      loop.add_callback([&result, n, square] { result = {n, square}; });
    });
  };

  PeriodicCallback ticker(loop, [&] {
    if (!result) return;  // nothing new since the last tick
    const auto [n, square] = *result;
    result.reset();
    worker.join();
    std::cout << "progress: worker " << n << " computed " << n << " * " << n << " = " << square
              << "\n";
    if (started < workers) {
      start_worker();
      return;
    }
    std::cout << "all workers done: stopping the ticker and the loop\n";
    ticker.stop();
    loop.stop();
  }, 10ms);

  loop.add_callback([&] {
    std::cout << "the loop is running\n";
    start_worker();
    ticker.start();
  });
  loop.start();
  std::cout << "the loop has stopped\n";
}
