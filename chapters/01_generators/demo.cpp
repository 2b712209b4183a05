// Chapter 1's demo: a counter run to its end, then the producer/executor ping-pong.
// demo.py is the same program with real Python generators; it prints the same lines.
#include <iostream>

#include "common/demo.hpp"
#include "examples.hpp"
#include "generator.hpp"

namespace {

void show_counter() {
  std::cout << "== counter(3): next() until it returns ==\n";
  ch01::Counter counter(3);
  std::cout << "counter: state " << counter.state() << '\n';
  while (true) {
    auto result = counter.next();
    if (result.returned()) {
      std::cout << "counter: returned " << *result.return_value() << '\n';
      break;
    }
    std::cout << "counter: yielded " << result.value() << ", state " << counter.state() << '\n';
  }
  std::cout << "counter: state " << counter.state() << '\n';
  // Finished: every later next() answers a return without a value (a bare StopIteration).
  const bool has_value = counter.next().return_value().has_value();
  std::cout << "counter: next() again returns " << (has_value ? "a value" : "None") << '\n';
}

void show_ping_pong() {
  std::cout << "== ping-pong: a producer, an executor and a scheduler, 10 round trips ==\n";
  ch01::Producer producer(10, std::cout);
  ch01::Executor executor(std::cout);
  ch01::run_ping_pong(producer, executor, std::cout);
  std::cout << "producer: state " << producer.state() << "; executor: state " << executor.state()
            << '\n';
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) common::exit_with_usage(argv[0], "", "this demo takes no argument");
  show_counter();
  show_ping_pong();
}
