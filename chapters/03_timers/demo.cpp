// Chapter 3's demo. First the book's one job (add up the squares of 1, 2 and 3, asking a
// square service), now with timers: the service takes its time, answering 10 ms after each
// question, and the client gives itself a deadline, a timer it cancels once the sum is in.
// Then a countdown driven by timers alone: each tick re-arms the next one from inside its own
// callback; an abort timer is scheduled at the start and cancelled at T-2; liftoff stops the
// loop. demo.py is the same program on Tornado's call_later.
#include <chrono>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "common/demo.hpp"
#include "common/fd.hpp"
#include "ioloop.hpp"

using namespace ch03;
using namespace std::chrono_literals;

namespace {

void the_job(IOLoop& loop) {
  auto [client, service] = common::make_socketpair();
  const std::vector<int> numbers = {1, 2, 3};
  std::size_t asked = 0;
  int total = 0;
  IOLoop::Timeout answer;  // the service's answer while it is on its way

  // The service answers each number with its square, 10 ms later: a timer, not a blocked loop.
  loop.add_handler(service, [&loop, &answer](common::Fd& sock, unsigned) {
    const int n = std::stoi(common::read_some(sock.fileno()));
    std::cout << "service: working out " << n << " squared; the answer goes out in 10 ms\n";
    answer = loop.call_later(10ms, [&sock, n] {
      common::write_all(sock.fileno(), std::to_string(n * n));
    });
  }, IOLoop::READ);

  // The client gives up if the whole sum is not in within 500 ms.
  const IOLoop::Timeout deadline = loop.call_later(500ms, [&loop] {
    std::cout << "client: no sum within 500 ms; giving up\n";
    loop.stop();
  });

  loop.add_handler(client, [&](common::Fd& sock, unsigned events) {
    if (events & IOLoop::WRITE) {
      std::cout << "client: asking for the square of " << numbers[asked] << "\n";
      common::write_all(sock.fileno(), std::to_string(numbers[asked++]));
      loop.update_handler(sock, IOLoop::READ);
      return;
    }
    const int square = std::stoi(common::read_some(sock.fileno()));
    total += square;
    std::cout << "client: got " << square << "; the total is " << total << "\n";
    if (asked < numbers.size()) {
      loop.update_handler(sock, IOLoop::WRITE);
    } else {
      std::cout << "client: the sum of the squares is " << total
                << "; cancelling my deadline and stopping\n";
      loop.remove_timeout(deadline);
      loop.remove_handler(sock);
      loop.stop();
    }
  }, IOLoop::WRITE);

  loop.start();
  // However the run ended (the sum, or the deadline), nothing of the job may outlive this
  // function, whose fds close as it returns. What is already gone is ignored.
  loop.remove_timeout(answer);
  loop.remove_handler(client);
  loop.remove_handler(service);
}

}  // namespace

int main(int argc, char** argv) {
  IOLoop loop = common::loop_from_arguments<IOLoop>(argc, argv, "default");

  std::cout << "== the job: add up the squares of 1, 2 and 3, asking a square service ==\n";
  the_job(loop);

  std::cout << "== a countdown, with timers alone ==\n";
  IOLoop::Timeout abort;
  std::function<void(int)> tick = [&](int n) {
    if (n == 0) {
      std::cout << "liftoff!\n";
      loop.stop();
      return;
    }
    std::cout << "T-" << n << "\n";
    if (n == 2) {
      std::cout << "all systems go: cancelling the abort timer\n";
      loop.remove_timeout(abort);
    }
    loop.call_later(20ms, [&tick, n] { tick(n - 1); });  // re-armed from inside the callback
  };

  std::cout << "arming: countdown from 3, one tick every 20 ms\n";
  loop.call_later(10ms, [&tick] { tick(3); });
  abort = loop.call_later(500ms, [&loop] {
    std::cout << "ABORT: the countdown took too long\n";
    loop.stop();
  });
  loop.start();
  std::cout << "the loop has stopped\n";
  loop.remove_timeout(abort);  // harmless: it was removed already
  std::cout << "removing the abort timer again did nothing\n";
}
