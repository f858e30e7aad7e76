"""The tables, one module per part of the domain (places, people, reviews, the audit
trail, the team's feedback), and how their columns store values (columns, kinds).
Importing this package registers every table on the metadata the migrations compare
with; the names below are the ones the rest of the app uses.

The measurement round (rounds) holds a team's yearly measurement together: its own part,
the ambassadors' implementation assessment and the fidelity review.

The tables. Singular names, ``_at`` for timestamps (timezone-aware UTC), explicit
constraint names through the metadata's naming convention (batch migrations on SQLite
need them).

The user table is called ``user_account`` because ``user`` is a reserved word in
PostgreSQL. A rating belongs to one rater: a reviewer (``rater_kind='reviewer'``, with
``rater_id``) or the review's consensus (``rater_kind='consensus'``, no rater); partial
unique indexes keep one row per rater and item.
"""

from __future__ import annotations

from app.models.columns import JsonType, UTCDateTime, folded, metadata, table_of, timestamp, utcnow
from app.models.corps import AgreementMunicipality, CollaborationAgreement, CorpsActivity
from app.models.feedback import ActionItem, TeamComment
from app.models.kinds import (
    FINALISED,
    ActionStatus,
    ActivityKind,
    Approval,
    Channel,
    Decision,
    ImplementationRater,
    ProgramType,
    RaterKind,
    ReviewStatus,
    Role,
    RoundStatus,
    ScaleKind,
    ScaleStatus,
    one_of,
)
from app.models.outcomes import MEASURES, OutcomeFigure, OutcomeImport
from app.models.people import (
    ApiToken,
    Invitation,
    SignInAttempt,
    User,
    UserRegion,
    UserSession,
    UserTeam,
)
from app.models.places import Municipality, Region, Team, TeamMunicipality
from app.models.reviews import Rating, RatingChange, Review, ReviewReviewer, ScaleVersion
from app.models.rounds import (
    ImplementationRating,
    ImplementationStatus,
    MeasurementRound,
    RoundChange,
    TeamFigure,
)
from app.models.status import StatusReport
from app.models.trail import AuditEvent, FiguresVersion
from app.models.workshop import ScaleComment, ScaleDecision

__all__ = [
    "ActionItem",
    "ActionStatus",
    "ActivityKind",
    "AgreementMunicipality",
    "Approval",
    "ApiToken",
    "AuditEvent",
    "Channel",
    "CollaborationAgreement",
    "CorpsActivity",
    "Decision",
    "FINALISED",
    "FiguresVersion",
    "ImplementationRater",
    "ImplementationRating",
    "ImplementationStatus",
    "Invitation",
    "JsonType",
    "MEASURES",
    "MeasurementRound",
    "Municipality",
    "OutcomeFigure",
    "OutcomeImport",
    "ProgramType",
    "RaterKind",
    "Rating",
    "RatingChange",
    "Region",
    "Review",
    "ReviewReviewer",
    "ReviewStatus",
    "Role",
    "RoundChange",
    "RoundStatus",
    "ScaleComment",
    "ScaleDecision",
    "ScaleKind",
    "ScaleStatus",
    "ScaleVersion",
    "SignInAttempt",
    "StatusReport",
    "Team",
    "TeamComment",
    "TeamFigure",
    "TeamMunicipality",
    "UTCDateTime",
    "User",
    "UserRegion",
    "UserSession",
    "UserTeam",
    "folded",
    "metadata",
    "one_of",
    "table_of",
    "timestamp",
    "utcnow",
]
