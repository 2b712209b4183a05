// Chapter 3's demo: a countdown driven by timers alone. Each tick re-arms the next one from
// inside its own callback; an abort timer is scheduled at the start and cancelled at T-2;
// liftoff stops the loop. demo.py is the same program on Tornado's call_later.
#include <chrono>
#include <functional>
#include <iostream>

#include "ioloop.hpp"

using namespace ch03;
using namespace std::chrono_literals;

int main(int argc, char** argv) {
  IOLoop loop(argc > 1 ? argv[1] : "default");
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
