"""The routing engine's enumerations as IntEnum classes.

They are made from the C constants at import time (a prefix of the header's names), so a
constant added to the headers appears here without a hand-kept copy. Members compare equal
to the C ints; `str()` gives the C name without its prefix ("CONTACT_OFFERED").
"""
import enum

from ccenter._native import lib


def from_c(name, prefix, doc):
    members = {k[len(prefix):]: getattr(lib, k) for k in dir(lib)
               if k.startswith(prefix) and not k.endswith("_")}
    members = dict(sorted(members.items(), key=lambda kv: kv[1]))
    cls = enum.IntEnum(name, members, module=__name__)
    cls.__doc__ = doc
    cls.__str__ = lambda self: self.name
    return cls


_from_c = from_c  # the name the case-engine enums (workflow.py) use

EventType = from_c("EventType", "CCENTER_EV_", "Event types (ccenter_event_type).")
Cause = from_c("Cause", "CCENTER_CAUSE_", "Why the engine did what an event reports.")
AgentState = from_c("AgentState", "CCENTER_AGENT_", "Agent presence.")
ContactState = from_c("ContactState", "CCENTER_CONTACT_", "Where a contact is in its life.")
Outcome = from_c("Outcome", "CCENTER_OUTCOME_", "A contact's final outcome.")
Channel = from_c("Channel", "CCENTER_CHANNEL_", "Media channels.")
Party = from_c("Party", "CCENTER_PARTY_", "Who ended a conversation.")
QueueOption = from_c("QueueOption", "CCENTER_QUEUE_", "Numeric queue settings.")
Strategy = from_c("Strategy", "CCENTER_STRATEGY_", "How a queue chooses among agents.")
EmptyRule = from_c("EmptyRule", "CCENTER_EMPTY_", "When a queue counts as empty.")
MaxWaitAction = from_c("MaxWaitAction", "CCENTER_MAX_WAIT_", "What max wait does.")
EngineOption = from_c("EngineOption", "CCENTER_ENGINE_", "Engine-wide settings.")
SLVariant = from_c("SLVariant", "CCENTER_SL_", "Service-level formulas.")
LogLevel = from_c("LogLevel", "CCENTER_LOG_", "Log levels, most severe first.")


def coerce(cls, value, what):
    """value as a member of cls: a member, its int, or its name (any case)."""
    if isinstance(value, cls):
        return value
    if isinstance(value, str):
        try:
            return cls[value.upper().replace("-", "_")]
        except KeyError:
            raise ValueError("%s: no %s named %r" % (what, cls.__name__, value)) from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("%s: expected %s, got %s" % (what, cls.__name__, type(value).__name__))
    try:
        return cls(value)
    except ValueError:
        raise ValueError("%s: %d is not a %s" % (what, value, cls.__name__)) from None


def maybe(cls, value):
    """value as a member of cls when it is one, else the int (a newer library's value)."""
    try:
        return cls(value)
    except ValueError:
        return value
