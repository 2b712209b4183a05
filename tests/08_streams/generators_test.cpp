// Chapter 1's generator spec, instantiated for namespace ch08.
#include <ostream>
#include <variant>

#include "08_streams/examples.hpp"
#include "08_streams/generator.hpp"
#include "generators_spec.hpp"

namespace {

struct Chapter08 {
  template <class Y, class S = std::monostate, class R = std::monostate>
  using Generator = ch08::Generator<Y, S, R>;
  using GeneratorState = ch08::GeneratorState;
  using GeneratorStateError = ch08::GeneratorStateError;
  using GeneratorExit = ch08::GeneratorExit;
  using Counter = ch08::Counter;
  using Printer = ch08::Printer;
  using Producer = ch08::Producer;
  using Executor = ch08::Executor;
  static int run_ping_pong(Producer& producer, Executor& executor, std::ostream& out) {
    return ch08::run_ping_pong(producer, executor, out);
  }
};

}  // namespace

INSTANTIATE_TYPED_TEST_SUITE_P(ch08, Generators, ::testing::Types<Chapter08>);
