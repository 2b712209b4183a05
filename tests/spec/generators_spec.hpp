// The generator protocol (chapter 1), written once and instantiated by every chapter that
// carries it. A chapter instantiates it with a traits struct naming its own types:
//
//   struct Chapter01 {
//     template <class Y, class S = std::monostate, class R = std::monostate>
//     using Generator = ch01::Generator<Y, S, R>;
//     using GeneratorState = ch01::GeneratorState;
//     using GeneratorStateError = ch01::GeneratorStateError;
//     using GeneratorExit = ch01::GeneratorExit;
//     using Counter = ch01::Counter;    // Generator<int, std::monostate, std::string>
//     using Printer = ch01::Printer;    // Generator<std::monostate, std::string>
//     using Producer = ch01::Producer;  // Generator<Call, int, int>
//     using Executor = ch01::Executor;  // Generator<std::optional<int>, Call>
//     static int run_ping_pong(Producer& p, Executor& e, std::ostream& out);
//   };
//   INSTANTIATE_TYPED_TEST_SUITE_P(ch01, Generators, ::testing::Types<Chapter01>);
//
// Each rule is what CPython 3 does with the same calls on a real generator.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <exception>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <typeinfo>
#include <variant>
#include <vector>

#include "common/testing/twin.hpp"

namespace generators_spec {

/// Runs `act` and returns what() of the E it throws, so a test can check that the message
/// names the mistake. Throwing nothing, or something else, fails the test.
template <class E, class Act>
std::string what_it_throws(Act&& act) {
  try {
    act();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected " << typeid(E).name() << ", got " << typeid(e).name() << ": "
                  << e.what();
    return {};
  } catch (...) {
    ADD_FAILURE() << "expected " << typeid(E).name() << ", got a non-std exception";
    return {};
  }
  ADD_FAILURE() << "expected " << typeid(E).name() << ", nothing was thrown";
  return {};
}

// ---------------------------------------------------------------- test-only generators
// Each stands for the few lines of Python above it, written the way chapter 1 teaches.

enum class OnExit { Reraise, Return, RaiseOther, YieldAgain };

// Stands for the Python generator
//     def guarded(log, on_exit):
//         log.append("started")
//         while True:
//             try:
//                 yield
//             except GeneratorExit:
//                 log.append("GeneratorExit at the yield")
//                 if on_exit == "reraise": raise
//                 if on_exit == "return": return
//                 if on_exit == "raise other": raise RuntimeError("cleanup failed")
//                 # "yield again": round the loop to the next yield, ignoring it
template <class Chapter>
class Guarded final : public Chapter::template Generator<std::monostate> {
  using Base = typename Chapter::template Generator<std::monostate>;

 public:
  explicit Guarded(std::vector<std::string>& log, OnExit on_exit = OnExit::Reraise)
      : log_(log), on_exit_(on_exit) {}

 private:
  typename Base::Result resume(typename Base::Input in) override {
    switch (resume_point_) {
      case ResumePoint::Start:
        log_.push_back("started");
        break;
      case ResumePoint::AtYield:
        try {
          in.raise_if_thrown();
        } catch (const typename Chapter::GeneratorExit&) {
          log_.push_back("GeneratorExit at the yield");
          switch (on_exit_) {
            case OnExit::Reraise: throw;
            case OnExit::Return: return Base::return_();
            case OnExit::RaiseOther: throw std::runtime_error("cleanup failed");
            case OnExit::YieldAgain: break;
          }
        }
        break;
    }
    resume_point_ = ResumePoint::AtYield;
    return Base::yield();
  }

  enum class ResumePoint { Start, AtYield };
  ResumePoint resume_point_ = ResumePoint::Start;
  std::vector<std::string>& log_;
  OnExit on_exit_;
};

// Stands for the Python generator
//     def catcher():
//         while True:
//             try:
//                 yield "waiting"
//             except RuntimeError as e:
//                 yield f"caught {e}"
template <class Chapter>
class Catcher final : public Chapter::template Generator<std::string> {
  using Base = typename Chapter::template Generator<std::string>;

  typename Base::Result resume(typename Base::Input in) override {
    switch (resume_point_) {
      case ResumePoint::Start:
        break;
      case ResumePoint::AtWaiting:
        try {
          in.raise_if_thrown();
        } catch (const std::runtime_error& e) {
          resume_point_ = ResumePoint::AtCaught;
          return Base::yield(std::string("caught ") + e.what());
        }
        break;
      case ResumePoint::AtCaught:
        in.raise_if_thrown();
        break;
    }
    resume_point_ = ResumePoint::AtWaiting;
    return Base::yield("waiting");
  }

  enum class ResumePoint { Start, AtWaiting, AtCaught };
  ResumePoint resume_point_ = ResumePoint::Start;
};

// Stands for the Python generator
//     def failing():
//         yield 1
//         raise RuntimeError("the body failed")
template <class Chapter>
class Failing final : public Chapter::template Generator<int> {
  using Base = typename Chapter::template Generator<int>;

  typename Base::Result resume(typename Base::Input in) override {
    switch (resume_point_) {
      case ResumePoint::Start:
        resume_point_ = ResumePoint::AtYield;
        return Base::yield(1);
      case ResumePoint::AtYield:
        in.raise_if_thrown();
        break;
    }
    throw std::runtime_error("the body failed");
  }

  enum class ResumePoint { Start, AtYield };
  ResumePoint resume_point_ = ResumePoint::Start;
};

// Stands for the Python generator (`me` is the generator itself)
//     def observer():
//         while True:
//             yield inspect.getgeneratorstate(me)
template <class Chapter>
class SelfObserver final
    : public Chapter::template Generator<typename Chapter::GeneratorState> {
  using Base = typename Chapter::template Generator<typename Chapter::GeneratorState>;

  typename Base::Result resume(typename Base::Input in) override {
    in.raise_if_thrown();
    return Base::yield(this->state());
  }
};

// Stands for the Python generator (`me` is the generator itself)
//     def reentrant(log):
//         for attempt in (lambda: next(me), lambda: me.send(1),
//                         lambda: me.throw(RuntimeError("again")), me.close):
//             try:
//                 attempt()
//             except ValueError as e:
//                 log.append(str(e))
//         yield
template <class Chapter>
class Reentrant final : public Chapter::template Generator<std::monostate, int> {
  using Base = typename Chapter::template Generator<std::monostate, int>;

 public:
  explicit Reentrant(std::vector<std::string>& log) : log_(log) {}

 private:
  typename Base::Result resume(typename Base::Input in) override {
    in.raise_if_thrown();
    if (resume_point_ == ResumePoint::AtYield) return Base::return_();
    attempt([&] { this->next(); });
    attempt([&] { this->send(1); });
    attempt([&] { this->throw_(std::runtime_error("again")); });
    attempt([&] { this->close(); });
    resume_point_ = ResumePoint::AtYield;
    return Base::yield();
  }

  template <class Act>
  void attempt(Act act) {
    try {
      act();
    } catch (const typename Chapter::GeneratorStateError& e) {
      log_.push_back(e.what());
    }
  }

  enum class ResumePoint { Start, AtYield };
  ResumePoint resume_point_ = ResumePoint::Start;
  std::vector<std::string>& log_;
};

}  // namespace generators_spec

template <class Chapter>
class Generators : public ::testing::Test {};

TYPED_TEST_SUITE_P(Generators);

// ---------------------------------------------------------------- states and next()

TYPED_TEST_P(Generators, ANewGeneratorIsCreatedAndHasRunNothing) {
  std::vector<std::string> log;
  generators_spec::Guarded<TypeParam> gen(log);

  EXPECT_EQ(gen.state(), TypeParam::GeneratorState::Created);
  EXPECT_THAT(log, ::testing::IsEmpty());
}

TYPED_TEST_P(Generators, NextRunsTheBodyToItsFirstYield) {
  std::vector<std::string> log;
  generators_spec::Guarded<TypeParam> gen(log);

  const auto result = gen.next();

  EXPECT_TRUE(result.yielded());
  EXPECT_EQ(gen.state(), TypeParam::GeneratorState::Suspended);
  EXPECT_THAT(log, ::testing::ElementsAre("started"));
}

TYPED_TEST_P(Generators, ItIsRunningWhileItsBodyRuns) {
  generators_spec::SelfObserver<TypeParam> gen;

  const auto seen_inside = gen.next().value();

  EXPECT_EQ(seen_inside, TypeParam::GeneratorState::Running);
  EXPECT_EQ(gen.state(), TypeParam::GeneratorState::Suspended);
}

TYPED_TEST_P(Generators, AReturnCarriesTheReturnValueAndClosesTheGenerator) {
  typename TypeParam::Counter counter(1);
  (void)counter.next();

  const auto result = counter.next();

  ASSERT_TRUE(result.returned());
  EXPECT_EQ(result.return_value(), std::optional<std::string>("done"));
  EXPECT_EQ(counter.state(), TypeParam::GeneratorState::Closed);
}

TYPED_TEST_P(Generators, FinishedGeneratorAnswersNextWithAnEmptyReturn) {
  typename TypeParam::Counter counter(0);
  const auto first = counter.next();

  const auto second = counter.next();
  const auto third = counter.next();

  EXPECT_EQ(first.return_value(), std::optional<std::string>("done"));
  ASSERT_TRUE(second.returned());
  EXPECT_EQ(second.return_value(), std::nullopt);
  ASSERT_TRUE(third.returned());
  EXPECT_EQ(third.return_value(), std::nullopt);
}

TYPED_TEST_P(Generators, FinishedGeneratorAnswersSendWithAnEmptyReturn) {
  std::ostringstream out;
  typename TypeParam::Producer producer(0, out);
  const auto first = producer.next();

  const auto second = producer.send(5);

  EXPECT_EQ(first.return_value(), std::optional<int>(1));
  ASSERT_TRUE(second.returned());
  EXPECT_EQ(second.return_value(), std::nullopt);
}

TYPED_TEST_P(Generators, ReadingTheWrongSideOfAResultThrows) {
  typename TypeParam::Counter counter(1);
  const auto yielded = counter.next();
  const auto returned = counter.next();

  EXPECT_THAT(
      generators_spec::what_it_throws<std::logic_error>([&] { (void)yielded.return_value(); }),
      ::testing::HasSubstr("the generator yielded"));
  EXPECT_THAT(
      generators_spec::what_it_throws<std::logic_error>([&] { (void)returned.value(); }),
      ::testing::HasSubstr("the generator returned"));
}

// ---------------------------------------------------------------- send()

TYPED_TEST_P(Generators, SendingAValueToAJustStartedGeneratorThrows) {
  std::ostringstream out;
  typename TypeParam::Printer printer(out);

  const std::string what = generators_spec::what_it_throws<typename TypeParam::GeneratorStateError>(
      [&] { printer.send("hello"); });

  EXPECT_THAT(what, ::testing::HasSubstr("just-started"));
  EXPECT_EQ(printer.state(), TypeParam::GeneratorState::Created);
  EXPECT_TRUE(printer.next().yielded());  // the refusal did not spoil it
  EXPECT_EQ(out.str(), "");
}

TYPED_TEST_P(Generators, SendDeliversTheValueAsTheResultOfTheYield) {
  std::ostringstream out;
  typename TypeParam::Printer printer(out);

  (void)printer.next();
  (void)printer.send("first");
  (void)printer.send("second");

  EXPECT_THAT(common::testing::lines_of(out.str()), ::testing::ElementsAre("first", "second"));
}

TYPED_TEST_P(Generators, NextResumesThePausedYieldWithNone) {
  std::ostringstream out;
  typename TypeParam::Printer printer(out);

  (void)printer.next();
  (void)printer.send("sent");
  (void)printer.next();

  EXPECT_THAT(common::testing::lines_of(out.str()), ::testing::ElementsAre("sent", "None"));
}

// ---------------------------------------------------------------- throw_()

TYPED_TEST_P(Generators, ThrowIntoSuspendedGeneratorIsRaisedAtTheYield) {
  generators_spec::Catcher<TypeParam> catcher;
  std::vector<std::string> yielded;

  yielded.push_back(catcher.next().value());
  yielded.push_back(catcher.throw_(std::runtime_error("boom")).value());
  yielded.push_back(catcher.next().value());

  EXPECT_THAT(yielded, ::testing::ElementsAre("waiting", "caught boom", "waiting"));
  EXPECT_EQ(catcher.state(), TypeParam::GeneratorState::Suspended);
}

TYPED_TEST_P(Generators, AnExceptionThrownInAndNotCaughtComesBackOutAndClosesIt) {
  typename TypeParam::Counter counter(3);
  (void)counter.next();

  const std::string what = generators_spec::what_it_throws<std::runtime_error>(
      [&] { counter.throw_(std::runtime_error("boom")); });

  EXPECT_EQ(what, "boom");
  EXPECT_EQ(counter.state(), TypeParam::GeneratorState::Closed);
  EXPECT_EQ(counter.next().return_value(), std::nullopt);
}

TYPED_TEST_P(Generators, AnExceptionEscapingTheBodyPropagatesAndClosesTheGenerator) {
  generators_spec::Failing<TypeParam> failing;
  (void)failing.next();

  const std::string what =
      generators_spec::what_it_throws<std::runtime_error>([&] { failing.next(); });

  EXPECT_EQ(what, "the body failed");
  EXPECT_EQ(failing.state(), TypeParam::GeneratorState::Closed);
  const auto after = failing.next();
  ASSERT_TRUE(after.returned());
  EXPECT_EQ(after.return_value(), std::nullopt);
}

TYPED_TEST_P(Generators, ThrowIntoAClosedGeneratorRethrowsIt) {
  typename TypeParam::Counter counter(0);
  (void)counter.next();

  const std::string what = generators_spec::what_it_throws<std::runtime_error>(
      [&] { counter.throw_(std::runtime_error("late")); });

  EXPECT_EQ(what, "late");
  EXPECT_EQ(counter.state(), TypeParam::GeneratorState::Closed);
}

TYPED_TEST_P(Generators, ThrowIntoAJustCreatedGeneratorRaisesWithoutRunningTheBody) {
  std::vector<std::string> log;
  generators_spec::Guarded<TypeParam> gen(log);

  const std::string what = generators_spec::what_it_throws<std::runtime_error>(
      [&] { gen.throw_(std::runtime_error("early")); });

  EXPECT_EQ(what, "early");
  EXPECT_THAT(log, ::testing::IsEmpty());
  EXPECT_EQ(gen.state(), TypeParam::GeneratorState::Closed);
}

TYPED_TEST_P(Generators, ThrowingAnEmptyExceptionPtrIsRefused) {
  typename TypeParam::Counter counter(3);
  (void)counter.next();

  const std::string what = generators_spec::what_it_throws<std::invalid_argument>(
      [&] { counter.throw_(std::exception_ptr()); });

  EXPECT_THAT(what, ::testing::HasSubstr("empty exception_ptr"));
  EXPECT_EQ(counter.state(), TypeParam::GeneratorState::Suspended);
}

// ---------------------------------------------------------------- close()

TYPED_TEST_P(Generators, CloseOnAJustCreatedGeneratorOnlyMarksItClosed) {
  std::vector<std::string> log;
  generators_spec::Guarded<TypeParam> gen(log);

  gen.close();

  EXPECT_EQ(gen.state(), TypeParam::GeneratorState::Closed);
  EXPECT_THAT(log, ::testing::IsEmpty());
  EXPECT_EQ(gen.next().return_value(), std::nullopt);
  EXPECT_THAT(log, ::testing::IsEmpty());
}

TYPED_TEST_P(Generators, CloseThrowsGeneratorExitIn) {
  std::vector<std::string> log;
  generators_spec::Guarded<TypeParam> gen(log, generators_spec::OnExit::Reraise);
  (void)gen.next();

  gen.close();

  EXPECT_THAT(log, ::testing::ElementsAre("started", "GeneratorExit at the yield"));
  EXPECT_EQ(gen.state(), TypeParam::GeneratorState::Closed);
}

TYPED_TEST_P(Generators, CloseOnAClosedGeneratorDoesNothing) {
  std::vector<std::string> log;
  generators_spec::Guarded<TypeParam> gen(log);
  (void)gen.next();
  gen.close();

  gen.close();

  EXPECT_THAT(log, ::testing::ElementsAre("started", "GeneratorExit at the yield"));
  EXPECT_EQ(gen.state(), TypeParam::GeneratorState::Closed);
}

TYPED_TEST_P(Generators, ReturningOnGeneratorExitClosesQuietly) {
  std::vector<std::string> log;
  generators_spec::Guarded<TypeParam> gen(log, generators_spec::OnExit::Return);
  (void)gen.next();

  gen.close();

  EXPECT_THAT(log, ::testing::ElementsAre("started", "GeneratorExit at the yield"));
  EXPECT_EQ(gen.state(), TypeParam::GeneratorState::Closed);
}

TYPED_TEST_P(Generators, GeneratorThatIgnoresGeneratorExitIsAnError) {
  std::vector<std::string> log;
  generators_spec::Guarded<TypeParam> gen(log, generators_spec::OnExit::YieldAgain);
  (void)gen.next();

  const std::string what = generators_spec::what_it_throws<typename TypeParam::GeneratorStateError>(
      [&] { gen.close(); });

  EXPECT_THAT(what, ::testing::HasSubstr("ignored GeneratorExit"));
  EXPECT_THAT(log, ::testing::ElementsAre("started", "GeneratorExit at the yield"));
  // As in Python: it did yield, so it is suspended at that yield.
  EXPECT_EQ(gen.state(), TypeParam::GeneratorState::Suspended);
}

TYPED_TEST_P(Generators, AnotherExceptionRaisedOnGeneratorExitEscapesClose) {
  std::vector<std::string> log;
  generators_spec::Guarded<TypeParam> gen(log, generators_spec::OnExit::RaiseOther);
  (void)gen.next();

  const std::string what =
      generators_spec::what_it_throws<std::runtime_error>([&] { gen.close(); });

  EXPECT_EQ(what, "cleanup failed");
  EXPECT_EQ(gen.state(), TypeParam::GeneratorState::Closed);
}

// ---------------------------------------------------------------- re-entry

TYPED_TEST_P(Generators, ReenteringARunningGeneratorIsRefused) {
  std::vector<std::string> log;
  generators_spec::Reentrant<TypeParam> gen(log);

  (void)gen.next();

  // next, send, throw_ and close, each tried from inside the body.
  EXPECT_THAT(log, ::testing::ElementsAre(::testing::HasSubstr("already executing"),
                                          ::testing::HasSubstr("already executing"),
                                          ::testing::HasSubstr("already executing"),
                                          ::testing::HasSubstr("already executing")));
  EXPECT_EQ(gen.state(), TypeParam::GeneratorState::Suspended);
}

// ---------------------------------------------------------------- the worked examples

TYPED_TEST_P(Generators, CounterYieldsOneToNThenReturnsDone) {
  typename TypeParam::Counter counter(3);
  std::vector<int> yielded;

  auto result = counter.next();
  while (result.yielded()) {
    yielded.push_back(result.value());
    result = counter.next();
  }

  EXPECT_THAT(yielded, ::testing::ElementsAre(1, 2, 3));
  EXPECT_EQ(result.return_value(), std::optional<std::string>("done"));
  EXPECT_EQ(counter.state(), TypeParam::GeneratorState::Closed);
}

TYPED_TEST_P(Generators, CounterOfZeroReturnsAtOnce) {
  typename TypeParam::Counter counter(0);

  const auto result = counter.next();

  ASSERT_TRUE(result.returned());
  EXPECT_EQ(result.return_value(), std::optional<std::string>("done"));
}

TYPED_TEST_P(Generators, PrinterPrintsEachValueOnItsOwnLine) {
  std::ostringstream out;
  typename TypeParam::Printer printer(out);

  (void)printer.next();
  for (const char* word : {"ping", "pong", "ping"}) (void)printer.send(word);
  printer.close();

  EXPECT_THAT(common::testing::lines_of(out.str()), ::testing::ElementsAre("ping", "pong", "ping"));
  EXPECT_EQ(printer.state(), TypeParam::GeneratorState::Closed);
}

TYPED_TEST_P(Generators, ExecutorMustBeStartedWithNextBeforeItIsSentACall) {
  std::ostringstream out;
  typename TypeParam::Executor executor(out);
  typename TypeParam::Producer producer(1, out);
  auto call = producer.next().value();

  const std::string what = generators_spec::what_it_throws<typename TypeParam::GeneratorStateError>(
      [&] { executor.send(call); });
  const auto started = executor.next();
  const auto answered = executor.send(call);

  EXPECT_THAT(what, ::testing::HasSubstr("just-started"));
  EXPECT_EQ(started.value(), std::nullopt);  // `result = None`, yielded first
  EXPECT_EQ(answered.value(), std::optional<int>(2));
}

TYPED_TEST_P(Generators, ProducerResumedWithNextInsteadOfSendFails) {
  std::ostringstream out;
  typename TypeParam::Producer producer(3, out);
  (void)producer.next();

  const std::string what =
      generators_spec::what_it_throws<std::invalid_argument>([&] { producer.next(); });

  EXPECT_THAT(what, ::testing::HasSubstr("use send()"));
  EXPECT_EQ(producer.state(), TypeParam::GeneratorState::Closed);
}

TYPED_TEST_P(Generators, PingPongShuttlesTenCallsBetweenProducerAndExecutor) {
  std::ostringstream out;
  typename TypeParam::Producer producer(10, out);
  typename TypeParam::Executor executor(out);

  TypeParam::run_ping_pong(producer, executor, out);

  EXPECT_THAT(common::testing::lines_of(out.str()),
              ::testing::ElementsAre(
                  "scheduler: next(executor) starts it; it waits at its first yield",
                  "scheduler: next(producer) runs it to its first request",
                  "producer: yield add(1, 1)", "executor: add(1, 1) = 2",
                  "producer: yield mul(2, 2)", "executor: mul(2, 2) = 4",
                  "producer: yield add(4, 3)", "executor: add(4, 3) = 7",
                  "producer: yield mul(7, 2)", "executor: mul(7, 2) = 14",
                  "producer: yield add(14, 5)", "executor: add(14, 5) = 19",
                  "producer: yield mul(19, 2)", "executor: mul(19, 2) = 38",
                  "producer: yield add(38, 7)", "executor: add(38, 7) = 45",
                  "producer: yield mul(45, 2)", "executor: mul(45, 2) = 90",
                  "producer: yield add(90, 9)", "executor: add(90, 9) = 99",
                  "producer: yield mul(99, 2)", "executor: mul(99, 2) = 198",
                  "producer: return 198",
                  "scheduler: producer returned 198 after 10 round trips",
                  "scheduler: close(executor)",
                  "executor: GeneratorExit at its yield; it finishes"));
}

TYPED_TEST_P(Generators, PingPongReturnsTheProducersReturnValueAndLeavesBothClosed) {
  std::ostringstream out;
  typename TypeParam::Producer producer(10, out);
  typename TypeParam::Executor executor(out);

  const int value = TypeParam::run_ping_pong(producer, executor, out);

  EXPECT_EQ(value, 198);
  EXPECT_EQ(producer.state(), TypeParam::GeneratorState::Closed);
  EXPECT_EQ(executor.state(), TypeParam::GeneratorState::Closed);
}

REGISTER_TYPED_TEST_SUITE_P(Generators,
                            ANewGeneratorIsCreatedAndHasRunNothing,
                            NextRunsTheBodyToItsFirstYield,
                            ItIsRunningWhileItsBodyRuns,
                            AReturnCarriesTheReturnValueAndClosesTheGenerator,
                            FinishedGeneratorAnswersNextWithAnEmptyReturn,
                            FinishedGeneratorAnswersSendWithAnEmptyReturn,
                            ReadingTheWrongSideOfAResultThrows,
                            SendingAValueToAJustStartedGeneratorThrows,
                            SendDeliversTheValueAsTheResultOfTheYield,
                            NextResumesThePausedYieldWithNone,
                            ThrowIntoSuspendedGeneratorIsRaisedAtTheYield,
                            AnExceptionThrownInAndNotCaughtComesBackOutAndClosesIt,
                            AnExceptionEscapingTheBodyPropagatesAndClosesTheGenerator,
                            ThrowIntoAClosedGeneratorRethrowsIt,
                            ThrowIntoAJustCreatedGeneratorRaisesWithoutRunningTheBody,
                            ThrowingAnEmptyExceptionPtrIsRefused,
                            CloseOnAJustCreatedGeneratorOnlyMarksItClosed,
                            CloseThrowsGeneratorExitIn,
                            CloseOnAClosedGeneratorDoesNothing,
                            ReturningOnGeneratorExitClosesQuietly,
                            GeneratorThatIgnoresGeneratorExitIsAnError,
                            AnotherExceptionRaisedOnGeneratorExitEscapesClose,
                            ReenteringARunningGeneratorIsRefused,
                            CounterYieldsOneToNThenReturnsDone,
                            CounterOfZeroReturnsAtOnce,
                            PrinterPrintsEachValueOnItsOwnLine,
                            ExecutorMustBeStartedWithNextBeforeItIsSentACall,
                            ProducerResumedWithNextInsteadOfSendFails,
                            PingPongShuttlesTenCallsBetweenProducerAndExecutor,
                            PingPongReturnsTheProducersReturnValueAndLeavesBothClosed);
