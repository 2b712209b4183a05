// Chapter 2's demo: the book's one job, solved with I/O handlers only. The job, in every
// chapter from here on: add up the squares of 1, 2 and 3, asking a square service
// for each. Here the service is a handler at one end of a socketpair, and the client is a
// handler at the other: it sends a number when its end is writable, waits for the answer,
// keeps the running total, and asks for the next. demo.py is the same program on Tornado's
// IOLoop.
//
// Run with a backend name to watch the same program on another poller:
//     build/chapters/02_select_loop/02_select_loop poll
#include <iostream>
#include <string>
#include <vector>

#include "common/demo.hpp"
#include "common/fd.hpp"
#include "ioloop.hpp"

using namespace ch02;

int main(int argc, char** argv) {
  IOLoop loop = common::loop_from_arguments<IOLoop>(argc, argv, "select");
  auto [client, service] = common::make_socketpair();
  const std::vector<int> numbers = {1, 2, 3};
  std::size_t asked = 0;  // what the client must remember between its turns, kept by hand
  int total = 0;

  std::cout << "== the job: add up the squares of 1, 2 and 3, asking a square service ==\n";

  // The service only ever waits to read, and answers each number with its square.
  loop.add_handler(service, [](common::Fd& sock, unsigned) {
    const int n = std::stoi(common::read_some(sock.fileno()));
    std::cout << "service: " << n << " squared is " << n * n << "\n";
    common::write_all(sock.fileno(), std::to_string(n * n));
  }, IOLoop::READ);

  // The client alternates: writable -> ask for one square, then wait (READ) for the answer.
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
                << "; removing my handler and stopping\n";
      loop.remove_handler(sock);
      loop.stop();
    }
  }, IOLoop::WRITE);

  std::cout << "starting the loop\n";
  loop.start();
  std::cout << "the loop has stopped\n";
  // close(true) closes what is still registered, through its own close(): only the service's
  // end, since the client removed its handler before stopping.
  loop.close(true);
  std::cout << "closed: client " << (client ? "open" : "closed") << ", service "
            << (service ? "open" : "closed") << "\n";
}
