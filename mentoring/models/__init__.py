"""Mentoring's models, one module per part of the domain; every model is read from here.

The models' app label is `mentoring` whichever module defines them, so
`from mentoring.models import Pairing` is the way in.
"""

from mentoring.models.access_log import (
    AccessAction,
    AccessLogEntry,
    AccessLogStudent,
)
from mentoring.models.applications import (
    ApplicantRelation,
    Application,
    ApplicationCode,
    ApplicationSource,
    ApplicationStatus,
    CommitteeDecision,
    CommitteeMember,
    CommitteeOutcome,
    CommitteeRole,
    Investigation,
    PublicApplicationAttempt,
    ReviewCommittee,
    ReviewStage,
)
from mentoring.models.committees import CommitteeKind, VillageCommittee
from mentoring.models.guardian_accounts import GuardianAccount
from mentoring.models.identification import (
    Assessment,
    AssessmentEvent,
    AssessmentRoute,
    AssessmentStatus,
    HardshipIndicator,
    HardshipKind,
    IndicatorSource,
    Objection,
    RecheckChange,
)
from mentoring.models.match_runs import (
    MatchRun,
    MatchRunStatus,
    ProposedPair,
)
from mentoring.models.notifications import (
    Notification,
    NotificationKind,
)
from mentoring.models.pairings import (
    PAIRED_STATUSES,
    Mentor,
    MentorKind,
    Pairing,
    PairingKind,
    PairingStatus,
)
from mentoring.models.people import (
    TOKEN_REVOKING_FIELDS,
    District,
    Membership,
    Province,
    Role,
    School,
    SchoolLevel,
    Term,
    User,
    default_tiers,
    person_name,
    revoke_tokens_of,
    school_year_label,
    term_label,
)
from mentoring.models.sessions import (
    SessionKind,
    TutoringSession,
    WeeklyCompliance,
)
from mentoring.models.students import (
    Gender,
    Student,
    StudentRecord,
    Subject,
    SubjectScore,
)
from mentoring.models.visit_plans import (
    VisitPlan,
    VisitPlanEntry,
)

__all__ = [
    "PAIRED_STATUSES",
    "TOKEN_REVOKING_FIELDS",
    "AccessAction",
    "AccessLogEntry",
    "AccessLogStudent",
    "ApplicantRelation",
    "Application",
    "ApplicationCode",
    "ApplicationSource",
    "ApplicationStatus",
    "Assessment",
    "AssessmentEvent",
    "AssessmentRoute",
    "AssessmentStatus",
    "CommitteeDecision",
    "CommitteeKind",
    "CommitteeMember",
    "CommitteeOutcome",
    "CommitteeRole",
    "District",
    "Gender",
    "GuardianAccount",
    "HardshipIndicator",
    "HardshipKind",
    "IndicatorSource",
    "Investigation",
    "MatchRun",
    "MatchRunStatus",
    "Membership",
    "Mentor",
    "MentorKind",
    "Notification",
    "NotificationKind",
    "Objection",
    "Pairing",
    "PairingKind",
    "PairingStatus",
    "ProposedPair",
    "Province",
    "PublicApplicationAttempt",
    "RecheckChange",
    "ReviewCommittee",
    "ReviewStage",
    "Role",
    "School",
    "SchoolLevel",
    "SessionKind",
    "Student",
    "StudentRecord",
    "Subject",
    "SubjectScore",
    "Term",
    "TutoringSession",
    "User",
    "VillageCommittee",
    "VisitPlan",
    "VisitPlanEntry",
    "WeeklyCompliance",
    "default_tiers",
    "person_name",
    "revoke_tokens_of",
    "school_year_label",
    "term_label",
]
