// Chapter 1's generator spec, instantiated for namespace ch05.
#include <ostream>
#include <variant>

#include "05_loop_in_trouble/examples.hpp"
#include "05_loop_in_trouble/generator.hpp"
#include "generators_spec.hpp"

namespace {

struct Chapter05 {
  template <class Y, class S = std::monostate, class R = std::monostate>
  using Generator = ch05::Generator<Y, S, R>;
  using GeneratorState = ch05::GeneratorState;
  using GeneratorStateError = ch05::GeneratorStateError;
  using GeneratorExit = ch05::GeneratorExit;
  using Counter = ch05::Counter;
  using Printer = ch05::Printer;
  using Producer = ch05::Producer;
  using Executor = ch05::Executor;
  static int run_ping_pong(Producer& producer, Executor& executor, std::ostream& out) {
    return ch05::run_ping_pong(producer, executor, out);
  }
};

}  // namespace

INSTANTIATE_TYPED_TEST_SUITE_P(ch05, Generators, ::testing::Types<Chapter05>);
