// Chapter 1's test binary: the generator spec, instantiated for namespace ch01.
#include <ostream>
#include <variant>

#include "01_generators/examples.hpp"
#include "01_generators/generator.hpp"
#include "generators_spec.hpp"

namespace {

struct Chapter01 {
  template <class Y, class S = std::monostate, class R = std::monostate>
  using Generator = ch01::Generator<Y, S, R>;
  using GeneratorState = ch01::GeneratorState;
  using GeneratorStateError = ch01::GeneratorStateError;
  using GeneratorExit = ch01::GeneratorExit;
  using Counter = ch01::Counter;
  using Printer = ch01::Printer;
  using Producer = ch01::Producer;
  using Executor = ch01::Executor;
  static int run_ping_pong(Producer& producer, Executor& executor, std::ostream& out) {
    return ch01::run_ping_pong(producer, executor, out);
  }
};

}  // namespace

INSTANTIATE_TYPED_TEST_SUITE_P(ch01, Generators, ::testing::Types<Chapter01>);
