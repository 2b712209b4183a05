// Chapter 1's generator spec, instantiated for namespace ch06.
#include <ostream>
#include <variant>

#include "06_futures/examples.hpp"
#include "06_futures/generator.hpp"
#include "generators_spec.hpp"

namespace {

struct Chapter06 {
  template <class Y, class S = std::monostate, class R = std::monostate>
  using Generator = ch06::Generator<Y, S, R>;
  using GeneratorState = ch06::GeneratorState;
  using GeneratorStateError = ch06::GeneratorStateError;
  using GeneratorExit = ch06::GeneratorExit;
  using Counter = ch06::Counter;
  using Printer = ch06::Printer;
  using Producer = ch06::Producer;
  using Executor = ch06::Executor;
  static int run_ping_pong(Producer& producer, Executor& executor, std::ostream& out) {
    return ch06::run_ping_pong(producer, executor, out);
  }
};

}  // namespace

INSTANTIATE_TYPED_TEST_SUITE_P(ch06, Generators, ::testing::Types<Chapter06>);
