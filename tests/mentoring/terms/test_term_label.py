"""A term is shown as people name it, in the reader's language; an unusual code as it is."""

from django.utils import translation

from mentoring.models import Term


def test_a_term_reads_as_its_year_and_season():
    with translation.override("zh-hans"):
        assert Term(code="2026-autumn").label == "2026年秋季学期"
        assert Term(code="2027-spring").label == "2027年春季学期"
    with translation.override("en"):
        assert Term(code="2026-autumn").label == "2026 autumn term"
    assert Term(code="2026-bench").label == "2026-bench"
