// Chapter 1's generator spec, instantiated for namespace ch02.
#include <ostream>
#include <variant>

#include "02_select_loop/examples.hpp"
#include "02_select_loop/generator.hpp"
#include "generators_spec.hpp"

namespace {

struct Chapter02 {
  template <class Y, class S = std::monostate, class R = std::monostate>
  using Generator = ch02::Generator<Y, S, R>;
  using GeneratorState = ch02::GeneratorState;
  using GeneratorStateError = ch02::GeneratorStateError;
  using GeneratorExit = ch02::GeneratorExit;
  using Counter = ch02::Counter;
  using Printer = ch02::Printer;
  using Producer = ch02::Producer;
  using Executor = ch02::Executor;
  static int run_ping_pong(Producer& producer, Executor& executor, std::ostream& out) {
    return ch02::run_ping_pong(producer, executor, out);
  }
};

}  // namespace

INSTANTIATE_TYPED_TEST_SUITE_P(ch02, Generators, ::testing::Types<Chapter02>);
