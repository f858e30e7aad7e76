"""The audit trail by actor and action, newest first: a filter on a person and a group of
actions is read as one walk per person and action, each a step into this index, instead
of checking each event of the group for the person.

Revision ID: 0010
Revises: 0009
Created: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # made in place: the trail refuses UPDATE and DELETE, so no batch copy of the table
    op.create_index("ix_audit_event_actor_action_id", "audit_event", ["actor_id", "action", "id"])


def downgrade() -> None:
    op.drop_index("ix_audit_event_actor_action_id", table_name="audit_event")
