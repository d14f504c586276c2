"""/teacher/: the mentor's page. Who may open it, own mentees only, languages, query counts.

Time is frozen at NOW (Friday 2026-11-20, inside the factories' 2026-autumn
term) by the `clock` fixture shared with the API tests; this week starts on
Monday 2026-11-16. The page's world and helpers are in page_scene.py, next to this file.
"""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mentoring.models import MentorKind, Role, SessionKind, TutoringSession
from tests.mentoring.teacher_page.page_scene import (
    HOME,
    LOGIN,
    MONDAY,
    REMINDERS,
    _notification,
    form,
    html,
    logged_in,
    page_of,
    session_count,
)
from workers.factories import (
    MentorFactory,
    PairingFactory,
    StudentFactory,
    StudentRecordFactory,
    TutoringSessionFactory,
    member,
)

# Who may open the page


def test_anonymous_visitor_is_sent_to_the_login_page(client, world):
    for url in (HOME, page_of(world.owned), REMINDERS):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"{LOGIN}?next={url}"

    posted = client.post(page_of(world.owned), form())

    assert posted.status_code == 302
    assert posted["Location"].startswith(LOGIN)
    assert session_count() == 0


@pytest.mark.parametrize("persona", ["donor", "supervisor", "admin_a", "superuser"])
def test_accounts_without_mentees_are_refused_the_page(world, persona):
    client = logged_in(getattr(world, persona))

    home = client.get(HOME)
    mentee = client.get(page_of(world.owned))
    posted = client.post(page_of(world.owned), form())

    assert home.status_code == mentee.status_code == posted.status_code == 403
    assert world.owned.student.name not in html(home) + html(mentee) + html(posted)
    assert session_count() == 0


def test_a_mentor_profile_without_a_mentoring_role_is_refused(world):
    # A donor account that somehow has a mentor profile still sees no student.
    MentorFactory(user=world.donor, schools=[world.school_a])
    PairingFactory(mentor=world.donor.mentor, student=StudentFactory(school=world.school_a))

    assert logged_in(world.donor).get(HOME).status_code == 403


def test_a_deactivated_mentor_profile_is_refused(world):
    world.owned.mentor.active = False
    world.owned.mentor.save()

    response = logged_in(world.owner).get(HOME)

    assert response.status_code == 403
    assert world.owned.student.name not in html(response)


def test_a_teacher_without_a_mentor_profile_is_refused(world):
    teacher = member(Role.TEACHER, world.school_a, username="new.teacher")

    response = logged_in(teacher).get(HOME)

    assert response.status_code == 403
    assert world.owned.student.name not in html(response)


def test_an_administrator_who_mentors_sees_only_their_own_mentees_here(world):
    mentor = MentorFactory(user=world.admin_a, kind=MentorKind.LEADER, schools=[world.school_a])
    own = PairingFactory(
        mentor=mentor, student=StudentFactory(school=world.school_a), term=world.term
    )
    client = logged_in(world.admin_a)

    home = client.get(HOME)

    assert home.status_code == 200
    assert own.student.name in html(home)
    for other in (world.owned, world.colleagues, world.volunteers):
        assert other.student.name not in html(home)
        assert client.get(page_of(other)).status_code == 404


def test_teacher_sees_their_own_mentees_with_grade_and_class_and_no_id_number(world):
    student = world.owned.student

    response = logged_in(world.owner).get(HOME)

    assert response.status_code == 200
    page = html(response)
    assert student.name in page
    assert "2班" in page
    assert f'href="{page_of(world.owned)}"' in page
    for other in (world.colleagues, world.outsiders, world.volunteers):
        assert other.student.name not in page
    for secret in (student.id_masked, student.id_masked[-4:], student.guardian_phone):
        assert secret not in page
    assert student.student_number not in page


def test_teacher_opens_their_mentee(world):
    student = world.owned.student

    response = logged_in(world.owner).get(page_of(world.owned))

    assert response.status_code == 200
    page = html(response)
    assert student.name in page
    assert student.id_masked[-4:] not in page
    assert student.guardian_phone not in page
    # The form starts on today with the teacher's subject and a usual length.
    assert 'value="2026-11-20"' in page
    assert re.search(r'value="45"[^>]*checked', page)
    assert re.search(r'<option value="math" selected>', page)


@pytest.mark.parametrize("foreign", ["colleagues", "outsiders", "volunteers"])
def test_another_mentors_mentee_answers_404_and_nothing_is_written(world, foreign):
    pairing = getattr(world, foreign)
    client = logged_in(world.owner)

    opened = client.get(page_of(pairing))
    posted = client.post(page_of(pairing), form())

    assert opened.status_code == posted.status_code == 404
    assert pairing.student.name not in html(opened) + html(posted)
    assert session_count() == 0


def test_an_unknown_or_ended_pairing_answers_404(world):
    client = logged_in(world.owner)
    assert client.get("/teacher/mentees/999999/").status_code == 404

    world.owned.status = "ended"
    world.owned.ended_on = datetime.date(2026, 11, 17)
    world.owned.save()

    assert client.get(page_of(world.owned)).status_code == 404
    assert world.owned.student.name not in html(client.get(HOME))


def test_volunteer_sees_the_same_page_for_their_mentee(world):
    client = logged_in(world.volunteer)

    home = client.get(HOME)
    posted = client.post(
        page_of(world.volunteers),
        form(kind=SessionKind.HOME_VISIT, subject="", content="家访, 了解家庭情况"),
    )

    assert home.status_code == 200
    assert world.volunteers.student.name in html(home)
    assert world.owned.student.name not in html(home)
    assert posted.status_code == 302
    session = TutoringSession.objects.get()
    assert (session.pairing, session.kind, session.logged_by) == (
        world.volunteers,
        SessionKind.HOME_VISIT,
        world.volunteer,
    )


# Languages


def test_the_page_is_in_chinese_by_default_and_english_on_request(world):
    chinese = logged_in(world.owner).get(page_of(world.owned))
    english = logged_in(world.owner, HTTP_ACCEPT_LANGUAGE="en").get(page_of(world.owned))

    assert '<html lang="zh-hans">' in html(chinese)
    assert "辅导" in html(chinese) and "数学" in html(chinese)
    assert '<html lang="en">' in html(english)
    assert "Tutoring" in html(english) and "Mathematics" in html(english)
    assert "辅导" not in html(english)


def test_the_language_switch_keeps_english_for_the_session(world):
    client = logged_in(world.owner)

    switched = client.post(
        reverse("set_language"), {"language": "en", "next": page_of(world.owned)}
    )

    assert switched.status_code == 302
    assert switched["Location"] == page_of(world.owned)
    assert '<html lang="en">' in html(client.get(page_of(world.owned)))


# Query counts


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_home_page_query_count_does_not_grow_with_mentees(world):
    mentor = world.owner.mentor
    mentor.capacity = 60
    mentor.save()
    client = logged_in(world.owner)

    def add(n):
        for _ in range(n):
            pairing = PairingFactory(
                mentor=mentor, student=StudentFactory(school=world.school_a), term=world.term
            )
            StudentRecordFactory(student=pairing.student, term=world.term)
            TutoringSessionFactory(pairing=pairing, date=MONDAY)

    add(4)
    small = _queries(client, HOME)
    add(45)
    large = _queries(client, HOME)

    assert large == small
    assert html(client.get(HOME)).count("data-pairing=") == 50


def test_the_mentee_page_query_count_does_not_grow_with_sessions(world):
    client = logged_in(world.owner)

    TutoringSessionFactory(pairing=world.owned, date=MONDAY)
    small = _queries(client, page_of(world.owned))
    for day in range(40):
        TutoringSessionFactory(
            pairing=world.owned, date=datetime.date(2026, 9, 8) + datetime.timedelta(day)
        )
    large = _queries(client, page_of(world.owned))

    assert large == small


def test_the_reminders_query_count_does_not_grow_with_reminders(world):
    client = logged_in(world.owner)

    _notification(world.owner, 0)
    small = _queries(client, REMINDERS)
    for n in range(1, 40):
        _notification(world.owner, n)
    large = _queries(client, REMINDERS)

    assert large == small


def test_a_second_pairing_of_the_same_mentee_in_a_later_term_names_its_term_and_first_day(world):
    # Issue 17: two identical cards, this term's and the summer contracting arranged ahead.
    from mentoring.models import PairingStatus, Term
    from workers.factories import TermFactory

    spring = TermFactory(
        district=world.term.district,
        code="2027-spring",
        school_year=world.term.school_year,
        start_date=datetime.date(2027, 2, 22),
        end_date=datetime.date(2027, 7, 2),
    )
    later = PairingFactory(
        student=world.owned.student,
        mentor=world.owned.mentor,
        term=spring,
        kind=world.owned.kind,
        status=PairingStatus.ACTIVE,
        started_on=datetime.date(2027, 6, 28),
    )

    page = html(logged_in(world.owner).get(HOME, HTTP_ACCEPT_LANGUAGE="en"))

    cards = re.findall(r'<li class="card" data-pairing="(\d+)">(.*?)</li>', page, re.S)
    assert [int(pk) for pk, _card in cards][-2:] == [world.owned.pk, later.pk]
    now, ahead = (dict(cards)[str(pk)] for pk in (world.owned.pk, later.pk))
    assert Term.objects.get(pk=spring.pk).label in ahead and "from 28 Jun 2027" in ahead
    assert "from " not in now and world.term.label not in now
