"""C structs into Python values, one rule for all of them: the plan of a struct type (how
each field converts) is made once from cffi's description of the type, so an event, an
info struct and a statistics struct all convert the same way and follow the headers."""
from ccenter import enums as _e
from ccenter._native import ffi
from ccenter._strings import pystr

_ENUMS = {
    "enum ccenter_event_type": _e.EventType,
    "enum ccenter_cause": _e.Cause,
    "enum ccenter_agent_state": _e.AgentState,
    "enum ccenter_contact_state": _e.ContactState,
    "enum ccenter_outcome": _e.Outcome,
    "enum ccenter_channel": _e.Channel,
    "enum ccenter_party": _e.Party,
}

_plans = {}


def _plan(ctype):
    plan = []
    for name, field in ctype.fields:
        if name == "size":
            continue
        t = field.type
        if t.kind == "enum":
            cls = _ENUMS.get(t.cname)
            plan.append((name, "enum", cls))
        elif t.kind == "pointer" and t.item.cname == "char":
            plan.append((name, "str", None))
        elif t.kind == "pointer" and t.item.cname == "void":
            plan.append((name, "data", None))
        elif t.kind == "array":
            plan.append((name, "list", None))
        else:
            plan.append((name, "plain", None))
    return plan


def fields(c, data=None):
    """The fields of struct cdata `c` (a pointer or a struct) as a dict: strings as str,
    enums as IntEnum members, arrays as lists, `void *` user data through data(pointer)
    (None without it). `size` is left out."""
    ctype = ffi.typeof(c)
    if ctype.kind == "pointer":
        ctype = ctype.item
    plan = _plans.get(ctype)
    if plan is None:
        plan = _plans[ctype] = _plan(ctype)
    out = {}
    for name, kind, cls in plan:
        v = getattr(c, name)
        if kind == "plain":
            out[name] = v
        elif kind == "str":
            out[name] = pystr(v)
        elif kind == "enum":
            out[name] = _e.maybe(cls, v) if cls is not None else v
        elif kind == "list":
            out[name] = list(v)
        else:
            out[name] = data(v) if data is not None else None
    return out
