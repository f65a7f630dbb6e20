"""Every area's models, imported in one place so that Alembic sees the whole schema."""

from consult.accounts.models import AccountToken, Population, Region, User, UserRole  # noqa: F401
from consult.admin.models import SettingValue  # noqa: F401
from consult.analysis.models import (  # noqa: F401
    AnalysisJob,
    Finding,
    FindingQuote,
    Topic,
    TopicMember,
)
from consult.api.models import ApiToken  # noqa: F401
from consult.assembly.models import (  # noqa: F401
    Assembly,
    AssemblyLogEntry,
    Ballot,
    Delegate,
    Participation,
    Proxy,
    Resolution,
    Wording,
)
from consult.consultations.models import (  # noqa: F401
    Choice,
    Consultation,
    ConsultationPopulation,
    Contribution,
    ContributionRevision,
    Question,
    Reaction,
    Theme,
)
from consult.core.imports.models import ImportBatch, ImportMapping  # noqa: F401
from consult.core.models import AuditEvent, OutgoingMail  # noqa: F401
from consult.meetings.models import (  # noqa: F401
    Meeting,
    MeetingContribution,
    MeetingMinutes,
    MeetingPopulation,
    MeetingQuestion,
    Registration,
)
from consult.mission.models import (  # noqa: F401
    Attachment,
    Comment,
    CommitteeSession,
    Engagement,
    Indicator,
    IndicatorValue,
    Objective,
    Opinion,
    OpinionVersion,
    Proof,
    ProofLink,
)
from consult.moderation.models import (  # noqa: F401
    Flag,
    ModerationDecision,
    ModerationStatus,
    Suspension,
)
from consult.notifications.models import Notification, NotificationOptOut  # noqa: F401
from consult.panels.models import (  # noqa: F401
    Panel,
    PanelDocument,
    PanelDraw,
    PanelFeature,
    PanelFeatureValue,
    PanelJob,
    PanelProject,
    PanelQuota,
    PanelSeat,
    PanelSession,
    PanelVolunteer,
    QuestionnaireResponse,
    VolunteerValue,
)
from consult.privacy.models import RetentionPolicy  # noqa: F401
from consult.results.models import ResultsPublication  # noqa: F401
from consult.workshops.models import (  # noqa: F401
    Idea,
    IdeaHeading,
    Story,
    StoryComment,
    StoryVersion,
    Workshop,
    WorkshopGroup,
    WorkshopMember,
)
