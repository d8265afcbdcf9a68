"""libccenter for Python: the decision core of a contact centre (docs/python.md).

Not thread-safe, like the C library: an engine and everything made from it are used from
one thread at a time.
"""
from ccenter._errors import (  # noqa: F401
    Error, InvalidArgument, OutOfMemory, NotFound, AlreadyExists, StateError, TimeWentBack,
    Full, CapacityError, Busy, CallbackError, OutOfRange, ParseError, NotSupported,
    StoreIOError, Corrupt, NoAgents, NoSolution, PermissionDenied, ConditionNotMet,
    NewerFormat, NoSpace,
)
from ccenter._native import ffi as _ffi, lib as _lib

__version__ = _ffi.string(_lib.ccenter_version_string()).decode()
NO_DEADLINE = _lib.CCENTER_NO_DEADLINE

# The routing engine.
from ccenter.enums import (  # noqa: F401,E402
    EventType, Cause, AgentState, ContactState, Outcome, Channel, Party, QueueOption,
    Strategy, EmptyRule, MaxWaitAction, EngineOption, SLVariant, LogLevel,
)
from ccenter.engine import (  # noqa: F401,E402
    Engine, Queue, Agent, Contact, Event, QueueInfo, AgentInfo, ContactInfo, SkillInfo,
    Closed,
)
from ccenter.stats import QueueStats, AgentStats, QueueLog  # noqa: F401,E402
from ccenter import aio  # noqa: F401,E402

# Staffing, calendars, workflows and cases, the store.
from ccenter import staffing  # noqa: F401,E402
from ccenter.staffing import (  # noqa: F401,E402
    erlang_b, erlang_c, erlang_c_metrics, erlang_a, service_level, asa, agents_needed,
    ErlangMetrics, StaffingResult, StaffingRow,
)
from ccenter.calendar import Calendar, Civil, Weekday, load_calendar, calendars  # noqa: F401,E402
from ccenter.workflow import (  # noqa: F401,E402
    Workflow, CaseEngine, Case, CaseEvent, CaseEventType, CaseInfo, WorkflowStats, Money,
    FieldType, TimerClock, TimerExpiry, CountKind, Result, AuditRecord, AuditHead,
    load_template, templates, verify_audit,
)
from ccenter.store import Store, StoreInfo, Durability, open_store  # noqa: F401,E402
