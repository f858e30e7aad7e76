"""The closed sets of values a column may hold, each kept by a CHECK constraint."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from sqlalchemy import literal


class ProgramType(StrEnum):
    IPS = "ips"
    IPS_LIGNENDE = "ips_lignende"


class Role(StrEnum):
    ADMIN = "admin"
    AMBASSADOR = "ambassador"
    TEAM_LEADER = "team_leader"
    ANALYST = "analyst"
    CONSULTANT = "consultant"  # a team's consultant, invited by its leader for the self-report
    PANEL_MEMBER = "panel_member"  # the expert panel or working group: drafts scale versions


class ScaleStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


class Approval(StrEnum):
    """Where a draft stands on its way to publication (a published or retired version
    keeps the state it was published from: approved)."""

    EDITING = "editing"  # the panel is working on it
    AWAITING = "awaiting"  # sent for approval; not edited until approved or sent back
    APPROVED = "approved"  # an administrator may publish it


class Decision(StrEnum):
    """A step on a draft's way, as its history lists them."""

    SENT = "sent"  # sent for approval
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"  # sent back to the panel with a reason
    WITHDRAWN = "withdrawn"  # taken back by the panel to go on editing
    PUBLISHED = "published"
    RETIRED = "retired"


class ScaleKind(StrEnum):
    FIDELITY = "fidelity"
    IMPLEMENTATION = "implementation"


class RoundStatus(StrEnum):
    OPEN = "open"  # the team may fill in its part (until the deadline)
    SUBMITTED = "submitted"  # the team's part is in and no longer changes


class ImplementationRater(StrEnum):
    TEAM = "team"
    AMBASSADORS = "ambassadors"


class ReviewStatus(StrEnum):
    SCORING = "scoring"
    CONSENSUS = "consensus"
    FINALISED = "finalised"


# The status in the SQL text itself, not as a bound parameter: SQLite uses a partial
# index (``WHERE status = 'finalised'``) only for a query that states its condition.
FINALISED = literal(ReviewStatus.FINALISED.value, literal_execute=True)


class RaterKind(StrEnum):
    REVIEWER = "reviewer"
    CONSENSUS = "consensus"


class ActivityKind(StrEnum):
    """What the ambassador corps did in a region, as the half-year report counts it."""

    COURSE = "course"  # participants by kind: consultants, leaders, psychiatry staff
    SUPERVISION = "supervision"  # sessions and attendees
    NETWORK = "network"  # a professional network meeting
    MANAGEMENT_NETWORK = "management_network"
    CONFERENCE = "conference"
    WEBINAR = "webinar"
    MATERIAL = "material"  # guidance material published


class ActionStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"


def one_of(column: str, values: type[StrEnum]) -> str:
    """A CHECK constraint's condition: ``column`` holds one of ``values``."""
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


# Through which door a change came: a page, the API, the command line, a tablet's outbox
# file, or the system itself (a consensus begun by the last submission).
Channel = Literal["web", "api", "cli", "offline", "system"]
