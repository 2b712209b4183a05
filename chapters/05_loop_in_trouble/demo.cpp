// Chapter 5's demo: the loop in trouble. First the book's one job, as the callbacks chapter
// left it (three worker threads work out the squares of 1, 2 and 3 and hand them back with
// add_callback). Then three kinds of trouble: a signal, whose handler may neither lock nor
// allocate, hands the loop a plain function with add_callback_from_signal; a callback that
// blocks the loop is reported by the blocked-loop watchdog while it is still blocking; and an
// error handler that follows the work (a stack context) catches a failure two turns after its
// scope closed. demo.py is the same program on Tornado.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "common/demo.hpp"
#include "ioloop.hpp"

using namespace ch05;
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

  // ---- a signal. A handler cannot capture, lock or allocate: it gets the loop from a global
  // and hands it a plain function.
  std::cout << "== a signal, handed to the loop ==\n";
  static IOLoop* signalled = nullptr;
  signalled = &loop;
  struct sigaction on_usr1 {};
  struct sigaction previous {};
  on_usr1.sa_handler = [](int) {
    signalled->add_callback_from_signal([](void*) {
      std::cout << "the loop runs what the SIGUSR1 handler queued\n";
      signalled->stop();
    });
  };
  sigemptyset(&on_usr1.sa_mask);
  ::sigaction(SIGUSR1, &on_usr1, &previous);
  loop.add_callback([] {
    std::cout << "a callback raises SIGUSR1\n";
    ::raise(SIGUSR1);
    std::cout << "the handler has returned; the callback goes on\n";
  });
  loop.start();
  ::sigaction(SIGUSR1, &previous, nullptr);

  // ---- a callback that blocks the loop. The watchdog's action runs in a SIGALRM handler
  // while the callback still sleeps: it may only write(2).
  std::cout << "== a callback that blocks the loop, and the watchdog that says so ==\n";
  loop.set_blocking_signal_threshold(20ms, [](const Blocked&) noexcept {
    static constexpr char text[] = "watchdog: the loop has been stuck in one callback for over 20 ms\n";
    [[maybe_unused]] const ssize_t written = ::write(STDOUT_FILENO, text, sizeof text - 1);
  });
  loop.add_callback([&] {
    std::cout << "a callback sleeps for 100 ms, blocking the loop" << std::endl;  // before write(2)
    std::this_thread::sleep_for(100ms);
    std::cout << "the sleeping callback returns\n";
    loop.stop();
  });
  loop.start();
  loop.set_blocking_signal_threshold(std::nullopt, IOLoop::log_stack);

  // ---- the last scene: a stack context. The handler is open around the scheduling of step 1
  // only, yet it hears of step 3's failure: each step carries it to the next.
  std::cout << "== an error handler that follows the work ==\n";
  {
    stack_context::ExceptionStackContext on_error([&](std::exception_ptr error) {
      std::cout << "the handler opened before step 1 caught: " << common::describe(error) << "\n";
      loop.stop();
      return true;  // handled: the loop's own report never hears of it
    });
    loop.add_callback([&] {
      std::cout << "step 1 schedules step 2 in 1 ms\n";
      loop.call_later(1ms, [&] {
        std::cout << "step 2 schedules step 3\n";
        loop.add_callback([] {
          std::cout << "step 3 throws\n";
          throw std::runtime_error("step 3 could not finish");
        });
      });
    });
    std::cout << "the handler's scope closes before step 1 runs\n";
  }
  loop.start();
  std::cout << "the loop has stopped again\n";
}
