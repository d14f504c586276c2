"""A duplicate key while the roster is written (another import got there first): the import's
409, nothing written. The rows go in through core.bulk.insert (COPY on PostgreSQL, executemany
on SQLite), whose error must reach the import as Django's IntegrityError for this to hold."""

import pytest
from django.db import IntegrityError

from mentoring.models import HardshipIndicator, Student, StudentRecord
from mentoring.services import roster_writer
from tests.mentoring.roster.roster_scene import csv_file, roster_row, row_counts, send
from workers.factories import StudentFactory


def import_meets_a_duplicate_and_check(admin, school_a, term, monkeypatch):
    rows = [roster_row(n, school_a) for n in range(1, 4)]
    write = roster_writer._Inserter.__call__
    refused = []
    copied = []

    def racing(self, model, names, new_rows):
        if model is Student:
            # Another import commits the same student number between the check and the write.
            StudentFactory(school=school_a, student_number=rows[1]["学籍号"])
        try:
            return write(self, model, names, new_rows)
        except Exception as exc:
            refused.append(exc)
            raise

    def copy_spy(model, *args, **kwargs):
        copied.append(model)
        return insert(model, *args, **kwargs)

    insert = roster_writer.bulk.insert
    monkeypatch.setattr(roster_writer._Inserter, "__call__", racing)
    monkeypatch.setattr(roster_writer.bulk, "insert", copy_spy)

    response = send(admin, csv_file(rows), term)

    assert response.status_code == 409, response.json()
    assert "Another import changed these students" in str(response.json())
    assert [type(exc) for exc in refused] == [IntegrityError]
    assert copied == [Student]
    # Nothing of the import, nor of its history, was written.
    assert row_counts() == (0, 0, 0)
    assert Student.history.count() == StudentRecord.history.count() == 0
    assert HardshipIndicator.history.count() == 0


@pytest.mark.django_db
def test_duplicate_key_while_writing_answers_409_and_writes_nothing(
    admin, school_a, term, monkeypatch
):
    import_meets_a_duplicate_and_check(admin, school_a, term, monkeypatch)


@pytest.mark.postgres
@pytest.mark.django_db
def test_duplicate_key_from_copy_answers_409_and_writes_nothing_on_postgresql(
    admin, school_a, term, monkeypatch
):
    import_meets_a_duplicate_and_check(admin, school_a, term, monkeypatch)
