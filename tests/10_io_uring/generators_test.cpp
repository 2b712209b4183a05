// Chapter 1's generator spec, instantiated for namespace ch10.
#include <ostream>
#include <variant>

#include "10_io_uring/examples.hpp"
#include "10_io_uring/generator.hpp"
#include "generators_spec.hpp"

namespace {

struct Chapter10 {
  template <class Y, class S = std::monostate, class R = std::monostate>
  using Generator = ch10::Generator<Y, S, R>;
  using GeneratorState = ch10::GeneratorState;
  using GeneratorStateError = ch10::GeneratorStateError;
  using GeneratorExit = ch10::GeneratorExit;
  using Counter = ch10::Counter;
  using Printer = ch10::Printer;
  using Producer = ch10::Producer;
  using Executor = ch10::Executor;
  static int run_ping_pong(Producer& producer, Executor& executor, std::ostream& out) {
    return ch10::run_ping_pong(producer, executor, out);
  }
};

}  // namespace

INSTANTIATE_TYPED_TEST_SUITE_P(ch10, Generators, ::testing::Types<Chapter10>);
