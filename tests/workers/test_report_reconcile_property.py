"""Any term built through the real services gives a report that reconciles.

Hypothesis draws a term: projects of every source with funding, standards
and quotas (`project_save`), appropriations received in part
(`appropriation_receive`), donations recorded and posted
(`contribution_record`, `contribution_post`), allocation runs (`allocate`),
awards by hand (`award_create`), payments (`disbursement_pay`), payments
reversed (`disbursement_reverse`) and tutoring sessions (`session_log`). The
report is built as the task builds it (`report_build`, which refuses to
issue a report that does not reconcile), for the district and for one
school, and checked again against the ledger's own sums. Each example runs
in a savepoint rolled back at its end.
"""

import datetime

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import DomainError
from donations.models import Award, AwardStatus, FundSource, PaymentMethod
from donations.services.allocation import allocate
from donations.services.awards import award_create
from donations.services.contributions import contribution_post, contribution_record
from donations.services.disbursements import disbursement_pay, disbursement_reverse
from donations.services.donors import donor_save
from donations.services.projects import appropriation_receive, project_save
from mentoring.models import Assessment, AssessmentRoute, AssessmentStatus, SchoolLevel, SessionKind
from mentoring.services.sessions import session_log
from tests.award_days import made_at_term_start
from tests.report_scene import add_students
from workers.factories import (
    DistrictFactory,
    GuardianAccountFactory,
    MentorFactory,
    PairingFactory,
    SchoolFactory,
    TermFactory,
    member,
)
from workers.models import ReportStatus
from workers.reporting.collect_money import ledger_sums
from workers.reporting.reconcile import reconcile
from workers.reports import report_build, report_start

PAID_ON = datetime.date(2026, 10, 20)
DONATED_ON = datetime.date(2026, 9, 20)

FEN = st.integers(min_value=1, max_value=500_000)
PROJECTS = st.lists(
    st.fixed_dictionaries(
        {
            "source": st.sampled_from(FundSource.values),
            # Two projects may share a purpose: then one student cannot have both.
            "purpose": st.sampled_from(["living", "living", "boarding", "gift"]),
            "funding": st.dictionaries(
                st.sampled_from(FundSource.values), FEN, min_size=0, max_size=2
            ),
            # Of each funding, the share (0-100 %) received.
            "received_share": st.integers(min_value=0, max_value=100),
            "yearly_fen": st.integers(min_value=2, max_value=200_000),
            "places": st.integers(min_value=0, max_value=4),
            "allocate": st.booleans(),
            "donations": st.lists(FEN, max_size=2),
        }
    ),
    min_size=1,
    max_size=3,
)
TERMS = st.fixed_dictionaries(
    {
        "projects": PROJECTS,
        "students": st.tuples(
            st.integers(min_value=1, max_value=6), st.integers(min_value=1, max_value=6)
        ),
        # Awards by hand: (project index, student index, amount).
        "by_hand": st.lists(
            st.tuples(st.integers(0, 2), st.integers(0, 11), st.integers(1, 100_000)), max_size=6
        ),
        # Which awards are paid, and which of those payments are reversed, by position.
        "paid": st.lists(st.booleans(), max_size=12),
        "reversed": st.lists(st.booleans(), max_size=12),
        "sessions": st.lists(st.integers(min_value=10, max_value=120), max_size=4),
    }
)
EXAMPLES = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _attempt(action, *args, **kwargs):
    """A step the services may refuse (no money, duplicate aid, quota): refused is fine."""
    try:
        with transaction.atomic():
            return action(*args, **kwargs)
    except DomainError:
        return None


def build_term(term_spec):
    district = DistrictFactory()
    term = TermFactory(district=district)
    schools = [
        SchoolFactory(district=district, level=SchoolLevel.PRIMARY),
        SchoolFactory(district=district, level=SchoolLevel.JUNIOR_MIDDLE),
    ]
    admin = member("administrator", *schools)
    tier = district.tiers[0]["code"]
    students = []
    for school, count in zip(schools, term_spec["students"], strict=True):
        for n, student in enumerate(add_students(school, term, count, boarding_every=2)):
            students.append(student)
            GuardianAccountFactory(student=student)
            if n % 3 != 2:  # two in three are approved for aid
                Assessment.objects.create(
                    student=student,
                    term=term,
                    route=AssessmentRoute.APPLICATION,
                    status=AssessmentStatus.APPROVED,
                    tier=tier,
                    created_by=admin,
                )
    donor = donor_save(
        by=admin, district_code=district.code, kind="company", name="捐赠人", anonymous=False
    )
    projects = []
    for n, spec in enumerate(term_spec["projects"]):
        project = project_save(
            by=admin,
            district=district,
            fields={
                "code": f"P{n}",
                "name": f"项目{n}",
                "source": spec["source"],
                "purpose": spec["purpose"],
            },
            standards=[{"tier": "", "level": "", "yearly_fen": spec["yearly_fen"]}],
            funding=[
                {"term": term.pk, "source": source, "amount_fen": amount}
                for source, amount in spec["funding"].items()
            ],
            quotas=[
                {"term": term.pk, "school": school.pk, "places": spec["places"]}
                for school in schools
            ],
        )
        projects.append(project)
        for source, amount in spec["funding"].items():
            part = amount * spec["received_share"] // 100
            if part:
                appropriation_receive(
                    by=admin, project=project, term_id=term.pk, source=source, amount_fen=part
                )
        for amount in spec["donations"]:
            gift = contribution_record(
                by=admin,
                donor_id=donor.pk,
                project_id=project.pk,
                amount_fen=amount,
                received_on=DONATED_ON,
            )
            contribution_post(contribution_id=gift.pk)
    for project, spec in zip(projects, term_spec["projects"], strict=True):
        if spec["allocate"]:
            _attempt(allocate, by=admin, project=project, term=term)
    for index, student_index, amount in term_spec["by_hand"]:
        if index < len(projects) and student_index < len(students):
            _attempt(
                award_create,
                by=admin,
                project_id=projects[index].pk,
                student_id=students[student_index].pk,
                term_id=term.pk,
                amount_fen=amount,
            )
    awards = list(Award.objects.filter(term=term).order_by("pk"))
    made_at_term_start(*awards)
    payments = []
    for award, pay in zip(awards, term_spec["paid"], strict=False):
        if pay:
            paid = _attempt(
                disbursement_pay,
                by=admin,
                award_id=award.pk,
                method=PaymentMethod.BANK_TRANSFER,
                paid_on=PAID_ON,
                bank_reference=f"B{award.pk}",
            )
            if paid is not None:
                payments.append(paid)
    for payment, reverse in zip(payments, term_spec["reversed"], strict=False):
        if reverse:
            disbursement_reverse(by=admin, disbursement_id=payment.pk, reason="returned")
    if term_spec["sessions"]:
        mentor = MentorFactory(schools=[schools[0]])
        pairing = PairingFactory(student=students[0], mentor=mentor, term=term)
        for n, minutes in enumerate(term_spec["sessions"]):
            session_log(
                by=mentor.user,
                pairing_id=pairing.pk,
                day=datetime.date(2026, 9, 14) + datetime.timedelta(days=7 * n),
                minutes=minutes,
                kind=SessionKind.TUTORING,
                content="练习",
                subject=mentor.subjects[0],
            )
    return term, schools, admin


def _reconciles(*, term, schools, admin, district: bool):
    where = {"district_id": term.district_id} if district else {"school_id": schools[0].pk}
    report = report_start(by=admin, term_id=term.pk, **where)
    report_build(report, lambda value: None)
    report.refresh_from_db()
    assert report.status == ReportStatus.ISSUED, report.error
    in_scope = schools if district else schools[:1]
    assert reconcile(report.data, ledger_sums(term=term, schools=in_scope)) == []
    return report.data


def check_a_random_term(term_spec):
    with transaction.atomic():
        term, schools, admin = build_term(term_spec)
        data = _reconciles(term=term, schools=schools, admin=admin, district=True)
        _reconciles(term=term, schools=schools, admin=admin, district=False)
        # The report's paid is the ledger's: what went out, less what came back.
        paid = Award.objects.filter(term=term).exclude(status=AwardStatus.CANCELLED)
        assert data["aid"]["total"]["awards"] == paid.count()
        transaction.set_rollback(True)


@pytest.mark.django_db
@EXAMPLES
@given(term_spec=TERMS)
def test_any_term_reconciles(term_spec):
    check_a_random_term(term_spec)


@pytest.mark.postgres
@pytest.mark.django_db
@EXAMPLES
@given(term_spec=TERMS)
def test_any_term_reconciles_on_postgresql(term_spec):
    check_a_random_term(term_spec)
