"""A student's grade and class, written once for every page (issue 17: a kindergarten child
read "3年级 4班", and English pages "class 3班")."""

from types import SimpleNamespace

from django.template.loader import render_to_string
from django.utils import translation

from mentoring.models import PairingKind, SchoolLevel
from mentoring.models.students import grade_and_class


def test_a_kindergarten_child_is_in_the_kindergarten_s_year_not_a_school_grade():
    with translation.override("en"):
        label = grade_and_class(level=SchoolLevel.PRESCHOOL, grade=3, class_name="4班")

    assert label == "Senior class, class 4"


def test_a_school_class_reads_as_its_number_in_english():
    with translation.override("en"):
        label = grade_and_class(level=SchoolLevel.PRIMARY, grade=6, class_name="1班")

    assert label == "Grade 6, class 1"


def test_the_mentor_s_card_writes_the_grade_with_the_same_words():
    pairing = SimpleNamespace(
        level=SchoolLevel.PRESCHOOL,
        grade=1,
        class_name="2班",
        get_kind_display=lambda: PairingKind.CARE.label,
    )

    with translation.override("en"):
        card = render_to_string("mentoring/teacher/_student.html", {"pairing": pairing})

    assert card.startswith("Junior class, class 2 · ")


def test_the_weak_subjects_of_a_pair_are_listed_with_the_page_s_separator():
    from console.matching import reason_words

    with translation.override("en"):
        (english,) = reason_words({"subjects_matched": ["english", "math"]})
    with translation.override("zh-hans"):
        (chinese,) = reason_words({"subjects_matched": ["english", "math"]})

    assert english.endswith("English, Mathematics")
    assert "、" in chinese and ", " not in chinese
