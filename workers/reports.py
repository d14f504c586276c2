"""The term report: who may build and read it, building a version, and what each role sees.

`report_start` records the next version of a term's report for one school
or a whole district and sends its task after commit; the task calls
`report_build`, which reads the term in a fixed number of aggregate queries
(`workers.reporting.collect`), checks the money against the ledger, composes
the figures (`workers.reporting.figures`) and issues the version. An issued
version is never written again: building again makes the next version.
"""

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError, NotPermitted, ValidationErrors, checked
from core.jobs import Progress
from core.permissions import is_active_account
from donations.models import AidProject, Award, AwardStatus, LedgerEntry
from mentoring.models import (
    District,
    Objection,
    Pairing,
    Role,
    School,
    Student,
    Term,
    User,
    person_name,
)
from mentoring.selectors.accounts import schools_administered_by
from mentoring.selectors.terms import previous_term
from workers.dispatch import task_for
from workers.models import Job, JobKind, Report, ReportScope, ReportStatus
from workers.reporting import (
    collect,
    collect_money,
    collect_year,
    figures,
    figures_aid,
    figures_year,
)
from workers.reporting.reconcile import reconcile
from workers.services import job_create, job_send_on_commit


class MoneyMismatch(Exception):
    """The report's money and the ledger's disagree, or its figures do not add up:
    the report is not issued."""


# Who may do what ---------------------------------------------------------------------------


def _schools_with_role(user: User, role: str) -> QuerySet[School]:
    return School.objects.filter(memberships__user=user, memberships__role=role).distinct()


def _covered(queryset: QuerySet[Report], schools: QuerySet[School]) -> QuerySet[Report]:
    """Reports of one of `schools`, and district reports whose every school is in `schools`."""
    foreign_districts = District.objects.filter(schools__in=School.objects.exclude(pk__in=schools))
    return queryset.filter(
        Q(school__in=schools)
        | Q(
            school__isnull=True,
            district__in=District.objects.filter(schools__in=schools),
        )
        & ~Q(district__in=foreign_districts)
    ).distinct()


def reports_visible_to(user: User) -> QuerySet[Report]:
    """Administrators: reports of their schools and of districts they cover entirely.

    Supervisors likewise for the schools they supervise, and read totals only
    (see `ReportReader`). Teachers, volunteers and donors see no report.
    """
    reports = Report.objects.select_related(
        "term", "district", "school", "job__school", "job__started_by", "built_by"
    )
    if not is_active_account(user):
        return reports.none()
    if user.is_superuser:
        return reports
    administered = _covered(reports, schools_administered_by(user))
    supervised = _covered(reports, _schools_with_role(user, Role.SUPERVISOR))
    return reports.filter(Q(pk__in=administered.values("pk")) | Q(pk__in=supervised.values("pk")))


class ReportReader:
    """What one user may read of reports: all of it, or the totals only.

    The schools the user administers are read once, and each district's
    schools once, so a list of reports costs the same few queries however long.
    """

    def __init__(self, user: User):
        self.user = user
        self._administered = None
        self._district_schools = {}

    def _administered_ids(self) -> set[int]:
        if self._administered is None:
            self._administered = set(
                schools_administered_by(self.user).values_list("pk", flat=True)
            )
        return self._administered

    def totals_only(self, report: Report) -> bool:
        """True unless the user administers every school of the report: then no record is listed."""
        if self.user.is_superuser:
            return False
        if report.school_id is not None:
            return report.school_id not in self._administered_ids()
        if report.district_id not in self._district_schools:
            self._district_schools[report.district_id] = set(
                School.objects.filter(district=report.district_id).values_list("pk", flat=True)
            )
        return not self._district_schools[report.district_id] <= self._administered_ids()

    def data(self, report: Report) -> dict | None:
        """The figures as the user may read them: without the records behind them if totals only."""
        if report.data is None:
            return None
        data = figures.with_money_words(report.data)
        if self.totals_only(report):
            return {key: value for key, value in data.items() if key != "details"}
        return data


def details_student_ids(details: dict) -> set[int]:
    """The students whose records the details of a version list, for the access log.

    The details name the students left out directly, and late awards,
    unanswered objections and pairs missing weeks by their own ids: each of
    those is a record of one student, read here in one query per kind.
    """
    students = {row["student"] for row in details.get("left_out", [])}
    awards = [row["award"] for row in details.get("late_or_unpaid_awards", [])]
    objections = [row["objection"] for row in details.get("unanswered_objections", [])]
    pairings = [row["pairing"] for row in details.get("missed_streaks", [])]
    if awards:
        students.update(Award.objects.filter(pk__in=awards).values_list("student_id", flat=True))
    if objections:
        students.update(
            Objection.objects.filter(pk__in=objections).values_list(
                "assessment__student_id", flat=True
            )
        )
    if pairings:
        students.update(
            Pairing.objects.filter(pk__in=pairings).values_list("student_id", flat=True)
        )
    return students


def for_files(report: Report, data: dict | None) -> dict | None:
    """A version's figures as one reader may read them (`ReportReader.data`), with the details
    (if any) in words: what every exported file and page renders."""
    if data is not None and "details" in data:
        details = details_in_words(data["details"], district_id=report.district_id)
        data = {**data, "details": details}
    return data


def details_in_words(details: dict, *, district_id: int) -> dict:
    """The records behind the problems as people read them: each student, mentor, school and
    aid project by name, each status in words; no ids nor API links (dead on paper).

    Read when a file is exported, one query per kind, so that an issued version keeps no
    child's name; the readers of details administer every school of the report.
    """
    awards = {
        row["pk"]: row
        for row in Award.objects.filter(
            pk__in=[row["award"] for row in details.get("late_or_unpaid_awards", [])]
        ).values(
            "pk",
            "status",
            student_name=F("student__name"),
            school_name=F("student__school__name"),
            project_name=F("project__name"),
        )
    }
    objections = {
        row["pk"]: row
        for row in Objection.objects.filter(
            pk__in=[row["objection"] for row in details.get("unanswered_objections", [])]
        ).values(
            "pk",
            "filed_at",
            student_name=F("assessment__student__name"),
            school_name=F("assessment__student__school__name"),
        )
    }
    pairings = {
        row["pk"]: row
        for row in Pairing.objects.filter(
            pk__in=[row["pairing"] for row in details.get("missed_streaks", [])]
        ).values(
            "pk",
            student_name=F("student__name"),
            school_name=F("student__school__name"),
            first_name=F("mentor__user__first_name"),
            last_name=F("mentor__user__last_name"),
            username=F("mentor__user__username"),
        )
    }
    students = {
        row["pk"]: row
        for row in Student.objects.filter(
            pk__in=[row["student"] for row in details.get("left_out", [])]
        ).values("pk", "name", school_name=F("school__name"))
    }
    project_names = dict(
        AidProject.objects.filter(
            district=district_id, code__in={row["project"] for row in details.get("left_out", [])}
        ).values_list("code", "name")
    )
    statuses = dict(AwardStatus.choices)
    return {
        "late_or_unpaid_awards": [
            {
                "student": awards[row["award"]]["student_name"],
                "school": awards[row["award"]]["school_name"],
                "project": awards[row["award"]]["project_name"],
                "amount_fen": row["amount_fen"],
                "status": str(statuses.get(row["status"], row["status"])),
                "late_since": row["late_since"],
            }
            for row in details.get("late_or_unpaid_awards", [])
            if row["award"] in awards
        ],
        "unanswered_objections": [
            {
                "student": objections[row["objection"]]["student_name"],
                "school": objections[row["objection"]]["school_name"],
                "filed_on": timezone.localdate(
                    objections[row["objection"]]["filed_at"]
                ).isoformat(),
            }
            for row in details.get("unanswered_objections", [])
            if row["objection"] in objections
        ],
        "missed_streaks": [
            {
                "student": pairings[row["pairing"]]["student_name"],
                "mentor": person_name(
                    pairings[row["pairing"]]["first_name"], pairings[row["pairing"]]["last_name"]
                )
                or pairings[row["pairing"]]["username"],
                "school": pairings[row["pairing"]]["school_name"],
                "longest": row["longest"],
            }
            for row in details.get("missed_streaks", [])
            if row["pairing"] in pairings
        ],
        "left_out": [
            {
                "student": students[row["student"]]["name"],
                "school": students[row["student"]]["school_name"],
                "project": project_names.get(row["project"], row["project"]),
                "reason": row["reason"],
                "detail": row.get("detail", ""),
            }
            for row in details.get("left_out", [])
            if row["student"] in students
        ],
    }


# Starting a version ------------------------------------------------------------------------


def report_start_problems(
    errors: ValidationErrors,
    *,
    by: User,
    term_id: int | None,
    school_id: int | None,
    district_id: int | None,
    school_year: str | None = None,
):
    """Add to `errors` everything wrong with this report's scope; answers it.

    Answers (term, district, school, schools), each None when unknown. Every
    field is checked, so one answer names them all; a term given as None is
    not checked (refused already). A year report gives `school_year` instead
    of a term: the district must have a term of that year. A school or district that `by` does not
    administer (wholly) is refused outright (403).
    """
    if (school_id is None) == (district_id is None):
        # Unless one was given and refused already.
        if not (errors.has("school") or errors.has("district")):
            errors.add("school", _("Give either a school or a district."))
        return None, None, None, None
    administered = schools_administered_by(by)
    district = school = schools = None
    if school_id is not None:
        school = School.objects.filter(pk=school_id).select_related("district").first()
        if school is None:
            errors.add("school", _("Unknown school."))
        elif not administered.filter(pk=school.pk).exists():
            raise NotPermitted(
                _("You can only build reports of schools you administer."), field="school"
            )
        else:
            district, schools = school.district, [school]
    else:
        district = District.objects.filter(pk=district_id).first()
        if district is None:
            errors.add("district", _("Unknown district."))
        else:
            schools = list(district.schools.order_by("code"))
            if not schools or district.schools.exclude(pk__in=administered).exists():
                raise NotPermitted(
                    _("Only an administrator of every school of the district builds its report."),
                    field="district",
                )
    term = None
    if term_id is not None:
        terms = Term.objects.filter(pk=term_id)
        if district is not None:
            term = terms.filter(district=district).first()
        else:
            term = terms.filter(district__schools__in=administered).distinct().first()
        if term is None:
            errors.add("term", _("Unknown term in this district."))
    if school_year and district is not None and not year_terms(district, school_year):
        errors.add("school_year", _("This district has no term in that school year."))
    return term, district, school, schools


def year_terms(district: District, school_year: str) -> list[Term]:
    """The terms a year report adds up: the district's terms of that school year, in order."""
    return list(
        Term.objects.filter(district=district, school_year=school_year).order_by("start_date")
    )


def report_start(
    *,
    by: User,
    term_id: int | None = None,
    school_year: str | None = None,
    school_id: int | None = None,
    district_id: int | None = None,
) -> Report:
    """Record the next version of the report (a term's, or a school year's) and send its task
    once committed."""
    if (term_id is None) == (not school_year):
        raise DomainError(_("Give either a term or a school year."), field="term")
    term, district, school, _schools = checked(
        report_start_problems,
        by=by,
        term_id=term_id,
        school_id=school_id,
        district_id=district_id,
        school_year=school_year,
    )
    school_year = "" if term else school_year
    same = Report.objects.filter(
        term=term, school_year=school_year, district=district, school=school
    )
    # Two administrators building at once: the second to commit takes the next number.
    for _attempt in range(3):
        try:
            with transaction.atomic():
                version = (same.aggregate(v=Max("version"))["v"] or 0) + 1
                job = job_create(
                    kind=JobKind.TERM_REPORT,
                    started_by=by,
                    school=school,
                    parameters={
                        "term": term.code if term else None,
                        "school_year": school_year or term.school_year,
                        "school": school.code if school else None,
                        "district": district.code,
                        "version": version,
                    },
                )
                report = report_record(
                    term=term,
                    school_year=school_year,
                    district=district,
                    school=school,
                    version=version,
                    job=job,
                    by=by,
                )
                job_send_on_commit(task=task_for(job), job_id=job.pk)
                return report
        except IntegrityError:
            continue
    raise DomainError(_("Another version is being started; try again."), field="term")


def report_record(
    *,
    term: Term | None,
    district: District,
    job: Job,
    by: User,
    version: int | None = None,
    school_year: str = "",
    school: School | None = None,
) -> Report:
    """The version's row, building, tied to the job that builds it (by default the next
    version). The caller has checked the scope; a province's job records each county's
    district report this way (`workers.province`)."""
    if version is None:
        same = Report.objects.filter(
            term=term, school_year=school_year, district=district, school=school
        )
        version = (same.aggregate(v=Max("version"))["v"] or 0) + 1
    report = Report.objects.create(
        term=term,
        school_year=school_year,
        scope=ReportScope.SCHOOL if school else ReportScope.DISTRICT,
        district=district,
        school=school,
        version=version,
        job=job,
        built_by=by,
    )
    job.parameters["report"] = report.pk
    job.save(update_fields=["parameters"])
    return report


# Building it -------------------------------------------------------------------------------


def _sources(term: Term, raw: dict) -> dict:
    """Which records the version was built from: how many of each, and the ledger's last row."""
    last_entry = LedgerEntry.objects.filter(account__project__district=term.district).aggregate(
        last=Max("pk"), entries=Count("pk")
    )
    return {
        "student_records": sum(row["students"] for row in raw["enrolment"]),
        "assessments": sum(row["n"] for row in raw["assessments"]),
        "objections": sum(row["raised"] for row in raw["objections"]),
        "awards": sum(row["awards"] for row in raw["awards"]),
        "disbursements": sum(row["payments"] for row in raw["payments"]),
        "pairings": sum(row["pairings"] for row in raw["pairings"]),
        "sessions": sum(row["sessions"] for row in raw["sessions"]),
        "compliance_weeks": sum(row["weeks"] for row in raw["compliance"]),
        "contributions": sum(row["contributions"] for row in raw["donations"]),
        "ledger_entries": last_entry["entries"],
        "ledger_last_entry": last_entry["last"],
    }


def _schools(report: Report) -> list[School]:
    if report.school_id is not None:
        return [report.school]
    return list(School.objects.filter(district=report.district_id).order_by("code"))


def _fail(report: Report, message: str):
    Report.objects.filter(pk=report.pk, status=ReportStatus.BUILDING).update(
        status=ReportStatus.FAILED, error=message
    )
    raise MoneyMismatch(message)


def report_build(report: Report, progress: Progress) -> dict:
    """Build the figures of a version being built, check the money, and issue it.

    A version already issued is returned as it is (a task delivered twice).
    Raises MoneyMismatch, after marking the version failed, when the money
    the report counts differs from the ledger's or its figures do not
    reconcile (`workers.reporting.reconcile`).
    """
    report = Report.objects.select_related("term__district", "district", "school").get(pk=report.pk)
    if report.status == ReportStatus.ISSUED:
        return _result(report)
    if report.is_year:
        return _year_build(report, progress)
    term, schools = report.term, _schools(report)
    progress(5)
    raw = collect.term_rows(term=term, schools=schools, scope=report.scope)
    progress(45)
    problems = figures.money_check(raw)
    if problems:
        _fail(report, "The report's money does not match the ledger: " + "; ".join(problems))
    before = previous_term(term)
    previous = (
        collect.term_rows(term=before, schools=schools, scope=report.scope) if before else None
    )
    progress(80)
    data = figures.compose(raw, previous)
    failures = reconcile(data, collect_money.ledger_sums(term=term, schools=schools))
    if failures:
        _fail(report, "The report does not reconcile: " + "; ".join(failures))
    codes = {school.pk: school.code for school in schools}
    project_codes = {project["id"]: project["code"] for project in raw["projects"]}
    data["details"] = {
        **collect.details(term=term, schools=schools),
        "left_out": [
            {
                "student": row["student"],
                "school": codes[row["school"]],
                "project": project_codes.get(row["project"]),
                "reason": row["reason"],
                "detail": row["detail"],
                "link": f"/api/v1/students/{row['student']}/",
            }
            for row in [
                row for row in raw["left_out"] if row["reason"] not in figures_aid.NOT_LEFT_OUT
            ][: collect.DETAIL_LIMIT]
        ],
    }
    built_at = timezone.now()
    data["version"] = report.version
    data["built_at"] = built_at.isoformat()
    data["built_by"] = report.built_by.username if report.built_by_id else None
    # The builder as the signed document names them (填表人), not by their login.
    data["built_by_name"] = report.built_by.display_name if report.built_by_id else None
    # Written once, only while building: an issued version is never changed.
    Report.objects.filter(pk=report.pk, status=ReportStatus.BUILDING).update(
        status=ReportStatus.ISSUED, data=data, sources=_sources(term, raw), built_at=built_at
    )
    report.refresh_from_db()
    return _result(report)


def _term_figures(report: Report, term: Term, schools: list[School]) -> dict:
    """One term's figures for a year report, checked as the term's own report checks them."""
    raw = collect.term_rows(term=term, schools=schools, scope=report.scope)
    problems = figures.money_check(raw)
    if problems:
        _fail(report, f"{term.code}: the money does not match the ledger: " + "; ".join(problems))
    data = figures.compose(raw, None)
    failures = reconcile(data, collect_money.ledger_sums(term=term, schools=schools))
    if failures:
        _fail(report, f"{term.code}: the figures do not reconcile: " + "; ".join(failures))
    return data


def _year_build(report: Report, progress: Progress) -> dict:
    """A year report: each term's aid figures as its term report has them, added up, with the
    students aided (人数) counted once over the year."""
    terms, schools = year_terms(report.district, report.school_year), _schools(report)
    per_term = []
    for n, term in enumerate(terms):
        progress(5 + 80 * n // max(len(terms), 1))
        per_term.append(_term_figures(report, term, schools))
    progress(85)
    aided = collect_year.aided_in_year(terms=terms, schools=schools)
    data = figures_year.compose(school_year=report.school_year, terms=per_term, aided=aided)
    built_at = timezone.now()
    data["version"] = report.version
    data["built_at"] = built_at.isoformat()
    data["built_by"] = report.built_by.username if report.built_by_id else None
    # The builder as the signed document names them (填表人), not by their login.
    data["built_by_name"] = report.built_by.display_name if report.built_by_id else None
    sources = {"terms": [term.code for term in terms], "awards": aided["awards"]}
    Report.objects.filter(pk=report.pk, status=ReportStatus.BUILDING).update(
        status=ReportStatus.ISSUED, data=data, sources=sources, built_at=built_at
    )
    report.refresh_from_db()
    return _result(report)


def report_build_for_job(*, job_id: int, progress: Progress) -> dict:
    """Build the version the job was started for (`report_build`); the term report's task."""
    return report_build(Report.objects.get(job_id=job_id), progress)


def _result(report: Report) -> dict:
    return {
        "report": report.pk,
        "version": report.version,
        "status": report.status,
        "headline": report.data["headline"] if report.data else None,
    }
