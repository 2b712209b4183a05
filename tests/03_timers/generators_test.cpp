// Chapter 1's generator spec, instantiated for namespace ch03.
#include <ostream>
#include <variant>

#include "03_timers/examples.hpp"
#include "03_timers/generator.hpp"
#include "generators_spec.hpp"

namespace {

struct Chapter03 {
  template <class Y, class S = std::monostate, class R = std::monostate>
  using Generator = ch03::Generator<Y, S, R>;
  using GeneratorState = ch03::GeneratorState;
  using GeneratorStateError = ch03::GeneratorStateError;
  using GeneratorExit = ch03::GeneratorExit;
  using Counter = ch03::Counter;
  using Printer = ch03::Printer;
  using Producer = ch03::Producer;
  using Executor = ch03::Executor;
  static int run_ping_pong(Producer& producer, Executor& executor, std::ostream& out) {
    return ch03::run_ping_pong(producer, executor, out);
  }
};

}  // namespace

INSTANTIATE_TYPED_TEST_SUITE_P(ch03, Generators, ::testing::Types<Chapter03>);
