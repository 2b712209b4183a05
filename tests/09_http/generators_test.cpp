// Chapter 1's generator spec, instantiated for namespace ch09.
#include <ostream>
#include <variant>

#include "09_http/examples.hpp"
#include "09_http/generator.hpp"
#include "generators_spec.hpp"

namespace {

struct Chapter09 {
  template <class Y, class S = std::monostate, class R = std::monostate>
  using Generator = ch09::Generator<Y, S, R>;
  using GeneratorState = ch09::GeneratorState;
  using GeneratorStateError = ch09::GeneratorStateError;
  using GeneratorExit = ch09::GeneratorExit;
  using Counter = ch09::Counter;
  using Printer = ch09::Printer;
  using Producer = ch09::Producer;
  using Executor = ch09::Executor;
  static int run_ping_pong(Producer& producer, Executor& executor, std::ostream& out) {
    return ch09::run_ping_pong(producer, executor, out);
  }
};

}  // namespace

INSTANTIATE_TYPED_TEST_SUITE_P(ch09, Generators, ::testing::Types<Chapter09>);
