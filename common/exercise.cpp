#include "common/exercise.hpp"

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace common::exercise {

void unfinished(const char* function, const char* where) {
  const std::string message =
      std::string("unfinished exercise: ") + function + " (" + where + ")";
  if (std::getenv("TUTORIAL_CHECK") != nullptr) {
    std::fprintf(stderr, "\n%s\n", message.c_str());
    std::fflush(stderr);
    std::_Exit(86);  // the checker reads the line above; the exit status is only a backstop
  }
  throw std::logic_error(message);
}

}  // namespace common::exercise
