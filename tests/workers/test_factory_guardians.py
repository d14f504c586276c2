"""The student factory never names a guardian as a test names a review committee member.

A member who shares the applicant's guardian's name is refused as kin
(mentoring.services.review_committees); with random guardian names a test's
decision was refused now and then (CI of 2026-12-06: 400 instead of 302, a
guardian drawn as 周敏).
"""

import re
from pathlib import Path

import factory
import pytest

from workers.factories import COMMITTEE_MEMBER_NAMES, StudentFactory, guardian_name

TESTS = Path(__file__).resolve().parents[1]


def test_a_drawn_member_name_is_drawn_again(monkeypatch):
    faker = factory.Faker._get_faker(locale="zh_CN")
    drawn = iter(["周敏", "王建国", "刘桂英"])
    monkeypatch.setattr(faker, "name", lambda: next(drawn))

    assert guardian_name() == "刘桂英"


@pytest.mark.django_db
def test_the_factory_draws_its_guardians_so(monkeypatch):
    faker = factory.Faker._get_faker(locale="zh_CN")
    drawn = iter(["孙老师", "张秀兰"])
    monkeypatch.setattr(faker, "name", lambda: next(drawn))

    assert StudentFactory().guardian_name == "张秀兰"


def test_every_member_name_the_tests_use_is_kept_from_guardians():
    member = re.compile(r'"name": "([^"]+)", "role"')
    # The names a Chinese name generator could draw: two to four Han characters.
    han = re.compile(r"[\u4e00-\u9fff]{2,4}")
    used = {
        name
        for path in TESTS.rglob("*.py")
        for name in member.findall(path.read_text(encoding="utf-8"))
        if han.fullmatch(name)
    }
    assert used, "no committee member found: the pattern no longer matches the tests"
    assert used <= COMMITTEE_MEMBER_NAMES, sorted(used - COMMITTEE_MEMBER_NAMES)
