"""Which terms a term is compared with or continues from."""

from django.db.models import Exists, OuterRef, Q, QuerySet

from mentoring.models import StudentRecord, Term


def previous_term(term: Term) -> Term | None:
    """The district's latest term before this one that has student records.

    A term without a single student record was never run in Bangfu: it has no
    pairings for a match run to continue and no figures for the report to
    compare with, so it is skipped and the term before it is the previous one.
    Matching's continuity and the report's comparison both ask this question.
    """
    return (
        Term.objects.filter(
            Exists(StudentRecord.objects.filter(term=OuterRef("pk"))),
            district=term.district,
            start_date__lt=term.start_date,
        )
        .order_by("-start_date")
        .first()
    )


def terms_in_use(*, districts, today) -> QuerySet[Term]:
    """The districts' terms that have begun by `today`, or that already hold student records.

    A coming term whose roster is already imported (the spring a district
    prepares in the winter) has work to see, so it is offered beside the
    terms that have begun; a coming term without a single record is not.
    Newest first.
    """
    return Term.objects.filter(
        Q(start_date__lte=today) | Exists(StudentRecord.objects.filter(term=OuterRef("pk"))),
        district__in=districts,
    ).order_by("-start_date", "pk")
