"""Supervision records and complaints: the one home of their rules.

Administrators of a school write its group's records; district
administrators write the district's own (no school). Every input is checked
before anything is written, and one refusal names every bad field.
A complaint moves open -> answered -> closed, or back from answered to open
when the complainant is not satisfied (the earlier answer stays in its
history); its due day is its received day plus the district's working days
to answer (mentoring.workdays).
"""

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.errors import Conflict, NotPermitted, ValidationErrors, checked
from mentoring.models import District, School, User
from mentoring.workdays import period_end
from oversight.models import (
    Affiliation,
    Complaint,
    ComplaintChannel,
    ComplaintStatus,
    Suggestion,
    SuggestionKind,
    SupervisionMeeting,
    SupervisionMember,
)
from oversight.selectors import administered_ids, administers_scope

MAX_TEXT = 20_000


def _where(errors: ValidationErrors, *, by: User, district: str | None, school: int | None):
    """The district and school a new record belongs to, if `by` administers it; else errors."""
    found_school = found_district = None
    if school is not None:
        found_school = School.objects.select_related("district").filter(pk=school).first()
        if found_school is None or not administers_scope(
            by, district_id=found_school.district_id, school_id=found_school.pk
        ):
            errors.add("school", _("Unknown school."))
            return None, None
        found_district = found_school.district
        if district and district != found_district.code:
            errors.add("district", _("The school is not in this district."))
    elif district:
        found_district = District.objects.filter(code=district).first()
        if found_district is None or not administers_scope(
            by, district_id=found_district.pk, school_id=None
        ):
            errors.add("district", _("Unknown district."))
            return None, None
    elif not errors.has("school") and not errors.has("district"):
        errors.add("school", _("Give the school, or the district for the district's own group."))
    return found_district, found_school


def _text(
    errors: ValidationErrors, field: str, value: str | None, *, required=True, limit=MAX_TEXT
):
    if value is None:
        return
    if required and not value.strip():
        errors.add(field, _("This field may not be blank."))
    elif len(value) > limit:
        errors.add(field, _("Keep it within %(n)d characters.") % {"n": limit})


def _not_future(errors: ValidationErrors, field: str, day: date | None):
    if day is not None and day > timezone.localdate():
        errors.add(field, _("The date cannot be in the future."))


def member_problems(errors: ValidationErrors, *, by: User, **fields):
    """Everything wrong with adding this member (a field given as None or left out is not
    checked); answers where the member belongs."""
    district, school = _where(
        errors, by=by, district=fields.get("district"), school=fields.get("school")
    )
    _text(errors, "name", fields.get("name"), limit=50)
    affiliation = fields.get("affiliation")
    if affiliation is not None and affiliation not in Affiliation.values:
        errors.add("affiliation", _("Unknown affiliation."))
    joined_on, left_on = fields.get("joined_on"), fields.get("left_on")
    if left_on is not None and joined_on is not None and left_on < joined_on:
        errors.add("left_on", _("A member cannot leave before joining."))
    return district, school


@transaction.atomic
def member_add(*, by: User, **fields) -> SupervisionMember:
    """A member of a school's supervision group (or of the district's, `district` and no school)."""
    district, school = checked(member_problems, by=by, **fields)
    return SupervisionMember.objects.create(
        district=district,
        school=school,
        name=fields["name"].strip(),
        affiliation=fields["affiliation"],
        organisation=fields.get("organisation", "").strip(),
        phone=fields.get("phone", "").strip(),
        joined_on=fields["joined_on"],
        left_on=fields.get("left_on"),
        created_by=by,
    )


@transaction.atomic
def member_update(*, by: User, member: SupervisionMember, **fields) -> SupervisionMember:
    member = SupervisionMember.objects.select_for_update().get(pk=member.pk)
    if not administers_scope(by, district_id=member.district_id, school_id=member.school_id):
        raise NotPermitted(_("Only the group's administrators change its members."))
    errors = ValidationErrors()
    if "name" in fields:
        _text(errors, "name", fields["name"], limit=50)
    if "affiliation" in fields and fields["affiliation"] not in Affiliation.values:
        errors.add("affiliation", _("Unknown affiliation."))
    joined_on = fields.get("joined_on", member.joined_on)
    left_on = fields.get("left_on", member.left_on)
    if left_on is not None and left_on < joined_on:
        errors.add("left_on", _("A member cannot leave before joining."))
    errors.raise_if_any()
    for name, value in fields.items():
        setattr(member, name, value.strip() if isinstance(value, str) else value)
    member.save()
    return member


def meeting_problems(errors: ValidationErrors, *, by: User, **fields):
    """Everything wrong with recording this meeting; answers its place and its attendees.

    The attendees are members of the same group on the meeting's day.
    """
    district, school = _where(
        errors, by=by, district=fields.get("district"), school=fields.get("school")
    )
    held_on = fields.get("held_on")
    _not_future(errors, "held_on", held_on)
    _text(errors, "topic", fields.get("topic"), limit=200)
    _text(errors, "minutes", fields.get("minutes"))
    attendee_ids = fields.get("attendees")
    attendees = []
    if attendee_ids is not None and not attendee_ids:
        errors.add("attendees", _("Name the members who attended."))
    elif attendee_ids and district is None:
        # The group is refused: the attendees are still checked against the
        # groups the user keeps, so that one answer names them too.
        kept = SupervisionMember.objects.filter(pk__in=attendee_ids).values_list(
            "pk", "district", "school"
        )
        ids = administered_ids(by)  # two queries, however many attendees
        known = {pk for pk, d, sc in kept if (sc in ids[0] if sc is not None else d in ids[1])}
        missing = [pk for pk in dict.fromkeys(attendee_ids) if pk not in known]
        if missing:
            errors.add(
                "attendees",
                _("Not members of this group: %(ids)s.") % {"ids": ", ".join(map(str, missing))},
            )
    elif attendee_ids:
        attendees = list(
            SupervisionMember.objects.filter(pk__in=attendee_ids, district=district, school=school)
        )
        found = {m.pk for m in attendees}
        missing = [pk for pk in dict.fromkeys(attendee_ids) if pk not in found]
        if missing:
            errors.add(
                "attendees",
                _("Not members of this group: %(ids)s.") % {"ids": ", ".join(map(str, missing))},
            )
        elif held_on is not None:
            absent = [
                m.name
                for m in attendees
                if m.joined_on > held_on or (m.left_on is not None and m.left_on < held_on)
            ]
            if absent:
                errors.add(
                    "attendees",
                    _("Not members on the meeting's day: %(names)s.")
                    % {"names": ", ".join(absent)},
                )
    return district, school, attendees


@transaction.atomic
def meeting_record(*, by: User, **fields) -> SupervisionMeeting:
    """A meeting of the group with its minutes and who attended."""
    district, school, attendees = checked(meeting_problems, by=by, **fields)
    meeting = SupervisionMeeting.objects.create(
        district=district,
        school=school,
        held_on=fields["held_on"],
        place=fields.get("place", "").strip(),
        topic=fields["topic"].strip(),
        minutes=fields["minutes"],
        recorded_by=by,
    )
    meeting.attendees.set(attendees)
    return meeting


def suggestion_problems(errors: ValidationErrors, *, by: User, **fields):
    """Everything wrong with recording this evaluation or suggestion; answers its links."""
    district, school = _where(
        errors, by=by, district=fields.get("district"), school=fields.get("school")
    )
    kind, rating = fields.get("kind"), fields.get("rating")
    if kind is not None and kind not in SuggestionKind.values:
        errors.add("kind", _("Unknown kind."))
    elif kind == SuggestionKind.EVALUATION and rating is None and not errors.has("rating"):
        errors.add("rating", _("An evaluation gives a rating from 1 to 5."))
    elif kind == SuggestionKind.SUGGESTION and rating is not None:
        errors.add("rating", _("Only an evaluation has a rating."))
    if rating is not None and not 1 <= rating <= 5:
        errors.add("rating", _("A rating is from 1 to 5."))
    _text(errors, "text", fields.get("text"))
    meeting = member = None
    if district is not None:
        if fields.get("meeting") is not None:
            meeting = SupervisionMeeting.objects.filter(
                pk=fields["meeting"], district=district, school=school
            ).first()
            if meeting is None:
                errors.add("meeting", _("Not a meeting of this group."))
        if fields.get("member") is not None:
            member = SupervisionMember.objects.filter(
                pk=fields["member"], district=district, school=school
            ).first()
            if member is None:
                errors.add("member", _("Not a member of this group."))
    return district, school, meeting, member


@transaction.atomic
def suggestion_record(*, by: User, **fields) -> Suggestion:
    """An evaluation (rated 1 to 5) or a suggestion, from a meeting or a member of the group."""
    district, school, meeting, member = checked(suggestion_problems, by=by, **fields)
    return Suggestion.objects.create(
        district=district,
        school=school,
        kind=fields["kind"],
        text=fields["text"],
        rating=fields.get("rating"),
        meeting=meeting,
        member=member,
        created_by=by,
    )


@transaction.atomic
def suggestion_answer(*, by: User, suggestion: Suggestion, answer: str) -> Suggestion:
    suggestion = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
    if not administers_scope(
        by, district_id=suggestion.district_id, school_id=suggestion.school_id
    ):
        raise NotPermitted(_("Only the group's administrators answer it."))
    errors = ValidationErrors()
    _text(errors, "answer", answer)
    errors.raise_if_any()
    if suggestion.answered_at is not None:
        raise Conflict(_("This has been answered already."), field="answer")
    suggestion.answer = answer
    suggestion.answered_by = by
    suggestion.answered_at = timezone.now()
    suggestion.save()
    return suggestion


def complaint_due_on(district: District, received_on: date) -> date:
    """The last day to answer: the district's working days, counted from the day received."""
    return period_end(received_on, district.complaint_answer_working_days)


def complaint_problems(errors: ValidationErrors, *, by: User, **fields):
    """Everything wrong with recording this complaint; answers where it belongs.

    An anonymous complaint keeps neither name nor contact; any other names
    the complainant.
    """
    district, school = _where(
        errors, by=by, district=fields.get("district"), school=fields.get("school")
    )
    _not_future(errors, "received_on", fields.get("received_on"))
    channel = fields.get("channel")
    if channel is not None and channel not in ComplaintChannel.values:
        errors.add("channel", _("Unknown channel."))
    _text(errors, "subject", fields.get("subject"), limit=200)
    _text(errors, "details", fields.get("details"))
    name = fields.get("complainant_name") or ""
    contact = fields.get("complainant_contact") or ""
    anonymous = fields.get("anonymous")
    if anonymous:
        if name.strip():
            errors.add("complainant_name", _("An anonymous complaint keeps no name."))
        if contact.strip():
            errors.add("complainant_contact", _("An anonymous complaint keeps no contact."))
    elif anonymous is not None and not name.strip() and not errors.has("complainant_name"):
        errors.add(
            "complainant_name",
            _("Give the complainant's name, or record the complaint as anonymous."),
        )
    return district, school


@transaction.atomic
def complaint_record(*, by: User, **fields) -> Complaint:
    """A complaint as received, due to be answered within the district's working days."""
    fields.setdefault("anonymous", False)
    district, school = checked(complaint_problems, by=by, **fields)
    return Complaint.objects.create(
        district=district,
        school=school,
        received_on=fields["received_on"],
        channel=fields["channel"],
        anonymous=fields["anonymous"],
        complainant_name=(fields.get("complainant_name") or "").strip(),
        complainant_contact=(fields.get("complainant_contact") or "").strip(),
        subject=fields["subject"].strip(),
        details=fields["details"],
        answer_due_on=complaint_due_on(district, fields["received_on"]),
        recorded_by=by,
    )


# The moves of a complaint: action -> (the states it starts from, the state it ends in).
COMPLAINT_MOVES = {
    "answer": ({ComplaintStatus.OPEN}, ComplaintStatus.ANSWERED),
    "reopen": ({ComplaintStatus.ANSWERED}, ComplaintStatus.OPEN),
    "close": ({ComplaintStatus.ANSWERED}, ComplaintStatus.CLOSED),
}


# Why a move is refused in the complaint's present state (translated when raised).
REFUSED = {
    "answer": gettext_noop("Only an open complaint is answered."),
    "reopen": gettext_noop("Only an answered complaint is reopened."),
    "close": gettext_noop("Only an answered complaint is closed."),
}


def complaint_allowed_actions(complaint: Complaint) -> list[str]:
    return [name for name, (starts, _end) in COMPLAINT_MOVES.items() if complaint.status in starts]


@transaction.atomic
def complaint_move(*, by: User, complaint: Complaint, action: str, answer: str = "") -> Complaint:
    """Answer an open complaint, close an answered one, or reopen it (the complainant objects)."""
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if not administers_scope(by, district_id=complaint.district_id, school_id=complaint.school_id):
        raise NotPermitted(_("Only the administrators it was made to handle a complaint."))
    if action == "answer":
        errors = ValidationErrors()
        _text(errors, "answer", answer)
        errors.raise_if_any()
    starts, end = COMPLAINT_MOVES[action]
    if complaint.status not in starts:
        raise Conflict(
            _(REFUSED[action]), extra={"allowed_actions": complaint_allowed_actions(complaint)}
        )
    now = timezone.now()
    if action == "answer":
        complaint.answer, complaint.answered_by, complaint.answered_at = answer, by, now
    elif action == "reopen":
        # The answer given stays in the history; a new one is due.
        complaint.answer, complaint.answered_by, complaint.answered_at = "", None, None
    else:
        complaint.closed_at = now
    complaint.status = end
    complaint.save()
    return complaint
