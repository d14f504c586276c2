"""/teacher/mentees/<id>/scores/: a mentor enters a mentee's score through the same service as the
API, every mistake shown next to its field, nothing written."""

from decimal import Decimal

from mentoring.models import SubjectScore
from tests.mentoring.teacher_page.page_scene import html, logged_in, page_of


def scores_url(pairing) -> str:
    return f"{page_of(pairing)}scores/"


def test_the_mentor_enters_a_score_and_sees_it_on_the_page(world):
    client = logged_in(world.owner)

    response = client.post(
        scores_url(world.owned), {"subject": "math", "start_score": "48.5", "end_score": ""}
    )

    assert response.status_code == 302
    assert response["Location"] == page_of(world.owned) + "#messages"
    score = SubjectScore.objects.get()
    assert (score.record.student, score.record.term) == (world.owned.student, world.term)
    assert (score.subject, score.start_score, score.end_score) == ("math", Decimal("48.5"), None)
    assert score.history.count() == 1
    page = html(client.get(page_of(world.owned)))
    assert "48.5" in page
    assert f"/teacher/students/{world.owned.student_id}/archive/" in page


def test_the_closing_exam_later_keeps_the_opening_one(world):
    client = logged_in(world.owner)
    client.post(scores_url(world.owned), {"subject": "math", "start_score": "48.5"})
    client.post(scores_url(world.owned), {"subject": "math", "end_score": "66"})
    score = SubjectScore.objects.get()
    assert (score.start_score, score.end_score) == (Decimal("48.5"), Decimal("66"))


def test_every_mistake_is_shown_at_once_and_nothing_is_written(world):
    response = logged_in(world.owner).post(
        scores_url(world.owned), {"subject": "", "start_score": "151", "end_score": "abc"}
    )
    assert response.status_code == 400
    page = html(response)
    for field in ("subject", "start_score", "end_score"):
        assert f'id="error-score-{field}"' in page
    assert not SubjectScore.objects.exists()


def test_a_score_with_neither_exam_is_refused(world):
    response = logged_in(world.owner).post(scores_url(world.owned), {"subject": "math"})
    assert response.status_code == 400
    assert 'id="error-score-start_score"' in html(response)
    assert not SubjectScore.objects.exists()


def test_another_mentors_mentee_answers_404_and_a_get_405(world):
    client = logged_in(world.owner)
    assert (
        client.post(
            scores_url(world.colleagues), {"subject": "math", "start_score": "1"}
        ).status_code
        == 404
    )
    assert client.get(scores_url(world.owned)).status_code == 405
    assert not SubjectScore.objects.exists()
