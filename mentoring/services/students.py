"""One student at a time; whole rosters go through mentoring.services.roster."""

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.errors import DomainError, NotPermitted
from mentoring import idnumbers
from mentoring.models import Student, User
from mentoring.selectors.accounts import schools_administered_by
from mentoring.selectors.scoping import administers_school
from mentoring.services.committees import student_committee_problem


def id_number_problem(exc: idnumbers.InvalidIdNumber) -> str:
    """What is wrong with an ID number, in the user's language."""
    return {
        "shape": _("An ID number has 18 characters: 17 digits, then a digit or X."),
        "date": _("The birth date inside the ID number is not a date."),
        "check_digit": _("The check digit of the ID number is wrong."),
    }[exc.code]


def _id_fields(id_number: str, birth_date: datetime.date) -> dict:
    try:
        number = idnumbers.validate(id_number)
    except idnumbers.InvalidIdNumber as exc:
        raise DomainError(id_number_problem(exc), field="id_number") from None
    if idnumbers.birth_date(number) != birth_date:
        raise DomainError(
            _("The birth date in the ID number differs from the birth date given."),
            field="id_number",
        )
    return {
        "id_hash": idnumbers.keyed_hash(number, key=settings.ID_HASH_KEY),
        "id_masked": idnumbers.mask(number),
    }


def _check_committee(district_id: int, fields: dict) -> None:
    """A committee given (by id, as `committee`) must be of the school's district.

    It is set as `committee_id` in `fields`."""
    if "committee" not in fields:
        return
    committee_id = fields.pop("committee")
    problem = student_committee_problem(district_id, committee_id)
    if problem is not None:
        raise DomainError(problem, field="committee")
    fields["committee_id"] = committee_id


@transaction.atomic
def student_create(
    *, by: User, school_id: int, id_number: str, birth_date: datetime.date, **fields
) -> Student:
    # A school that does not exist is refused like one the user does not
    # administer, so the answer does not tell which schools exist.
    school = schools_administered_by(by).filter(pk=school_id).first()
    if school is None:
        raise NotPermitted(
            _("You can only add students to schools you administer."), field="school"
        )
    _check_committee(school.district_id, fields)
    student = Student(
        school=school, birth_date=birth_date, **fields, **_id_fields(id_number, birth_date)
    )
    try:
        with transaction.atomic():
            student.save()
    except IntegrityError:
        raise DomainError(
            _("This school already has a student with this student number."),
            field="student_number",
        ) from None
    return student


@transaction.atomic
def student_update(
    *, by: User, student: Student, id_number: str | None = None, **fields
) -> Student:
    if not administers_school(by, student.school_id):
        raise NotPermitted(
            _("Only an administrator of the student's school can change the archive.")
        )
    if not fields and id_number is None:
        return student
    _check_committee(student.school.district_id, fields)
    for name, value in fields.items():
        setattr(student, name, value)
    if id_number is not None or "birth_date" in fields:
        if id_number is None:
            raise DomainError(
                _("Give the ID number again when changing the birth date."), field="id_number"
            )
        for name, value in _id_fields(id_number, student.birth_date).items():
            setattr(student, name, value)
    try:
        with transaction.atomic():
            student.save()
    except IntegrityError:
        raise DomainError(
            _("This school already has a student with this student number."),
            field="student_number",
        ) from None
    return student
