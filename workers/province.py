"""A province's term as one job: each county's matching, then its report, one Celery task each.

`province_term_start` records the province's job and one part per county (a
job whose parent is the province's), each part tied to the county's match run
and to the next version of the county's district report, as a county's own run
and report are tied to their jobs. After commit the province's task sends the
parts as one Celery group (`province_fan_out`).

Each part is a job like any other (`workers.services.run_job`): its retries,
its heartbeat, and the reaper sending it again when its worker is lost are its
own, so a part that fails is tried again alone, and what it does is what the
county's own match run and report do, so the province's outcome is the
counties' run one by one. The parts' progress is summed into the province's
job (`province_progress`); the part that ends last ends it (`province_settle`):
succeeded, or failed naming the counties that failed. The reaper's sweep
(`provinces_settle`) ends a province's job whose last part ended without
ending it (its worker lost between the two writes), so it never stays running.
"""

import logging
import time

from celery import group
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Sum
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError, NotPermitted
from core.jobs import Progress
from mentoring.models import PairingKind, Province, School, Term, User
from mentoring.selectors.accounts import schools_administered_by
from mentoring.services.match_runs import match_run_execute_job, match_run_record
from workers.dispatch import task_for
from workers.models import Job, JobKind, JobStatus
from workers.reports import report_build_for_job, report_record
from workers.services import PUBLISH_ERRORS, job_claim, job_create, job_send_on_commit

logger = logging.getLogger(__name__)

FINISHED = (JobStatus.SUCCEEDED, JobStatus.FAILED)
# The share of a county's part that its matching takes; its report takes the rest.
MATCHING_SHARE = 60


def province_term_start(
    *,
    by: User,
    province_id: int,
    term_code: str,
    kinds: list[str],
    weights: dict | None = None,
    rules: dict | None = None,
) -> Job:
    """Record the province's job for the term of this code in each of its counties, and send
    it once committed.

    Only an administrator of every school of the province starts it (a platform
    administrator). Each county must have a term of that code. The weights and
    rules are each county's run's, checked against each county's policy.
    """
    province = Province.objects.filter(pk=province_id).first()
    if province is None:
        raise DomainError(_("Unknown province."), field="province")
    districts = list(province.districts.order_by("code"))
    if not districts:
        raise DomainError(_("This province has no county."), field="province")
    # A county of no school has nothing to run, and would let "no school outside the
    # user's reach" pass for anyone: it is named and nothing starts.
    empty = [d.name for d in districts if not d.schools.exists()]
    if empty:
        raise DomainError(
            _("These counties have no school: %(counties)s.") % {"counties": "、".join(empty)},
            field="province",
        )
    administered = schools_administered_by(by)
    if School.objects.filter(district__in=districts).exclude(pk__in=administered).exists():
        raise NotPermitted(
            _("Only an administrator of every school of the province runs its term."),
            field="province",
        )
    if not kinds or set(kinds) - set(PairingKind.values):
        raise DomainError(_("Choose academic, care or both."), field="kinds")
    terms = {
        term.district_id: term
        for term in Term.objects.filter(district__in=districts, code=term_code)
    }
    missing = [district.code for district in districts if district.pk not in terms]
    if missing:
        raise DomainError(
            _("These counties have no term %(term)s: %(counties)s.")
            % {"term": term_code, "counties": ", ".join(missing)},
            field="term",
        )
    try:
        with transaction.atomic():
            return _record(by, province, districts, terms, kinds, weights, rules)
    except IntegrityError as exc:
        # A county's report version taken by an administrator building it meanwhile.
        raise DomainError(_("Another version is being started; try again."), field="term") from exc


def _record(by, province, districts, terms, kinds, weights, rules) -> Job:
    kinds = sorted(set(kinds))
    parent = job_create(
        kind=JobKind.PROVINCE_TERM,
        started_by=by,
        parameters={
            "province": province.code,
            "term": next(iter(terms.values())).code,
            "kinds": kinds,
            "counties": [district.code for district in districts],
        },
    )
    for district in districts:
        term = terms[district.pk]
        part = job_create(
            kind=JobKind.PROVINCE_COUNTY,
            started_by=by,
            parent=parent,
            parameters={"province": province.code, "district": district.code, "term": term.pk},
        )
        run = match_run_record(
            term=term,
            schools=list(district.schools.order_by("pk")),
            kinds=kinds,
            by=by,
            weights=weights,
            rules=rules,
            job=part,
        )
        part.parameters["match_run"] = run.pk
        # Saves the part's parameters, with the report's id added.
        report_record(term=term, district=district, job=part, by=by)
    job_send_on_commit(task=task_for(parent), job_id=parent.pk)
    return parent


def province_fan_out(*, job_id: int, worker: str = "", task_id: str = "") -> list[int]:
    """The province's task: send its parts not yet sent, as one Celery group; the parts sent.

    A part that cannot be sent (the broker away) stays pending, and the reaper
    sends it again, as it does any pending job.
    """
    parent = job_claim(job_id=job_id, worker=worker, task_id=task_id)
    if parent is None:
        return []
    parts = list(parent.parts.filter(status=JobStatus.PENDING).order_by("pk"))
    if parts:
        try:
            group(task_for(part).si(part.pk) for part in parts).apply_async()
        except PUBLISH_ERRORS as exc:
            logger.warning(
                "Province job %s: its parts stay pending (%s); the reaper sends them again.",
                job_id,
                exc,
            )
    # Nothing left to run (every part ended before this task came): it ends here.
    province_settle(parent_id=job_id)
    return [part.pk for part in parts]


def province_county_run(*, job_id: int, progress: Progress) -> dict:
    """One county's part: its matching (the county's match run), then its district report.

    Run again (a retry, a redelivery), each step finds its work done and
    returns it: a written proposal and an issued report are kept.
    """
    part = Job.objects.get(pk=job_id)
    started, started_cpu = time.perf_counter(), time.process_time()

    def share(low: int, high: int) -> Progress:
        def report(value: int) -> None:
            progress(low + (high - low) * value // 100)
            province_progress(parent_id=part.parent_id)

        return report

    summary = match_run_execute_job(job_id=job_id, progress=share(0, MATCHING_SHARE))
    report = report_build_for_job(job_id=job_id, progress=share(MATCHING_SHARE, 100))
    kinds = summary["kinds"].values()
    return {
        "district": part.parameters["district"],
        "match_run": part.parameters["match_run"],
        "students": sum(kind["students"] for kind in kinds),
        "proposed": sum(kind["proposed"] for kind in kinds),
        "unmatched": sum(kind["unmatched"] for kind in kinds),
        "report": report["report"],
        "report_version": report["version"],
        # This attempt's cost in the worker's process (the database's is not counted).
        "cpu_seconds": round(time.process_time() - started_cpu, 3),
        "seconds": round(time.perf_counter() - started, 3),
    }


def province_progress(*, parent_id: int) -> None:
    """The province's progress: its parts' progress summed, over 100 per part."""
    parts = Job.objects.filter(parent_id=parent_id).aggregate(total=Sum("progress"), n=Count("pk"))
    if not parts["n"]:
        return
    Job.objects.filter(pk=parent_id, status__in=[JobStatus.PENDING, JobStatus.RUNNING]).update(
        progress=Greatest(F("progress"), parts["total"] // parts["n"]),
        heartbeat_at=timezone.now(),
    )


def province_settle(*, parent_id: int) -> bool:
    """End the province's job if each of its parts has ended; True when this call ended it.

    Succeeded when every county did; failed otherwise, naming the counties
    that failed, with the result of those that did not. A conditional UPDATE:
    the last two parts ending at once end it once.
    """
    parts = list(
        Job.objects.filter(parent_id=parent_id)
        .order_by("pk")
        .values("status", "progress", "parameters", "result", "error")
    )
    if not parts:
        return False
    if any(part["status"] not in FINISHED for part in parts):
        province_progress(parent_id=parent_id)
        return False
    done = [part for part in parts if part["status"] == JobStatus.SUCCEEDED]
    failed = [part for part in parts if part["status"] == JobStatus.FAILED]
    result = {
        "counties": {part["parameters"]["district"]: part["result"] for part in done},
        "failed": {part["parameters"]["district"]: part["error"] for part in failed},
        "students": sum(part["result"]["students"] for part in done),
        "proposed": sum(part["result"]["proposed"] for part in done),
        "cpu_seconds": round(sum(part["result"]["cpu_seconds"] for part in done), 3),
    }
    unfinished = Job.objects.filter(pk=parent_id, status__in=[JobStatus.PENDING, JobStatus.RUNNING])
    now = timezone.now()
    if failed:
        names = ", ".join(part["parameters"]["district"] for part in failed)
        return bool(
            unfinished.update(
                status=JobStatus.FAILED,
                progress=Greatest(F("progress"), sum(p["progress"] for p in parts) // len(parts)),
                result=result,
                error=_("These counties failed: %(counties)s.") % {"counties": names},
                finished_at=now,
            )
        )
    return bool(
        unfinished.update(status=JobStatus.SUCCEEDED, progress=100, result=result, finished_at=now)
    )


def province_settle_for_part(*, part_id: int) -> bool:
    """After a part's attempt: end its province's job if that part was the last to end."""
    parent_id = Job.objects.filter(pk=part_id).values_list("parent_id", flat=True).first()
    return province_settle(parent_id=parent_id) if parent_id else False


def provinces_settle() -> list[int]:
    """The reaper's sweep: end each province's job whose parts have all ended; those ended."""
    unfinished = Job.objects.filter(
        kind=JobKind.PROVINCE_TERM, status__in=[JobStatus.PENDING, JobStatus.RUNNING]
    )
    ended = []
    for pk in unfinished.values_list("pk", flat=True):
        # One province's job failing to settle must not keep the sweep from the others.
        try:
            if province_settle(parent_id=pk):
                ended.append(pk)
        except Exception:
            logger.exception(
                "Province job %s could not be settled; the next sweep tries again.", pk
            )
    return ended
