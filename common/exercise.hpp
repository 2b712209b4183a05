// The reader's exercises (./tutorial exercise N): a workspace copy of a chapter in which the
// chapter's central functions have lost their bodies. Each such body is one call to
// unfinished(), naming the function and the section of the notes that teaches it.
#pragma once

namespace common::exercise {

/// A stub's whole body. Outside a check it throws std::logic_error with a message naming
/// `function` and `where` to read about it (in a noexcept function that ends the program, with
/// the message printed first). Under ./tutorial check (TUTORIAL_CHECK set) it prints one line,
/// "unfinished exercise: <function> (<where>)", and ends the process at once: the spec that
/// reached it has failed, and nothing it waits for can come, so the checker records the
/// failure and carries on with the next spec, in a fresh process.
[[noreturn]] void unfinished(const char* function, const char* where);

}  // namespace common::exercise
