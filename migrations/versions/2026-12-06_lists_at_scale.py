"""Indexes that keep lists bounded on ten years of data: reviews by visit date (the API's
newest-first list, every status), and the audit trail by action and by actor, newest
first (its filters page through an index instead of the table, and the newest event of
an action, which keys the figures kept between requests, is one step into it).

Revision ID: 0007
Revises: 0006
Created: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_review_visit_date_id", "review", ["visit_date", "id"])
    # The audit trail refuses UPDATE and DELETE (triggers), so its indexes are made in
    # place, never by copying the table as a batch migration would.
    op.drop_index("ix_audit_event_action", table_name="audit_event")
    op.drop_index("ix_audit_event_actor_id", table_name="audit_event")
    op.create_index("ix_audit_event_action_id", "audit_event", ["action", "id"])
    op.create_index("ix_audit_event_actor_id_id", "audit_event", ["actor_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_audit_event_actor_id_id", table_name="audit_event")
    op.drop_index("ix_audit_event_action_id", table_name="audit_event")
    op.create_index("ix_audit_event_actor_id", "audit_event", ["actor_id"])
    op.create_index("ix_audit_event_action", "audit_event", ["action"])
    op.drop_index("ix_review_visit_date_id", table_name="review")
