// Chapter 7's demo. First the book's one job (add up the squares of 1, 2 and 3, asking a
// square service) as a coroutine: it reads like blocking code, and waits for the three answers
// at once with multi. Then the classic IOLoop example, a sum of values that arrive later
// (Futures that timers resolve: "simulated I/O"), written three ways that print the same
// trace: callbacks, a state machine written by hand and driven by the Runner, and a C++20
// coroutine. Then what coroutines add: moment, a failure caught at the yield, with_timeout, and
// cancellation. demo.py is the Tornado @gen.coroutine version.
#include <chrono>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/demo.hpp"
#include "gen.hpp"
#include "ioloop.hpp"

using namespace ch07;
using namespace std::chrono_literals;

namespace {

// ---- the job ----

// The square service, as in chapter 6: n * n, worked out on a worker thread.
Future<int> square(int n) {
  return IOLoop::current()->run_in_executor(nullptr, [n] {
    std::this_thread::sleep_for(5ms);  // blocks a worker, never the loop
    return n * n;
  });
}

// Chapter 6's callbacks and shared counters become straight-line code.
Coroutine<int> sum_of_squares() {
  std::cout << "client: asking three workers at once for the squares of 1, 2 and 3\n";
  const std::vector<Future<int>> answers = {square(1), square(2), square(3)};
  const std::vector<int> squares = co_await multi(answers);  // all three, in the order asked
  std::cout << "client: the squares are " << squares[0] << ", " << squares[1] << " and "
            << squares[2] << "\n";
  co_return squares[0] + squares[1] + squares[2];
}

// ---- end of the job ----

// A Future that the current loop resolves with `value` after `delay`.
template <class T>
Future<T> delayed(T value, IOLoop::duration delay) {
  Future<T> future;
  IOLoop::current()->call_later(delay, [future, value] { future.set_result(value); });
  return future;
}

// 1. Callbacks: every step is a function, and what it must remember is shared by hand.
Future<int> sum_with_callbacks() {
  Future<int> result;
  std::cout << "   asking for 1, due in 30 ms\n";
  IOLoop::current()->add_future(delayed(1, 30ms), [result](const Future<int>& a) {
    std::cout << "   got " << a.result() << "; asking for 2, due in 10 ms\n";
    const int first = a.result();
    IOLoop::current()->add_future(delayed(2, 10ms), [result, first](const Future<int>& b) {
      std::cout << "   got " << b.result() << "; the sum is " << first + b.result() << "\n";
      result.set_result(first + b.result());
    });
  });
  return result;
}

// 2. Stands for the Python coroutine
//     @gen.coroutine
//     def delayed_sum():
//         a = yield delayed(1, 0.030)
//         b = yield delayed(2, 0.010)
//         return a + b
//    written as chapter 1 writes a generator: locals become fields, yields become states.
class DelayedSum final : public CoroutineGenerator<int> {
  enum class ResumePoint { Start, AfterFirst, AfterSecond };
  ResumePoint resume_point_ = ResumePoint::Start;
  int a_ = 0;  // the frame's local, kept between resumes

 protected:
  Result resume(Input in) override {
    switch (resume_point_) {
      case ResumePoint::Start:
        std::cout << "   asking for 1, due in 30 ms\n";
        resume_point_ = ResumePoint::AfterFirst;
        return yield(delayed(1, 30ms));
      case ResumePoint::AfterFirst:
        a_ = in.sent_value().result<int>();  // a failed Future would be raised right here
        std::cout << "   got " << a_ << "; asking for 2, due in 10 ms\n";
        resume_point_ = ResumePoint::AfterSecond;
        return yield(delayed(2, 10ms));
      case ResumePoint::AfterSecond: {
        const int b = in.sent_value().result<int>();
        std::cout << "   got " << b << "; the sum is " << a_ + b << "\n";
        return return_(a_ + b);
      }
    }
    throw std::logic_error("DelayedSum: resumed in an unknown state");
  }
};

// 3. The same coroutine in C++20: the compiler writes DelayedSum for us.
Coroutine<int> delayed_sum() {
  std::cout << "   asking for 1, due in 30 ms\n";
  const int a = co_yield delayed(1, 30ms);  // Tornado: a = yield delayed(1, 0.030)
  std::cout << "   got " << a << "; asking for 2, due in 10 ms\n";
  const int b = co_await delayed(2, 10ms);  // the modern spelling of the same wait
  std::cout << "   got " << b << "; the sum is " << a + b << "\n";
  co_return a + b;
}

Coroutine<void> take_turns(char name, std::string& out) {
  for (int i = 0; i < 4; ++i) {
    out += name;
    co_await moment;
  }
}

Coroutine<void> both_take_turns() {
  std::string out;
  Future<void> a = take_turns('a', out);
  Future<void> b = take_turns('b', out);
  co_await a;
  co_await b;
  std::cout << "   " << out << "\n";
}

Coroutine<void> catch_at_the_yield() {
  Future<int> lookup;
  IOLoop::current()->call_later(5ms, [lookup] {
    lookup.set_exception(std::make_exception_ptr(std::runtime_error("no such user")));
  });
  try {
    co_await lookup;
  } catch (const std::runtime_error& e) {
    std::cout << "   caught: " << e.what() << "\n";
  }
}

Coroutine<void> give_up_waiting() {
  try {
    co_await with_timeout(20ms, delayed(std::string("too late"), 1s));
  } catch (const GenTimeoutError& e) {
    std::cout << "   with_timeout raised TimeoutError: " << e.what() << "\n";
  }
}

// ---- scene 7: cancellation (a request the coroutine answers where it waits) ----

Coroutine<void> download() {
  std::cout << "   download: started, due in 1 s\n";
  try {
    co_await sleep(1s);
    std::cout << "   download: finished\n";
  } catch (const CancelledError&) {
    // A request, not a kill: it could also carry on, or return a value instead.
    std::cout << "   download: cancelled while waiting; removing the partial file\n";
    throw;
  }
}

Coroutine<void> cancel_a_download() {
  Future<void> job = download();
  co_await sleep(20ms);
  std::cout << "   cancel() returned " << (job.cancel() ? "true" : "false") << "\n";
  try {
    co_await job;
  } catch (const CancelledError&) {
    std::cout << "   the download ended cancelled\n";
  }
}

// ---- end of scene 7 ----

}  // namespace

int main(int argc, char** argv) {
  IOLoop loop = common::loop_from_arguments<IOLoop>(argc, argv, "default");

  std::cout << "== the job: add up the squares of 1, 2 and 3, asking a square service ==\n";
  const int total = loop.run_sync(sum_of_squares, 500ms);  // the deadline, as in chapter 6
  std::cout << "client: run_sync returned the sum of the squares: " << total << "\n";

  std::cout << "== the Runner, and what coroutines add ==\n";
  std::cout << "1. the delayed sum with callbacks\n";
  loop.run_sync(sum_with_callbacks);
  std::cout << "2. the same sum as a hand-written state machine, driven by the Runner\n";
  loop.run_sync([] { return coroutine(std::make_unique<DelayedSum>()); });
  std::cout << "3. the same sum as a C++20 coroutine\n";
  const int sum = loop.run_sync(delayed_sum);
  std::cout << "   run_sync returned " << sum << "\n";
  std::cout << "4. moment: two coroutines take turns\n";
  loop.run_sync(both_take_turns);
  std::cout << "5. a failed Future is raised at the yield, and caught there\n";
  loop.run_sync(catch_at_the_yield);
  std::cout << "6. with_timeout gives up; the slow Future is not cancelled\n";
  loop.run_sync(give_up_waiting);
  // ---- scene 7: cancellation ----
  std::cout << "7. cancel() asks a coroutine to stop; it cleans up where it waits\n";
  loop.run_sync(cancel_a_download);
  std::cout << "   run_sync's timeout cancels its coroutine the same way\n";
  try {
    loop.run_sync(download, 50ms);
  } catch (const TimeoutError& e) {
    std::cout << "   then run_sync raised TimeoutError: " << e.what() << "\n";
  }
  // ---- end of scene 7 ----
}
