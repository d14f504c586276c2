"""/teacher/ as a teacher found it (issue 17, item 5): each rough edge, mended.

Time is frozen at NOW (Friday 2026-11-20), as in tests/mentoring/teacher_page/,
whose world and helpers these tests share.
"""

import re

from mentoring.models import Notification, NotificationKind, SessionKind, Subject
from tests.mentoring.teacher_page.page_scene import (
    HOME,
    REMINDERS,
    error_on,
    form,
    html,
    logged_in,
    page_of,
    session_count,
)
from workers.factories import TutoringSessionFactory


def test_a_past_session_shows_its_length_in_chinese(world):
    TutoringSessionFactory(pairing=world.owned, minutes=45, subject=Subject.CHINESE)

    page = html(logged_in(world.owner).get(page_of(world.owned)))

    assert "45分钟" in page


def test_a_past_session_shows_its_length_in_english(world):
    TutoringSessionFactory(pairing=world.owned, minutes=45, subject=Subject.CHINESE)

    page = html(logged_in(world.owner, HTTP_ACCEPT_LANGUAGE="en").get(page_of(world.owned)))

    assert "45 minutes" in page


def test_after_saving_the_page_opens_at_the_banner_with_the_week_below_it(world):
    client = logged_in(world.owner)

    saved = client.post(page_of(world.owned), form())

    assert saved.status_code == 302
    assert saved["Location"] == page_of(world.owned) + "#messages"
    shown = html(client.get(saved["Location"]))
    banner = shown.index('id="messages"')
    # The banner, then the student, then this week's figures, then the form.
    assert banner < shown.index("<h1>") < shown.index('data-week="met"') < shown.index('id="log"')
    assert "记录已保存" in shown[banner : shown.index("<h1>")]


def test_the_subject_defaults_to_the_last_sessions_not_the_mentors_first(world):
    # The owner's mentor profile lists maths first (build_world).
    assert world.owned.mentor.subjects[0] == Subject.MATH
    TutoringSessionFactory(pairing=world.owned, subject=Subject.CHINESE)
    page = html(logged_in(world.owner).get(page_of(world.owned)))

    selected = re.search(r'<option value="(\w*)" selected>', page)

    assert selected.group(1) == Subject.CHINESE


def test_a_home_visit_without_a_subject_does_not_clear_the_default(world):
    TutoringSessionFactory(pairing=world.owned, subject=Subject.ENGLISH)
    TutoringSessionFactory(pairing=world.owned, subject="", kind=SessionKind.HOME_VISIT)

    page = html(logged_in(world.owner).get(page_of(world.owned)))

    assert re.search(r'<option value="(\w*)" selected>', page).group(1) == Subject.ENGLISH


def test_before_the_first_session_the_subject_is_the_mentors_first(world):
    page = html(logged_in(world.owner).get(page_of(world.owned)))

    assert re.search(r'<option value="(\w*)" selected>', page).group(1) == Subject.MATH


def test_every_mistake_of_a_session_is_shown_at_once(world):
    response = logged_in(world.owner, HTTP_ACCEPT_LANGUAGE="en").post(
        page_of(world.owned),
        # A day outside the term, no length, tutoring without a subject, nothing written.
        form(date="2027-03-01", minutes="", subject="", content=""),
    )

    assert response.status_code == 400
    assert session_count() == 0
    for field in ("date", "minutes", "subject", "content"):
        assert error_on(response, field), field


def test_a_week_not_over_is_in_progress_not_missed(world):
    # Friday, nothing logged yet this week: the week can still be met.
    page = html(logged_in(world.owner).get(HOME))

    assert 'data-week="open"' in page
    assert "进行中" in page
    assert "未达标" not in page


def test_the_language_menu_names_each_language_in_itself(world):
    for accept in ("zh-hans", "en"):
        page = html(logged_in(world.owner, HTTP_ACCEPT_LANGUAGE=accept).get(HOME))
        options = re.findall(r'<option value="([\w-]+)" lang="[\w-]+"[^>]*>([^<]+)</option>', page)

        assert options == [("zh-hans", "简体中文"), ("en", "English")]
        assert "英语" not in page


def _missed_week(user, pairing, week="2026-W46") -> Notification:
    return Notification.objects.create(
        recipient=user,
        kind=NotificationKind.MISSED_WEEK,
        key=f"missed_week:{pairing.pk}:{week}",
        subject="本周没有辅导记录 2026-W46 / No tutoring logged in week 2026-W46",
        body="王老师：…\n\nDear Wang, …",
        data={"pairing": pairing.pk, "week": week, "student": pairing.student_id},
    )


def test_a_missed_week_reads_as_dates_with_a_link_to_the_student(world):
    _missed_week(world.owner, world.owned)

    page = html(logged_in(world.owner).get(REMINDERS))

    mentee = page_of(world.owned)
    assert f'<a href="{mentee}">{world.owned.student.name}</a>' in page
    assert f'href="{mentee}?date=2026-11-09#log"' in page
    assert "11月9日" in page and "11月15日" in page
    assert "2026-W46" not in page
    assert "Dear" not in page  # the e-mail's other language is not shown


def test_a_missed_week_reads_in_english_too(world):
    _missed_week(world.owner, world.owned)

    page = html(logged_in(world.owner, HTTP_ACCEPT_LANGUAGE="en").get(REMINDERS))

    assert "Week of 9 Nov to 15 Nov" in page
    assert "2026-W46" not in page


def test_a_reminder_of_an_ended_pairing_names_the_student_without_a_link(world):
    _missed_week(world.owner, world.owned)
    world.owned.status = "ended"
    world.owned.ended_on = world.owned.started_on
    world.owned.save()

    page = html(logged_in(world.owner).get(REMINDERS))

    assert world.owned.student.name in page
    assert page_of(world.owned) not in page


def test_a_reminder_about_another_mentors_pairing_keeps_its_stored_text(world):
    # A pairing the reader does not mentor: nothing of it is read beyond what
    # the stored reminder already says.
    _missed_week(world.owner, world.colleagues)

    page = html(logged_in(world.owner).get(REMINDERS))

    assert world.colleagues.student.name not in page
    assert page_of(world.colleagues) not in page
    assert "本周没有辅导记录 2026-W46" in page
