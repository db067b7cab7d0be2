"""Failure messages of the verdict (solutions_lib.grading.judge): the first line says what is
wrong in under 80 characters (nbgrader cuts long lines; a calm validate shows only that line),
the case, the arrays and the likely mistake follow.
"""
import pytest

from checker import wire
from solutions_lib.grading import catalogue
from solutions_lib.grading.judge import FIRST_LINE, first_line, judge, outcome

MISTAKES = [(name, m.key) for name in catalogue.graded_names() for m in catalogue.mistakes(name)]


def _verdict(name, source):
    ns = {}
    exec(compile(source, f"<test {name}>", "exec"), ns)
    cases = catalogue.make_cases(name)
    results = wire.decode(wire.encode([list(outcome(ns[name], case)) for case in cases]))
    return judge(name, catalogue.alternative(name), results, [])


@pytest.mark.parametrize("name,key", MISTAKES)
def test_the_first_line_of_every_mistakes_message_fits_in_80_characters(name, key):
    v = _verdict(name, catalogue.mistake_source(name, key))
    head, *rest = v.message.splitlines()
    assert len(head) < 80, head
    assert head.startswith(f"{name}: case "), head
    assert rest and rest[0].startswith("case "), v.message        # the case's description next
    assert f"Likely mistake: {key}:" in rest[-1], v.message


def test_first_line_cuts_at_a_clause_and_keeps_short_text_whole():
    assert first_line("f: case 1 of 9 fails: wrong shape") == "f: case 1 of 9 fails: wrong shape"
    long = "f: case 1 of 9 fails: wrong value at index (0, 1): expected 1.0, got 2.0; " + "x" * 80
    cut = first_line(long)
    assert len(cut) <= FIRST_LINE and cut == "f: case 1 of 9 fails: wrong value at index (0, 1): expected 1.0, got 2.0..."
    assert len(first_line("y" * 200)) == FIRST_LINE


def test_a_long_why_is_cut_on_the_first_line_and_given_whole_after():
    name = "flip"
    source = "import numpy as np\n\ndef flip(a):\n    return np.asarray(a) + 1.0\n"
    v = _verdict(name, source)
    head, desc, *rest = v.message.splitlines()
    assert len(head) < 80 and head.endswith("..."), v.message
    assert desc.startswith("case 1: ") and any(line.startswith("wrong value at index") for line in rest), v.message
