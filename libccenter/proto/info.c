/*
 * The query answers and the snapshot as schema messages. The answers come from the
 * public query functions; only the snapshot's lists of ids read the engines' internal
 * maps, as the engines have no public way to enumerate their objects.
 */
#include <stdlib.h>
#include <string.h>

#include "proto/proto_int.h"
#include "acd/engine_priv.h"
#include "workflow/cases_int.h"

int cc_pb_queue_info(const ccenter_engine *e, const char *id, int64_t now,
                     Ccenter__V1__QueueInfo *m)
{
  ccenter_queue_info i = {.size = sizeof i};
  int rc = ccenter_queue_info_get(e, id, now, &i);
  if (rc)
    return rc;
  ccenter__v1__queue_info__init(m);
  m->queue = cc_pb_str(id);
  m->waiting = i.waiting;
  m->offered = i.offered;
  m->members = i.members;
  m->members_logged_in = i.members_logged_in;
  m->members_ready = i.members_ready;
  m->longest_wait_ms = i.longest_wait_ms;
  m->ewt_ms = i.ewt_ms;
  m->oldest = cc_pb_str(i.oldest);
  return 0;
}

int cc_pb_agent_info(const ccenter_engine *e, const char *id, int64_t now,
                     Ccenter__V1__AgentInfo *m, uint32_t in_channel[CCENTER_CHANNEL_COUNT_])
{
  ccenter_agent_info i = {.size = sizeof i};
  int rc = ccenter_agent_info_get(e, id, now, &i);
  if (rc)
    return rc;
  ccenter__v1__agent_info__init(m);
  m->agent = cc_pb_str(id);
  m->state = (Ccenter__V1__AgentState)i.state;
  m->reason = cc_pb_str(i.reason);
  m->pending = cc_pb_str(i.pending);
  m->state_since = i.state_since;
  m->idle_since = i.idle_since;
  m->offered = i.offered;
  m->connected = i.connected;
  m->wrap_up = i.wrap_up;
  for (int c = 0; c < CCENTER_CHANNEL_COUNT_; c++)
    in_channel[c] = i.in_channel[c];
  m->n_in_channel = CCENTER_CHANNEL_COUNT_;
  m->in_channel = in_channel;
  m->missed_in_row = i.missed_in_row;
  m->handled = i.handled;
  m->cause = (Ccenter__V1__Cause)i.cause;
  m->pending_state = (Ccenter__V1__AgentState)i.pending_state;
  m->pending_cause = (Ccenter__V1__Cause)i.pending_cause;
  m->state_ms = i.state_ms;
  return 0;
}

int cc_pb_contact_info(const ccenter_engine *e, const char *id, int64_t now,
                       Ccenter__V1__ContactInfo *m)
{
  ccenter_contact_info i = {.size = sizeof i};
  int rc = ccenter_contact_info_get(e, id, now, &i);
  if (rc)
    return rc;
  ccenter__v1__contact_info__init(m);
  m->contact = cc_pb_str(id);
  m->state = (Ccenter__V1__ContactState)i.state;
  m->channel = (Ccenter__V1__Channel)i.channel;
  m->priority = i.priority;
  m->is_callback = i.is_callback != 0;
  m->on_hold = i.on_hold != 0;
  m->queue = cc_pb_str(i.queue);
  m->agent = cc_pb_str(i.agent);
  m->customer = cc_pb_str(i.customer);
  m->position = i.position;
  m->enqueued_at = i.enqueued_at;
  m->wait_ms = i.wait_ms;
  m->ewt_ms = i.ewt_ms;
  return 0;
}

int cc_pb_case_info(const ccenter_cases *ce, const char *id, Ccenter__V1__CaseInfo *m)
{
  ccenter_case_info i = {.size = sizeof i};
  int rc = ccenter_case_info_get(ce, id, &i);
  if (rc)
    return rc;
  ccenter__v1__case_info__init(m);
  if (i.contacts) {
    m->contacts = calloc(i.contacts, sizeof *m->contacts);
    if (!m->contacts)
      return CCENTER_ENOMEM;
    for (size_t k = 0; k < i.contacts; k++)
      m->contacts[k] = cc_pb_str(ccenter_case_contact(ce, id, k));
    m->n_contacts = i.contacts;
  }
  m->case_id = cc_pb_str(id);
  m->workflow = cc_pb_str(i.workflow);
  m->state = cc_pb_str(i.state);
  m->outcome = cc_pb_str(i.outcome);
  m->closed = i.closed != 0;
  m->opened_at = i.opened_at;
  m->state_since = i.state_since;
  m->contained_at = i.contained_at;
  m->proposal = cc_pb_str(i.proposal);
  m->proposed_by = cc_pb_str(i.proposed_by);
  m->proposal_expires = i.proposal_expires;
  m->next_deadline = i.next_deadline;
  return 0;
}

void cc_pb_case_info_free(Ccenter__V1__CaseInfo *m)
{
  free(m->contacts);
  m->contacts = NULL;
  m->n_contacts = 0;
}

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The ids of a map of objects that begin with their id (CC_OBJ_HEAD, cc_case), sorted;
 * `skip` leaves out the ones that are not live. NULL with *n 0 when empty. */
typedef int (*skip_fn)(const void *obj);

static int collect(const cc_map *map, skip_fn skip, const char *(*id_of)(const void *),
                   const char ***out, size_t *n)
{
  *out = NULL;
  *n = 0;
  if (!map->len)
    return 0;
  const char **ids = malloc(map->len * sizeof *ids);
  if (!ids)
    return CCENTER_ENOMEM;
  size_t it = 0, k = 0;
  const void *v;
  while ((v = cc_map_next(map, &it)))
    if (!skip || !skip(v))
      ids[k++] = id_of(v);
  qsort(ids, k, sizeof *ids, cmp_str);
  *out = ids;
  *n = k;
  return 0;
}

static const char *obj_id(const void *o)
{
  return ((const cc_obj *)o)->id;
}

static const char *case_id_of(const void *o)
{
  return ((const cc_case *)o)->id;
}

static int queue_gone(const void *o)
{
  return ((const queue *)o)->removed;
}

static int case_closed(const void *o)
{
  return ((const cc_case *)o)->closed;
}

void cc_pb_snapshot_free(Ccenter__V1__Snapshot *snap)
{
  for (size_t k = 0; k < snap->n_queues; k++)
    free(snap->queues[k]);
  for (size_t k = 0; k < snap->n_agents; k++)
    free(snap->agents[k]);
  for (size_t k = 0; k < snap->n_contacts; k++)
    free(snap->contacts[k]);
  for (size_t k = 0; k < snap->n_cases; k++) {
    cc_pb_case_info_free(snap->cases[k]);
    free(snap->cases[k]);
  }
  free(snap->queues);
  free(snap->agents);
  free(snap->contacts);
  free(snap->cases);
  snap->queues = NULL;
  snap->agents = NULL;
  snap->contacts = NULL;
  snap->cases = NULL;
  snap->n_queues = snap->n_agents = snap->n_contacts = snap->n_cases = 0;
}

/* An agent info and its in_channel array in one block. */
typedef struct agent_blk {
  Ccenter__V1__AgentInfo m;
  uint32_t in_channel[CCENTER_CHANNEL_COUNT_];
} agent_blk;

/* Adapters of the four info fillers to one shape, for fill_list. */
typedef int (*fill_fn)(const void *engine, const char *id, int64_t now, void *m);

static int fill_queue(const void *e, const char *id, int64_t now, void *m)
{
  return cc_pb_queue_info(e, id, now, m);
}

static int fill_agent(const void *e, const char *id, int64_t now, void *m)
{
  agent_blk *b = m;
  return cc_pb_agent_info(e, id, now, &b->m, b->in_channel);
}

static int fill_contact(const void *e, const char *id, int64_t now, void *m)
{
  return cc_pb_contact_info(e, id, now, m);
}

static int fill_case(const void *ce, const char *id, int64_t now, void *m)
{
  (void)now;
  return cc_pb_case_info(ce, id, m);
}

/* One list of the snapshot: a message of `elem` bytes per live object of the map, in id
 * order. Whatever was allocated is in *arr and *n even on failure, for the caller's
 * cc_pb_snapshot_free. */
static int fill_list(const cc_map *map, skip_fn skip, const char *(*id_of)(const void *),
                     size_t elem, fill_fn fill, const void *engine, int64_t now, void ***arr,
                     size_t *n)
{
  const char **ids;
  size_t n_ids;
  int rc = collect(map, skip, id_of, &ids, &n_ids);
  if (rc || !n_ids) {
    free(ids); /* every object skipped (all cases closed): the array is still there */
    return rc;
  }
  if (!(*arr = calloc(n_ids, sizeof **arr)))
    rc = CCENTER_ENOMEM;
  for (size_t k = 0; !rc && k < n_ids; k++) {
    void *m = calloc(1, elem);
    if (!m) {
      rc = CCENTER_ENOMEM;
      break;
    }
    (*arr)[(*n)++] = m;
    rc = fill(engine, ids[k], now, m);
  }
  free(ids);
  return rc;
}

int cc_pb_snapshot_fill(ccenter_engine *e, ccenter_cases *ce, int64_t now,
                        Ccenter__V1__Snapshot *snap)
{
  int rc = 0;
  if (e && !rc)
    rc = fill_list(&e->queues, queue_gone, obj_id, sizeof(Ccenter__V1__QueueInfo), fill_queue,
                   e, now, (void ***)&snap->queues, &snap->n_queues);
  if (e && !rc)
    rc = fill_list(&e->agents, NULL, obj_id, sizeof(agent_blk), fill_agent, e, now,
                   (void ***)&snap->agents, &snap->n_agents);
  if (e && !rc)
    rc = fill_list(&e->contacts, NULL, obj_id, sizeof(Ccenter__V1__ContactInfo), fill_contact,
                   e, now, (void ***)&snap->contacts, &snap->n_contacts);
  if (ce && !rc)
    rc = fill_list(&ce->cases, case_closed, case_id_of, sizeof(Ccenter__V1__CaseInfo),
                   fill_case, ce, now, (void ***)&snap->cases, &snap->n_cases);
  if (rc)
    cc_pb_snapshot_free(snap);
  return rc;
}
