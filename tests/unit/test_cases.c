/* The case engine: lifecycle, every public call and its documented errors, dual control,
   limits across cases, timers (warnings, expiry, business days on the China 2026 calendar,
   pause, the 35-business-day cap), the golden window, pushed and pulled events, callback
   re-entrancy, the journal, exact memory, allocation failure and a random-operation
   property test. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccenter/workflow.h"
#include "harness.h"
#include "talloc.h"
#include "workflow/cases_int.h"

#define MIN_MS INT64_C(60000)
#define HOUR_MS INT64_C(3600000)
#define DAY_MS INT64_C(86400000)

/* ---- helpers ------------------------------------------------------------------------ */

static int64_t days_from_civil(int64_t y, int m, int d)
{
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* An instant in UTC. */
static int64_t utc(int y, int mo, int d, int h, int mi)
{
  return days_from_civil(y, mo, d) * DAY_MS + h * HOUR_MS + mi * MIN_MS;
}

typedef struct tlog {
  char **s;
  size_t *len;
  size_t n, cap;
} tlog;

static void tlog_add(tlog *l, const char *s, size_t len)
{
  if (l->n == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 64;
    l->s = realloc(l->s, l->cap * sizeof *l->s);
    l->len = realloc(l->len, l->cap * sizeof *l->len);
    ck_assert_ptr_nonnull(l->s);
    ck_assert_ptr_nonnull(l->len);
  }
  l->s[l->n] = malloc(len + 1);
  memcpy(l->s[l->n], s, len);
  l->s[l->n][len] = 0;
  l->len[l->n++] = len;
}

static void tlog_free(tlog *l)
{
  for (size_t i = 0; i < l->n; i++)
    free(l->s[i]);
  free(l->s);
  free(l->len);
  memset(l, 0, sizeof *l);
}

static void tlog_eq(const tlog *a, const tlog *b)
{
  ck_assert_uint_eq(a->n, b->n);
  for (size_t i = 0; i < a->n; i++)
    ck_assert_str_eq(a->s[i], b->s[i]);
}

#define S(x) ((x) ? (x) : "-")

static void ev_text(const ccenter_case_event *e, char *buf, size_t n)
{
  snprintf(buf, n, "%llu %s t=%lld %s wf=%s %s>%s tr=%s tm=%s ac=%s by=%s ro=%s re=%s out=%s "
                   "f=%s c=%s dl=%lld el=%lld n=%u",
           (unsigned long long)e->seq, ccenter_case_event_name(e->type), (long long)e->time,
           S(e->case_id), S(e->workflow), S(e->from), S(e->to), S(e->transition), S(e->timer),
           S(e->action), S(e->actor), S(e->role), S(e->reason), S(e->outcome), S(e->field),
           S(e->contact), (long long)e->deadline, (long long)e->elapsed_ms, e->count);
}

typedef struct env {
  ccenter_cases *ce;
  tlog ev;
  tlog audit;
  int pull;
  int64_t t0;
} env;

static void on_event(ccenter_cases *ce, const ccenter_case_event *e, void *ud)
{
  (void)ce;
  char buf[2048];
  ev_text(e, buf, sizeof buf);
  tlog_add(ud, buf, strlen(buf));
}

static void on_audit(void *ud, const ccenter_audit_record *r)
{
  tlog_add(ud, r->line, r->len);
}

/* Moves pulled events into the log (pull mode). */
static void drain(env *E)
{
  if (!E->pull)
    return;
  const ccenter_case_event *e;
  while ((e = ccenter_cases_next_event(E->ce)) != NULL)
    on_event(E->ce, e, &E->ev);
}

/* Events logged so far (after draining), and whether the last holds `type`. */
static size_t nev(env *E)
{
  drain(E);
  return E->ev.n;
}

static int has_ev(env *E, size_t from, const char *needle)
{
  drain(E);
  for (size_t i = from; i < E->ev.n; i++)
    if (strstr(E->ev.s[i], needle))
      return 1;
  return 0;
}

static int count_ev(env *E, size_t from, const char *needle)
{
  drain(E);
  int k = 0;
  for (size_t i = from; i < E->ev.n; i++)
    k += strstr(E->ev.s[i], needle) != NULL;
  return k;
}

#define OK(x) ck_assert_int_eq((x), 0)

/* The fraud workflow every test uses (see the comment of each part). */
static ccenter_workflow *fraud_wf(const char *calendar)
{
  ccenter_workflow *wf = NULL;
  OK(ccenter_workflow_new(NULL, "fraud", &wf));
  if (calendar)
    OK(ccenter_workflow_set_calendar(wf, calendar));
  OK(ccenter_workflow_set_golden(wf, 30 * MIN_MS));
  OK(ccenter_workflow_add_field(wf, "payee", CCENTER_FIELD_ACCOUNT));
  OK(ccenter_workflow_add_field(wf, "amount", CCENTER_FIELD_MONEY));
  OK(ccenter_workflow_add_field(wf, "confirmed", CCENTER_FIELD_FLAG));
  OK(ccenter_workflow_add_field(wf, "score", CCENTER_FIELD_INT));
  OK(ccenter_workflow_add_field(wf, "note", CCENTER_FIELD_TEXT));
  OK(ccenter_workflow_add_field(wf, "reported_at", CCENTER_FIELD_TIME));
  OK(ccenter_workflow_add_state(wf, "NEW", CCENTER_STATE_INITIAL, NULL));
  OK(ccenter_workflow_add_state(wf, "TRIAGE", 0, NULL));
  OK(ccenter_workflow_add_state(wf, "STOPPED", CCENTER_STATE_CONTAINED, NULL));
  OK(ccenter_workflow_add_state(wf, "WAIT", 0, NULL));
  OK(ccenter_workflow_add_state(wf, "REFUNDED", CCENTER_STATE_FINAL, "REIMBURSED"));
  OK(ccenter_workflow_add_state(wf, "CLOSED", CCENTER_STATE_FINAL, "NO_LOSS"));
  OK(ccenter_workflow_add_transition(wf, "triage", "NEW", "TRIAGE", "agent"));
  OK(ccenter_workflow_add_transition(wf, "stop", "TRIAGE", "STOPPED", "agent"));
  OK(ccenter_workflow_add_guard(wf, "stop", "confirmed"));
  OK(ccenter_workflow_add_limit(wf, "stop", "payee", 2));
  OK(ccenter_workflow_add_action(wf, "stop", "place_stop", MIN_MS));
  OK(ccenter_workflow_add_action(wf, "stop", "call_back", 0));
  OK(ccenter_workflow_add_transition(wf, "wait", "STOPPED", "WAIT", "agent"));
  OK(ccenter_workflow_add_transition(wf, "resume", "WAIT", "STOPPED", "agent"));
  OK(ccenter_workflow_add_transition(wf, "refund", "STOPPED", "REFUNDED", "agent"));
  OK(ccenter_workflow_set_dual(wf, "refund", "supervisor", HOUR_MS));
  OK(ccenter_workflow_require_evidence(wf, "refund", "police"));
  OK(ccenter_workflow_add_guard(wf, "refund", "amount > 0"));
  OK(ccenter_workflow_add_transition(wf, "close", "*", "CLOSED", "supervisor"));
  OK(ccenter_workflow_add_transition(wf, "auto_close", "TRIAGE", "CLOSED", NULL));
  OK(ccenter_workflow_add_timer(wf, "triage_sla", "NEW", CCENTER_CLOCK_ELAPSED, 10 * MIN_MS,
                                CCENTER_EXPIRY_ALERT, NULL, CCENTER_TIMER_DEADLINE));
  OK(ccenter_workflow_timer_warn(wf, "triage_sla", 5 * MIN_MS));
  OK(ccenter_workflow_timer_warn(wf, "triage_sla", MIN_MS));
  OK(ccenter_workflow_add_timer(wf, "triage_to", "TRIAGE", CCENTER_CLOCK_ELAPSED, HOUR_MS,
                                CCENTER_EXPIRY_TRANSITION, "auto_close", 0));
  OK(ccenter_workflow_add_timer(wf, "refund_by", "STOPPED", CCENTER_CLOCK_BUSINESS_DAYS, 5,
                                CCENTER_EXPIRY_ESCALATE, "supervisor",
                                CCENTER_TIMER_KEEP | CCENTER_TIMER_DEADLINE));
  OK(ccenter_workflow_timer_warn(wf, "refund_by", DAY_MS));
  OK(ccenter_workflow_timer_pause_in(wf, "refund_by", "WAIT"));
  OK(ccenter_workflow_add_timer(wf, "report_limit", NULL, CCENTER_CLOCK_ELAPSED, DAY_MS,
                                CCENTER_EXPIRY_ALERT, NULL, 0));
  OK(ccenter_workflow_timer_start_field(wf, "report_limit", "reported_at"));
  return wf;
}

static ccenter_calendar *cn_calendar(void)
{
  const char *dir = getenv("CCENTER_DATA_DIR");
  ck_assert_ptr_nonnull(dir);
  char path[1024];
  snprintf(path, sizeof path, "%s/calendars/cn-2026.cal", dir);
  ccenter_parse_error err = {.size = sizeof err};
  ccenter_calendar *cal = NULL;
  int rc = ccenter_calendar_load_file(NULL, path, &cal, &err);
  if (rc)
    ck_abort_msg("%s: %s", path, err.message);
  return cal;
}

/* When set, env_open journals the new engine's records there (see journal_replay). */
typedef struct jlog jlog;
static jlog *env_journal;
static void on_journal(void *ud, const cc_case_jrec *r);
/* When set, env_open puts the write-ahead hook and tap on the new engine (see
 * write_ahead_refusal_changes_nothing_and_the_log_replays). */
typedef struct walctl walctl;
static walctl *env_wal;
static void attach_wal(ccenter_cases *ce, walctl *w);

static void env_open(env *E, const ccenter_options *opts, int pull, int64_t t0, int cn)
{
  memset(E, 0, sizeof *E);
  E->pull = pull;
  E->t0 = t0;
  OK(ccenter_cases_new(opts, t0, &E->ce));
  if (env_journal)
    cc_cases_set_journal(E->ce, on_journal, env_journal);
  if (env_wal)
    attach_wal(E->ce, env_wal);
  if (!pull)
    OK(ccenter_cases_set_event_callback(E->ce, on_event, &E->ev));
  OK(ccenter_cases_set_audit_sink(E->ce, on_audit, &E->audit));
  if (cn) {
    ccenter_calendar *cal = cn_calendar();
    OK(ccenter_cases_add_calendar(E->ce, cal, t0));
    ccenter_calendar_free(cal);
  }
  ccenter_workflow *wf = fraud_wf(cn ? "CN-2026" : NULL);
  OK(ccenter_cases_add_workflow(E->ce, wf, t0));
  ccenter_workflow_free(wf);
  OK(ccenter_cases_set_actor(E->ce, "alice", "agent", t0));
  OK(ccenter_cases_set_actor(E->ce, "bob", "agent,supervisor", t0));
  OK(ccenter_cases_set_actor(E->ce, "carol", "supervisor", t0));
  OK(ccenter_cases_set_actor(E->ce, "dave", "auditor", t0));
}

static void env_close(env *E)
{
  ccenter_cases_free(E->ce);
  tlog_free(&E->ev);
  tlog_free(&E->audit);
}

static ccenter_case_info info_of(env *E, const char *id)
{
  ccenter_case_info i;
  memset(&i, 0, sizeof i);
  i.size = sizeof i;
  OK(ccenter_case_info_get(E->ce, id, &i));
  return i;
}

static const char *state_of(env *E, const char *id)
{
  return info_of(E, id).state;
}

/* Opens a case and brings it to TRIAGE, ready to stop (payee given, confirmed), at t. */
static void to_triage(env *E, const char *id, const char *payee, int64_t t)
{
  OK(ccenter_case_open(E->ce, id, "fraud", "alice", NULL, t));
  OK(ccenter_case_set_text(E->ce, id, "alice", "payee", payee, t));
  OK(ccenter_case_set_int(E->ce, id, "alice", "confirmed", 1, t));
  OK(ccenter_case_transition(E->ce, id, "triage", "alice", NULL, t));
}

/* ... and to STOPPED. */
static void to_stopped(env *E, const char *id, const char *payee, int64_t t)
{
  to_triage(E, id, payee, t);
  OK(ccenter_case_transition(E->ce, id, "stop", "alice", NULL, t));
}

/* A snapshot of what a failing call must leave alone. */
typedef struct snap {
  ccenter_audit_head head;
  int64_t now;
  size_t events, count, open;
  char info[1024];
} snap;

static void take_snap(env *E, const char *id, snap *s)
{
  memset(s, 0, sizeof *s);
  OK(ccenter_cases_audit_head(E->ce, &s->head));
  s->now = ccenter_cases_now(E->ce);
  s->events = nev(E);
  s->count = ccenter_cases_count(E->ce);
  s->open = ccenter_cases_open_count(E->ce);
  ccenter_case_info i = {.size = sizeof i};
  if (id && ccenter_case_info_get(E->ce, id, &i) == 0)
    snprintf(s->info, sizeof s->info, "%s %s %s %d %lld %lld %lld %s %s %lld %lld %zu",
             i.workflow, i.state, S(i.outcome), i.closed, (long long)i.opened_at,
             (long long)i.state_since, (long long)i.contained_at, S(i.proposal),
             S(i.proposed_by), (long long)i.proposal_expires, (long long)i.next_deadline,
             i.contacts);
}

static void same_snap(env *E, const char *id, const snap *a)
{
  snap b;
  take_snap(E, id, &b);
  ck_assert_uint_eq(a->head.seq, b.head.seq);
  ck_assert_mem_eq(a->head.hash, b.head.hash, 32);
  ck_assert_int_eq(a->now, b.now);
  ck_assert_uint_eq(a->events, b.events);
  ck_assert_uint_eq(a->count, b.count);
  ck_assert_uint_eq(a->open, b.open);
  ck_assert_str_eq(a->info, b.info);
}

/* Runs a call that must fail with `want` and change nothing. */
#define REFUSED(E, id, want, call)         \
  do {                                     \
    snap s_;                               \
    take_snap((E), (id), &s_);             \
    ck_assert_int_eq((call), (want));      \
    same_snap((E), (id), &s_);             \
  } while (0)

static void verify_audit(env *E)
{
  ccenter_audit_head h;
  OK(ccenter_cases_audit_head(E->ce, &h));
  ck_assert_uint_eq(h.seq, E->audit.n);
  size_t bad = 99;
  OK(ccenter_audit_verify((const char *const *)E->audit.s, E->audit.len, E->audit.n, NULL, 0,
                          NULL, &h, &bad));
}

/* ---- lifecycle ---------------------------------------------------------------------- */

START_TEST(lifecycle_open_to_close)
{
  env E;
  int64_t t = utc(2026, 3, 2, 1, 0);
  env_open(&E, NULL, _i, t, 0);
  size_t e0 = nev(&E);
  int tag = 7;
  OK(ccenter_case_open(E.ce, "C1", "fraud", "alice", &tag, t));
  ck_assert(has_ev(&E, e0, "OPENED t="));
  ck_assert(has_ev(&E, e0, "C1 wf=fraud ->NEW"));
  ck_assert_ptr_eq(ccenter_case_user_data(E.ce, "C1"), &tag);
  ck_assert_uint_eq(ccenter_cases_open_count(E.ce), 1);
  ck_assert_uint_eq(ccenter_cases_count(E.ce), 1);
  ccenter_case_info i = info_of(&E, "C1");
  ck_assert_str_eq(i.workflow, "fraud");
  ck_assert_str_eq(i.state, "NEW");
  ck_assert_ptr_null(i.outcome);
  ck_assert_int_eq(i.opened_at, t);
  ck_assert_int_eq(i.contained_at, CCENTER_NO_DEADLINE);
  ck_assert_int_eq(i.next_deadline, t + 10 * MIN_MS);
  ck_assert_int_eq(ccenter_cases_next_deadline(E.ce), t + 5 * MIN_MS); /* first warning */

  /* Fields of every type, read back. */
  OK(ccenter_case_set_text(E.ce, "C1", "alice", "payee", "GB00MULE1", t + 1));
  OK(ccenter_case_set_money(E.ce, "C1", "alice", "amount", 250000, "GBP", t + 2));
  OK(ccenter_case_set_int(E.ce, "C1", "alice", "confirmed", 1, t + 3));
  OK(ccenter_case_set_int(E.ce, "C1", "alice", "score", -42, t + 4));
  OK(ccenter_case_set_text(E.ce, "C1", "alice", "note", "caller\tsaid \"bank\"\n", t + 5));
  const char *txt;
  int64_t v;
  char cur[4];
  OK(ccenter_case_get_text(E.ce, "C1", "payee", &txt));
  ck_assert_str_eq(txt, "GB00MULE1");
  OK(ccenter_case_get_money(E.ce, "C1", "amount", &v, cur));
  ck_assert_int_eq(v, 250000);
  ck_assert_str_eq(cur, "GBP");
  OK(ccenter_case_get_int(E.ce, "C1", "score", &v));
  ck_assert_int_eq(v, -42);
  OK(ccenter_case_get_int(E.ce, "C1", "confirmed", &v));
  ck_assert_int_eq(v, 1);
  ck_assert_int_eq(count_ev(&E, e0, "FIELD_SET"), 5);
  ck_assert(has_ev(&E, e0, "f=payee"));

  OK(ccenter_case_link_contact(E.ce, "C1", "call-1", "alice", t + 6));
  OK(ccenter_case_link_contact(E.ce, "C1", "call-2", "bob", t + 6));
  ck_assert_str_eq(ccenter_case_contact(E.ce, "C1", 1), "call-2");
  ck_assert_ptr_null(ccenter_case_contact(E.ce, "C1", 2));
  ck_assert(has_ev(&E, e0, "CONTACT_LINKED"));
  ck_assert_uint_eq(info_of(&E, "C1").contacts, 2);

  size_t e1 = nev(&E);
  OK(ccenter_case_transition(E.ce, "C1", "triage", "alice", NULL, t + MIN_MS));
  ck_assert(has_ev(&E, e1, "STATE_CHANGED t=" ));
  ck_assert(has_ev(&E, e1, "NEW>TRIAGE tr=triage"));
  ccenter_case_input in;
  ccenter_case_input_init(&in);
  ck_assert_uint_eq(in.size, sizeof in);
  ck_assert_ptr_null(in.reason);
  in.reason = "confirmed by customer";
  e1 = nev(&E);
  OK(ccenter_case_transition(E.ce, "C1", "stop", "alice", &in, t + 2 * MIN_MS));
  ck_assert(has_ev(&E, e1, "TRIAGE>STOPPED tr=stop"));
  ck_assert(has_ev(&E, e1, "re=confirmed by customer"));
  char want[64];
  snprintf(want, sizeof want, "ac=place_stop by=- ro=- re=- out=- f=- c=- dl=%lld",
           (long long)(t + 3 * MIN_MS));
  ck_assert(has_ev(&E, e1, want));
  ck_assert(has_ev(&E, e1, "ac=call_back by=- ro=- re=- out=- f=- c=- dl=9223372036854775807"));
  ck_assert(has_ev(&E, e1, "GOLDEN_MET"));
  ck_assert(has_ev(&E, e1, "el=120000"));
  i = info_of(&E, "C1");
  ck_assert_str_eq(i.state, "STOPPED");
  ck_assert_int_eq(i.contained_at, t + 2 * MIN_MS);
  ck_assert_int_eq(i.state_since, t + 2 * MIN_MS);

  /* close by a supervisor from any state */
  e1 = nev(&E);
  OK(ccenter_case_transition(E.ce, "C1", "close", "carol", NULL, t + 3 * MIN_MS));
  ck_assert(has_ev(&E, e1, "CLOSED"));
  ck_assert(has_ev(&E, e1, "out=NO_LOSS"));
  i = info_of(&E, "C1");
  ck_assert_int_eq(i.closed, 1);
  ck_assert_str_eq(i.outcome, "NO_LOSS");
  ck_assert_int_eq(i.next_deadline, CCENTER_NO_DEADLINE);
  ck_assert_int_eq(ccenter_cases_next_deadline(E.ce), CCENTER_NO_DEADLINE);
  ck_assert_uint_eq(ccenter_cases_open_count(E.ce), 0);

  ccenter_workflow_stats st = {.size = sizeof st};
  OK(ccenter_workflow_stats_get(E.ce, "fraud", &st));
  ck_assert_uint_eq(st.opened, 1);
  ck_assert_uint_eq(st.closed, 1);
  ck_assert_uint_eq(st.open, 0);
  ck_assert_uint_eq(st.golden_met, 1);
  ck_assert_uint_eq(st.actions, 2);
  uint64_t n;
  OK(ccenter_workflow_stat_count(E.ce, "fraud", CCENTER_COUNT_OUTCOME, "NO_LOSS", &n));
  ck_assert_uint_eq(n, 1);
  OK(ccenter_workflow_stat_count(E.ce, "fraud", CCENTER_COUNT_TRANSITION, "stop", &n));
  ck_assert_uint_eq(n, 1);
  OK(ccenter_workflow_stat_count(E.ce, "fraud", CCENTER_COUNT_ACTION, "place_stop", &n));
  ck_assert_uint_eq(n, 1);
  OK(ccenter_workflow_stat_count(E.ce, "fraud", CCENTER_COUNT_TIMER, "triage_sla", &n));
  ck_assert_uint_eq(n, 0);

  /* forget: the case goes, its statistics and audit stay */
  OK(ccenter_case_forget(E.ce, "C1", t + 4 * MIN_MS));
  ck_assert_uint_eq(ccenter_cases_count(E.ce), 0);
  ck_assert_ptr_null(ccenter_case_user_data(E.ce, "C1"));
  OK(ccenter_workflow_stats_get(E.ce, "fraud", &st));
  ck_assert_uint_eq(st.closed, 1);
  verify_audit(&E);
  /* the audit names what was done */
  ck_assert(strstr(E.audit.s[E.audit.n - 1], "forget") != NULL);
  env_close(&E);
}
END_TEST

START_TEST(event_names_and_input_init)
{
  ck_assert_str_eq(ccenter_case_event_name(CCENTER_CASE_OPENED), "OPENED");
  ck_assert_str_eq(ccenter_case_event_name(CCENTER_CASE_CONTACT_LINKED), "CONTACT_LINKED");
  ck_assert_str_eq(ccenter_case_event_name(CCENTER_CASE_GOLDEN_MISSED), "GOLDEN_MISSED");
  ck_assert_str_eq(ccenter_case_event_name((ccenter_case_event_type)0), "UNKNOWN");
  ck_assert_str_eq(ccenter_case_event_name((ccenter_case_event_type)19), "UNKNOWN");
  ccenter_case_input_init(NULL);
  ck_assert_str_eq(cc_case_op_name(CC_COP_TRANSITION), "transition");
  ck_assert_str_eq(cc_case_op_name((cc_case_op)99), "unknown");
}
END_TEST

/* ---- errors: every call, every documented code, nothing changed --------------------- */

START_TEST(errors_change_nothing)
{
  env E;
  int64_t t = utc(2026, 3, 2, 1, 0);
  env_open(&E, NULL, 0, t, 0);
  ccenter_cases *ce = E.ce;
  OK(ccenter_case_open(ce, "C1", "fraud", "alice", NULL, t));

  /* NULL engine and arguments */
  ck_assert_int_eq(ccenter_cases_new(NULL, 0, NULL), CCENTER_EINVAL);
  ccenter_cases *x = NULL;
  ck_assert_int_eq(ccenter_cases_new(NULL, CCENTER_TIME_MAX + 1, &x), CCENTER_ERANGE);
  ck_assert_ptr_null(x);
  ccenter_cases_free(NULL);
  ck_assert_int_eq(ccenter_cases_advance(NULL, t), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_cases_set_event_callback(NULL, NULL, NULL), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_cases_set_audit_sink(NULL, NULL, NULL), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_cases_set_audit_key(ce, NULL, 4), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_cases_set_audit_key(ce, "k", 0), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_cases_set_audit_key(ce, "k", 1), CCENTER_ESTATE);
  ck_assert_int_eq(ccenter_cases_audit_head(ce, NULL), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_cases_set_deadline_hook(NULL, NULL, NULL), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_cases_add_calendar(ce, NULL, t), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_cases_add_workflow(ce, NULL, t), CCENTER_EINVAL);
  ck_assert_ptr_null(ccenter_cases_next_event(NULL));
  ck_assert_uint_eq(ccenter_cases_pending_events(NULL), 0);
  ck_assert_int_eq(ccenter_cases_next_deadline(NULL), CCENTER_NO_DEADLINE);
  ck_assert_uint_eq(ccenter_cases_open_count(NULL), 0);
  ck_assert_uint_eq(ccenter_cases_count(NULL), 0);
  ck_assert_uint_eq(ccenter_cases_memory(NULL), 0);

  /* ETIME: nothing happens, time included */
  REFUSED(&E, "C1", CCENTER_ETIME, ccenter_cases_advance(ce, t - 1));
  REFUSED(&E, "C1", CCENTER_ERANGE, ccenter_cases_advance(ce, CCENTER_TIME_MAX + 1));
  REFUSED(&E, "C1", CCENTER_ETIME, ccenter_case_open(ce, "C2", "fraud", "alice", NULL, t - 1));

  /* open */
  REFUSED(&E, "C1", CCENTER_EINVAL, ccenter_case_open(ce, "", "fraud", "alice", NULL, t));
  REFUSED(&E, "C1", CCENTER_EINVAL, ccenter_case_open(ce, "a\tb", "fraud", "alice", NULL, t));
  char longid[300];
  memset(longid, 'x', sizeof longid - 1);
  longid[sizeof longid - 1] = 0;
  REFUSED(&E, "C1", CCENTER_EINVAL, ccenter_case_open(ce, longid, "fraud", "alice", NULL, t));
  REFUSED(&E, "C1", CCENTER_EINVAL, ccenter_case_open(ce, "C2", NULL, "alice", NULL, t));
  REFUSED(&E, "C1", CCENTER_ENOENT, ccenter_case_open(ce, "C2", "nope", "alice", NULL, t));
  REFUSED(&E, "C1", CCENTER_ENOENT, ccenter_case_open(ce, "C2", "fraud", "zed", NULL, t));
  REFUSED(&E, "C1", CCENTER_EEXIST, ccenter_case_open(ce, "C1", "fraud", "alice", NULL, t));

  /* fields */
  REFUSED(&E, "C1", CCENTER_EINVAL, ccenter_case_set_int(ce, "C1", "alice", "confirmed", 2, t));
  REFUSED(&E, "C1", CCENTER_EINVAL, ccenter_case_set_int(ce, "C1", "alice", "payee", 2, t));
  REFUSED(&E, "C1", CCENTER_EINVAL, ccenter_case_set_text(ce, "C1", "alice", "score", "1", t));
  REFUSED(&E, "C1", CCENTER_EINVAL, ccenter_case_set_text(ce, "C1", "alice", "note", NULL, t));
  REFUSED(&E, "C1", CCENTER_EINVAL,
          ccenter_case_set_money(ce, "C1", "alice", "amount", 5, "gbp", t));
  REFUSED(&E, "C1", CCENTER_EINVAL,
          ccenter_case_set_money(ce, "C1", "alice", "score", 5, "GBP", t));
  REFUSED(&E, "C1", CCENTER_EINVAL,
          ccenter_case_set_int(ce, "C1", "alice", "reported_at", CCENTER_TIME_MAX + 1, t));
  char *big = malloc(CCENTER_WF_MAX_TEXT + 2);
  memset(big, 'a', CCENTER_WF_MAX_TEXT + 1);
  big[CCENTER_WF_MAX_TEXT + 1] = 0;
  REFUSED(&E, "C1", CCENTER_EINVAL, ccenter_case_set_text(ce, "C1", "alice", "note", big, t));
  REFUSED(&E, "C1", CCENTER_ENOENT, ccenter_case_set_int(ce, "C9", "alice", "score", 1, t));
  REFUSED(&E, "C1", CCENTER_ENOENT, ccenter_case_set_int(ce, "C1", "zed", "score", 1, t));
  REFUSED(&E, "C1", CCENTER_ENOENT, ccenter_case_set_int(ce, "C1", "alice", "nope", 1, t));
  int64_t v;
  const char *s;
  char cur[4];
  ck_assert_int_eq(ccenter_case_get_int(ce, "C1", "score", &v), CCENTER_ENOENT); /* unset */
  ck_assert_int_eq(ccenter_case_get_int(ce, "C1", "payee", &v), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_case_get_text(ce, "C1", "score", &s), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_case_get_money(ce, "C1", "score", &v, cur), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_case_get_int(ce, "C9", "score", &v), CCENTER_ENOENT);
  ck_assert_int_eq(ccenter_case_get_text(ce, "C1", "nope", &s), CCENTER_ENOENT);
  ck_assert_int_eq(ccenter_case_get_money(ce, "C1", "amount", &v, cur), CCENTER_ENOENT);
  ck_assert_int_eq(ccenter_case_get_int(ce, "C1", "score", NULL), CCENTER_EINVAL);

  /* link */
  OK(ccenter_case_link_contact(ce, "C1", "k0", "alice", t));
  REFUSED(&E, "C1", CCENTER_EINVAL, ccenter_case_link_contact(ce, "C1", "", "alice", t));
  REFUSED(&E, "C1", CCENTER_ENOENT, ccenter_case_link_contact(ce, "C9", "k1", "alice", t));
  REFUSED(&E, "C1", CCENTER_ENOENT, ccenter_case_link_contact(ce, "C1", "k1", "zed", t));
  REFUSED(&E, "C1", CCENTER_EEXIST, ccenter_case_link_contact(ce, "C1", "k0", "alice", t));
  for (int k = 1; k < CCENTER_WF_MAX_CONTACTS; k++) {
    char id[16];
    snprintf(id, sizeof id, "k%d", k);
    OK(ccenter_case_link_contact(ce, "C1", id, "alice", t));
  }
  REFUSED(&E, "C1", CCENTER_EFULL, ccenter_case_link_contact(ce, "C1", "kx", "alice", t));

  /* transition */
  ccenter_case_evidence ev[CCENTER_WF_MAX_EVIDENCE + 1];
  for (int k = 0; k <= CCENTER_WF_MAX_EVIDENCE; k++)
    ev[k] = (ccenter_case_evidence){"police", "ref"};
  ccenter_case_input in;
  ccenter_case_input_init(&in);
  in.evidence = ev;
  in.n_evidence = CCENTER_WF_MAX_EVIDENCE + 1;
  REFUSED(&E, "C1", CCENTER_EINVAL, ccenter_case_transition(ce, "C1", "triage", "alice", &in, t));
  in.n_evidence = 1;
  ev[0].ref = "";
  REFUSED(&E, "C1", CCENTER_EINVAL, ccenter_case_transition(ce, "C1", "triage", "alice", &in, t));
  ev[0].ref = "ref";
  ev[0].name = "bad name";
  REFUSED(&E, "C1", CCENTER_EINVAL, ccenter_case_transition(ce, "C1", "triage", "alice", &in, t));
  ev[0].name = "police";
  in.size = 3;
  REFUSED(&E, "C1", CCENTER_EINVAL, ccenter_case_transition(ce, "C1", "triage", "alice", &in, t));
  in.size = sizeof in;
  in.reason = big;
  REFUSED(&E, "C1", CCENTER_EINVAL, ccenter_case_transition(ce, "C1", "triage", "alice", &in, t));
  in.reason = NULL;
  REFUSED(&E, "C1", CCENTER_EINVAL, ccenter_case_transition(ce, "C1", NULL, "alice", NULL, t));
  REFUSED(&E, "C1", CCENTER_ENOENT, ccenter_case_transition(ce, "C9", "triage", "alice", NULL, t));
  REFUSED(&E, "C1", CCENTER_ENOENT, ccenter_case_transition(ce, "C1", "fly", "alice", NULL, t));
  REFUSED(&E, "C1", CCENTER_ENOENT, ccenter_case_transition(ce, "C1", "triage", "zed", NULL, t));
  REFUSED(&E, "C1", CCENTER_ESTATE, ccenter_case_transition(ce, "C1", "stop", "alice", NULL, t));
  REFUSED(&E, "C1", CCENTER_EPERM, ccenter_case_transition(ce, "C1", "triage", "dave", NULL, t));
  REFUSED(&E, "C1", CCENTER_EPERM, ccenter_case_transition(ce, "C1", "close", "alice", NULL, t));
  OK(ccenter_case_transition(ce, "C1", "triage", "alice", NULL, t));
  /* role NULL: only the system actor (timers) */
  REFUSED(&E, "C1", CCENTER_EPERM,
          ccenter_case_transition(ce, "C1", "auto_close", "bob", NULL, t));
  /* guard `confirmed` false; then the limit's key field unset */
  REFUSED(&E, "C1", CCENTER_ECONDITION,
          ccenter_case_transition(ce, "C1", "stop", "alice", NULL, t));
  OK(ccenter_case_set_int(ce, "C1", "alice", "confirmed", 1, t));
  REFUSED(&E, "C1", CCENTER_ECONDITION,
          ccenter_case_transition(ce, "C1", "stop", "alice", NULL, t));
  OK(ccenter_case_set_text(ce, "C1", "alice", "payee", "P1", t));
  OK(ccenter_case_transition(ce, "C1", "stop", "alice", NULL, t));
  /* refund: evidence missing, then the guard amount > 0 */
  REFUSED(&E, "C1", CCENTER_ECONDITION,
          ccenter_case_transition(ce, "C1", "refund", "alice", NULL, t));
  REFUSED(&E, "C1", CCENTER_ECONDITION,
          ccenter_case_transition(ce, "C1", "refund", "alice", &in, t));
  OK(ccenter_case_set_money(ce, "C1", "alice", "amount", 0, "GBP", t));
  REFUSED(&E, "C1", CCENTER_ECONDITION,
          ccenter_case_transition(ce, "C1", "refund", "alice", &in, t));

  /* approve / reject without a proposal */
  REFUSED(&E, "C1", CCENTER_ENOENT, ccenter_case_approve(ce, "C1", "carol", NULL, t));
  REFUSED(&E, "C1", CCENTER_ENOENT, ccenter_case_reject(ce, "C1", "carol", NULL, t));
  REFUSED(&E, "C1", CCENTER_EINVAL, ccenter_case_approve(ce, "C1", NULL, NULL, t));
  REFUSED(&E, "C1", CCENTER_EINVAL, ccenter_case_reject(ce, "C1", "carol", big, t));

  /* forget an open case, an unknown one */
  REFUSED(&E, "C1", CCENTER_ESTATE, ccenter_case_forget(ce, "C1", t));
  REFUSED(&E, "C1", CCENTER_ENOENT, ccenter_case_forget(ce, "C9", t));
  REFUSED(&E, "C1", CCENTER_EINVAL, ccenter_case_forget(ce, NULL, t));

  /* closed case: fields, links, transitions refused */
  OK(ccenter_case_transition(ce, "C1", "close", "carol", NULL, t));
  REFUSED(&E, "C1", CCENTER_ESTATE, ccenter_case_set_int(ce, "C1", "alice", "score", 1, t));
  REFUSED(&E, "C1", CCENTER_ESTATE, ccenter_case_link_contact(ce, "C1", "kk", "alice", t));
  REFUSED(&E, "C1", CCENTER_ESTATE, ccenter_case_transition(ce, "C1", "close", "bob", NULL, t));

  /* actors */
  REFUSED(&E, "C1", CCENTER_EINVAL, ccenter_cases_set_actor(ce, "system", "agent", t));
  REFUSED(&E, "C1", CCENTER_EINVAL, ccenter_cases_set_actor(ce, "eve", "a b", t));
  REFUSED(&E, "C1", CCENTER_EINVAL, ccenter_cases_set_actor(ce, "eve", "a,,b", t));
  REFUSED(&E, "C1", CCENTER_EINVAL, ccenter_cases_set_actor(ce, NULL, "a", t));
  char roles[CCENTER_WF_MAX_ROLES * 4 + 8] = "";
  for (int k = 0; k <= CCENTER_WF_MAX_ROLES; k++)
    snprintf(roles + strlen(roles), sizeof roles - strlen(roles), "%sr%d", k ? "," : "", k);
  REFUSED(&E, "C1", CCENTER_EFULL, ccenter_cases_set_actor(ce, "eve", roles, t));
  /* removing: the actor can no longer act */
  OK(ccenter_cases_set_actor(ce, "dave", NULL, t));
  REFUSED(&E, "C1", CCENTER_ENOENT, ccenter_case_open(ce, "C3", "fraud", "dave", NULL, t));
  OK(ccenter_cases_set_actor(ce, "dave", "", t)); /* removing an absent actor */

  /* calendars and workflows */
  ccenter_calendar *cal = NULL;
  OK(ccenter_calendar_new(NULL, "CAL", &cal));
  OK(ccenter_cases_add_calendar(ce, cal, t));
  REFUSED(&E, "C1", CCENTER_EEXIST, ccenter_cases_add_calendar(ce, cal, t));
  REFUSED(&E, "C1", CCENTER_ETIME, ccenter_cases_add_calendar(ce, cal, t - 1));
  ccenter_calendar_free(cal);
  ccenter_workflow *wf = fraud_wf(NULL);
  REFUSED(&E, "C1", CCENTER_EEXIST, ccenter_cases_add_workflow(ce, wf, t));
  ccenter_workflow_free(wf);
  OK(ccenter_workflow_new(NULL, "other", &wf));
  OK(ccenter_workflow_set_calendar(wf, "NOCAL"));
  OK(ccenter_workflow_add_state(wf, "A", CCENTER_STATE_INITIAL, NULL));
  OK(ccenter_workflow_add_state(wf, "Z", CCENTER_STATE_FINAL, "DONE"));
  OK(ccenter_workflow_add_transition(wf, "end", "A", "Z", "agent"));
  REFUSED(&E, "C1", CCENTER_ENOENT, ccenter_cases_add_workflow(ce, wf, t));
  ccenter_workflow_free(wf);
  OK(ccenter_workflow_new(NULL, "broken", &wf));
  OK(ccenter_workflow_add_state(wf, "A", 0, NULL)); /* no initial state */
  REFUSED(&E, "C1", CCENTER_ESYNTAX, ccenter_cases_add_workflow(ce, wf, t));
  ccenter_workflow_free(wf);

  /* queries */
  ccenter_case_info i = {.size = sizeof i};
  ck_assert_int_eq(ccenter_case_info_get(ce, "C9", &i), CCENTER_ENOENT);
  ck_assert_int_eq(ccenter_case_info_get(ce, "C1", NULL), CCENTER_EINVAL);
  i.size = 8;
  ck_assert_int_eq(ccenter_case_info_get(ce, "C1", &i), CCENTER_EINVAL);
  int64_t d;
  ck_assert_int_eq(ccenter_case_timer_deadline(ce, "C1", "triage_sla", &d), CCENTER_ENOENT);
  ck_assert_int_eq(ccenter_case_timer_deadline(ce, "C1", "nope", &d), CCENTER_ENOENT);
  ck_assert_int_eq(ccenter_case_timer_deadline(ce, "C9", "triage_sla", &d), CCENTER_ENOENT);
  ck_assert_int_eq(ccenter_case_timer_deadline(ce, "C1", NULL, &d), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_case_set_user_data(ce, "C9", NULL), CCENTER_ENOENT);
  ck_assert_int_eq(ccenter_case_set_user_data(NULL, "C1", NULL), CCENTER_EINVAL);
  ck_assert_ptr_null(ccenter_case_contact(ce, "C9", 0));
  ccenter_workflow_stats st = {.size = sizeof st};
  ck_assert_int_eq(ccenter_workflow_stats_get(ce, "nope", &st), CCENTER_ENOENT);
  ck_assert_int_eq(ccenter_workflow_stats_get(ce, "fraud", NULL), CCENTER_EINVAL);
  st.size = 4;
  ck_assert_int_eq(ccenter_workflow_stats_get(ce, "fraud", &st), CCENTER_EINVAL);
  uint64_t n;
  ck_assert_int_eq(ccenter_workflow_stat_count(ce, "nope", CCENTER_COUNT_TIMER, "x", &n),
                   CCENTER_ENOENT);
  ck_assert_int_eq(ccenter_workflow_stat_count(ce, "fraud", CCENTER_COUNT_OUTCOME, "X", &n),
                   CCENTER_ENOENT);
  ck_assert_int_eq(ccenter_workflow_stat_count(ce, "fraud", CCENTER_COUNT_ACTION, "x", &n),
                   CCENTER_ENOENT);
  ck_assert_int_eq(ccenter_workflow_stat_count(ce, "fraud", (ccenter_wf_count)9, "x", &n),
                   CCENTER_EINVAL);
  verify_audit(&E);
  free(big);
  env_close(&E);
}
END_TEST

/* ---- dual control and limits -------------------------------------------------------- */

START_TEST(dual_control)
{
  env E;
  int64_t t = utc(2026, 3, 2, 1, 0);
  env_open(&E, NULL, 0, t, 0);
  ccenter_cases *ce = E.ce;
  to_stopped(&E, "C1", "P1", t);
  OK(ccenter_case_set_money(ce, "C1", "alice", "amount", 5000, "GBP", t));
  ccenter_case_evidence ev[] = {{"police", "CR-2026-77"}};
  ccenter_case_input in;
  ccenter_case_input_init(&in);
  in.evidence = ev;
  in.n_evidence = 1;
  in.reason = "victim confirmed";
  size_t e0 = nev(&E);
  ck_assert_int_eq(ccenter_case_transition(ce, "C1", "refund", "bob", &in, t + 1), CCENTER_PROPOSED);
  ck_assert(has_ev(&E, e0, "APPROVAL_NEEDED"));
  ck_assert(has_ev(&E, e0, "tr=refund tm=- ac=- by=bob ro=supervisor re=victim confirmed"));
  ccenter_case_info i = info_of(&E, "C1");
  ck_assert_str_eq(i.state, "STOPPED");
  ck_assert_str_eq(i.proposal, "refund");
  ck_assert_str_eq(i.proposed_by, "bob");
  ck_assert_int_eq(i.proposal_expires, t + 1 + HOUR_MS);
  /* a second proposal, or any other input's transition, while one is pending */
  REFUSED(&E, "C1", CCENTER_ESTATE, ccenter_case_transition(ce, "C1", "refund", "alice", &in, t + 2));
  REFUSED(&E, "C1", CCENTER_ESTATE, ccenter_case_transition(ce, "C1", "wait", "alice", NULL, t + 2));
  /* maker == checker; a checker without the approver role */
  REFUSED(&E, "C1", CCENTER_EPERM, ccenter_case_approve(ce, "C1", "bob", NULL, t + 3));
  REFUSED(&E, "C1", CCENTER_EPERM, ccenter_case_approve(ce, "C1", "alice", NULL, t + 3));
  REFUSED(&E, "C1", CCENTER_EPERM, ccenter_case_reject(ce, "C1", "bob", NULL, t + 3));
  REFUSED(&E, "C1", CCENTER_ENOENT, ccenter_case_approve(ce, "C1", "zed", NULL, t + 3));
  /* approval re-checks the guards */
  OK(ccenter_case_set_money(ce, "C1", "alice", "amount", 0, "GBP", t + 4));
  REFUSED(&E, "C1", CCENTER_ECONDITION, ccenter_case_approve(ce, "C1", "carol", NULL, t + 5));
  OK(ccenter_case_set_money(ce, "C1", "alice", "amount", 5000, "GBP", t + 6));
  e0 = nev(&E);
  OK(ccenter_case_approve(ce, "C1", "carol", "checked", t + 7));
  ck_assert(has_ev(&E, e0, "APPROVED"));
  ck_assert(has_ev(&E, e0, "by=carol ro=- re=checked"));
  ck_assert(has_ev(&E, e0, "STOPPED>REFUNDED tr=refund"));
  ck_assert(has_ev(&E, e0, "by=bob ro=- re=victim confirmed")); /* the maker's input */
  ck_assert(has_ev(&E, e0, "out=REIMBURSED"));
  i = info_of(&E, "C1");
  ck_assert_ptr_null(i.proposal);
  ck_assert_int_eq(i.closed, 1);
  /* the audit records the maker's evidence on the approval */
  ck_assert(strstr(E.audit.s[E.audit.n - 1], "CR-2026-77") != NULL);
  ck_assert(strstr(E.audit.s[E.audit.n - 1], "approve") != NULL);

  /* rejection */
  to_stopped(&E, "C2", "P2", t + 10);
  OK(ccenter_case_set_money(ce, "C2", "alice", "amount", 5000, "GBP", t + 10));
  ck_assert_int_eq(ccenter_case_transition(ce, "C2", "refund", "alice", &in, t + 11), CCENTER_PROPOSED);
  e0 = nev(&E);
  OK(ccenter_case_reject(ce, "C2", "carol", "no proof", t + 12));
  ck_assert(has_ev(&E, e0, "REJECTED"));
  ck_assert(has_ev(&E, e0, "by=carol ro=- re=no proof"));
  ck_assert_str_eq(state_of(&E, "C2"), "STOPPED");
  ck_assert_ptr_null(info_of(&E, "C2").proposal);

  /* expiry: exactly at proposal + 1 h */
  ck_assert_int_eq(ccenter_case_transition(ce, "C2", "refund", "alice", &in, t + 20), CCENTER_PROPOSED);
  e0 = nev(&E);
  OK(ccenter_cases_advance(ce, t + 20 + HOUR_MS - 1));
  ck_assert(!has_ev(&E, e0, "PROPOSAL_EXPIRED"));
  OK(ccenter_cases_advance(ce, t + 20 + HOUR_MS));
  char want[96];
  snprintf(want, sizeof want, "PROPOSAL_EXPIRED t=%lld C2", (long long)(t + 20 + HOUR_MS));
  ck_assert(has_ev(&E, e0, want));
  ck_assert_ptr_null(info_of(&E, "C2").proposal);
  ck_assert_int_eq(ccenter_case_approve(ce, "C2", "carol", NULL, t + 20 + HOUR_MS),
                   CCENTER_ENOENT);

  ccenter_workflow_stats st = {.size = sizeof st};
  OK(ccenter_workflow_stats_get(ce, "fraud", &st));
  ck_assert_uint_eq(st.proposals, 3);
  ck_assert_uint_eq(st.approved, 1);
  ck_assert_uint_eq(st.rejected, 1);
  ck_assert_uint_eq(st.expired, 1);
  verify_audit(&E);
  env_close(&E);
}
END_TEST

START_TEST(limit_across_cases)
{
  env E;
  int64_t t = utc(2026, 3, 2, 1, 0);
  env_open(&E, NULL, 0, t, 0);
  ccenter_cases *ce = E.ce;
  size_t e0 = nev(&E);
  to_stopped(&E, "A", "MULE-1", t);
  ck_assert(!has_ev(&E, e0, "LIMIT_REACHED"));
  to_stopped(&E, "B", "MULE-1", t + 1);
  ck_assert(has_ev(&E, e0, "LIMIT_REACHED"));
  ck_assert(has_ev(&E, e0, "tr=stop tm=- ac=- by=- ro=- re=- out=- f=payee c=- dl=9223372036854775807 el=0 n=2"));
  /* the third stop on the same account is refused; another account is fine */
  to_triage(&E, "C", "MULE-1", t + 2);
  REFUSED(&E, "C", CCENTER_EFULL, ccenter_case_transition(ce, "C", "stop", "alice", NULL, t + 3));
  OK(ccenter_case_set_text(ce, "C", "alice", "payee", "OTHER", t + 3));
  OK(ccenter_case_transition(ce, "C", "stop", "alice", NULL, t + 3));
  /* the count survives forgetting the cases */
  OK(ccenter_case_transition(ce, "A", "close", "carol", NULL, t + 4));
  OK(ccenter_case_transition(ce, "B", "close", "carol", NULL, t + 4));
  OK(ccenter_case_forget(ce, "A", t + 4));
  OK(ccenter_case_forget(ce, "B", t + 4));
  to_triage(&E, "D", "MULE-1", t + 5);
  REFUSED(&E, "D", CCENTER_EFULL, ccenter_case_transition(ce, "D", "stop", "alice", NULL, t + 6));
  uint64_t n;
  OK(ccenter_workflow_stat_count(ce, "fraud", CCENTER_COUNT_TRANSITION, "stop", &n));
  ck_assert_uint_eq(n, 3);
  verify_audit(&E);
  env_close(&E);
}
END_TEST

/* Approval re-checks the limit: two proposals on one account, a limit of one. */
START_TEST(approval_rechecks_limit)
{
  ccenter_workflow *wf = NULL;
  OK(ccenter_workflow_new(NULL, "w", &wf));
  OK(ccenter_workflow_add_field(wf, "acct", CCENTER_FIELD_ACCOUNT));
  OK(ccenter_workflow_add_state(wf, "A", CCENTER_STATE_INITIAL, NULL));
  OK(ccenter_workflow_add_state(wf, "Z", CCENTER_STATE_FINAL, "HELD"));
  OK(ccenter_workflow_add_transition(wf, "hold", "A", "Z", "agent"));
  OK(ccenter_workflow_set_dual(wf, "hold", "sup", 0));
  OK(ccenter_workflow_add_limit(wf, "hold", "acct", 1));
  ccenter_cases *ce = NULL;
  OK(ccenter_cases_new(NULL, 0, &ce));
  OK(ccenter_cases_add_workflow(ce, wf, 0));
  ccenter_workflow_free(wf);
  OK(ccenter_cases_set_actor(ce, "a", "agent", 0));
  OK(ccenter_cases_set_actor(ce, "s", "sup", 0));
  const char *ids[] = {"c1", "c2"};
  for (int i = 0; i < 2; i++) {
    OK(ccenter_case_open(ce, ids[i], "w", "a", NULL, 0));
    OK(ccenter_case_set_text(ce, ids[i], "a", "acct", "X", 0));
    ck_assert_int_eq(ccenter_case_transition(ce, ids[i], "hold", "a", NULL, 0), CCENTER_PROPOSED);
  }
  ccenter_case_info i = {.size = sizeof i};
  OK(ccenter_case_info_get(ce, "c2", &i));
  ck_assert_int_eq(i.proposal_expires, CCENTER_NO_DEADLINE); /* never expires */
  OK(ccenter_case_approve(ce, "c1", "s", NULL, 1));
  ck_assert_int_eq(ccenter_case_approve(ce, "c2", "s", NULL, 2), CCENTER_EFULL);
  OK(ccenter_case_info_get(ce, "c2", &i));
  ck_assert_str_eq(i.proposal, "hold");
  OK(ccenter_case_reject(ce, "c2", "s", "limit", 3));
  ck_assert_int_eq(ccenter_case_transition(ce, "c2", "hold", "a", NULL, 4), CCENTER_EFULL);
  ccenter_cases_free(ce);
}
END_TEST

/* ---- timers ------------------------------------------------------------------------- */

START_TEST(warnings_and_expiry_at_exact_deadlines)
{
  env E;
  int64_t t = utc(2026, 3, 2, 1, 0);
  env_open(&E, NULL, _i, t, 0);
  ccenter_cases *ce = E.ce;
  OK(ccenter_case_open(ce, "C1", "fraud", "alice", NULL, t));
  int64_t d;
  OK(ccenter_case_timer_deadline(ce, "C1", "triage_sla", &d));
  ck_assert_int_eq(d, t + 10 * MIN_MS);
  size_t e0 = nev(&E);
  OK(ccenter_cases_advance(ce, t + 5 * MIN_MS - 1));
  ck_assert_uint_eq(nev(&E), e0);
  OK(ccenter_cases_advance(ce, t + 5 * MIN_MS));
  char want[128];
  snprintf(want, sizeof want, "TIMER_WARNING t=%lld C1", (long long)(t + 5 * MIN_MS));
  ck_assert(has_ev(&E, e0, want));
  snprintf(want, sizeof want, "tm=triage_sla ac=- by=- ro=- re=- out=- f=- c=- dl=%lld",
           (long long)(t + 10 * MIN_MS));
  ck_assert(has_ev(&E, e0, want));
  ck_assert_int_eq(ccenter_cases_next_deadline(ce), t + 9 * MIN_MS);
  /* one late call fires the second warning and the expiry, each at its own time */
  e0 = nev(&E);
  OK(ccenter_cases_advance(ce, t + HOUR_MS));
  snprintf(want, sizeof want, "TIMER_WARNING t=%lld", (long long)(t + 9 * MIN_MS));
  ck_assert(has_ev(&E, e0, want));
  snprintf(want, sizeof want, "TIMER_EXPIRED t=%lld", (long long)(t + 10 * MIN_MS));
  ck_assert(has_ev(&E, e0, want));
  snprintf(want, sizeof want, "DEADLINE_MISSED t=%lld", (long long)(t + 10 * MIN_MS));
  ck_assert(has_ev(&E, e0, want));
  snprintf(want, sizeof want, "ALERT t=%lld", (long long)(t + 10 * MIN_MS));
  ck_assert(has_ev(&E, e0, want));
  /* the golden window ends uncontained at 30 min */
  snprintf(want, sizeof want, "GOLDEN_MISSED t=%lld", (long long)(t + 30 * MIN_MS));
  ck_assert(has_ev(&E, e0, want));
  ck_assert_int_eq(ccenter_cases_now(ce), t + HOUR_MS);
  ck_assert_int_eq(ccenter_case_timer_deadline(ce, "C1", "triage_sla", &d), CCENTER_ENOENT);

  /* expiry by TRANSITION: auto_close an hour after entering TRIAGE */
  int64_t t1 = t + HOUR_MS;
  OK(ccenter_case_transition(ce, "C1", "triage", "alice", NULL, t1));
  e0 = nev(&E);
  OK(ccenter_cases_advance(ce, t1 + HOUR_MS));
  ck_assert(has_ev(&E, e0, "TRIAGE>CLOSED tr=auto_close tm=- ac=- by=system"));
  ck_assert(has_ev(&E, e0, "out=NO_LOSS"));
  ck_assert_int_eq(info_of(&E, "C1").closed, 1);

  /* a timer run from a TIME field: from the field's value, restarted when it changes */
  OK(ccenter_case_open(ce, "C2", "fraud", "alice", NULL, t1 + HOUR_MS));
  OK(ccenter_case_set_int(ce, "C2", "alice", "reported_at", t, t1 + HOUR_MS));
  OK(ccenter_case_timer_deadline(ce, "C2", "report_limit", &d));
  ck_assert_int_eq(d, t + DAY_MS);
  OK(ccenter_case_set_int(ce, "C2", "alice", "reported_at", t + HOUR_MS, t1 + HOUR_MS));
  OK(ccenter_case_timer_deadline(ce, "C2", "report_limit", &d));
  ck_assert_int_eq(d, t + HOUR_MS + DAY_MS);

  ccenter_workflow_stats st = {.size = sizeof st};
  OK(ccenter_workflow_stats_get(ce, "fraud", &st));
  ck_assert_uint_eq(st.warnings, 2);
  ck_assert_uint_eq(st.deadlines_missed, 1);
  ck_assert_uint_eq(st.golden_missed, 1);
  uint64_t n;
  OK(ccenter_workflow_stat_count(ce, "fraud", CCENTER_COUNT_TIMER, "triage_sla", &n));
  ck_assert_uint_eq(n, 1);
  OK(ccenter_workflow_stat_count(ce, "fraud", CCENTER_COUNT_TIMER, "triage_to", &n));
  ck_assert_uint_eq(n, 1);
  verify_audit(&E);
  env_close(&E);
}
END_TEST

/* A timer TRANSITION whose guards fail, or that does not leave the state, is an ALERT. */
START_TEST(timer_transition_falls_back_to_alert)
{
  ccenter_workflow *wf = NULL;
  OK(ccenter_workflow_new(NULL, "w", &wf));
  OK(ccenter_workflow_add_field(wf, "ok", CCENTER_FIELD_FLAG));
  OK(ccenter_workflow_add_state(wf, "A", CCENTER_STATE_INITIAL, NULL));
  OK(ccenter_workflow_add_state(wf, "B", 0, NULL));
  OK(ccenter_workflow_add_state(wf, "Z", CCENTER_STATE_FINAL, "DONE"));
  OK(ccenter_workflow_add_transition(wf, "go", "A", "Z", NULL));
  OK(ccenter_workflow_add_guard(wf, "go", "ok"));
  OK(ccenter_workflow_add_transition(wf, "ab", "A", "B", "agent"));
  OK(ccenter_workflow_add_transition(wf, "end", "B", "Z", "agent"));
  OK(ccenter_workflow_add_timer(wf, "t1", "A", CCENTER_CLOCK_ELAPSED, 1000,
                                CCENTER_EXPIRY_TRANSITION, "go", CCENTER_TIMER_KEEP));
  ccenter_cases *ce = NULL;
  OK(ccenter_cases_new(NULL, 0, &ce));
  OK(ccenter_cases_add_workflow(ce, wf, 0));
  OK(ccenter_cases_set_actor(ce, "a", "agent", 0));
  OK(ccenter_case_open(ce, "c1", "w", "a", NULL, 0));
  OK(ccenter_case_open(ce, "c2", "w", "a", NULL, 0));
  OK(ccenter_case_transition(ce, "c2", "ab", "a", NULL, 10)); /* KEEP: runs on in B */
  OK(ccenter_cases_advance(ce, 1000));
  int alerts = 0, changed = 0;
  const ccenter_case_event *e;
  while ((e = ccenter_cases_next_event(ce)) != NULL) {
    alerts += e->type == CCENTER_CASE_ALERT;
    changed += e->type == CCENTER_CASE_STATE_CHANGED;
  }
  ck_assert_int_eq(alerts, 2);
  ck_assert_int_eq(changed, 1); /* only c2's own transition */
  OK(ccenter_case_set_int(ce, "c1", "a", "ok", 1, 1000));
  ccenter_cases_free(ce);
  ccenter_workflow_free(wf);
}
END_TEST

/* Business days on the China 2026 calendar (09:00-17:00 +08:00): across the Spring
   Festival (15-23 Feb off, Sat 14 and Sat 28 Feb worked) and National Day (1-7 Oct off,
   Sat 10 Oct worked). refund_by is 5 business days, end of day. */
START_TEST(business_days_china_2026)
{
  env E;
  int64_t t = utc(2026, 2, 11, 2, 0); /* Wed 11 Feb 10:00 local */
  env_open(&E, NULL, 0, t, 1);
  ccenter_cases *ce = E.ce;
  to_stopped(&E, "S", "P1", t);
  int64_t d;
  /* 12 Thu, 13 Fri, 14 Sat (worked), 24 Tue, 25 Wed: 17:00 local = 09:00 UTC */
  OK(ccenter_case_timer_deadline(ce, "S", "refund_by", &d));
  ck_assert_int_eq(d, utc(2026, 2, 25, 9, 0));
  size_t e0 = nev(&E);
  OK(ccenter_cases_advance(ce, utc(2026, 2, 24, 9, 0)));
  char want[96];
  snprintf(want, sizeof want, "TIMER_WARNING t=%lld", (long long)utc(2026, 2, 24, 9, 0));
  ck_assert(has_ev(&E, e0, want));
  OK(ccenter_cases_advance(ce, utc(2026, 2, 25, 9, 0)));
  snprintf(want, sizeof want, "ESCALATION t=%lld S wf=fraud", (long long)utc(2026, 2, 25, 9, 0));
  ck_assert(has_ev(&E, e0, want));
  ck_assert(has_ev(&E, e0, "tm=refund_by ac=- by=- ro=supervisor"));

  /* National Day: Wed 30 Sep 10:00 local; 8 Thu, 9 Fri, 10 Sat (worked), 12 Mon, 13 Tue */
  t = utc(2026, 9, 30, 2, 0);
  to_stopped(&E, "N", "P2", t);
  OK(ccenter_case_timer_deadline(ce, "N", "refund_by", &d));
  ck_assert_int_eq(d, utc(2026, 10, 13, 9, 0));
  verify_audit(&E);
  env_close(&E);
}
END_TEST

/* Stop the clock: refund_by pauses in WAIT with the business time it had left and resumes
   with it; a 35-business-day outer limit (KEEP, never paused) runs on meanwhile. */
START_TEST(pause_resume_and_35_day_cap)
{
  env E;
  int64_t t = utc(2026, 3, 2, 2, 0); /* Mon 2 Mar 10:00 local */
  env_open(&E, NULL, 0, t, 1);
  ccenter_cases *ce = E.ce;
  to_stopped(&E, "S", "P1", t);
  int64_t d;
  OK(ccenter_case_timer_deadline(ce, "S", "refund_by", &d));
  ck_assert_int_eq(d, utc(2026, 3, 9, 9, 0)); /* 3,4,5,6,9 Mar, 17:00 local */
  /* Tue 3 Mar 10:00 local: 7 h that day + 3 x 8 h + 8 h on the 9th = 39 h left */
  OK(ccenter_case_transition(ce, "S", "wait", "alice", NULL, utc(2026, 3, 3, 2, 0)));
  OK(ccenter_case_timer_deadline(ce, "S", "refund_by", &d));
  ck_assert_int_eq(d, CCENTER_NO_DEADLINE);
  ck_assert_int_eq(info_of(&E, "S").next_deadline, CCENTER_NO_DEADLINE);
  size_t e0 = nev(&E);
  OK(ccenter_cases_advance(ce, utc(2026, 3, 20, 0, 0)));
  ck_assert(!has_ev(&E, e0, "refund_by"));
  /* resume on Fri 20 Mar 10:00 local: 7 + 8 x 4 = 39 h, ending Thu 26 Mar 17:00 */
  OK(ccenter_case_transition(ce, "S", "resume", "alice", NULL, utc(2026, 3, 20, 2, 0)));
  OK(ccenter_case_timer_deadline(ce, "S", "refund_by", &d));
  ck_assert_int_eq(d, utc(2026, 3, 26, 9, 0));
  env_close(&E);

  /* The 35-business-day cap across the Spring Festival, from Mon 2 Feb 10:00 local:
     4 + 5 + 1 (Sat 14) + 4 + 1 (Sat 28) + 4 x 5 = 35 -> Fri 27 Mar 17:00 local. */
  ccenter_workflow *wf = NULL;
  OK(ccenter_workflow_new(NULL, "app", &wf));
  OK(ccenter_workflow_set_calendar(wf, "CN-2026"));
  OK(ccenter_workflow_add_state(wf, "OPEN", CCENTER_STATE_INITIAL, NULL));
  OK(ccenter_workflow_add_state(wf, "INFO", 0, NULL));
  OK(ccenter_workflow_add_state(wf, "DONE", CCENTER_STATE_FINAL, "DONE"));
  OK(ccenter_workflow_add_transition(wf, "ask", "OPEN", "INFO", "agent"));
  OK(ccenter_workflow_add_transition(wf, "back", "INFO", "OPEN", "agent"));
  OK(ccenter_workflow_add_transition(wf, "done", "OPEN,INFO", "DONE", "agent"));
  OK(ccenter_workflow_add_timer(wf, "due", "OPEN", CCENTER_CLOCK_BUSINESS_DAYS, 5,
                                CCENTER_EXPIRY_ESCALATE, "supervisor",
                                CCENTER_TIMER_KEEP | CCENTER_TIMER_DEADLINE));
  OK(ccenter_workflow_timer_pause_in(wf, "due", "INFO"));
  OK(ccenter_workflow_add_timer(wf, "outer", "OPEN", CCENTER_CLOCK_BUSINESS_DAYS, 35,
                                CCENTER_EXPIRY_ESCALATE, "supervisor",
                                CCENTER_TIMER_KEEP | CCENTER_TIMER_DEADLINE));
  t = utc(2026, 2, 2, 2, 0);
  OK(ccenter_cases_new(NULL, t, &ce));
  ccenter_calendar *cal = cn_calendar();
  OK(ccenter_cases_add_calendar(ce, cal, t));
  ccenter_calendar_free(cal);
  OK(ccenter_cases_add_workflow(ce, wf, t));
  ccenter_workflow_free(wf);
  OK(ccenter_cases_set_actor(ce, "a", "agent", t));
  OK(ccenter_case_open(ce, "X", "app", "a", NULL, t));
  OK(ccenter_case_transition(ce, "X", "ask", "a", NULL, t + HOUR_MS));
  OK(ccenter_case_timer_deadline(ce, "X", "outer", &d));
  ck_assert_int_eq(d, utc(2026, 3, 27, 9, 0));
  OK(ccenter_case_timer_deadline(ce, "X", "due", &d));
  ck_assert_int_eq(d, CCENTER_NO_DEADLINE);
  OK(ccenter_cases_advance(ce, utc(2026, 3, 27, 9, 0)));
  int esc = 0;
  const ccenter_case_event *e;
  while ((e = ccenter_cases_next_event(ce)) != NULL)
    if (e->type == CCENTER_CASE_ESCALATION) {
      ck_assert_str_eq(e->timer, "outer");
      ck_assert_int_eq(e->time, utc(2026, 3, 27, 9, 0));
      esc++;
    }
  ck_assert_int_eq(esc, 1);
  OK(ccenter_case_timer_deadline(ce, "X", "due", &d)); /* still paused */
  ck_assert_int_eq(d, CCENTER_NO_DEADLINE);
  ccenter_cases_free(ce);
}
END_TEST

START_TEST(golden_window)
{
  env E;
  int64_t t = utc(2026, 3, 2, 1, 0);
  env_open(&E, NULL, 0, t, 0);
  ccenter_cases *ce = E.ce;
  size_t e0 = nev(&E);
  to_stopped(&E, "MET", "P1", t);
  ck_assert(has_ev(&E, e0, "GOLDEN_MET"));
  /* contained just in time: at 30 min - 1 ms */
  to_triage(&E, "EDGE", "P2", t);
  e0 = nev(&E);
  OK(ccenter_case_transition(ce, "EDGE", "stop", "alice", NULL, t + 30 * MIN_MS - 1));
  ck_assert(has_ev(&E, e0, "el=1799999"));
  /* missed at exactly 30 min; containment later changes nothing */
  to_triage(&E, "LATE", "P3", t + 30 * MIN_MS - 1);
  e0 = nev(&E);
  OK(ccenter_cases_advance(ce, t + 60 * MIN_MS - 2));
  ck_assert(!has_ev(&E, e0, "GOLDEN_MISSED"));
  OK(ccenter_cases_advance(ce, t + 60 * MIN_MS - 1));
  ck_assert(has_ev(&E, e0, "GOLDEN_MISSED"));
  e0 = nev(&E);
  OK(ccenter_case_transition(ce, "LATE", "stop", "alice", NULL, t + 60 * MIN_MS - 1));
  ck_assert(!has_ev(&E, e0, "GOLDEN_MET"));
  ck_assert_int_eq(info_of(&E, "LATE").contained_at, t + 60 * MIN_MS - 1);
  /* closed uncontained inside the window: missed at closing */
  OK(ccenter_case_open(ce, "SHUT", "fraud", "alice", NULL, t + 60 * MIN_MS));
  e0 = nev(&E);
  OK(ccenter_case_transition(ce, "SHUT", "close", "carol", NULL, t + 61 * MIN_MS));
  ck_assert(has_ev(&E, e0, "GOLDEN_MISSED"));
  ccenter_workflow_stats st = {.size = sizeof st};
  OK(ccenter_workflow_stats_get(ce, "fraud", &st));
  ck_assert_uint_eq(st.golden_met, 2);
  ck_assert_uint_eq(st.golden_missed, 2);
  env_close(&E);
}
END_TEST

/* ---- events: push and pull, re-entrancy --------------------------------------------- */

static void scenario(env *E)
{
  ccenter_cases *ce = E->ce;
  int64_t t = E->t0;
  to_stopped(E, "A", "P1", t);
  OK(ccenter_case_set_money(ce, "A", "alice", "amount", 100, "EUR", t + 1));
  ccenter_case_evidence ev[] = {{"police", "R1"}};
  ccenter_case_input in = {.size = sizeof in, .reason = "r", .evidence = ev, .n_evidence = 1};
  ck_assert_int_eq(ccenter_case_transition(ce, "A", "refund", "alice", &in, t + 2), CCENTER_PROPOSED);
  OK(ccenter_case_open(ce, "B", "fraud", "bob", NULL, t + 3));
  OK(ccenter_case_link_contact(ce, "B", "call-9", "bob", t + 3));
  OK(ccenter_case_transition(ce, "B", "triage", "bob", NULL, t + 4));
  /* fails after timers fired: an ADVANCE in the journal */
  ck_assert_int_eq(ccenter_case_transition(ce, "A", "wait", "alice", NULL, t + 6 * MIN_MS),
                   CCENTER_ESTATE);
  OK(ccenter_case_approve(ce, "A", "carol", "ok", t + 7 * MIN_MS));
  OK(ccenter_case_forget(ce, "A", t + 8 * MIN_MS));
  to_stopped(E, "C", "P1", t + 9 * MIN_MS);
  OK(ccenter_case_transition(ce, "C", "wait", "alice", NULL, t + 10 * MIN_MS));
  OK(ccenter_cases_set_actor(ce, "alice", "agent,auditor", t + 10 * MIN_MS));
  OK(ccenter_cases_advance(ce, t + 3 * DAY_MS));
  OK(ccenter_case_transition(ce, "C", "resume", "alice", NULL, t + 3 * DAY_MS));
  OK(ccenter_cases_advance(ce, t + 30 * DAY_MS));
}

START_TEST(pull_equals_push)
{
  env P, Q;
  int64_t t = utc(2026, 3, 2, 1, 0);
  env_open(&P, NULL, 0, t, 0);
  env_open(&Q, NULL, 1, t, 0);
  scenario(&P);
  /* the puller lags: events stay valid across state-changing calls until the next pull */
  scenario(&Q);
  ck_assert_uint_gt(ccenter_cases_pending_events(Q.ce), 10);
  ck_assert_int_eq(ccenter_cases_set_event_callback(Q.ce, on_event, &Q.ev), CCENTER_EBUSY);
  const ccenter_case_event *held = ccenter_cases_next_event(Q.ce);
  char before[2048], after[2048];
  ev_text(held, before, sizeof before);
  OK(ccenter_case_open(Q.ce, "Z", "fraud", "alice", NULL, t + 30 * DAY_MS));
  OK(ccenter_case_open(P.ce, "Z", "fraud", "alice", NULL, t + 30 * DAY_MS));
  ev_text(held, after, sizeof after);
  ck_assert_str_eq(before, after);
  on_event(Q.ce, held, &Q.ev);
  drain(&Q);
  tlog_eq(&P.ev, &Q.ev);
  tlog_eq(&P.audit, &Q.audit);
  ck_assert_ptr_null(ccenter_cases_next_event(Q.ce));
  OK(ccenter_cases_set_event_callback(Q.ce, on_event, &Q.ev));
  verify_audit(&P);
  env_close(&P);
  env_close(&Q);
}
END_TEST

typedef struct reent {
  int calls;
  int rc[16];
  void *ud;
  int64_t dl;
  int dl_calls;
  const ccenter_workflow *wf;
} reent;

static void reentrant(ccenter_cases *ce, const ccenter_case_event *e, void *ud)
{
  reent *r = ud;
  if (r->calls++)
    return;
  int64_t t = e->time;
  r->rc[0] = ccenter_case_open(ce, "X", "fraud", "alice", NULL, t);
  r->rc[1] = ccenter_cases_advance(ce, t);
  r->rc[2] = ccenter_cases_set_actor(ce, "zoe", "agent", t);
  r->rc[3] = ccenter_cases_set_event_callback(ce, NULL, NULL);
  r->rc[4] = ccenter_cases_set_audit_sink(ce, NULL, NULL);
  /* queries and user data are allowed */
  r->rc[5] = ccenter_case_set_user_data(ce, e->case_id, &r->calls);
  ccenter_case_info i = {.size = sizeof i};
  r->rc[6] = ccenter_case_info_get(ce, e->case_id, &i);
  r->ud = ccenter_case_user_data(ce, e->case_id);
  ccenter_cases_free(ce); /* ignored */
  ccenter_calendar *cal = NULL;
  OK(ccenter_calendar_new(NULL, "CAL", &cal));
  r->rc[7] = ccenter_cases_add_calendar(ce, cal, t);
  ccenter_calendar_free(cal);
  r->rc[8] = ccenter_cases_add_workflow(ce, r->wf, t);
  r->rc[9] = ccenter_case_set_int(ce, e->case_id, "alice", "score", 1, t);
  r->rc[10] = ccenter_case_link_contact(ce, e->case_id, "k", "alice", t);
  r->rc[11] = ccenter_case_transition(ce, e->case_id, "triage", "alice", NULL, t);
  r->rc[12] = ccenter_case_approve(ce, e->case_id, "alice", NULL, t);
  r->rc[13] = ccenter_case_reject(ce, e->case_id, "alice", NULL, t);
  r->rc[14] = ccenter_case_forget(ce, e->case_id, t);
  r->rc[15] = ccenter_case_set_text(ce, e->case_id, "alice", "note", "x", t);
}

static void on_deadline(void *ud, int64_t d)
{
  reent *r = ud;
  r->dl = d;
  r->dl_calls++;
}

START_TEST(callback_reentrancy_refused)
{
  ccenter_cases *ce = NULL;
  OK(ccenter_cases_new(NULL, 0, &ce));
  ccenter_workflow *wf = fraud_wf(NULL);
  OK(ccenter_cases_add_workflow(ce, wf, 0));
  OK(ccenter_cases_set_actor(ce, "alice", "agent", 0));
  reent r;
  memset(&r, 0, sizeof r);
  r.wf = wf;
  OK(ccenter_cases_set_event_callback(ce, reentrant, &r));
  OK(ccenter_cases_set_deadline_hook(ce, on_deadline, &r));
  ck_assert_int_eq(r.dl, CCENTER_NO_DEADLINE);
  ck_assert_int_eq(ccenter_cases_set_deadline_hook(ce, on_deadline, &r), CCENTER_EBUSY);
  OK(ccenter_case_open(ce, "C1", "fraud", "alice", NULL, 10));
  ck_assert_int_eq(r.calls, 1);
  for (int k = 0; k < 16; k++)
    if (k < 5 || k > 6)
      ck_assert_int_eq(r.rc[k], CCENTER_ECALLBACK);
  ck_assert_int_eq(r.rc[5], 0);
  ck_assert_int_eq(r.rc[6], 0);
  ck_assert_ptr_eq(r.ud, &r.calls);
  ck_assert_ptr_null(ccenter_case_user_data(ce, "X"));
  ck_assert_uint_eq(ccenter_cases_count(ce), 1);
  ck_assert_int_eq(r.dl, 10 + 5 * MIN_MS);
  ck_assert_int_eq(r.dl_calls, 2);
  OK(ccenter_cases_set_deadline_hook(ce, NULL, NULL));
  ccenter_cases_free(ce);
  ccenter_workflow_free(wf);
}
END_TEST

/* ---- journal ------------------------------------------------------------------------ */

typedef struct jrec_copy {
  cc_case_jrec r;
  char *s[4];
  ccenter_case_evidence *ev;
} jrec_copy;

struct jlog {
  jrec_copy *v;
  size_t n, cap;
  int advances;
};

static char *dup_or_null(const char *s)
{
  return s ? strdup(s) : NULL;
}

static void on_journal(void *ud, const cc_case_jrec *r)
{
  jlog *j = ud;
  if (j->n == j->cap) {
    j->cap = j->cap ? j->cap * 2 : 64;
    j->v = realloc(j->v, j->cap * sizeof *j->v);
  }
  jrec_copy *c = &j->v[j->n++];
  memset(c, 0, sizeof *c);
  c->r = *r;
  ck_assert_ptr_null(r->obj);
  for (int i = 0; i < 4; i++)
    c->r.s[i] = c->s[i] = dup_or_null(r->s[i]);
  if (r->n_evidence) {
    c->ev = calloc(r->n_evidence, sizeof *c->ev);
    for (size_t i = 0; i < r->n_evidence; i++) {
      c->ev[i].name = strdup(r->evidence[i].name);
      c->ev[i].ref = strdup(r->evidence[i].ref);
    }
  }
  c->r.evidence = c->ev;
  c->r.user_data = NULL;
  j->advances += r->op == CC_COP_ADVANCE;
}

static void jlog_free(jlog *j)
{
  for (size_t i = 0; i < j->n; i++) {
    for (int k = 0; k < 4; k++)
      free(j->v[i].s[k]);
    for (size_t k = 0; k < j->v[i].r.n_evidence; k++) {
      free((char *)j->v[i].ev[k].name);
      free((char *)j->v[i].ev[k].ref);
    }
    free(j->v[i].ev);
  }
  free(j->v);
}

static void same_cases(env *A, env *B)
{
  ck_assert_uint_eq(ccenter_cases_count(A->ce), ccenter_cases_count(B->ce));
  ck_assert_uint_eq(ccenter_cases_open_count(A->ce), ccenter_cases_open_count(B->ce));
  ck_assert_int_eq(ccenter_cases_now(A->ce), ccenter_cases_now(B->ce));
  ck_assert_int_eq(ccenter_cases_next_deadline(A->ce), ccenter_cases_next_deadline(B->ce));
  size_t it = 0;
  cc_case *c;
  while ((c = cc_map_next(&A->ce->cases, &it))) {
    snap a, b;
    take_snap(A, c->id, &a);
    take_snap(B, c->id, &b);
    ck_assert_str_eq(a.info, b.info);
  }
  ccenter_audit_head ha, hb;
  OK(ccenter_cases_audit_head(A->ce, &ha));
  OK(ccenter_cases_audit_head(B->ce, &hb));
  ck_assert_uint_eq(ha.seq, hb.seq);
  ck_assert_mem_eq(ha.hash, hb.hash, 32);
  ccenter_workflow_stats sa = {.size = sizeof sa}, sb = {.size = sizeof sb};
  OK(ccenter_workflow_stats_get(A->ce, "fraud", &sa));
  OK(ccenter_workflow_stats_get(B->ce, "fraud", &sb));
  ck_assert_mem_eq(&sa, &sb, sizeof sa);
}

START_TEST(journal_replay)
{
  int64_t t = utc(2026, 3, 2, 1, 0);
  jlog j;
  memset(&j, 0, sizeof j);
  env A;
  memset(&A, 0, sizeof A);
  OK(ccenter_cases_new(NULL, t, &A.ce));
  A.t0 = t;
  cc_cases_set_journal(A.ce, on_journal, &j);
  OK(ccenter_cases_set_audit_key(A.ce, "secret", 6));
  OK(ccenter_cases_set_event_callback(A.ce, on_event, &A.ev));
  OK(ccenter_cases_set_audit_sink(A.ce, on_audit, &A.audit));
  ccenter_calendar *cal = cn_calendar();
  OK(ccenter_cases_add_calendar(A.ce, cal, t));
  ccenter_calendar_free(cal);
  ccenter_workflow *wf = fraud_wf("CN-2026");
  OK(ccenter_cases_add_workflow(A.ce, wf, t));
  ccenter_workflow_free(wf);
  OK(ccenter_cases_set_actor(A.ce, "alice", "agent", t));
  OK(ccenter_cases_set_actor(A.ce, "bob", "agent,supervisor", t));
  OK(ccenter_cases_set_actor(A.ce, "carol", "supervisor", t));
  scenario(&A);
  ck_assert_int_ge(j.advances, 2);

  env B;
  memset(&B, 0, sizeof B);
  OK(ccenter_cases_new(NULL, t, &B.ce));
  OK(ccenter_cases_set_audit_key(B.ce, "secret", 6));
  OK(ccenter_cases_set_event_callback(B.ce, on_event, &B.ev));
  OK(ccenter_cases_set_audit_sink(B.ce, on_audit, &B.audit));
  for (size_t i = 0; i < j.n; i++) {
    int rc = cc_cases_replay(B.ce, &j.v[i].r);
    ck_assert_int_ge(rc, 0);
  }
  tlog_eq(&A.ev, &B.ev);
  tlog_eq(&A.audit, &B.audit);
  same_cases(&A, &B);
  ccenter_audit_head h;
  OK(ccenter_cases_audit_head(B.ce, &h));
  size_t bad;
  OK(ccenter_audit_verify((const char *const *)B.audit.s, B.audit.len, B.audit.n, "secret", 6,
                          NULL, &h, &bad));
  ck_assert_int_eq(ccenter_audit_verify((const char *const *)B.audit.s, B.audit.len,
                                        B.audit.n, NULL, 0, NULL, &h, &bad),
                   CCENTER_ECORRUPT);
  /* a bad record is refused */
  cc_case_jrec bad_rec = {.op = (cc_case_op)99, .now = ccenter_cases_now(B.ce)};
  ck_assert_int_eq(cc_cases_replay(B.ce, &bad_rec), CCENTER_EINVAL);
  ck_assert_int_eq(cc_cases_replay(NULL, &bad_rec), CCENTER_EINVAL);
  ccenter_cases_free(A.ce);
  ccenter_cases_free(B.ce);
  tlog_free(&A.ev);
  tlog_free(&A.audit);
  tlog_free(&B.ev);
  tlog_free(&B.audit);
  jlog_free(&j);
}
END_TEST

/* ---- memory: exact, and allocation failure changes nothing -------------------------- */

START_TEST(memory_is_exact_and_enomem_changes_nothing)
{
  talloc ta = {0, -1};
  ccenter_options *o = ccenter_options_new();
  OK(ccenter_options_set_allocator(o, t_malloc, t_realloc, t_free, &ta));
  int64_t t = utc(2026, 3, 2, 1, 0);
  /* Creation, the audit key and the two definitions, each with the n-th allocation
     failing until it succeeds. */
  ccenter_cases *ce = NULL;
  for (long k = 0;; k++) {
    ta.fail_in = k;
    int rc = ccenter_cases_new(o, t, &ce);
    ta.fail_in = -1;
    if (rc == 0)
      break;
    ck_assert_int_eq(rc, CCENTER_ENOMEM);
    ck_assert_ptr_null(ce);
    ck_assert_uint_eq(ta.live, 0);
  }
  ccenter_calendar *cal = cn_calendar();
  ccenter_workflow *wf = fraud_wf("CN-2026");
  for (int step = 0; step < 3; step++)
    for (long k = 0;; k++) {
      ccenter_audit_head h0, h1;
      OK(ccenter_cases_audit_head(ce, &h0));
      size_t live = ta.live;
      ta.fail_in = k;
      int rc = step == 0   ? ccenter_cases_set_audit_key(ce, "key", 3)
               : step == 1 ? ccenter_cases_add_calendar(ce, cal, t)
                           : ccenter_cases_add_workflow(ce, wf, t);
      ta.fail_in = -1;
      if (rc == 0)
        break;
      ck_assert_int_eq(rc, CCENTER_ENOMEM);
      OK(ccenter_cases_audit_head(ce, &h1));
      ck_assert_uint_eq(h0.seq, h1.seq);
      ck_assert_uint_le(ta.live, live + 1024); /* at most reserved room is kept */
      ck_assert_uint_eq(ccenter_cases_memory(ce), ta.live);
    }
  uint64_t n;
  OK(ccenter_workflow_stat_count(ce, "fraud", CCENTER_COUNT_TRANSITION, "stop", &n));
  ck_assert_int_eq(ccenter_cases_add_workflow(ce, wf, t), CCENTER_EEXIST);
  ccenter_calendar_free(cal);
  ccenter_workflow_free(wf);
  ccenter_cases_free(ce);
  ck_assert_uint_eq(ta.live, 0);
  env E;
  env_open(&E, o, _i, t, 1);
  ck_assert_uint_eq(ccenter_cases_memory(E.ce), ta.live);
  /* Each step is retried with the n-th allocation failing until it succeeds: every failure
     is CCENTER_ENOMEM and changes nothing. The timers due by a step's time fire first, so
     that the failing call has none to fire; the advance of step 12 has several, and one of
     them failing leaves those before it fired (a failed call after timers fired). */
  ccenter_case_evidence ev[] = {{"police", "R1"}};
  ccenter_case_input in = {.size = sizeof in, .reason = "why", .evidence = ev, .n_evidence = 1};
  for (int step = 0; step < 14; step++) {
    int64_t now = t + step * MIN_MS;
    if (step < 12)
      OK(ccenter_cases_advance(E.ce, now));
    for (long k = 0;; k++) {
      snap s;
      take_snap(&E, "C1", &s);
      ta.fail_in = k;
      int rc;
      switch (step) {
      case 0: rc = ccenter_case_open(E.ce, "C1", "fraud", "alice", NULL, now); break;
      case 1: rc = ccenter_case_set_text(E.ce, "C1", "alice", "payee", "P1", now); break;
      case 2: rc = ccenter_case_set_int(E.ce, "C1", "alice", "confirmed", 1, now); break;
      case 3: rc = ccenter_case_set_money(E.ce, "C1", "alice", "amount", 7, "EUR", now); break;
      case 4: rc = ccenter_case_link_contact(E.ce, "C1", "k1", "alice", now); break;
      case 5: rc = ccenter_case_transition(E.ce, "C1", "triage", "alice", NULL, now); break;
      case 6: rc = ccenter_case_transition(E.ce, "C1", "stop", "alice", &in, now); break;
      case 7: rc = ccenter_case_transition(E.ce, "C1", "refund", "alice", &in, now); break;
      case 8: rc = ccenter_case_approve(E.ce, "C1", "carol", "fine", now); break;
      case 9: rc = ccenter_cases_set_actor(E.ce, "erin", "agent", now); break;
      case 10: rc = ccenter_case_open(E.ce, "C2", "fraud", "erin", NULL, now); break;
      case 11: rc = ccenter_case_set_int(E.ce, "C2", "alice", "reported_at", now, now); break;
      case 12: rc = ccenter_cases_advance(E.ce, now + 20 * MIN_MS); break;
      default: rc = ccenter_case_forget(E.ce, "C1", now + 20 * MIN_MS); break;
      }
      ta.fail_in = -1;
      if (rc >= 0)
        break;
      ck_assert_int_eq(rc, CCENTER_ENOMEM);
      if (step != 12)
        same_snap(&E, "C1", &s);
      ck_assert_uint_eq(ccenter_cases_memory(E.ce), ta.live);
      ck_assert_int_lt(k, 1000);
    }
    ck_assert_uint_eq(ccenter_cases_memory(E.ce), ta.live);
  }
  verify_audit(&E);
  env_close(&E);
  ck_assert_uint_eq(ta.live, 0);
  ccenter_options_free(o);
}
END_TEST

static void ignore_event(ccenter_cases *ce, const ccenter_case_event *e, void *ud)
{
  (void)ce;
  (void)e;
  (void)ud;
}

/* Under 1 KiB per open case with its timers (the goal at a million cases; measured on
   20,000 here). */
START_TEST(memory_per_case)
{
  ccenter_cases *ce = NULL;
  OK(ccenter_cases_new(NULL, 0, &ce));
  OK(ccenter_cases_set_event_callback(ce, ignore_event, NULL));
  ccenter_workflow *wf = fraud_wf(NULL);
  OK(ccenter_cases_add_workflow(ce, wf, 0));
  ccenter_workflow_free(wf);
  OK(ccenter_cases_set_actor(ce, "alice", "agent", 0));
  size_t m0 = ccenter_cases_memory(ce);
  const int n = 20000;
  for (int i = 0; i < n; i++) {
    char id[32];
    snprintf(id, sizeof id, "CASE-2026-%08d", i);
    OK(ccenter_case_open(ce, id, "fraud", "alice", NULL, 0));
    OK(ccenter_case_set_text(ce, id, "alice", "payee", "GB29NWBK60161331926819", 0));
    OK(ccenter_case_set_money(ce, id, "alice", "amount", 125000, "GBP", 0));
  }
  size_t per = (ccenter_cases_memory(ce) - m0) / n;
  printf("# %zu bytes per open case\n", per);
  ck_assert_uint_lt(per, 1024);
  ccenter_cases_free(ce);
}
END_TEST

/* ---- a random-operation property test ----------------------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

static void check_invariants(env *E)
{
  ccenter_cases *ce = E->ce;
  size_t it = 0, open = 0;
  cc_case *c;
  while ((c = cc_map_next(&ce->cases, &it))) {
    ck_assert_uint_lt(c->state, c->wf->def->n_states);
    int final = (c->wf->def->states[c->state].flags & CCENTER_STATE_FINAL) != 0;
    ck_assert_int_eq(final, c->closed);
    if (c->closed) {
      ck_assert_uint_eq(c->n_armed, 0);
      ck_assert_ptr_null(c->prop);
      ck_assert_uint_eq(c->golden, 0);
      ck_assert_int_eq(info_of(E, c->id).next_deadline, CCENTER_NO_DEADLINE);
    } else {
      open++;
    }
  }
  ck_assert_uint_eq(open, ccenter_cases_open_count(ce));
  ccenter_workflow_stats st = {.size = sizeof st};
  OK(ccenter_workflow_stats_get(ce, "fraud", &st));
  ck_assert_uint_eq(st.opened, st.open + st.closed);
  ck_assert_uint_eq(st.open, open);
  ck_assert_uint_ge(st.proposals, st.approved + st.rejected + st.expired);
}

START_TEST(random_operations)
{
  static const char *const actors[] = {"alice", "bob", "carol", "dave"};
  static const char *const trans[] = {"triage", "stop", "wait", "resume", "refund",
                                      "close", "auto_close", "fly"};
  static const char *const payees[] = {"M1", "M2", "M3"};
  for (uint64_t seed = 1; seed <= 6; seed++) {
    env E;
    int64_t t = utc(2026, 2, 9, 1, 0);
    jlog j;
    memset(&j, 0, sizeof j);
    env_journal = &j;
    env_open(&E, NULL, (int)(seed & 1), t, 1);
    env_journal = NULL;
    uint64_t s = seed * 0x9E3779B97F4A7C15ull;
    ccenter_case_evidence ev[] = {{"police", "R"}};
    for (int step = 0; step < 1500; step++) {
      char id[16];
      snprintf(id, sizeof id, "c%d", (int)(rng_next(&s) % 40));
      const char *who = actors[rng_next(&s) % 4];
      t += (int64_t)(rng_next(&s) % (20 * MIN_MS));
      int op = (int)(rng_next(&s) % 12);
      int rc;
      switch (op) {
      case 0: rc = ccenter_case_open(E.ce, id, "fraud", who, NULL, t); break;
      case 1: rc = ccenter_case_set_text(E.ce, id, who, "payee", payees[rng_next(&s) % 3], t); break;
      case 2: rc = ccenter_case_set_int(E.ce, id, who, "confirmed", (int64_t)(rng_next(&s) & 1), t); break;
      case 3: rc = ccenter_case_set_money(E.ce, id, who, "amount", (int64_t)(rng_next(&s) % 3), "EUR", t); break;
      case 4: rc = ccenter_case_set_int(E.ce, id, who, "reported_at", t - (int64_t)(rng_next(&s) % DAY_MS), t); break;
      case 5:
      case 6: {
        ccenter_case_input in = {.size = sizeof in, .evidence = ev,
                                 .n_evidence = rng_next(&s) & 1};
        rc = ccenter_case_transition(E.ce, id, trans[rng_next(&s) % 8], who, &in, t);
        break;
      }
      case 7: rc = ccenter_case_approve(E.ce, id, who, NULL, t); break;
      case 8: rc = ccenter_case_reject(E.ce, id, who, "no", t); break;
      case 9: rc = ccenter_case_forget(E.ce, id, t); break;
      case 10: rc = ccenter_case_link_contact(E.ce, id, who, who, t); break;
      default: rc = ccenter_cases_advance(E.ce, t + (int64_t)(rng_next(&s) % (2 * DAY_MS))); t = ccenter_cases_now(E.ce); break;
      }
      ck_assert_int_ge(rc, CCENTER_ERRNO_END_ + 1);
      ck_assert_int_le(rc, CCENTER_PROPOSED);
      check_invariants(&E);
    }
    verify_audit(&E);
    /* the journal replayed into a fresh engine gives the same cases, chain and events */
    env R;
    memset(&R, 0, sizeof R);
    OK(ccenter_cases_new(NULL, utc(2026, 2, 9, 1, 0), &R.ce));
    OK(ccenter_cases_set_event_callback(R.ce, on_event, &R.ev));
    OK(ccenter_cases_set_audit_sink(R.ce, on_audit, &R.audit));
    for (size_t i = 0; i < j.n; i++)
      ck_assert_int_ge(cc_cases_replay(R.ce, &j.v[i].r), 0);
    drain(&E);
    tlog_eq(&E.ev, &R.ev);
    tlog_eq(&E.audit, &R.audit);
    same_cases(&E, &R);
    env_close(&R);
    jlog_free(&j);
    env_close(&E);
  }
}
END_TEST

/* ---- the write-ahead hook ------------------------------------------------------- */

/* A write-ahead log as the store keeps one: every input copied (on_journal's copy), and a
 * refusal now and then, as a full disk would give; the tap's view of the same calls. */
struct walctl {
  jlog j;
  uint64_t x;   /* decides the refusals; 0: refuse nothing */
  int refused;
  size_t done, gone;
  tlog audit;   /* the tap's audit records */
};

static int wal_refusing(void *ud, const cc_case_jrec *r)
{
  walctl *w = ud;
  if (w->x && rng_next(&w->x) % 10 == 0) {
    w->refused++;
    return CCENTER_EIO;
  }
  on_journal(&w->j, r);
  return 0;
}

static void tap_audit(void *ud, const ccenter_audit_record *r)
{
  tlog_add(&((walctl *)ud)->audit, r->line, r->len);
}

static void tap_done(void *ud, int rc)
{
  (void)rc;
  ((walctl *)ud)->done++;
}

static void tap_gone(void *ud)
{
  ((walctl *)ud)->gone++;
}

static const cc_cases_tap test_tap = {tap_audit, tap_done, tap_gone};

static void attach_wal(ccenter_cases *ce, walctl *w)
{
  cc_cases_set_wal(ce, wal_refusing, w);
  cc_cases_set_tap(ce, &test_tap, w);
}

/* One random call, drawn once and made on several engines. */
typedef struct rcall {
  int op;
  char id[16];
  const char *who, *arg;
  int64_t num, t;
  int n_ev;
} rcall;

static int make_call(ccenter_cases *ce, const rcall *c)
{
  ccenter_case_evidence ev[] = {{"police", "R"}};
  ccenter_case_input in = {.size = sizeof in, .evidence = ev, .n_evidence = (size_t)c->n_ev};
  switch (c->op) {
  case 0: return ccenter_case_open(ce, c->id, "fraud", c->who, NULL, c->t);
  case 1: return ccenter_case_set_text(ce, c->id, c->who, "payee", c->arg, c->t);
  case 2: return ccenter_case_set_int(ce, c->id, c->who, "confirmed", c->num, c->t);
  case 3: return ccenter_case_set_money(ce, c->id, c->who, "amount", c->num, "EUR", c->t);
  case 4: return ccenter_case_set_int(ce, c->id, c->who, "reported_at", c->t - c->num, c->t);
  case 5: return ccenter_case_transition(ce, c->id, c->arg, c->who, &in, c->t);
  case 6: return ccenter_case_approve(ce, c->id, c->who, NULL, c->t);
  case 7: return ccenter_case_reject(ce, c->id, c->who, "no", c->t);
  case 8: return ccenter_case_forget(ce, c->id, c->t);
  case 9: return ccenter_case_link_contact(ce, c->id, c->who, c->who, c->t);
  default: return ccenter_cases_advance(ce, c->t + c->num);
  }
}

/* Engine A writes ahead and its hook refuses one input in ten (CCENTER_EIO); engine B gets
 * only the calls A's hook accepted. A refused call must change nothing: A and B raise the
 * same events and audit records. A's log, replayed into a fresh engine C, gives them again.
 * The calendar and workflow reach the hook as canonical text, and the tap sees every audit
 * record, the end of every accepted call and the engine's end. */
START_TEST(write_ahead_refusal_changes_nothing_and_the_log_replays)
{
  static const char *const actors[] = {"alice", "bob", "carol", "dave"};
  static const char *const trans[] = {"triage", "stop", "wait", "resume", "refund",
                                      "close", "auto_close", "fly"};
  static const char *const payees[] = {"M1", "M2", "M3"};
  const int64_t t0 = utc(2026, 2, 9, 1, 0);
  walctl w;
  memset(&w, 0, sizeof w);
  env A, B, C;
  env_open(&B, NULL, 0, t0, 1);
  env_wal = &w;
  env_open(&A, NULL, 0, t0, 1);
  env_wal = NULL;
  ck_assert_int_eq(w.j.v[0].r.op, CC_COP_ADD_CALENDAR);
  ck_assert_ptr_nonnull(strstr(w.j.v[0].s[0], "CN-2026"));
  ck_assert_int_eq(w.j.v[1].r.op, CC_COP_ADD_WORKFLOW);
  ck_assert_ptr_nonnull(strstr(w.j.v[1].s[0], "fraud"));
  w.x = 0x5eed1234ull;
  uint64_t s = 0xC0FFEEull;
  int64_t t = t0;
  for (int step = 0; step < 3000; step++) {
    rcall c;
    memset(&c, 0, sizeof c);
    snprintf(c.id, sizeof c.id, "c%d", (int)(rng_next(&s) % 40));
    c.who = actors[rng_next(&s) % 4];
    t += (int64_t)(rng_next(&s) % (20 * MIN_MS));
    c.t = t;
    c.op = (int)(rng_next(&s) % 11);
    c.arg = c.op == 1 ? payees[rng_next(&s) % 3] : trans[rng_next(&s) % 8];
    c.num = c.op == 10 ? (int64_t)(rng_next(&s) % (2 * DAY_MS))
            : c.op == 4 ? (int64_t)(rng_next(&s) % DAY_MS)
                        : (int64_t)(rng_next(&s) % 3);
    c.n_ev = (int)(rng_next(&s) & 1);
    int before = w.refused;
    int ra = make_call(A.ce, &c);
    if (w.refused > before) {
      ck_assert_int_eq(ra, CCENTER_EIO);
      continue; /* refused before anything happened: B never hears of it */
    }
    int rb = make_call(B.ce, &c);
    ck_assert_msg(ra == rb, "step %d op %d: %s against %s", step, c.op, ccenter_err_name(ra),
                  ccenter_err_name(rb));
    if (c.op == 10 && ra == 0)
      t = ccenter_cases_now(A.ce);
  }
  ck_assert_int_gt(w.refused, 200);
  ck_assert_uint_gt(A.ev.n, 1000);
  ck_assert_uint_eq(w.done, w.j.n);
  tlog_eq(&A.ev, &B.ev);
  tlog_eq(&A.audit, &B.audit);
  tlog_eq(&A.audit, &w.audit);
  same_cases(&A, &B);
  memset(&C, 0, sizeof C);
  OK(ccenter_cases_new(NULL, t0, &C.ce));
  OK(ccenter_cases_set_event_callback(C.ce, on_event, &C.ev));
  OK(ccenter_cases_set_audit_sink(C.ce, on_audit, &C.audit));
  for (size_t i = 0; i < w.j.n; i++)
    (void)cc_cases_replay(C.ce, &w.j.v[i].r);
  tlog_eq(&A.ev, &C.ev);
  tlog_eq(&A.audit, &C.audit);
  same_cases(&A, &C);
  ck_assert_uint_eq(w.gone, 0);
  env_close(&A);
  ck_assert_uint_eq(w.gone, 1);
  env_close(&B);
  env_close(&C);
  jlog_free(&w.j);
  tlog_free(&w.audit);
}
END_TEST

Suite *make_suite(void)
{
  Suite *s = suite_create("cases");
  TCase *tc = tcase_create("cases");
  tcase_set_timeout(tc, 120);
  tcase_add_loop_test(tc, lifecycle_open_to_close, 0, 2);
  tcase_add_test(tc, event_names_and_input_init);
  tcase_add_test(tc, errors_change_nothing);
  tcase_add_test(tc, dual_control);
  tcase_add_test(tc, limit_across_cases);
  tcase_add_test(tc, approval_rechecks_limit);
  tcase_add_loop_test(tc, warnings_and_expiry_at_exact_deadlines, 0, 2);
  tcase_add_test(tc, timer_transition_falls_back_to_alert);
  tcase_add_test(tc, business_days_china_2026);
  tcase_add_test(tc, pause_resume_and_35_day_cap);
  tcase_add_test(tc, golden_window);
  tcase_add_test(tc, pull_equals_push);
  tcase_add_test(tc, callback_reentrancy_refused);
  tcase_add_test(tc, journal_replay);
  tcase_add_loop_test(tc, memory_is_exact_and_enomem_changes_nothing, 0, 2);
  tcase_add_test(tc, memory_per_case);
  tcase_add_test(tc, random_operations);
  tcase_add_test(tc, write_ahead_refusal_changes_nothing_and_the_log_replays);
  suite_add_tcase(s, tc);
  return s;
}

CC_TEST_MAIN()
