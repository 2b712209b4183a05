// Must NOT compile: run_sync with a function that returns a plain value. Tornado 4.3+ refuses
// a non-None, non-yieldable value at run time; we refuse it at compile time, and the error
// must say what to return instead. tests/compile_fail/meson.build compiles this against each
// chapter that has run_sync (CHAPTER_IOLOOP and CHAPTER name it) and checks the message.
#include CHAPTER_IOLOOP

int main() {
  CHAPTER::IOLoop loop;
  return loop.run_sync([] { return 42; });
}
