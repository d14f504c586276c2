"""The scene of the access log's tests: a district with every kind of record, and helpers that
read the log's entries.
"""

import datetime

import pytest

from mentoring.models import AccessLogEntry, Assessment, AssessmentStatus, Role
from tests.report_scene import busy_school, kindergarten_scene
from workers.factories import DistrictFactory, SchoolFactory, StudentFactory, member
from workers.models import ReportStatus
from workers.reports import report_start

LOG = "/api/v1/access-log/"


def entries_after(mark: int) -> list[AccessLogEntry]:
    return list(AccessLogEntry.objects.filter(pk__gt=mark).order_by("pk"))


def last_pk() -> int:
    return AccessLogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def students_of(entry: AccessLogEntry) -> list[int]:
    return sorted(entry.students.values_list("student_id", flat=True))


def one_entry(mark: int) -> AccessLogEntry:
    made = entries_after(mark)
    assert len(made) == 1, [(e.object_kind, e.path) for e in made]
    return made[0]


# A district with every kind of record -----------------------------------------------------------


@pytest.fixture
def town(db, django_capture_on_commit_callbacks):
    """The seeds' kindergarten and a busy primary school of one district, and one more district.

    `scene.admin` administers both schools: the district's administrator.
    """
    scene = kindergarten_scene()
    scene.busy = busy_school(scene, "BUSY", 40)
    # The scene leaves its publicized assessments without the notice's dates the service sets.
    Assessment.objects.filter(status=AssessmentStatus.PUBLICIZED).update(
        notice_starts_on=datetime.date(2026, 9, 10), notice_ends_on=datetime.date(2026, 9, 18)
    )
    scene.school_admin = member(Role.ADMINISTRATOR, scene.busy, username="busy_admin")
    scene.abroad = SchoolFactory(district=DistrictFactory(code="ELSEWHERE"))
    scene.foreigner = StudentFactory(school=scene.abroad)
    with django_capture_on_commit_callbacks(execute=True):
        report = report_start(by=scene.admin, term_id=scene.term.pk, district_id=scene.district.pk)
    report.refresh_from_db()
    assert report.status == ReportStatus.ISSUED, report.error
    scene.report = report
    return scene
