// The chapter's worked examples: Python generators rewritten by hand as state machines on
// top of Generator. Each class opens with the Python it stands for; its ResumePoint enum says
// where that Python would resume (the generator's own GeneratorState, by contrast, says whether
// it may be resumed at all), and its fields are the frame's locals that live across a yield.
#pragma once

#include <array>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <tuple>
#include <variant>

#include "generator.hpp"

namespace ch06 {

// Stands for the Python generator
//     def counter(n):
//         i = 1
//         while i <= n:
//             yield i
//             i += 1
//         return "done"
class Counter final : public Generator<int, std::monostate, std::string> {
 public:
  explicit Counter(int n) : n_(n) {}

 private:
  Result resume(Input in) override {
    switch (resume_point_) {
      case ResumePoint::Start:
        i_ = 1;
        break;
      case ResumePoint::AfterYield:
        in.raise_if_thrown();  // `yield i` is where throw_() and close() land
        i_ += 1;
        break;
    }
    if (i_ <= n_) {
      resume_point_ = ResumePoint::AfterYield;
      return yield(i_);
    }
    return return_("done");
  }

  // Where the Python code would resume: the generator's saved instruction pointer.
  enum class ResumePoint { Start, AfterYield };
  ResumePoint resume_point_ = ResumePoint::Start;
  // The frame's locals, kept alive between resumes.
  int n_;
  int i_ = 0;
};

// Stands for the Python generator
//     def printer():
//         while True:
//             a = yield
//             print(a)
// It yields nothing (Python's None) and is sent strings; `out` stands for sys.stdout.
class Printer final : public Generator<std::monostate, std::string> {
 public:
  explicit Printer(std::ostream& out) : out_(out) {}

 private:
  Result resume(Input in) override {
    switch (resume_point_) {
      case ResumePoint::Start:
        break;
      case ResumePoint::AtYield: {
        const std::optional<std::string> a = in.received();  // nullopt after next(): None
        out_ << (a ? *a : "None") << '\n';
        break;
      }
    }
    resume_point_ = ResumePoint::AtYield;
    return yield();
  }

  enum class ResumePoint { Start, AtYield };
  ResumePoint resume_point_ = ResumePoint::Start;
  std::ostream& out_;
};

// ---------------------------------------------------------------- the ping-pong
// A producer asks for calls, an executor makes them, and a scheduler that knows only the
// generator protocol carries each request one way and each result back.

inline int add(int a, int b) { return a + b; }
inline int mul(int a, int b) { return a * b; }

/// What the producer yields: Python's tuple (fn, args). A C++ function pointer has no
/// __name__, so the name travels beside it for the trace.
struct Call {
  std::string_view name;
  int (*fn)(int, int);
  std::array<int, 2> args;
};

/// Prints a call as Python's f"{fn.__name__}{args}" does: add(1, 2).
inline std::ostream& operator<<(std::ostream& out, const Call& call) {
  return out << call.name << '(' << call.args[0] << ", " << call.args[1] << ')';
}

// Stands for the Python generator
//     def producer(rounds):
//         x = 1
//         for i in range(1, rounds + 1):
//             call = (add, (x, i)) if i % 2 == 1 else (mul, (x, 2))
//             print(f"producer: yield {show(call)}")
//             x = yield call
//         print(f"producer: return {x}")
//         return x
class Producer final : public Generator<Call, int, int> {
 public:
  Producer(int rounds, std::ostream& out) : rounds_(rounds), out_(out) {}

 private:
  Result resume(Input in) override {
    switch (resume_point_) {
      case ResumePoint::Start:
        x_ = 1;
        i_ = 1;
        break;
      case ResumePoint::AtYield:
        x_ = in.sent_value();  // `x = yield call`: the executor's result, sent back in
        i_ += 1;
        break;
    }
    if (i_ <= rounds_) {
      // `call` dies before the next resume, so it stays a plain local, not a field.
      const Call call = i_ % 2 == 1 ? Call{"add", add, {x_, i_}} : Call{"mul", mul, {x_, 2}};
      out_ << "producer: yield " << call << '\n';
      resume_point_ = ResumePoint::AtYield;
      return yield(call);
    }
    out_ << "producer: return " << x_ << '\n';
    return return_(x_);
  }

  enum class ResumePoint { Start, AtYield };
  ResumePoint resume_point_ = ResumePoint::Start;
  int rounds_;
  int x_ = 0;
  int i_ = 0;
  std::ostream& out_;
};

// Stands for the Python generator
//     def executor():
//         result = None
//         try:
//             while True:
//                 fn, args = yield result
//                 result = fn(*args)
//                 print(f"executor: {show((fn, args))} = {result}")
//         except GeneratorExit:
//             print("executor: GeneratorExit at its yield; it finishes")
//             raise
// It must be started with next() before it can be sent a call: its first yield gives None.
class Executor final : public Generator<std::optional<int>, Call> {
 public:
  explicit Executor(std::ostream& out) : out_(out) {}

 private:
  Result resume(Input in) override {
    switch (resume_point_) {
      case ResumePoint::Start:
        break;
      case ResumePoint::AtYield:
        // The Python `try` covers the whole loop, and the whole loop between two yields is
        // this one resume, so the same try covers exactly the same code.
        try {
          const Call call = in.sent_value();
          result_ = std::apply(call.fn, call.args);
          out_ << "executor: " << call << " = " << *result_ << '\n';
        } catch (const GeneratorExit&) {
          out_ << "executor: GeneratorExit at its yield; it finishes\n";
          throw;
        }
        break;
    }
    resume_point_ = ResumePoint::AtYield;
    return yield(result_);
  }

  enum class ResumePoint { Start, AtYield };
  ResumePoint resume_point_ = ResumePoint::Start;
  std::optional<int> result_;
  std::ostream& out_;
};

// Stands for the Python function
//     def run_ping_pong(producer, executor):
//         print("scheduler: next(executor) starts it; it waits at its first yield")
//         next(executor)
//         print("scheduler: next(producer) runs it to its first request")
//         request = next(producer)
//         trips = 0
//         while True:
//             result = executor.send(request)
//             trips += 1
//             try:
//                 request = producer.send(result)
//             except StopIteration as stop:
//                 print(f"scheduler: producer returned {stop.value} after {trips} round trips")
//                 print("scheduler: close(executor)")
//                 executor.close()
//                 return stop.value
// A tiny scheduler: it sees only the generator protocol, never Producer or Executor.
inline int run_ping_pong(Generator<Call, int, int>& producer,
                         Generator<std::optional<int>, Call>& executor, std::ostream& out) {
  out << "scheduler: next(executor) starts it; it waits at its first yield\n";
  executor.next();
  out << "scheduler: next(producer) runs it to its first request\n";
  auto request = producer.next();
  int trips = 0;
  while (request.yielded()) {
    auto result = executor.send(request.value());
    trips += 1;
    request = producer.send(result.value().value());  // a yielded optional<int>: unwrap it
  }
  const int value = request.return_value().value();
  out << "scheduler: producer returned " << value << " after " << trips << " round trips\n";
  out << "scheduler: close(executor)\n";
  executor.close();
  return value;
}

}  // namespace ch06
