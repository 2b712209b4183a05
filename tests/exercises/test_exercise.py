#!/usr/bin/env python3
"""The exercise tool's own pieces, on inputs the chapters do not happen to contain yet."""

import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import exercise  # noqa: E402


class BodySpan(unittest.TestCase):
    def body(self, text, signature):
        open_at, close_at = exercise.body_span(text, text.index(signature))
        return text[open_at:close_at + 1]

    def test_braces_inside_strings_comments_and_characters_do_not_count(self):
        text = 'void f(int x) {\n  g("}{", \'}\');  // }\n  /* { */ h(R"x(})x");\n}\nint after;'
        self.assertEqual(self.body(text, "void f"), text[text.index("{"):text.index("\nint after")])

    def test_default_arguments_and_requires_clauses_come_before_the_body(self):
        text = "void f(std::vector<int> v = {}) const\n  requires(sizeof(int) == 4)\n{ return; }"
        self.assertEqual(self.body(text, "void f"), "{ return; }")

    def test_digit_separators_are_not_character_literals(self):
        text = "int f() { return 1'000'000; }"
        self.assertEqual(self.body(text, "int f"), "{ return 1'000'000; }")

    def test_a_declaration_is_refused(self):
        with self.assertRaises(ValueError):
            exercise.body_span("void f(int x);\nvoid g() {}", 0)


class Sentence(unittest.TestCase):
    def test_a_spec_name_reads_as_a_sentence_keeping_acronyms(self):
        self.assertEqual(exercise.sentence("AHandlerRunsWhenItsFdIsReadable"),
                         "A handler runs when its fd is readable")
        self.assertEqual(exercise.sentence("APeerThatSendsEOFMidHeadGets400"),
                         "A peer that sends EOF mid head gets 400")


class Stub(unittest.TestCase):
    def test_a_stub_names_the_function_and_where_it_is_taught(self):
        function = {"name": "IOLoop::dispatch", "section": "Dispatch: one fd at a time"}
        stub = exercise.stub_body(function, "notes/02-select-loop.md", "  ")
        self.assertIn('common::exercise::unfinished("IOLoop::dispatch",', stub)
        self.assertIn('"notes/02-select-loop.md, \\"Dispatch: one fd at a time\\""', stub)

    def test_a_deduced_return_type_is_given_by_a_lambda(self):
        function = {"name": "IOLoop::run_sync", "section": "run_sync", "returns": "int"}
        stub = exercise.stub_body(function, "notes/06-futures.md", "")
        self.assertIn("return [&]() -> int {", stub)


if __name__ == "__main__":
    unittest.main()
