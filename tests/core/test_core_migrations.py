"""Idempotency records moved from mentoring to core in state only: rows and content type kept."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from core.models import IdempotencyRecord
from workers.factories import UserFactory

BEFORE = [("mentoring", "0010_match_runs_from_workers"), ("core", None)]
AFTER = [("core", "0001_idempotency_from_mentoring")]


def _content_type_labels() -> list[str]:
    ContentType.objects.clear_cache()
    return sorted(
        ContentType.objects.filter(model="idempotencyrecord").values_list("app_label", flat=True)
    )


@pytest.mark.django_db(transaction=True)
def test_a_record_stored_under_mentoring_is_core_s_after_the_move_and_back_again():
    user = UserFactory()
    MigrationExecutor(connection).migrate(BEFORE)
    try:
        assert _content_type_labels() == ["mentoring"]
        old = MigrationExecutor(connection).loader.project_state(BEFORE[:1]).apps
        OldRecord = old.get_model("mentoring", "IdempotencyRecord")
        stored = OldRecord.objects.create(
            user_id=user.pk,
            scope="sessions",
            key="k-1",
            request_hash="0" * 64,
            status_code=201,
            body={"id": 7},
        )

        MigrationExecutor(connection).migrate(AFTER)
        moved = IdempotencyRecord.objects.get(pk=stored.pk)
        assert (moved.user_id, moved.scope, moved.key, moved.status_code, moved.body) == (
            user.pk,
            "sessions",
            "k-1",
            201,
            {"id": 7},
        )
        assert _content_type_labels() == ["core"]

        MigrationExecutor(connection).migrate(BEFORE)
        assert OldRecord.objects.get(pk=stored.pk).body == {"id": 7}
        assert _content_type_labels() == ["mentoring"]
    finally:
        MigrationExecutor(connection).migrate(
            MigrationExecutor(connection).loader.graph.leaf_nodes()
        )
    assert _content_type_labels() == ["core"]
