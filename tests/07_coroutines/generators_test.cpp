// Chapter 1's generator spec, instantiated for namespace ch07.
#include <ostream>
#include <variant>

#include "07_coroutines/examples.hpp"
#include "07_coroutines/generator.hpp"
#include "generators_spec.hpp"

namespace {

struct Chapter07 {
  template <class Y, class S = std::monostate, class R = std::monostate>
  using Generator = ch07::Generator<Y, S, R>;
  using GeneratorState = ch07::GeneratorState;
  using GeneratorStateError = ch07::GeneratorStateError;
  using GeneratorExit = ch07::GeneratorExit;
  using Counter = ch07::Counter;
  using Printer = ch07::Printer;
  using Producer = ch07::Producer;
  using Executor = ch07::Executor;
  static int run_ping_pong(Producer& producer, Executor& executor, std::ostream& out) {
    return ch07::run_ping_pong(producer, executor, out);
  }
};

}  // namespace

INSTANTIATE_TYPED_TEST_SUITE_P(ch07, Generators, ::testing::Types<Chapter07>);
