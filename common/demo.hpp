// What every demo does with its command line: at most one argument, the name of the poller to
// run on. A bad argument gets the usage line and exit status 2, as a command-line tool answers.
#pragma once

#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace common {

[[noreturn]] inline void exit_with_usage(const char* program, std::string_view usage,
                                         std::string_view why) {
  std::cerr << "usage: " << program << (usage.empty() ? "" : " ") << usage << '\n'
            << why << '\n';
  std::exit(2);
}

/// The poller's name the demo was given, or `fallback` if none; more than one argument exits.
inline std::string poller_argument(int argc, char** argv, std::string_view fallback) {
  if (argc > 2) exit_with_usage(argv[0], "[POLLER]", "a demo takes one argument at most");
  return std::string(argc > 1 ? std::string_view(argv[1]) : fallback);
}

/// A loop on the poller `name`; a name the chapter's make_poller refuses exits with the usage
/// line and make_poller's own words, which list the names it knows.
template <class Loop>
Loop make_loop_or_exit(const char* program, const std::string& name) {
  try {
    return Loop(name);
  } catch (const std::invalid_argument& unknown) {
    exit_with_usage(program, "[POLLER]", unknown.what());
  }
}

/// Both at once: `IOLoop loop = common::loop_from_arguments<IOLoop>(argc, argv, "default");`
template <class Loop>
Loop loop_from_arguments(int argc, char** argv, std::string_view fallback) {
  return make_loop_or_exit<Loop>(argv[0], poller_argument(argc, argv, fallback));
}

}  // namespace common
