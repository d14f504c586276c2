"""The access log is append-only: the database and the ORM refuse to change or delete it; only
a flush of the whole database empties it.
"""

import sqlite3

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from core import append_only
from mentoring.models import AccessAction, AccessLogEntry, AccessLogStudent, Student
from mentoring.services.access_log import access_record
from workers.factories import StudentFactory, UserFactory

# Append-only ------------------------------------------------------------------------------------


@pytest.fixture
def entry(db):
    student = StudentFactory()
    return access_record(
        by=UserFactory(),
        action=AccessAction.READ,
        kind="student",
        student_ids=[student.pk],
        path="/api/v1/students/1/",
        address="127.0.0.1",
        object_id=student.pk,
    )


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE mentoring_accesslogentry SET path = '/elsewhere/'",
        "UPDATE mentoring_accesslogentry SET user_id = user_id + 1",
        "DELETE FROM mentoring_accesslogentry",
        "UPDATE mentoring_accesslogstudent SET student_id = student_id + 1",
        "DELETE FROM mentoring_accesslogstudent",
    ],
)
def test_the_database_refuses_to_change_or_delete_the_log(entry, sql):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    entry.refresh_from_db()
    assert entry.path == "/api/v1/students/1/"
    assert AccessLogStudent.objects.filter(entry=entry).count() == 1


def test_the_orm_cannot_change_or_delete_the_log_either(entry):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessLogEntry.objects.filter(pk=entry.pk).update(action=AccessAction.LIST)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessLogStudent.objects.filter(entry=entry).delete()
    assert AccessLogStudent.objects.filter(entry=entry).count() == 1


def test_deleting_a_student_or_an_account_keeps_what_the_log_says_of_them(entry):
    link = entry.students.get()
    Student.objects.filter(pk=link.student_id).delete()
    type(entry.user).objects.filter(pk=entry.user_id).delete()

    assert AccessLogStudent.objects.get(pk=link.pk).student_id == link.student_id
    assert AccessLogEntry.objects.get(pk=entry.pk).user_id == entry.user_id


@pytest.mark.django_db(transaction=True)
def test_flushing_the_whole_database_still_empties_the_log():
    """Emptying everything (the test suite between tests, `manage.py flush`) stays possible."""
    student = StudentFactory()
    access_record(
        by=UserFactory(),
        action=AccessAction.LIST,
        kind="student",
        student_ids=[student.pk],
        path="/",
        address=None,
    )
    call_command("flush", interactive=False, verbosity=0)
    assert AccessLogEntry.objects.count() == AccessLogStudent.objects.count() == 0


def test_sqlite_triggers_refuse_outside_a_flush_and_in_any_other_session(tmp_path):
    """The SQLite triggers themselves, whichever database the suite runs on."""
    create, _drop = append_only.sqlite_triggers("log", "log rows")
    path = tmp_path / "log.sqlite3"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE log (id INTEGER PRIMARY KEY, text TEXT)")
    for statement in create:
        raw.execute(statement)
    raw.execute("INSERT INTO log (text) VALUES ('read')")
    raw.commit()
    # Another session (the sqlite3 shell) has no function to ask: refused.
    with pytest.raises(sqlite3.OperationalError, match=append_only.ERASING_FUNCTION):
        raw.execute("DELETE FROM log")
    with pytest.raises(sqlite3.IntegrityError, match="append-only: UPDATE refused"):
        raw.execute("UPDATE log SET text = 'changed'")

    class Wrapper:  # what `connection_created` hands the receiver
        vendor = "sqlite"
        connection = raw

    append_only.register_sqlite_function(sender=None, connection=Wrapper())
    with pytest.raises(sqlite3.IntegrityError, match="append-only: DELETE refused"):
        raw.execute("DELETE FROM log")
    with append_only.erasing_everything():
        with pytest.raises(sqlite3.IntegrityError, match="UPDATE refused"):
            raw.execute("UPDATE log SET text = 'changed'")
        raw.execute("DELETE FROM log")
    assert raw.execute("SELECT count(*) FROM log").fetchone() == (0,)
    raw.close()
