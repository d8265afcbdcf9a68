/*
 * The case engine's setup: the counting allocator every allocation of the engine goes
 * through (ccenter_cases_memory() is exact), creating and freeing the engine, its
 * delivery settings (event callback, audit sink and key, deadline hook), and the two
 * operations that add definitions: a calendar (parsed from its canonical text, the same
 * path a replayed journal takes) and a workflow (a checked copy).
 */
#include <stdalign.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "workflow/cases_int.h"

/* ---- the counting allocator --------------------------------------------------------- */

/* Each block carries its size in front, so that frees and reallocs can be counted. */
#define MEMHDR 16
_Static_assert(alignof(max_align_t) <= MEMHDR, "the size header keeps blocks aligned");

static void *cnt_malloc(void *ud, size_t n)
{
  ccenter_cases *ce = ud;
  if (n > SIZE_MAX - MEMHDR)
    return NULL;
  unsigned char *p = ce->user.malloc_fn(ce->user.ud, n + MEMHDR);
  if (!p)
    return NULL;
  memcpy(p, &n, sizeof n);
  ce->mem += n + MEMHDR;
  return p + MEMHDR;
}

static void *cnt_realloc(void *ud, void *ptr, size_t n)
{
  ccenter_cases *ce = ud;
  if (!ptr)
    return cnt_malloc(ud, n);
  if (n > SIZE_MAX - MEMHDR)
    return NULL;
  unsigned char *base = (unsigned char *)ptr - MEMHDR;
  size_t old;
  memcpy(&old, base, sizeof old);
  unsigned char *p = ce->user.realloc_fn(ce->user.ud, base, n + MEMHDR);
  if (!p)
    return NULL;
  memcpy(p, &n, sizeof n);
  ce->mem = ce->mem - old + n;
  return p + MEMHDR;
}

static void cnt_free(void *ud, void *ptr)
{
  ccenter_cases *ce = ud;
  if (!ptr)
    return;
  unsigned char *base = (unsigned char *)ptr - MEMHDR;
  size_t old;
  memcpy(&old, base, sizeof old);
  ce->mem -= old + MEMHDR;
  ce->user.free_fn(ce->user.ud, base);
}

ccenter_options cc_cases_counting_opts(const ccenter_cases *ce)
{
  ccenter_options o;
  memset(&o, 0, sizeof o);
  o.alloc = ce->alloc;
  o.log = ce->log;
  return o;
}

/* Either object's canonical text, allocated (for its copy, the audit and the journal). */
static int write_obj(const void *obj, int is_wf, char *buf, size_t size, size_t *needed)
{
  return is_wf ? ccenter_workflow_write(obj, buf, size, needed)
               : ccenter_calendar_write(obj, buf, size, needed);
}

int cc_cases_canonical_text(const cc_alloc *a, const void *obj, int is_wf, char **out)
{
  size_t need = 0;
  int rc = write_obj(obj, is_wf, NULL, 0, &need);
  if (rc && rc != CCENTER_ERANGE)
    return rc;
  char *buf = cc_malloc(a, need + 1);
  if (!buf)
    return CCENTER_ENOMEM;
  if ((rc = write_obj(obj, is_wf, buf, need + 1, NULL)) != 0) {
    cc_free(a, buf);
    return rc;
  }
  *out = buf;
  return 0;
}

static void hex_digest(const char *text, char hex[65])
{
  uint8_t h[32];
  ccenter_sha256(text, strlen(text), h);
  for (int i = 0; i < 32; i++)
    snprintf(hex + 2 * i, 3, "%02x", h[i]);
}

int cc_cases_op_add_calendar(ccenter_cases *ce, const cc_case_jrec *r)
{
  const ccenter_calendar *src = r->obj;
  if (src && cc_map_get(&ce->calendars, ccenter_calendar_name(src)))
    return CCENTER_EEXIST;
  char *text = NULL;
  int rc = 0;
  if (src && (rc = cc_cases_canonical_text(&ce->alloc, src, 0, &text)) != 0)
    return rc;
  const char *t = src ? text : r->s[0];
  ccenter_options o = cc_cases_counting_opts(ce);
  ccenter_calendar *cal = NULL;
  /* The engine's copy is parsed from the canonical text with the counting allocator:
   * the same path a replayed journal takes. */
  rc = ccenter_calendar_parse(&o, t, strlen(t), "calendar", &cal, NULL);
  if (rc == 0 && cc_map_get(&ce->calendars, ccenter_calendar_name(cal)))
    rc = CCENTER_EEXIST;
  cc_calent *ent = NULL;
  char hex[65];
  hex_digest(t, hex);
  if (rc == 0 && (!(ent = cc_malloc(&ce->alloc, sizeof *ent)) ||
                  cc_map_reserve(&ce->calendars, &ce->alloc, 1) ||
                  cc_cases_audit_prep(ce, NULL, NULL, "calendar", ccenter_calendar_name(cal), NULL,
                             NULL, hex, NULL, NULL, 0)))
    rc = CCENTER_ENOMEM;
  if (rc) {
    cc_free(&ce->alloc, ent);
    ccenter_calendar_free(cal);
    cc_free(&ce->alloc, text);
    return rc;
  }
  ent->cal = cal;
  ent->name = ccenter_calendar_name(cal);
  (void)cc_map_put(&ce->calendars, &ce->alloc, ccenter_calendar_name(cal), ent);
  cc_cases_audit_commit(ce);
  ce->jtext = text;
  return 0;
}

void cc_cases_wfrt_free(ccenter_cases *ce, cc_wfrt *w)
{
  if (!w)
    return;
  ccenter_workflow_free(w->def);
  cc_free(&ce->alloc, w->n_state);
  cc_free(&ce->alloc, w->act_base);
  cc_free(&ce->alloc, w);
}

size_t cc_cases_wfrt_counters(const ccenter_workflow *d)
{
  size_t n_act = 0;
  for (uint32_t i = 0; i < d->n_tnames; i++)
    n_act += d->tnames[i].n_actions;
  return (size_t)d->n_states + d->n_tnames + d->n_timers + n_act;
}

cc_wfrt *cc_cases_wfrt_new(ccenter_cases *ce, ccenter_workflow *d)
{
  size_t n = cc_cases_wfrt_counters(d);
  cc_wfrt *w = cc_calloc(&ce->alloc, 1, sizeof *w);
  if (!w)
    return NULL;
  if (!(w->n_state = cc_calloc(&ce->alloc, n ? n : 1, sizeof *w->n_state)) ||
      !(w->act_base = cc_calloc(&ce->alloc, d->n_tnames ? d->n_tnames : 1,
                                sizeof *w->act_base))) {
    cc_cases_wfrt_free(ce, w);
    return NULL;
  }
  w->def = d;
  w->name = d->name;
  w->cal = d->calendar ? ((cc_calent *)cc_map_get(&ce->calendars, d->calendar))->cal
                       : ce->default_cal;
  w->st.size = sizeof w->st;
  w->n_tname = w->n_state + d->n_states;
  w->n_timer = w->n_tname + d->n_tnames;
  w->n_action = w->n_timer + d->n_timers;
  for (uint32_t i = 0, k = 0; i < d->n_tnames; k += d->tnames[i].n_actions, i++)
    w->act_base[i] = k;
  return w;
}

int cc_cases_op_add_workflow(ccenter_cases *ce, const cc_case_jrec *r)
{
  const ccenter_workflow *src = r->obj;
  ccenter_workflow *copy = NULL;
  int rc = 0;
  if (!src) {
    ccenter_options o = cc_cases_counting_opts(ce);
    rc = ccenter_workflow_parse(&o, r->s[0], strlen(r->s[0]), "workflow", &copy, NULL);
    if (rc)
      return rc;
    src = copy;
  }
  if (ccenter_workflow_check(src, NULL))
    rc = CCENTER_ESYNTAX;
  else if (cc_map_get(&ce->workflows, src->name))
    rc = CCENTER_EEXIST;
  else if (src->calendar && !cc_map_get(&ce->calendars, src->calendar))
    rc = CCENTER_ENOENT;
  else if (!copy && cc_wf_clone(src, &ce->alloc, &copy))
    rc = CCENTER_ENOMEM;
  char *text = NULL;
  cc_wfrt *w = NULL;
  if (rc == 0)
    rc = cc_cases_canonical_text(&ce->alloc, copy, 1, &text);
  if (rc == 0) {
    char hex[65];
    hex_digest(text, hex);
    if (!(w = cc_cases_wfrt_new(ce, copy)) || cc_map_reserve(&ce->workflows, &ce->alloc, 1) ||
        cc_cases_audit_prep(ce, NULL, NULL, "workflow", copy->name, NULL, NULL, hex, NULL,
                            NULL, 0))
      rc = CCENTER_ENOMEM;
  }
  if (rc) {
    if (w)
      w->def = NULL;
    cc_cases_wfrt_free(ce, w);
    ccenter_workflow_free(copy);
    cc_free(&ce->alloc, text);
    return rc;
  }
  (void)cc_map_put(&ce->workflows, &ce->alloc, copy->name, w);
  cc_cases_audit_commit(ce);
  ce->jtext = text;
  return 0;
}


/* ---- lifecycle and configuration ---------------------------------------------------- */

int ccenter_cases_new(const ccenter_options *opts, int64_t now, ccenter_cases **out)
{
  if (!out)
    return CCENTER_EINVAL;
  if (now < CCENTER_TIME_MIN || now > CCENTER_TIME_MAX)
    return CCENTER_ERANGE;
  cc_alloc user;
  cc_alloc_of(opts, &user);
  ccenter_cases *ce = user.malloc_fn(user.ud, sizeof *ce);
  if (!ce)
    return CCENTER_ENOMEM;
  memset(ce, 0, sizeof *ce);
  ce->user = user;
  ce->alloc.malloc_fn = cnt_malloc;
  ce->alloc.realloc_fn = cnt_realloc;
  ce->alloc.free_fn = cnt_free;
  ce->alloc.ud = ce;
  ce->mem = sizeof *ce;
  if (opts)
    ce->log = opts->log;
  ce->now = now;
  ce->last_dl = INT64_MIN;
  cc_map_init(&ce->calendars);
  cc_map_init(&ce->workflows);
  cc_map_init_key(&ce->actors, offsetof(cc_actor, id), 0);
  cc_map_init_key(&ce->cases, offsetof(cc_case, id), 0);
  cc_map_init_key(&ce->limits, offsetof(cc_limit, key), 0);
  cc_audit_init(&ce->audit, &ce->alloc);
  ccenter_options o = cc_cases_counting_opts(ce);
  if (cc_timers_init(&ce->timers, &ce->alloc, now)) {
    user.free_fn(user.ud, ce);
    return CCENTER_ENOMEM;
  }
  if (ccenter_calendar_new(&o, "default", &ce->default_cal)) {
    cc_timers_destroy(&ce->timers);
    user.free_fn(user.ud, ce);
    return CCENTER_ENOMEM;
  }
  *out = ce;
  return 0;
}

void ccenter_cases_free(ccenter_cases *ce)
{
  if (!ce)
    return;
  if (ce->in_callback || ce->in_exec) {
    cc_logf(&ce->log, CCENTER_LOG_ERROR,
            "ccenter_cases_free called from a callback: ignored, the engine stays allocated");
    return;
  }
  if (ce->tap && ce->tap->gone)
    ce->tap->gone(ce->tap_ud);
  size_t it = 0;
  void *v;
  while ((v = cc_map_next(&ce->cases, &it)))
    cc_cases_case_free(ce, v);
  it = 0;
  while ((v = cc_map_next(&ce->workflows, &it)))
    cc_cases_wfrt_free(ce, v);
  it = 0;
  while ((v = cc_map_next(&ce->calendars, &it))) {
    ccenter_calendar_free(((cc_calent *)v)->cal);
    cc_free(&ce->alloc, v);
  }
  it = 0;
  while ((v = cc_map_next(&ce->actors, &it))) {
    cc_free(&ce->alloc, ((cc_actor *)v)->roles);
    cc_free(&ce->alloc, v);
  }
  it = 0;
  while ((v = cc_map_next(&ce->limits, &it)))
    cc_free(&ce->alloc, v);
  cc_map_destroy(&ce->cases, &ce->alloc);
  cc_map_destroy(&ce->workflows, &ce->alloc);
  cc_map_destroy(&ce->calendars, &ce->alloc);
  cc_map_destroy(&ce->actors, &ce->alloc);
  cc_map_destroy(&ce->limits, &ce->alloc);
  ccenter_calendar_free(ce->default_cal);
  for (size_t i = ce->ev_head; i < ce->n_ev; i++)
    cc_cases_chunk_unref(ce, ce->ev[i].chunk);
  if (ce->have_last)
    cc_cases_chunk_unref(ce, ce->last.chunk);
  cc_free(&ce->alloc, ce->chunk);
  cc_free(&ce->alloc, ce->ev);
  cc_audit_destroy(&ce->audit);
  cc_timers_destroy(&ce->timers);
  cc_alloc user = ce->user;
  user.free_fn(user.ud, ce);
}

int ccenter_cases_set_event_callback(ccenter_cases *ce, ccenter_case_event_fn fn, void *ud)
{
  if (!ce)
    return CCENTER_EINVAL;
  if (ce->in_callback)
    return CCENTER_ECALLBACK;
  if (ce->n_ev > ce->ev_head)
    return CCENTER_EBUSY;
  ce->ev_fn = fn;
  ce->ev_ud = ud;
  return 0;
}

int ccenter_cases_set_audit_sink(ccenter_cases *ce, ccenter_audit_fn fn, void *ud)
{
  if (!ce)
    return CCENTER_EINVAL;
  if (ce->in_callback)
    return CCENTER_ECALLBACK;
  ce->sink = fn;
  ce->sink_ud = ud;
  return 0;
}

int ccenter_cases_set_audit_key(ccenter_cases *ce, const void *key, size_t key_len)
{
  if (!ce || !key || key_len < 1 || key_len > 1024)
    return CCENTER_EINVAL;
  return cc_audit_set_key(&ce->audit, key, key_len);
}

int ccenter_cases_set_deadline_hook(ccenter_cases *ce, ccenter_deadline_fn fn, void *ud)
{
  if (!ce)
    return CCENTER_EINVAL;
  if (fn && ce->dl_fn)
    return CCENTER_EBUSY;
  ce->dl_fn = fn;
  ce->dl_ud = ud;
  ce->last_dl = INT64_MIN;
  cc_cases_notify_deadline(ce);
  return 0;
}

int64_t ccenter_cases_next_deadline(const ccenter_cases *ce)
{
  if (!ce)
    return CCENTER_NO_DEADLINE;
  int64_t d = cc_timers_next((cc_timers *)&ce->timers);
  return d == INT64_MAX ? CCENTER_NO_DEADLINE : d;
}

