// Chapter 1's generator spec, instantiated for namespace ch04.
#include <ostream>
#include <variant>

#include "04_callbacks/examples.hpp"
#include "04_callbacks/generator.hpp"
#include "generators_spec.hpp"

namespace {

struct Chapter04 {
  template <class Y, class S = std::monostate, class R = std::monostate>
  using Generator = ch04::Generator<Y, S, R>;
  using GeneratorState = ch04::GeneratorState;
  using GeneratorStateError = ch04::GeneratorStateError;
  using GeneratorExit = ch04::GeneratorExit;
  using Counter = ch04::Counter;
  using Printer = ch04::Printer;
  using Producer = ch04::Producer;
  using Executor = ch04::Executor;
  static int run_ping_pong(Producer& producer, Executor& executor, std::ostream& out) {
    return ch04::run_ping_pong(producer, executor, out);
  }
};

}  // namespace

INSTANTIATE_TYPED_TEST_SUITE_P(ch04, Generators, ::testing::Types<Chapter04>);
