// The loop every benchmark measures: the newest complete chapter's.
// To measure a later chapter, change the includes and the alias below, and the dependency
// `final_chapter_dep` in bench/meson.build; no benchmark names a chapter anywhere else.
#pragma once

#include "07_iostream/examples.hpp"     // chapter 1's hand-written state machines (Counter)
#include "07_iostream/gen.hpp"          // Coroutine<T>, coroutine(), moment, multi
#include "07_iostream/httpserver.hpp"   // HTTPServer, for http_servers.cpp
#include "07_iostream/ioloop.hpp"       // IOLoop, make_poller, Future

// Chapter 7 adds streams and servers on top; its loop is chapter 6's, unchanged.
namespace final_chapter = ch07;
