"""Students, their record for each term and their subject scores."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from mentoring.models.people import School, SchoolLevel, Term


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class Subject(models.TextChoices):
    CHINESE = "chinese", _("Chinese")
    MATH = "math", _("Mathematics")
    ENGLISH = "english", _("English")
    SCIENCE = "science", _("Science")
    PHYSICS = "physics", _("Physics")
    CHEMISTRY = "chemistry", _("Chemistry")
    BIOLOGY = "biology", _("Biology")
    # A context: Django admin's "History" link is another word.
    HISTORY = "history", pgettext_lazy("school subject", "History")
    GEOGRAPHY = "geography", _("Geography")
    POLITICS = "politics", _("Morality and law")
    ARTS = "arts", _("Music and art")
    PE = "pe", _("Physical education")
    OTHER = "other", _("Other")


class Student(models.Model):
    """A student's identity in one school; what changes by term is in StudentRecord.

    The ID number itself is never stored: only a keyed hash (to match
    government lists and find duplicate aid across schools) and a masked form.
    """

    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="students", verbose_name=_("school")
    )
    student_number = models.CharField(_("student number"), max_length=32)
    name = models.CharField(_("name"), max_length=50)
    gender = models.CharField(_("gender"), max_length=6, choices=Gender.choices)
    birth_date = models.DateField(_("birth date"))
    id_hash = models.CharField(_("ID number hash"), max_length=64, db_index=True)
    id_masked = models.CharField(_("ID number (masked)"), max_length=18)
    village = models.CharField(_("village or community"), max_length=100, blank=True)
    # The committee of the family's residence: it reviews the student's awards of
    # the projects that use committees, and counts against its quota.
    committee = models.ForeignKey(
        "mentoring.VillageCommittee",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="students",
        verbose_name=_("village committee"),
    )
    guardian_name = models.CharField(_("guardian"), max_length=50, blank=True)
    guardian_phone = models.CharField(_("guardian phone"), max_length=20, blank=True)
    guardian_consents_to_name = models.BooleanField(
        _("guardian consents to showing the name to donors"), default=False
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["school__code", "student_number"]
        verbose_name = _("student")
        verbose_name_plural = _("students")
        constraints = [
            models.UniqueConstraint(
                fields=["school", "student_number"], name="student_unique_number_per_school"
            ),
        ]

    def __str__(self):
        return f"{self.student_number} {self.name}"


# A kindergarten's three years (小班, 中班, 大班), stored as grades 1 to 3.
KINDERGARTEN_YEARS = {
    1: _("Junior class"),
    2: _("Middle class"),
    3: _("Senior class"),
}


def grade_and_class(*, level: str, grade: int | None, class_name: str) -> str:
    """A grade and class as every page writes them: 6年级 1班, or 大班 4班 in a kindergarten.

    Rosters store the class as schools write it (1班); its number is what the
    sentence takes, so that English reads "class 1", not "class 1班".
    """
    number = class_name.removesuffix("班") or class_name
    if level == SchoolLevel.PRESCHOOL and grade in KINDERGARTEN_YEARS:
        return _("%(year)s, class %(number)s") % {
            "year": KINDERGARTEN_YEARS[grade],
            "number": number,
        }
    return _("Grade %(grade)s, class %(number)s") % {"grade": grade, "number": number}


class StudentRecord(models.Model):
    """A student's archive for one term (建档): kept, never overwritten by a later term."""

    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, related_name="records", verbose_name=_("student")
    )
    term = models.ForeignKey(
        Term, on_delete=models.PROTECT, related_name="student_records", verbose_name=_("term")
    )
    level = models.CharField(_("level"), max_length=20, choices=SchoolLevel.choices)
    grade = models.PositiveSmallIntegerField(_("grade"))
    class_name = models.CharField(_("class"), max_length=20)
    boarding = models.BooleanField(_("boarding"), default=False)
    household_size = models.PositiveSmallIntegerField(_("household size"), null=True, blank=True)
    income_per_capita_fen = models.BigIntegerField(
        _("yearly income per person"), null=True, blank=True
    )
    disabled = models.BooleanField(_("disabled student"), default=False)
    struggling = models.BooleanField(_("academically struggling"), default=False)
    weak_subjects = models.JSONField(_("weak subjects"), default=list, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["term", "student"]
        verbose_name = _("student record")
        verbose_name_plural = _("student records")
        constraints = [
            models.UniqueConstraint(fields=["student", "term"], name="record_unique_per_term"),
            models.CheckConstraint(
                condition=Q(grade__gte=1) & Q(grade__lte=9), name="record_grade_1_9"
            ),
            models.CheckConstraint(
                condition=Q(income_per_capita_fen__isnull=True) | Q(income_per_capita_fen__gte=0),
                name="record_income_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.student_id} · {self.term_id}"


class SubjectScore(models.Model):
    """A student's score in a subject at the term's opening and closing exams
    (mentoring.services.scores: the API, the mentor's page and the roster import)."""

    record = models.ForeignKey(
        StudentRecord, on_delete=models.CASCADE, related_name="scores", verbose_name=_("record")
    )
    subject = models.CharField(_("subject"), max_length=20, choices=Subject.choices)
    start_score = models.DecimalField(
        _("score at start"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    end_score = models.DecimalField(
        _("score at end"), max_digits=5, decimal_places=1, null=True, blank=True
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("subject score")
        verbose_name_plural = _("subject scores")
        constraints = [
            models.UniqueConstraint(fields=["record", "subject"], name="score_unique_subject"),
            models.CheckConstraint(
                condition=(
                    Q(start_score__isnull=True) | Q(start_score__gte=0, start_score__lte=150)
                )
                & (Q(end_score__isnull=True) | Q(end_score__gte=0, end_score__lte=150)),
                name="score_0_150",
            ),
        ]

    def __str__(self):
        return f"{self.get_subject_display()}: {self.start_score} → {self.end_score}"
