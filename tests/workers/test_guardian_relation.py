"""The demo's applicants are filed as the parent their name reads as (issue 17: 张玉梅 as 父亲)."""

from mentoring.models import ApplicantRelation
from workers.factories import guardian_relation_of


def test_a_woman_s_name_is_the_mother_and_a_man_s_the_father():
    for name in ("张玉梅", "程倩", "李秀梅", "左莹"):
        assert guardian_relation_of(name) == ApplicantRelation.MOTHER, name
    for name in ("王建国", "李强", "欧阳伟"):
        assert guardian_relation_of(name) == ApplicantRelation.FATHER, name


def test_a_name_of_neither_list_is_an_appointed_guardian():
    assert guardian_relation_of("家长") == ApplicantRelation.GUARDIAN
    assert guardian_relation_of("") == ApplicantRelation.GUARDIAN
