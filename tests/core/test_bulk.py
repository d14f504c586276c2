"""Fast inserts with their history: COPY on PostgreSQL, bulk_create elsewhere."""

import pytest
from django.db import IntegrityError, connection, transaction

from core import bulk
from mentoring.models import MatchRun, Pairing, PairingStatus, ProposedPair, Student
from workers.factories import MentorFactory, PairingFactory, StudentFactory, member
from workers.models import JobKind
from workers.services import job_create


def insert_and_check(school_a):
    base = PairingFactory(student=StudentFactory(school=school_a))
    admin = member("administrator", school_a)
    students = [StudentFactory(school=school_a) for _ in range(3)]
    mentor = MentorFactory(schools=[school_a])
    bulk.insert(
        Pairing,
        ["term_id", "student_id", "mentor_id", "kind", "status", "started_on", "reason"],
        [
            (
                base.term_id,
                s.pk,
                mentor.pk,
                "academic",
                PairingStatus.PROPOSED,
                base.started_on,
                "r",
            )
            for s in students
        ],
    )
    created = Pairing.objects.filter(student__in=students)
    assert created.count() == 3
    row = created.first()
    assert (row.status, row.reason, row.end_reason, row.ended_on) == ("proposed", "r", "", None)
    assert row.created_at is not None

    bulk.record_history(created, user=admin)
    history = Pairing.history.filter(id__in=created.values("pk"))
    assert history.count() == 3
    assert {h.history_user_id for h in history} == {admin.pk}
    assert {h.history_type for h in history} == {"+"}

    run = MatchRun.objects.create(
        term=base.term,
        kinds=["academic"],
        created_by=admin,
        job=job_create(kind=JobKind.MATCH_RUN, started_by=admin),
    )
    bulk.insert(
        ProposedPair,
        ["run_id", "pairing_id", "cost", "reasons"],
        [(run.pk, p.pk, 7, {"subjects_matched": ["math"]}) for p in created],
    )
    proposals = ProposedPair.objects.filter(run=run)
    assert [p.reasons for p in proposals] == [{"subjects_matched": ["math"]}] * 3
    assert {p.by_hand for p in proposals} == {False}


@pytest.mark.django_db
def test_insert_and_history_on_the_current_database(school_a):
    insert_and_check(school_a)


@pytest.mark.postgres
@pytest.mark.django_db
def test_insert_uses_copy_on_postgresql(school_a):
    insert_and_check(school_a)


def insert_with_history_and_check(school_a):
    base = PairingFactory(student=StudentFactory(school=school_a))
    admin = member("administrator", school_a)
    students = [StudentFactory(school=school_a) for _ in range(4)]
    mentor = MentorFactory(schools=[school_a])
    # Text and JSON that COPY's text format must escape, and Chinese.
    awkward = ["tab\there", "new\nline\r", "back\\slash \\N", "配对 by hand"]
    ids = bulk.insert(
        Pairing,
        ["term_id", "student_id", "mentor_id", "kind", "status", "started_on", "reason"],
        [
            (base.term_id, s.pk, mentor.pk, "academic", PairingStatus.PROPOSED, None, reason)
            for s, reason in zip(students, awkward, strict=True)
        ],
        history=True,
        user=admin,
    )

    created = list(Pairing.objects.filter(pk__in=ids))
    assert sorted(ids) == sorted(p.pk for p in created)
    by_id = {p.pk: p for p in created}
    assert [by_id[pk].student_id for pk in ids] == [s.pk for s in students]
    assert [by_id[pk].reason for pk in ids] == awkward
    assert {p.started_on for p in created} == {None}
    history = Pairing.history.filter(id__in=ids)
    assert history.count() == 4
    for h in history:
        row = by_id[h.id]
        assert (h.history_type, h.history_user_id, h.history_change_reason) == ("+", admin.pk, None)
        assert (h.term_id, h.student_id, h.mentor_id, h.kind, h.status) == (
            row.term_id,
            row.student_id,
            row.mentor_id,
            row.kind,
            row.status,
        )
        assert (h.reason, h.end_reason, h.started_on, h.created_at) == (
            row.reason,
            row.end_reason,
            row.started_on,
            row.created_at,
        )

    run = MatchRun.objects.create(
        term=base.term,
        kinds=["academic"],
        created_by=admin,
        job=job_create(kind=JobKind.MATCH_RUN, started_by=admin),
    )
    shared = {"subjects_matched": ["数学", 'say "hi"\t\\'], "grade_fit": None}
    reasons = [shared, shared, {"continuity": True}, {}]
    proposal_ids = bulk.insert(
        ProposedPair,
        ["run_id", "pairing_id", "cost", "reasons"],
        [(run.pk, pk, n, why) for n, (pk, why) in enumerate(zip(ids, reasons, strict=True))],
    )
    stored = {p.pk: p for p in ProposedPair.objects.filter(run=run)}
    assert [stored[pk].reasons for pk in proposal_ids] == reasons
    assert [stored[pk].cost for pk in proposal_ids] == [0, 1, 2, 3]
    assert bulk.insert(ProposedPair, ["run_id"], []) == []


@pytest.mark.django_db
def test_insert_with_history_on_the_current_database(school_a):
    insert_with_history_and_check(school_a)


@pytest.mark.postgres
@pytest.mark.django_db
def test_insert_with_history_uses_copy_and_the_sequence_on_postgresql(school_a):
    insert_with_history_and_check(school_a)
    # The keys came from the table's sequence: a row created the ordinary way follows them.
    later = PairingFactory(student=StudentFactory(school=school_a))
    assert later.pk > Pairing.objects.exclude(pk=later.pk).order_by("-pk").first().pk


def update_with_history_and_check(school_a):
    admin = member("administrator", school_a)
    changed = [PairingFactory(student=StudentFactory(school=school_a)) for _ in range(3)]
    other = PairingFactory(student=StudentFactory(school=school_a))
    before = {p.pk: (p.status, p.started_on) for p in [*changed, other]}
    start = other.term.start_date

    count = bulk.update_with_history(
        Pairing.objects.filter(pk__in=[p.pk for p in changed]),
        {"status": PairingStatus.ACTIVE, "started_on": start},
        user=admin,
    )

    assert count == 3
    for pairing in changed:
        pairing.refresh_from_db()
        assert (pairing.status, pairing.started_on) == (PairingStatus.ACTIVE, start)
        latest = pairing.history.order_by("-history_id").first()
        assert (latest.history_type, latest.history_user_id) == ("~", admin.pk)
        assert (latest.status, latest.started_on, latest.reason) == (
            pairing.status,
            pairing.started_on,
            pairing.reason,
        )
    other.refresh_from_db()
    assert (other.status, other.started_on) == before[other.pk]
    assert not other.history.filter(history_type="~").exists()
    # Nothing to change: nothing written, on either database.
    assert bulk.update_with_history(Pairing.objects.none(), {"status": "ended"}, user=admin) == 0
    assert bulk.update_with_history(Pairing.objects.filter(pk__in=[]), {"status": "x"}) == 0


@pytest.mark.django_db
def test_update_with_history_on_the_current_database(school_a):
    update_with_history_and_check(school_a)


@pytest.mark.postgres
@pytest.mark.django_db
def test_update_with_history_in_one_statement_on_postgresql(school_a):
    update_with_history_and_check(school_a)


def delete_with_history_and_check(school_a):
    admin = member("administrator", school_a)
    gone = [PairingFactory(student=StudentFactory(school=school_a)) for _ in range(3)]
    kept = PairingFactory(student=StudentFactory(school=school_a))
    run = MatchRun.objects.create(
        term=kept.term,
        kinds=["academic"],
        created_by=admin,
        job=job_create(kind=JobKind.MATCH_RUN, started_by=admin),
    )
    for pairing in [*gone, kept]:
        ProposedPair.objects.create(run=run, pairing=pairing, cost=1, reasons={})
    as_they_were = {p.pk: (p.student_id, p.status, p.reason) for p in gone}

    count = bulk.delete_with_history(
        Pairing.objects.filter(pk__in=[p.pk for p in gone]),
        user=admin,
        dependents=[(ProposedPair, "pairing_id")],
    )

    assert count == 3
    assert list(Pairing.objects.values_list("pk", flat=True)) == [kept.pk]
    assert list(ProposedPair.objects.values_list("pairing_id", flat=True)) == [kept.pk]
    removed = Pairing.history.filter(history_type="-")
    assert {h.id: (h.student_id, h.status, h.reason) for h in removed} == as_they_were
    assert {h.history_user_id for h in removed} == {admin.pk}
    assert bulk.delete_with_history(Pairing.objects.none(), user=admin) == 0
    assert Pairing.objects.count() == 1


@pytest.mark.django_db
def test_delete_with_history_on_the_current_database(school_a):
    delete_with_history_and_check(school_a)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_delete_with_history_in_one_statement_on_postgresql(school_a):
    # transaction=True: the foreign keys, checked at commit, are checked for real.
    delete_with_history_and_check(school_a)


def history_reason_and_duplicates_check(school_a):
    admin = member("administrator", school_a)
    taken = StudentFactory(school=school_a, student_number="G1")
    names = ["school_id", "student_number", "name", "gender", "birth_date", "id_hash", "id_masked"]

    def row(number):
        return (school_a.pk, number, "学生", "male", taken.birth_date, "h" * 64, "*" * 18)

    ids = bulk.insert(Student, names, [row("G2"), row("G3")], history=True, user=admin, reason="r")
    history = Student.history.filter(id__in=ids)
    assert {(h.history_type, h.history_user_id, h.history_change_reason) for h in history} == {
        ("+", admin.pk, "r")
    }

    # A duplicate key comes out as Django's IntegrityError (from COPY on PostgreSQL too),
    # so a caller's `except IntegrityError` sees it, and the savepoint undoes the batch.
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk.insert(Student, names, [row("G4"), row("G1")], history=True, user=admin)
    assert sorted(Student.objects.values_list("student_number", flat=True)) == ["G1", "G2", "G3"]
    assert Student.history.filter(student_number="G4").count() == 0


@pytest.mark.django_db
def test_history_reason_and_duplicate_key_on_the_current_database(school_a):
    history_reason_and_duplicates_check(school_a)


@pytest.mark.postgres
@pytest.mark.django_db
def test_history_reason_and_duplicate_key_from_copy_on_postgresql(school_a):
    history_reason_and_duplicates_check(school_a)


def json_values_check(school_a):
    # 1, True and 1.0 are equal in Python, yet JSON stores each as written: a
    # column of them must not go in as three copies of the first.
    pairings = [PairingFactory(student=StudentFactory(school=school_a)) for _ in range(3)]
    admin = member("administrator", school_a)
    run = MatchRun.objects.create(
        term=pairings[0].term,
        kinds=["academic"],
        created_by=admin,
        job=job_create(kind=JobKind.MATCH_RUN, started_by=admin),
    )
    values = [1, True, 1.0]
    ids = bulk.insert(
        ProposedPair,
        ["run_id", "pairing_id", "cost", "reasons"],
        [(run.pk, p.pk, 7, value) for p, value in zip(pairings, values, strict=True)],
    )
    stored = [ProposedPair.objects.get(pk=pk).reasons for pk in ids]
    assert [(type(value), value) for value in stored] == [(int, 1), (bool, True), (float, 1.0)]


@pytest.mark.django_db
def test_equal_but_different_json_values_keep_their_kind_on_the_current_database(school_a):
    json_values_check(school_a)


@pytest.mark.postgres
@pytest.mark.django_db
def test_equal_but_different_json_values_keep_their_kind_on_postgresql(school_a):
    json_values_check(school_a)


@pytest.mark.django_db(transaction=True)
def test_rows_taking_keys_after_the_first_go_in_within_one_transaction(school_a):
    # On SQLite the keys after the first row's are free only while its write
    # holds the lock, that is until the transaction ends: in autocommit mode
    # the insert must open one itself. (PostgreSQL takes its keys from the
    # sequence beforehand and writes with one COPY.)
    if connection.vendor == "postgresql":
        pytest.skip("COPY writes the rows in one statement")
    students = [StudentFactory(school=school_a) for _ in range(2)]
    base = PairingFactory(student=StudentFactory(school=school_a))
    mentor = MentorFactory(schools=[school_a])
    seen = []

    def record(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("INSERT"):
            seen.append(connection.in_atomic_block)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        ids = bulk.insert(
            Pairing,
            ["term_id", "student_id", "mentor_id", "kind", "status", "started_on"],
            [
                (base.term_id, s.pk, mentor.pk, "academic", "proposed", base.started_on)
                for s in students
            ],
        )
    assert Pairing.objects.filter(pk__in=ids).count() == 2
    assert seen and all(seen)
