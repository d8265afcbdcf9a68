/*
 * The case engine's public calls: the state-changing ones pack their input into a journal
 * record for cc_cases_replay() (cases.c); the queries, statistics and user-data functions
 * read the engine directly (allowed inside the event callback).
 */
#include <string.h>

#include "core/util.h"
#include "workflow/cases_int.h"

static int run(ccenter_cases *ce, cc_case_jrec *r)
{
  return cc_cases_replay(ce, r);
}

int ccenter_cases_advance(ccenter_cases *ce, int64_t now)
{
  cc_case_jrec r = {.op = CC_COP_ADVANCE, .now = now};
  return run(ce, &r);
}

int64_t ccenter_cases_now(const ccenter_cases *ce)
{
  return ce ? ce->now : 0;
}

int ccenter_cases_add_calendar(ccenter_cases *ce, const ccenter_calendar *cal, int64_t now)
{
  if (!cal)
    return CCENTER_EINVAL;
  cc_case_jrec r = {.op = CC_COP_ADD_CALENDAR, .now = now, .obj = cal};
  return run(ce, &r);
}

int ccenter_cases_add_workflow(ccenter_cases *ce, const ccenter_workflow *wf, int64_t now)
{
  if (!wf)
    return CCENTER_EINVAL;
  cc_case_jrec r = {.op = CC_COP_ADD_WORKFLOW, .now = now, .obj = wf};
  return run(ce, &r);
}

int ccenter_cases_set_actor(ccenter_cases *ce, const char *actor, const char *roles,
                            int64_t now)
{
  cc_case_jrec r = {.op = CC_COP_SET_ACTOR, .now = now, .s = {actor, roles && *roles ? roles : NULL}};
  return run(ce, &r);
}

void ccenter_case_input_init(ccenter_case_input *in)
{
  if (!in)
    return;
  memset(in, 0, sizeof *in);
  in->size = sizeof *in;
}

int ccenter_case_open(ccenter_cases *ce, const char *case_id, const char *workflow,
                      const char *actor, void *user_data, int64_t now)
{
  cc_case_jrec r = {.op = CC_COP_OPEN, .now = now, .s = {case_id, workflow, actor},
                    .user_data = user_data};
  return run(ce, &r);
}

int ccenter_case_set_int(ccenter_cases *ce, const char *case_id, const char *actor,
                         const char *field, int64_t value, int64_t now)
{
  cc_case_jrec r = {.op = CC_COP_SET_INT, .now = now, .s = {case_id, actor, field}, .i = value};
  return run(ce, &r);
}

int ccenter_case_set_text(ccenter_cases *ce, const char *case_id, const char *actor,
                          const char *field, const char *value, int64_t now)
{
  cc_case_jrec r = {.op = CC_COP_SET_TEXT, .now = now, .s = {case_id, actor, field, value}};
  return run(ce, &r);
}

int ccenter_case_set_money(ccenter_cases *ce, const char *case_id, const char *actor,
                           const char *field, int64_t minor_units, const char *currency,
                           int64_t now)
{
  cc_case_jrec r = {.op = CC_COP_SET_MONEY, .now = now,
                    .s = {case_id, actor, field, currency}, .i = minor_units};
  return run(ce, &r);
}

int ccenter_case_link_contact(ccenter_cases *ce, const char *case_id, const char *contact,
                              const char *actor, int64_t now)
{
  cc_case_jrec r = {.op = CC_COP_LINK, .now = now, .s = {case_id, contact, actor}};
  return run(ce, &r);
}

int ccenter_case_transition(ccenter_cases *ce, const char *case_id, const char *transition,
                            const char *actor, const ccenter_case_input *in, int64_t now)
{
  ccenter_case_input full;
  ccenter_case_input_init(&full);
  if (in && cc_struct_in(&full, sizeof full, in, CC_END_OF(ccenter_case_input, n_evidence)))
    return CCENTER_EINVAL;
  cc_case_jrec r = {.op = CC_COP_TRANSITION, .now = now,
                    .s = {case_id, transition, actor, full.reason},
                    .evidence = full.evidence, .n_evidence = full.n_evidence};
  return run(ce, &r);
}

int ccenter_case_approve(ccenter_cases *ce, const char *case_id, const char *actor,
                         const char *reason, int64_t now)
{
  cc_case_jrec r = {.op = CC_COP_APPROVE, .now = now, .s = {case_id, actor, reason}};
  return run(ce, &r);
}

int ccenter_case_reject(ccenter_cases *ce, const char *case_id, const char *actor,
                        const char *reason, int64_t now)
{
  cc_case_jrec r = {.op = CC_COP_REJECT, .now = now, .s = {case_id, actor, reason}};
  return run(ce, &r);
}

int ccenter_case_forget(ccenter_cases *ce, const char *case_id, int64_t now)
{
  cc_case_jrec r = {.op = CC_COP_FORGET, .now = now, .s = {case_id}};
  return run(ce, &r);
}

/* ---- queries ------------------------------------------------------------------------ */

int ccenter_cases_audit_head(const ccenter_cases *ce, ccenter_audit_head *out)
{
  if (!ce || !out)
    return CCENTER_EINVAL;
  *out = ce->audit.head;
  return 0;
}

/* A field of a case for a getter: ENOENT (case, field, unset) or EINVAL (wrong getter). */
static int get_field(const ccenter_cases *ce, const char *case_id, const char *field,
                     int want, const cc_cval **out)
{
  if (!ce || !case_id || !field)
    return CCENTER_EINVAL;
  const cc_case *c = cc_cases_find(ce, case_id);
  if (!c)
    return CCENTER_ENOENT;
  int fi = cc_wf_find_field(c->wf->def, field);
  if (fi < 0)
    return CCENTER_ENOENT;
  ccenter_field_type t = c->wf->def->fields[fi].type;
  int kind = t == CCENTER_FIELD_MONEY                                   ? 2
             : t == CCENTER_FIELD_TEXT || t == CCENTER_FIELD_ACCOUNT ? 1
                                                                      : 0;
  if (kind != want)
    return CCENTER_EINVAL;
  if (!c->vals || !c->vals[fi].set)
    return CCENTER_ENOENT;
  *out = &c->vals[fi];
  return 0;
}

int ccenter_case_get_int(const ccenter_cases *ce, const char *case_id, const char *field,
                         int64_t *out)
{
  const cc_cval *v;
  if (!out)
    return CCENTER_EINVAL;
  int rc = get_field(ce, case_id, field, 0, &v);
  if (rc == 0)
    *out = v->num;
  return rc;
}

int ccenter_case_get_text(const ccenter_cases *ce, const char *case_id, const char *field,
                          const char **out)
{
  const cc_cval *v;
  if (!out)
    return CCENTER_EINVAL;
  int rc = get_field(ce, case_id, field, 1, &v);
  if (rc == 0)
    *out = v->text;
  return rc;
}

int ccenter_case_get_money(const ccenter_cases *ce, const char *case_id, const char *field,
                           int64_t *minor_units, char currency[4])
{
  const cc_cval *v;
  if (!minor_units || !currency)
    return CCENTER_EINVAL;
  int rc = get_field(ce, case_id, field, 2, &v);
  if (rc == 0) {
    *minor_units = v->num;
    memcpy(currency, v->cur, 4);
  }
  return rc;
}

int ccenter_case_info_get(const ccenter_cases *ce, const char *case_id, ccenter_case_info *info)
{
  if (!ce || !case_id || !info)
    return CCENTER_EINVAL;
  const cc_case *c = cc_cases_find(ce, case_id);
  if (!c)
    return CCENTER_ENOENT;
  const ccenter_workflow *d = c->wf->def;
  ccenter_case_info i;
  memset(&i, 0, sizeof i);
  i.size = sizeof i;
  i.workflow = d->name;
  i.state = d->states[c->state].name;
  i.outcome = c->closed ? d->states[c->state].outcome : NULL;
  i.closed = c->closed;
  i.opened_at = c->opened_at;
  i.state_since = c->state_since;
  i.contained_at = c->contained_at;
  i.proposal = c->prop ? d->tnames[c->prop->tname].name : NULL;
  i.proposed_by = c->prop ? c->prop->maker : NULL;
  i.proposal_expires = c->prop ? c->prop->expires : CCENTER_NO_DEADLINE;
  i.next_deadline = cc_case_next_deadline(ce, c);
  i.contacts = c->n_contacts;
  return cc_struct_out(info, &i, CC_END_OF(ccenter_case_info, contacts)) ? CCENTER_EINVAL : 0;
}

const char *ccenter_case_contact(const ccenter_cases *ce, const char *case_id, size_t i)
{
  if (!ce)
    return NULL;
  const cc_case *c = cc_cases_find(ce, case_id);
  return c && i < c->n_contacts ? c->contacts[i] : NULL;
}

int ccenter_case_timer_deadline(const ccenter_cases *ce, const char *case_id,
                                const char *timer, int64_t *deadline)
{
  if (!ce || !case_id || !timer || !deadline)
    return CCENTER_EINVAL;
  const cc_case *c = cc_cases_find(ce, case_id);
  if (!c)
    return CCENTER_ENOENT;
  int k = cc_wf_find_timer(c->wf->def, timer);
  for (uint16_t i = 0; k >= 0 && i < c->n_armed; i++)
    if (c->armed[i].timer == (uint32_t)k) {
      *deadline = c->armed[i].paused ? CCENTER_NO_DEADLINE : c->armed[i].deadline;
      return 0;
    }
  return CCENTER_ENOENT;
}

void *ccenter_case_user_data(const ccenter_cases *ce, const char *case_id)
{
  const cc_case *c = ce ? cc_cases_find(ce, case_id) : NULL;
  return c ? c->user_data : NULL;
}

int ccenter_case_set_user_data(ccenter_cases *ce, const char *case_id, void *user_data)
{
  if (!ce || !case_id)
    return CCENTER_EINVAL;
  cc_case *c = cc_cases_find(ce, case_id);
  if (!c)
    return CCENTER_ENOENT;
  c->user_data = user_data;
  return 0;
}

size_t ccenter_cases_open_count(const ccenter_cases *ce)
{
  return ce ? ce->n_open : 0;
}

size_t ccenter_cases_count(const ccenter_cases *ce)
{
  return ce ? ce->cases.len : 0;
}

size_t ccenter_cases_memory(const ccenter_cases *ce)
{
  return ce ? ce->mem : 0;
}

int ccenter_workflow_stats_get(const ccenter_cases *ce, const char *workflow,
                               ccenter_workflow_stats *out)
{
  if (!ce || !workflow || !out)
    return CCENTER_EINVAL;
  const cc_wfrt *w = cc_map_get(&ce->workflows, workflow);
  if (!w)
    return CCENTER_ENOENT;
  return cc_struct_out(out, &w->st, CC_END_OF(ccenter_workflow_stats, actions))
             ? CCENTER_EINVAL
             : 0;
}

int ccenter_workflow_stat_count(const ccenter_cases *ce, const char *workflow,
                                ccenter_wf_count kind, const char *name, uint64_t *out)
{
  if (!ce || !workflow || !name || !out || kind < CCENTER_COUNT_OUTCOME ||
      kind > CCENTER_COUNT_ACTION)
    return CCENTER_EINVAL;
  const cc_wfrt *w = cc_map_get(&ce->workflows, workflow);
  if (!w)
    return CCENTER_ENOENT;
  const ccenter_workflow *d = w->def;
  uint64_t sum = 0;
  int found = 0;
  if (kind == CCENTER_COUNT_OUTCOME) {
    /* Several final states may share an outcome. */
    for (uint32_t i = 0; i < d->n_states; i++)
      if (d->states[i].outcome && !strcmp(d->states[i].outcome, name)) {
        found = 1;
        sum += w->n_state[i];
      }
  } else if (kind == CCENTER_COUNT_TRANSITION) {
    int k = cc_wf_find_tname(d, name);
    if ((found = k >= 0))
      sum = w->n_tname[k];
  } else if (kind == CCENTER_COUNT_TIMER) {
    int k = cc_wf_find_timer(d, name);
    if ((found = k >= 0))
      sum = w->n_timer[k];
  } else {
    for (uint32_t t = 0; t < d->n_tnames; t++)
      for (uint32_t a = 0; a < d->tnames[t].n_actions; a++)
        if (!strcmp(d->tnames[t].actions[a].name, name)) {
          found = 1;
          sum += w->n_action[w->act_base[t] + a];
        }
  }
  if (!found)
    return CCENTER_ENOENT;
  *out = sum;
  return 0;
}

const char *ccenter_case_event_name(ccenter_case_event_type type)
{
  static const char *const names[] = {
      NULL,          "OPENED",        "STATE_CHANGED",  "FIELD_SET",      "ACTION",
      "APPROVAL_NEEDED", "APPROVED",  "REJECTED",       "PROPOSAL_EXPIRED", "TIMER_WARNING",
      "TIMER_EXPIRED", "ALERT",       "ESCALATION",     "DEADLINE_MISSED", "LIMIT_REACHED",
      "GOLDEN_MET",  "GOLDEN_MISSED", "CLOSED",         "CONTACT_LINKED"};
  if ((int)type < CCENTER_CASE_OPENED || (int)type > CCENTER_CASE_CONTACT_LINKED)
    return "UNKNOWN";
  return names[type];
}
