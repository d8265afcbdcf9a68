/* Workflow definitions: the builder and every error it documents (a failing call changes
   nothing: the canonical text is compared before and after), the completeness check, the
   text form (canonical output, parse errors with their lines, round trips of the shipped
   templates), the Graphviz output, the file loader, allocation failure and copies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ccenter/workflow.h"
#include "harness.h"
#include "workflow/def_int.h"
#include "workflow/wf_int.h"

/* ---- helpers ------------------------------------------------------------------------- */

static char *text_of(const ccenter_workflow *wf)
{
  size_t need = 0;
  ck_assert_int_eq(ccenter_workflow_write(wf, NULL, 0, &need), CCENTER_ERANGE);
  char *buf = malloc(need + 1);
  ck_assert_ptr_nonnull(buf);
  size_t again = 0;
  ck_assert_int_eq(ccenter_workflow_write(wf, buf, need + 1, &again), 0);
  ck_assert_uint_eq(again, need);
  ck_assert_uint_eq(strlen(buf), need);
  return buf;
}

static char *dot_of(const ccenter_workflow *wf)
{
  size_t need = 0;
  ck_assert_int_eq(ccenter_workflow_write_dot(wf, NULL, 0, &need), CCENTER_ERANGE);
  char *buf = malloc(need + 1);
  ck_assert_ptr_nonnull(buf);
  ck_assert_int_eq(ccenter_workflow_write_dot(wf, buf, need + 1, NULL), 0);
  ck_assert_uint_eq(strlen(buf), need);
  return buf;
}

/* Asserts that `call` fails with `code` and leaves the workflow's text as it was. */
#define FAILS(wf, code, call)                                   \
  do {                                                          \
    char *before_ = text_of(wf);                                \
    ck_assert_int_eq((call), (code));                           \
    char *after_ = text_of(wf);                                 \
    ck_assert_str_eq(before_, after_);                          \
    free(before_);                                              \
    free(after_);                                               \
  } while (0)

static ccenter_workflow *parse_ok(const char *text)
{
  ccenter_parse_error err = {.size = sizeof err};
  ccenter_workflow *wf = NULL;
  int rc = ccenter_workflow_parse(NULL, text, strlen(text), "t.wf", &wf, &err);
  if (rc)
    ck_abort_msg("parse failed (%d): %s", rc, err.message);
  return wf;
}

/* The small workflow most tests start from. */
static ccenter_workflow *base(void)
{
  return parse_ok("workflow w\n"
                  "field amount money\n"
                  "field acct account\n"
                  "field note text\n"
                  "field count int\n"
                  "field urgent flag\n"
                  "field decided_at time\n"
                  "state A initial\n"
                  "state B contained\n"
                  "state C\n"
                  "state DONE final OK\n"
                  "transition go A -> B role agent\n"
                  "transition end B,C -> DONE role agent\n"
                  "transition back B -> C\n"
                  "timer t on B 1h -> transition back\n");
}

/* An allocator that counts live blocks and bytes and can fail after n allocations. */
typedef struct counter {
  long live;
  size_t bytes;
  long fail_after; /* -1: never */
} counter;

#define HDR 16

static int take(counter *c)
{
  if (c->fail_after == 0)
    return 0;
  if (c->fail_after > 0)
    c->fail_after--;
  return 1;
}

static void *c_malloc(void *ud, size_t n)
{
  counter *c = ud;
  if (!take(c))
    return NULL;
  char *p = malloc(n + HDR);
  if (!p)
    return NULL;
  memcpy(p, &n, sizeof n);
  c->live++;
  c->bytes += n;
  return p + HDR;
}

static void *c_realloc(void *ud, void *q, size_t n)
{
  if (!q)
    return c_malloc(ud, n);
  counter *c = ud;
  if (!take(c))
    return NULL;
  size_t old;
  memcpy(&old, (char *)q - HDR, sizeof old);
  char *p = realloc((char *)q - HDR, n + HDR);
  if (!p)
    return NULL;
  memcpy(p, &n, sizeof n);
  c->bytes = c->bytes - old + n;
  return p + HDR;
}

static void c_free(void *ud, void *q)
{
  if (!q)
    return;
  counter *c = ud;
  size_t n;
  memcpy(&n, (char *)q - HDR, sizeof n);
  c->live--;
  c->bytes -= n;
  free((char *)q - HDR);
}

static ccenter_options *counting(counter *c)
{
  c->live = 0;
  c->bytes = 0;
  c->fail_after = -1;
  ccenter_options *o = ccenter_options_new();
  ck_assert_ptr_nonnull(o);
  ck_assert_int_eq(ccenter_options_set_allocator(o, c_malloc, c_realloc, c_free, c), 0);
  return o;
}

static char *read_all(const char *path)
{
  FILE *f = fopen(path, "rb");
  ck_assert_msg(f != NULL, "cannot open %s", path);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

static const char *const templates[] = {
  "cn-telecom-fraud", "cn-loss-report", "uk-app-scam", "us-reg-e",
};

static void template_path(char *out, size_t size, const char *name)
{
  const char *dir = getenv("CCENTER_DATA_DIR");
  ck_assert_msg(dir != NULL, "CCENTER_DATA_DIR is not set");
  snprintf(out, size, "%s/workflows/%s.wf", dir, name);
}

/* ---- the builder ----------------------------------------------------------------------- */

START_TEST(builder_writes_canonical_text)
{
  ccenter_workflow *wf = NULL;
  ck_assert_int_eq(ccenter_workflow_new(NULL, "demo", &wf), 0);
  ck_assert_str_eq(ccenter_workflow_name(wf), "demo");
  ck_assert_int_eq(ccenter_workflow_set_calendar(wf, "CN-2026"), 0);
  ck_assert_int_eq(ccenter_workflow_set_calendar(wf, "GB-EAW-2026"), 0); /* replaces */
  ck_assert_int_eq(ccenter_workflow_set_golden(wf, 30 * 60000), 0);
  ck_assert_int_eq(ccenter_workflow_add_field(wf, "amount", CCENTER_FIELD_MONEY), 0);
  ck_assert_int_eq(ccenter_workflow_add_field(wf, "acct", CCENTER_FIELD_ACCOUNT), 0);
  ck_assert_int_eq(ccenter_workflow_add_field(wf, "ref", CCENTER_FIELD_TEXT), 0);
  ck_assert_int_eq(ccenter_workflow_add_field(wf, "n", CCENTER_FIELD_INT), 0);
  ck_assert_int_eq(ccenter_workflow_add_field(wf, "hot", CCENTER_FIELD_FLAG), 0);
  ck_assert_int_eq(ccenter_workflow_add_field(wf, "at", CCENTER_FIELD_TIME), 0);
  ck_assert_int_eq(ccenter_workflow_add_state(wf, "IN", CCENTER_STATE_INITIAL, NULL), 0);
  ck_assert_int_eq(ccenter_workflow_add_state(wf, "HOLD", CCENTER_STATE_CONTAINED, NULL), 0);
  ck_assert_int_eq(ccenter_workflow_add_state(wf, "WAIT", 0, NULL), 0);
  ck_assert_int_eq(ccenter_workflow_add_state(wf, "OK", CCENTER_STATE_FINAL | CCENTER_STATE_CONTAINED,
                                              "RECOVERED"), 0);
  ck_assert_int_eq(ccenter_workflow_add_state(wf, "NO", CCENTER_STATE_FINAL, "DECLINED"), 0);
  ck_assert_int_eq(ccenter_workflow_add_transition(wf, "hold", "IN", "HOLD", "agent"), 0);
  ck_assert_int_eq(ccenter_workflow_add_transition(wf, "stop", "WAIT,HOLD", "HOLD", "agent"), 0);
  ck_assert_int_eq(ccenter_workflow_add_transition(wf, "stop", "IN", "HOLD", "lead"), 0);
  ck_assert_int_eq(ccenter_workflow_add_transition(wf, "wait", "HOLD", "WAIT", NULL), 0);
  ck_assert_int_eq(ccenter_workflow_add_transition(wf, "close", "*", "OK", "agent"), 0);
  ck_assert_int_eq(ccenter_workflow_add_transition(wf, "decline", "IN", "NO", "agent"), 0);
  ck_assert_int_eq(ccenter_workflow_set_dual(wf, "stop", "lead", 0), 0);
  ck_assert_int_eq(ccenter_workflow_set_dual(wf, "stop", "supervisor", 3600000), 0);
  ck_assert_int_eq(ccenter_workflow_add_guard(wf, "stop", "  amount>=-5 "), 0);
  ck_assert_int_eq(ccenter_workflow_add_guard(wf, "stop", "! hot"), 0);
  ck_assert_int_eq(ccenter_workflow_add_guard(wf, "stop", "acct"), 0);
  ck_assert_int_eq(ccenter_workflow_add_guard(wf, "stop", "ref != x-1:2.3"), 0);
  ck_assert_int_eq(ccenter_workflow_add_guard(wf, "stop", "n < +007"), 0);
  ck_assert_int_eq(ccenter_workflow_add_guard(wf, "stop", "at <= 9223372036854775807"), 0);
  ck_assert_int_eq(ccenter_workflow_add_guard(wf, "close", "n > -9223372036854775808"), 0);
  ck_assert_int_eq(ccenter_workflow_add_guard(wf, "close", "hot == 1"), 0);
  ck_assert_int_eq(ccenter_workflow_require_evidence(wf, "stop", "platform_msg"), 0);
  ck_assert_int_eq(ccenter_workflow_require_evidence(wf, "stop", "four_field_check"), 0);
  ck_assert_int_eq(ccenter_workflow_add_action(wf, "stop", "place_stop", 5 * 60000), 0);
  ck_assert_int_eq(ccenter_workflow_add_action(wf, "stop", "notify", 0), 0);
  ck_assert_int_eq(ccenter_workflow_add_action(wf, "stop", "notify", 1500), 0);
  ck_assert_int_eq(ccenter_workflow_add_limit(wf, "stop", "acct", 2), 0);
  ck_assert_int_eq(ccenter_workflow_add_timer(wf, "lapse", "HOLD", CCENTER_CLOCK_ELAPSED,
                                              48 * 3600000LL, CCENTER_EXPIRY_TRANSITION,
                                              "wait", CCENTER_TIMER_DEADLINE), 0);
  ck_assert_int_eq(ccenter_workflow_timer_warn(wf, "lapse", 2 * 3600000), 0);
  ck_assert_int_eq(ccenter_workflow_timer_warn(wf, "lapse", 15LL * 86400000), 0);
  ck_assert_int_eq(ccenter_workflow_timer_warn(wf, "lapse", 90000), 0);
  ck_assert_int_eq(ccenter_workflow_timer_pause_in(wf, "lapse", "WAIT"), 0);
  ck_assert_int_eq(ccenter_workflow_add_timer(wf, "due", NULL, CCENTER_CLOCK_BUSINESS_DAYS, 3,
                                              CCENTER_EXPIRY_ESCALATE, "supervisor",
                                              CCENTER_TIMER_DEADLINE | CCENTER_TIMER_KEEP), 0);
  ck_assert_int_eq(ccenter_workflow_timer_start_field(wf, "due", "at"), 0);
  ck_assert_int_eq(ccenter_workflow_add_timer(wf, "d", "IN", CCENTER_CLOCK_DAYS, 10,
                                              CCENTER_EXPIRY_ALERT, NULL, 0), 0);
  ck_assert_int_eq(ccenter_workflow_add_timer(wf, "mo", "IN", CCENTER_CLOCK_MONTHS, 6,
                                              CCENTER_EXPIRY_ALERT, NULL, 0), 0);
  ck_assert_int_eq(ccenter_workflow_add_timer(wf, "same", "IN",
                                              CCENTER_CLOCK_BUSINESS_DAYS_SAME_TIME, 3,
                                              CCENTER_EXPIRY_ALERT, NULL, 0), 0);
  ck_assert_int_eq(ccenter_workflow_add_timer(wf, "bh", "WAIT", CCENTER_CLOCK_BUSINESS_TIME,
                                              8 * 3600000LL, CCENTER_EXPIRY_ALERT, NULL, 0), 0);
  ck_assert_int_eq(ccenter_workflow_add_timer(wf, "bms", "WAIT", CCENTER_CLOCK_BUSINESS_TIME,
                                              1001, CCENTER_EXPIRY_ALERT, NULL, 0), 0);
  ck_assert_int_eq(ccenter_workflow_add_timer(wf, "zero", "WAIT", CCENTER_CLOCK_ELAPSED, 0,
                                              CCENTER_EXPIRY_ALERT, NULL, 0), 0);
  ck_assert_int_eq(ccenter_workflow_add_timer(wf, "day", "WAIT", CCENTER_CLOCK_ELAPSED,
                                              86400000, CCENTER_EXPIRY_ALERT, NULL, 0), 0);
  const char *want =
    "workflow demo\n"
    "calendar GB-EAW-2026\n"
    "golden 30m\n"
    "\n"
    "field amount money\n"
    "field acct account\n"
    "field ref text\n"
    "field n int\n"
    "field hot flag\n"
    "field at time\n"
    "\n"
    "state IN initial\n"
    "state HOLD contained\n"
    "state WAIT\n"
    "state OK contained final RECOVERED\n"
    "state NO final DECLINED\n"
    "\n"
    "transition hold IN -> HOLD role agent\n"
    "\n"
    "transition stop IN -> HOLD role lead\n"
    "  dual approver supervisor expires 1h\n"
    "  guard amount >= -5\n"
    "  guard !hot\n"
    "  guard acct\n"
    "  guard ref != x-1:2.3\n"
    "  guard n < 7\n"
    "  guard at <= 9223372036854775807\n"
    "  evidence platform_msg\n"
    "  evidence four_field_check\n"
    "  action place_stop within 5m\n"
    "  action notify\n"
    "  action notify within 1500ms\n"
    "  limit acct 2\n"
    "transition stop HOLD,WAIT -> HOLD role agent\n"
    "\n"
    "transition wait HOLD -> WAIT\n"
    "\n"
    "transition close IN,HOLD,WAIT -> OK role agent\n"
    "  guard n > -9223372036854775808\n"
    "  guard hot == 1\n"
    "\n"
    "transition decline IN -> NO role agent\n"
    "\n"
    "timer lapse on HOLD 48h -> transition wait deadline\n"
    "  warn 15d\n"
    "  warn 2h\n"
    "  warn 90s\n"
    "  pause WAIT\n"
    "timer due from at 3bd -> escalate supervisor deadline keep\n"
    "timer d on IN 10d -> alert\n"
    "timer mo on IN 6mo -> alert\n"
    "timer same on IN 3bd-same -> alert\n"
    "timer bh on WAIT 8bh -> alert\n"
    "timer bms on WAIT 1001bms -> alert\n"
    "timer zero on WAIT 0s -> alert\n"
    "timer day on WAIT 24h -> alert\n";
  char *text = text_of(wf);
  ck_assert_str_eq(text, want);
  ck_assert_int_eq(ccenter_workflow_check(wf, NULL), 0);
  /* The text builds the same workflow again, and writes the same text. */
  ccenter_workflow *again = parse_ok(text);
  char *text2 = text_of(again);
  ck_assert_str_eq(text2, want);
  free(text);
  free(text2);
  ccenter_workflow_free(again);
  ccenter_workflow_free(wf);
}
END_TEST

START_TEST(new_name_and_free)
{
  ccenter_workflow *wf = (ccenter_workflow *)&wf; /* must not be touched on failure */
  ccenter_workflow *const keep = wf;
  ck_assert_int_eq(ccenter_workflow_new(NULL, NULL, &wf), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_workflow_new(NULL, "", &wf), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_workflow_new(NULL, "a b", &wf), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_workflow_new(NULL, "x/y", &wf), CCENTER_EINVAL);
  char longname[CCENTER_WF_MAX_NAME + 2];
  memset(longname, 'a', sizeof longname - 1);
  longname[CCENTER_WF_MAX_NAME + 1] = '\0';
  ck_assert_int_eq(ccenter_workflow_new(NULL, longname, &wf), CCENTER_EINVAL);
  ck_assert_ptr_eq(wf, keep);
  ck_assert_int_eq(ccenter_workflow_new(NULL, "w", NULL), CCENTER_EINVAL);
  longname[CCENTER_WF_MAX_NAME] = '\0';
  ck_assert_int_eq(ccenter_workflow_new(NULL, longname, &wf), 0);
  ck_assert_str_eq(ccenter_workflow_name(wf), longname);
  ccenter_workflow_free(wf);
  ck_assert_ptr_null(ccenter_workflow_name(NULL));
  ccenter_workflow_free(NULL);
  ck_assert(cc_wf_name_ok("A-z_0.9:x"));
  ck_assert(!cc_wf_name_ok(NULL));
  ck_assert(!cc_wf_name_ok("é"));
}
END_TEST

START_TEST(null_workflow_is_einval)
{
  ck_assert_int_eq(ccenter_workflow_set_calendar(NULL, "c"), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_workflow_set_golden(NULL, 1), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_workflow_add_field(NULL, "f", CCENTER_FIELD_INT), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_workflow_add_state(NULL, "S", 0, NULL), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_workflow_add_transition(NULL, "t", "A", "B", NULL), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_workflow_set_dual(NULL, "t", "r", 0), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_workflow_add_guard(NULL, "t", "f"), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_workflow_require_evidence(NULL, "t", "e"), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_workflow_add_action(NULL, "t", "a", 0), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_workflow_add_limit(NULL, "t", "f", 1), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_workflow_add_timer(NULL, "t", "A", CCENTER_CLOCK_ELAPSED, 1,
                                              CCENTER_EXPIRY_ALERT, NULL, 0), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_workflow_timer_start_field(NULL, "t", "f"), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_workflow_timer_warn(NULL, "t", 1), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_workflow_timer_pause_in(NULL, "t", "A"), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_workflow_check(NULL, NULL), CCENTER_EINVAL);
  char buf[8];
  ck_assert_int_eq(ccenter_workflow_write(NULL, buf, sizeof buf, NULL), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_workflow_write_dot(NULL, buf, sizeof buf, NULL), CCENTER_EINVAL);
}
END_TEST

START_TEST(settings_errors)
{
  ccenter_workflow *wf = base();
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_set_calendar(wf, NULL));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_set_calendar(wf, ""));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_set_calendar(wf, "a b"));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_set_calendar(wf, "a#b"));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_set_calendar(wf, "tab\t"));
  char longname[CCENTER_WF_MAX_NAME + 2];
  memset(longname, 'c', sizeof longname - 1);
  longname[CCENTER_WF_MAX_NAME + 1] = '\0';
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_set_calendar(wf, longname));
  ck_assert_int_eq(ccenter_workflow_set_calendar(wf, "Zone/Name+1"), 0);
  FAILS(wf, CCENTER_ERANGE, ccenter_workflow_set_golden(wf, -1));
  FAILS(wf, CCENTER_ERANGE, ccenter_workflow_set_golden(wf, CC_WF_MAX_MS + 1));
  ck_assert_int_eq(ccenter_workflow_set_golden(wf, CC_WF_MAX_MS), 0);
  ck_assert_int_eq(ccenter_workflow_set_golden(wf, 0), 0);
  ccenter_workflow_free(wf);
}
END_TEST

START_TEST(field_and_state_errors)
{
  ccenter_workflow *wf = base();
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_field(wf, NULL, CCENTER_FIELD_INT));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_field(wf, "bad name", CCENTER_FIELD_INT));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_field(wf, "f", (ccenter_field_type)0));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_field(wf, "f", (ccenter_field_type)7));
  FAILS(wf, CCENTER_EEXIST, ccenter_workflow_add_field(wf, "amount", CCENTER_FIELD_INT));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_state(wf, NULL, 0, NULL));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_state(wf, "", 0, NULL));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_state(wf, "S", 0x8, NULL));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_state(wf, "S", CCENTER_STATE_FINAL, NULL));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_state(wf, "S", CCENTER_STATE_FINAL, "a b"));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_state(wf, "S", 0, "OUT"));
  FAILS(wf, CCENTER_EINVAL,
        ccenter_workflow_add_state(wf, "S", CCENTER_STATE_INITIAL | CCENTER_STATE_FINAL, "O"));
  FAILS(wf, CCENTER_EEXIST, ccenter_workflow_add_state(wf, "B", 0, NULL));
  /* Fill both tables to their limits; one more is EFULL. */
  char name[32];
  for (int i = (int)wf->n_fields; i < CCENTER_WF_MAX_FIELDS; i++) {
    snprintf(name, sizeof name, "f%d", i);
    ck_assert_int_eq(ccenter_workflow_add_field(wf, name, CCENTER_FIELD_INT), 0);
  }
  FAILS(wf, CCENTER_EFULL, ccenter_workflow_add_field(wf, "one_more", CCENTER_FIELD_INT));
  for (int i = (int)wf->n_states; i < CCENTER_WF_MAX_STATES; i++) {
    snprintf(name, sizeof name, "S%d", i);
    ck_assert_int_eq(ccenter_workflow_add_state(wf, name, 0, NULL), 0);
  }
  FAILS(wf, CCENTER_EFULL, ccenter_workflow_add_state(wf, "ONE_MORE", 0, NULL));
  ccenter_workflow_free(wf);
}
END_TEST

START_TEST(transition_errors)
{
  ccenter_workflow *wf = base();
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_transition(wf, NULL, "A", "B", NULL));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_transition(wf, "x y", "A", "B", NULL));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_transition(wf, "x", "A", "B", "bad role"));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_transition(wf, "x", NULL, "B", NULL));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_transition(wf, "x", "A", NULL, NULL));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_transition(wf, "x", "A", "NOPE", NULL));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_transition(wf, "x", "NOPE", "B", NULL));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_transition(wf, "x", "A,NOPE", "B", NULL));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_transition(wf, "x", "DONE", "B", NULL));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_transition(wf, "x", "A,A", "B", NULL));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_transition(wf, "x", "A,", "B", NULL));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_transition(wf, "x", ",A", "B", NULL));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_transition(wf, "x", "", "B", NULL));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_transition(wf, "x", "A, B", "B", NULL));
  /* "go" leaves A already; "end" leaves B and C. */
  FAILS(wf, CCENTER_EEXIST, ccenter_workflow_add_transition(wf, "go", "A", "C", NULL));
  FAILS(wf, CCENTER_EEXIST, ccenter_workflow_add_transition(wf, "end", "A,C", "DONE", NULL));
  FAILS(wf, CCENTER_EEXIST, ccenter_workflow_add_transition(wf, "end", "*", "DONE", NULL));
  ck_assert_int_eq(ccenter_workflow_add_transition(wf, "end", "A", "DONE", "boss"), 0);
  ccenter_workflow_free(wf);

  /* "*" with every state final names nothing. */
  ck_assert_int_eq(ccenter_workflow_new(NULL, "w", &wf), 0);
  ck_assert_int_eq(ccenter_workflow_add_state(wf, "F", CCENTER_STATE_FINAL, "X"), 0);
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_transition(wf, "x", "*", "F", NULL));
  ccenter_workflow_free(wf);

  /* Transitions count per source state: 256 states, "*" from 255 of them. */
  ck_assert_int_eq(ccenter_workflow_new(NULL, "w", &wf), 0);
  char name[32];
  for (int i = 0; i < CCENTER_WF_MAX_STATES - 1; i++) {
    snprintf(name, sizeof name, "S%d", i);
    ck_assert_int_eq(ccenter_workflow_add_state(wf, name, 0, NULL), 0);
  }
  ck_assert_int_eq(ccenter_workflow_add_state(wf, "F", CCENTER_STATE_FINAL, "X"), 0);
  for (int t = 0; t < 4; t++) {
    snprintf(name, sizeof name, "t%d", t);
    ck_assert_int_eq(ccenter_workflow_add_transition(wf, name, "*", "F", NULL), 0);
  }
  ck_assert_uint_eq(wf->n_edges, 4 * 255);
  FAILS(wf, CCENTER_EFULL, ccenter_workflow_add_transition(wf, "t4", "*", "F", NULL));
  FAILS(wf, CCENTER_EFULL, ccenter_workflow_add_transition(wf, "t4", "S0,S1,S2,S3,S4", "F",
                                                            NULL));
  ck_assert_int_eq(ccenter_workflow_add_transition(wf, "t4", "S0,S1,S2,S3", "F", NULL), 0);
  FAILS(wf, CCENTER_EFULL, ccenter_workflow_add_transition(wf, "t5", "S9", "F", NULL));
  ccenter_workflow_free(wf);
}
END_TEST

START_TEST(edges_sorted_and_found)
{
  ccenter_workflow *wf = parse_ok("workflow w\n"
                                  "state A initial\nstate B\nstate C\nstate F final X\n"
                                  "transition z C,A -> F role r\n"
                                  "transition y B -> C role r\n"
                                  "transition x * -> B role r\n"
                                  "transition y A -> B role s\n");
  for (uint32_t i = 1; i < wf->n_edges; i++) {
    const cc_wf_edge *p = &wf->edges[i - 1], *q = &wf->edges[i];
    ck_assert(p->from < q->from || (p->from == q->from && p->tname < q->tname));
  }
  ck_assert_uint_eq(wf->n_edges, 7);
  int a = cc_wf_find_state(wf, "A"), b = cc_wf_find_state(wf, "B"), c = cc_wf_find_state(wf, "C");
  int y = cc_wf_find_tname(wf, "y"), z = cc_wf_find_tname(wf, "z");
  const cc_wf_edge *e = cc_wf_find_edge(wf, (uint32_t)a, (uint32_t)y);
  ck_assert_ptr_nonnull(e);
  ck_assert_int_eq(e->to, b);
  ck_assert_str_eq(e->role, "s");
  e = cc_wf_find_edge(wf, (uint32_t)b, (uint32_t)y);
  ck_assert_int_eq(e->to, c);
  ck_assert_str_eq(e->role, "r");
  ck_assert_ptr_null(cc_wf_find_edge(wf, (uint32_t)b, (uint32_t)z));
  ck_assert_ptr_nonnull(cc_wf_find_edge(wf, (uint32_t)c, (uint32_t)z));
  ck_assert_int_eq(cc_wf_find_state(wf, "F"), 3);
  ck_assert_int_eq(cc_wf_find_state(wf, "Q"), -1);
  ck_assert_int_eq(cc_wf_find_tname(wf, NULL), -1);
  ck_assert_int_eq(cc_wf_find_field(wf, "f"), -1);
  ck_assert_int_eq(cc_wf_find_timer(wf, "t"), -1);
  ck_assert_uint_eq(cc_wf_initial(wf), (uint32_t)a);
  ccenter_workflow_free(wf);
}
END_TEST

START_TEST(transition_attribute_errors)
{
  ccenter_workflow *wf = base();
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_set_dual(wf, "nope", "boss", 0));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_set_dual(wf, NULL, "boss", 0));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_set_dual(wf, "go", NULL, 0));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_set_dual(wf, "go", "b oss", 0));
  FAILS(wf, CCENTER_ERANGE, ccenter_workflow_set_dual(wf, "go", "boss", -1));
  FAILS(wf, CCENTER_ERANGE, ccenter_workflow_set_dual(wf, "go", "boss", CC_WF_MAX_MS + 1));

  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_require_evidence(wf, "nope", "e"));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_require_evidence(wf, "go", NULL));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_require_evidence(wf, "go", "e e"));
  ck_assert_int_eq(ccenter_workflow_require_evidence(wf, "go", "e"), 0);
  FAILS(wf, CCENTER_EEXIST, ccenter_workflow_require_evidence(wf, "go", "e"));
  char name[32];
  for (int i = 1; i < CCENTER_WF_MAX_EVIDENCE; i++) {
    snprintf(name, sizeof name, "e%d", i);
    ck_assert_int_eq(ccenter_workflow_require_evidence(wf, "go", name), 0);
  }
  FAILS(wf, CCENTER_EFULL, ccenter_workflow_require_evidence(wf, "go", "more"));

  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_action(wf, "nope", "a", 0));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_action(wf, "go", NULL, 0));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_action(wf, "go", "", 0));
  FAILS(wf, CCENTER_ERANGE, ccenter_workflow_add_action(wf, "go", "a", -1));
  FAILS(wf, CCENTER_ERANGE, ccenter_workflow_add_action(wf, "go", "a", CC_WF_MAX_MS + 1));
  for (int i = 0; i < CCENTER_WF_MAX_ACTIONS; i++)
    ck_assert_int_eq(ccenter_workflow_add_action(wf, "go", "a", i), 0);
  FAILS(wf, CCENTER_EFULL, ccenter_workflow_add_action(wf, "go", "a", 0));

  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_limit(wf, "nope", "acct", 2));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_limit(wf, "go", "nope", 2));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_limit(wf, "go", NULL, 2));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_limit(wf, "go", "amount", 2));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_limit(wf, "go", "count", 2));
  FAILS(wf, CCENTER_ERANGE, ccenter_workflow_add_limit(wf, "go", "acct", 0));
  ck_assert_int_eq(ccenter_workflow_add_limit(wf, "go", "note", UINT32_MAX), 0);
  FAILS(wf, CCENTER_EEXIST, ccenter_workflow_add_limit(wf, "go", "acct", 2));
  ccenter_workflow_free(wf);
}
END_TEST

START_TEST(guard_errors)
{
  ccenter_workflow *wf = base();
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_guard(wf, "nope", "amount > 0"));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_guard(wf, NULL, "amount > 0"));
  static const char *const bad[] = {
    NULL, "", "   ", "!", "nosuch", "!nosuch", "nosuch > 1", "amount >", "amount >> 1",
    "amount = 1", "amount > x", "amount > 1 2", "amount > 1x", "! amount > 1", "!!amount",
    "amount > 99999999999999999999", "amount > -9223372036854775809", "note < abc",
    "acct >= a", "note == a b", "note == a#b", "note == é", "amount 5", "urgent ==",
    "count > --1", "count > +", "count<",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char *before = text_of(wf);
    int rc = ccenter_workflow_add_guard(wf, "go", bad[i]);
    ck_assert_msg(rc == CCENTER_ESYNTAX, "'%s' gave %d", bad[i] ? bad[i] : "(null)", rc);
    char *after = text_of(wf);
    ck_assert_str_eq(before, after);
    free(before);
    free(after);
  }
  for (int i = 0; i < CCENTER_WF_MAX_GUARDS; i++)
    ck_assert_int_eq(ccenter_workflow_add_guard(wf, "go", "count != 3"), 0);
  FAILS(wf, CCENTER_EFULL, ccenter_workflow_add_guard(wf, "go", "urgent"));
  /* The parsed operand. */
  const cc_wf_tname *t = &wf->tnames[cc_wf_find_tname(wf, "go")];
  ck_assert_int_eq(t->guards[0].op, CC_G_NE);
  ck_assert_int_eq(t->guards[0].num, 3);
  ck_assert_ptr_null(t->guards[0].word);
  ck_assert_int_eq(ccenter_workflow_add_guard(wf, "end", "acct == AC-1"), 0);
  const cc_wf_tname *e = &wf->tnames[cc_wf_find_tname(wf, "end")];
  ck_assert_int_eq(e->guards[0].op, CC_G_EQ);
  ck_assert_str_eq(e->guards[0].word, "AC-1");
  ck_assert_uint_eq(e->guards[0].field, (uint32_t)cc_wf_find_field(wf, "acct"));
  ccenter_workflow_free(wf);
}
END_TEST

START_TEST(timer_errors)
{
  ccenter_workflow *wf = base();
  const ccenter_timer_clock E = CCENTER_CLOCK_ELAPSED;
  const ccenter_timer_expiry AL = CCENTER_EXPIRY_ALERT, TR = CCENTER_EXPIRY_TRANSITION,
                             ES = CCENTER_EXPIRY_ESCALATE;
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_timer(wf, NULL, "A", E, 1, AL, NULL, 0));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_timer(wf, "a b", "A", E, 1, AL, NULL, 0));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_timer(wf, "x", "NOPE", E, 1, AL, NULL, 0));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_timer(wf, "x", "DONE", E, 1, AL, NULL, 0));
  FAILS(wf, CCENTER_EINVAL,
        ccenter_workflow_add_timer(wf, "x", "A", (ccenter_timer_clock)6, 1, AL, NULL, 0));
  FAILS(wf, CCENTER_EINVAL,
        ccenter_workflow_add_timer(wf, "x", "A", (ccenter_timer_clock)-1, 1, AL, NULL, 0));
  FAILS(wf, CCENTER_EINVAL,
        ccenter_workflow_add_timer(wf, "x", "A", E, 1, (ccenter_timer_expiry)3, NULL, 0));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_timer(wf, "x", "A", E, 1, AL, NULL, 0x4));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_timer(wf, "x", "A", E, 1, AL, "go", 0));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_timer(wf, "x", "A", E, 1, TR, NULL, 0));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_timer(wf, "x", "A", E, 1, TR, "nope", 0));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_timer(wf, "x", "A", E, 1, ES, NULL, 0));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_add_timer(wf, "x", "A", E, 1, ES, "a b", 0));
  FAILS(wf, CCENTER_ERANGE, ccenter_workflow_add_timer(wf, "x", "A", E, -1, AL, NULL, 0));
  FAILS(wf, CCENTER_ERANGE,
        ccenter_workflow_add_timer(wf, "x", "A", E, CC_WF_MAX_MS + 1, AL, NULL, 0));
  FAILS(wf, CCENTER_ERANGE, ccenter_workflow_add_timer(wf, "x", "A", CCENTER_CLOCK_DAYS,
                                                       CC_WF_MAX_DAYS + 1, AL, NULL, 0));
  FAILS(wf, CCENTER_ERANGE, ccenter_workflow_add_timer(wf, "x", "A", CCENTER_CLOCK_MONTHS,
                                                       CC_WF_MAX_MONTHS + 1, AL, NULL, 0));
  FAILS(wf, CCENTER_EEXIST, ccenter_workflow_add_timer(wf, "t", "A", E, 1, AL, NULL, 0));

  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_timer_start_field(wf, "nope", "decided_at"));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_timer_start_field(wf, "t", "decided_at"));
  ck_assert_int_eq(ccenter_workflow_add_timer(wf, "f", NULL, E, 5, ES, "boss", 0), 0);
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_timer_start_field(wf, "f", "nope"));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_timer_start_field(wf, "f", NULL));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_timer_start_field(wf, "f", "count"));
  ck_assert_int_eq(ccenter_workflow_timer_start_field(wf, "f", "decided_at"), 0);

  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_timer_warn(wf, "nope", 1));
  FAILS(wf, CCENTER_ERANGE, ccenter_workflow_timer_warn(wf, "t", 0));
  FAILS(wf, CCENTER_ERANGE, ccenter_workflow_timer_warn(wf, "t", -5));
  FAILS(wf, CCENTER_ERANGE, ccenter_workflow_timer_warn(wf, "t", CC_WF_MAX_MS + 1));
  for (int i = 1; i <= CCENTER_WF_MAX_WARNINGS; i++)
    ck_assert_int_eq(ccenter_workflow_timer_warn(wf, "t", (i * 7919) % 1000 + 1), 0);
  const cc_wf_timer *t = &wf->timers[cc_wf_find_timer(wf, "t")];
  for (uint32_t k = 1; k < t->n_warn; k++)
    ck_assert_int_gt(t->warn[k - 1], t->warn[k]);
  FAILS(wf, CCENTER_EEXIST, ccenter_workflow_timer_warn(wf, "t", 7919 % 1000 + 1));
  FAILS(wf, CCENTER_EFULL, ccenter_workflow_timer_warn(wf, "t", 5000));

  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_timer_pause_in(wf, "nope", "C"));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_timer_pause_in(wf, "t", "NOPE"));
  FAILS(wf, CCENTER_EINVAL, ccenter_workflow_timer_pause_in(wf, "t", NULL));
  ck_assert_int_eq(ccenter_workflow_timer_pause_in(wf, "t", "C"), 0);
  FAILS(wf, CCENTER_EEXIST, ccenter_workflow_timer_pause_in(wf, "t", "C"));

  char name[32];
  for (int i = (int)wf->n_timers; i < CCENTER_WF_MAX_TIMERS; i++) {
    snprintf(name, sizeof name, "t%d", i);
    ck_assert_int_eq(ccenter_workflow_add_timer(wf, name, "A", E, 1, AL, NULL, 0), 0);
  }
  FAILS(wf, CCENTER_EFULL, ccenter_workflow_add_timer(wf, "more", "A", E, 1, AL, NULL, 0));
  ccenter_workflow_free(wf);
}
END_TEST

/* ---- the check ------------------------------------------------------------------------- */

static void check_fails(const char *text, const char *what)
{
  ccenter_workflow *wf = parse_ok(text);
  ccenter_parse_error err = {.size = sizeof err};
  ck_assert_int_eq(ccenter_workflow_check(wf, &err), CCENTER_ESYNTAX);
  ck_assert_int_eq(err.line, 0);
  ck_assert_msg(strstr(err.message, what) != NULL, "'%s' lacks '%s'", err.message, what);
  ck_assert_msg(strncmp(err.message, "w: ", 3) == 0, "'%s'", err.message);
  ck_assert_int_eq(ccenter_workflow_check(wf, NULL), CCENTER_ESYNTAX);
  ccenter_workflow_free(wf);
}

START_TEST(check_finds_incomplete_workflows)
{
  check_fails("workflow w\nstate A\nstate F final X\ntransition t A -> F role r\n",
              "no initial state");
  check_fails("workflow w\nstate A initial\nstate B initial\nstate F final X\n"
              "transition t A,B -> F role r\n",
              "2 initial states");
  check_fails("workflow w\ngolden 30m\nstate A initial\nstate F final X\n"
              "transition t A -> F role r\n",
              "golden window needs at least one contained state");
  check_fails("workflow w\nstate A initial\nstate B\nstate F final X\n"
              "transition t A -> B role r\ntransition u B -> A role r\n",
              "state 'A' cannot reach a final state");
  check_fails("workflow w\nstate A initial\nstate B\nstate F final X\n"
              "transition t A -> F role r\n",
              "state 'B' cannot reach a final state");
}
END_TEST

START_TEST(check_timers)
{
  ccenter_workflow *wf = parse_ok("workflow w\nstate A initial\nstate B\nstate F final X\n"
                                  "transition t A -> B role r\ntransition u B -> F role r\n"
                                  "timer ok on B 1h -> transition u\n"
                                  "timer kept on A 2h -> transition u keep\n");
  ck_assert_int_eq(ccenter_workflow_check(wf, NULL), 0);
  ck_assert_int_eq(ccenter_workflow_add_timer(wf, "orphan", NULL, CCENTER_CLOCK_ELAPSED, 1,
                                              CCENTER_EXPIRY_ALERT, NULL, 0), 0);
  ccenter_parse_error err = {.size = sizeof err};
  ck_assert_int_eq(ccenter_workflow_check(wf, &err), CCENTER_ESYNTAX);
  ck_assert_str_eq(err.message,
                   "w: timer 'orphan' has neither a start state nor a start field");
  ccenter_workflow_free(wf);

  /* A timer that stops when its case leaves A cannot take a transition that never
     leaves A. */
  wf = parse_ok("workflow w\nstate A initial\nstate B\nstate F final X\n"
                "transition t A -> B role r\ntransition u B -> F role r\n"
                "timer bad on A 1h -> transition u\n");
  ck_assert_int_eq(ccenter_workflow_check(wf, &err), CCENTER_ESYNTAX);
  ck_assert_str_eq(err.message, "w: timer 'bad': transition 'u' does not leave state 'A'");
  ccenter_workflow_free(wf);
  /* A short error struct is not written. */
  wf = parse_ok("workflow w\nstate A\n");
  ccenter_parse_error small = {.size = sizeof(size_t), .line = 42};
  ck_assert_int_eq(ccenter_workflow_check(wf, &small), CCENTER_ESYNTAX);
  ck_assert_int_eq(small.line, 42);
  ccenter_workflow_free(wf);
}
END_TEST

/* ---- the text form ----------------------------------------------------------------------- */

START_TEST(parse_accepts_the_documented_grammar)
{
  ccenter_workflow *wf = parse_ok(
    "# a comment line\n"
    "\n"
    "   workflow   w   # trailing comment\r\n"
    "calendar\tCN-2026\n"
    "golden 2d\n"
    "field f time\n"
    "field a account\n"
    "state X final OUT contained\n"
    "state A contained initial\n"
    "state B\n"
    "transition go * -> X role agent\n"
    "\tguard a==AC-1\n"
    "    dual approver boss\n"
    "transition go2 A -> B\n"
    "  action act within 500ms\n"
    "  action act2 within 10s\n"
    "transition go3 B -> X role agent\n"
    "timer t1 from f 10bs -> alert keep deadline\n"
    "timer t2 on B 7bm -> transition go\n"
    "  warn 1d\n"
    "timer t3 on A 1s -> escalate boss\n");
  const char *want =
    "workflow w\n"
    "calendar CN-2026\n"
    "golden 2d\n"
    "\n"
    "field f time\n"
    "field a account\n"
    "\n"
    "state X contained final OUT\n"
    "state A initial contained\n"
    "state B\n"
    "\n"
    "transition go A,B -> X role agent\n"
    "  dual approver boss\n"
    "  guard a == AC-1\n"
    "\n"
    "transition go2 A -> B\n"
    "  action act within 500ms\n"
    "  action act2 within 10s\n"
    "\n"
    "transition go3 B -> X role agent\n"
    "\n"
    "timer t1 from f 10bs -> alert deadline keep\n"
    "timer t2 on B 7bm -> transition go\n"
    "  warn 1d\n"
    "timer t3 on A 1s -> escalate boss\n";
  char *text = text_of(wf);
  ck_assert_str_eq(text, want);
  free(text);
  ck_assert_int_eq(wf->golden_ms, 2 * 86400000LL);
  ck_assert_int_eq(wf->timers[0].clock, CCENTER_CLOCK_BUSINESS_TIME);
  ck_assert_int_eq(wf->timers[0].amount, 10000);
  ck_assert_int_eq(wf->timers[0].start_field, cc_wf_find_field(wf, "f"));
  ck_assert_int_eq(wf->timers[1].amount, 7 * 60000);
  ck_assert_int_eq(wf->timers[1].target_tname, cc_wf_find_tname(wf, "go"));
  ck_assert_int_eq(ccenter_workflow_check(wf, NULL), 0);
  ccenter_workflow_free(wf);

  /* The text need not be NUL-terminated: len bounds it. */
  const char src[] = "workflow short\nstate JUNK";
  ck_assert_int_eq(ccenter_workflow_parse(NULL, src, 15, NULL, &wf, NULL), 0);
  ck_assert_uint_eq(wf->n_states, 0);
  ccenter_workflow_free(wf);
}
END_TEST

typedef struct bad_text {
  const char *text;
  int line;
  const char *what;
} bad_text;

START_TEST(parse_errors_name_their_line)
{
  /* 8 lines, the last not a transition, so that attribute lines have nothing above. */
  const char *head = "workflow w\nfield n int\nfield at time\nfield acct account\n"
                     "state A initial\nstate B\ntransition t A -> B role r\n"
                     "state F final X\n";
  static const bad_text cases[] = {
    {"", 0, "no 'workflow NAME' line"},
    {"# only a comment\n\n", 0, "no 'workflow NAME' line"},
    {"!state A\n", -1, "the first line must be 'workflow NAME'"},
    {"state A\n", -1, "the first line must be 'workflow NAME'"},
    {"workflow\n", -1, "'workflow' needs more words"},
    {"workflow a b\n", -1, "unexpected 'b' after 'workflow'"},
    {"workflow a/b\n", -1, "bad workflow name 'a/b'"},
    {"workflow w\nworkflow w\n", -2, "a second 'workflow' line"},
    {"unknown\n", 9, "unknown keyword 'unknown'"},
    {"calendar\n", 9, "'calendar' needs more words"},
    {"calendar a#b\n", 9, "bad calendar name"},
    {"golden\n", 9, "needs more words"},
    {"golden 30\n", 9, "bad duration"},
    {"golden 30x\n", 9, "bad duration"},
    {"golden -30m\n", 9, "bad duration"},
    {"golden 5bd\n", 9, "bad duration"},
    {"golden 99999999999999999d\n", 9, "duration out of range"},
    {"golden 99999999999d\n", 9, "golden window out of range"},
    {"field x\n", 9, "needs more words"},
    {"field x real\n", 9, "unknown field type 'real'"},
    {"field n int\n", 9, "field 'n' already exists"},
    {"field x int extra\n", 9, "unexpected 'extra'"},
    {"state\n", 9, "needs more words"},
    {"state Q initial initial\n", 9, "'initial' repeats"},
    {"state Q final\n", 9, "'final' needs an outcome"},
    {"state Q odd\n", 9, "unknown state flag 'odd'"},
    {"state Q initial final O\n", 9, "cannot be both initial and final"},
    {"state A\n", 9, "state 'A' already exists"},
    {"state Q final bad/outcome\n", 9, "needs an outcome"},
    {"transition u A -> B\n  guard\n", 10, "'guard' needs an expression"},
    {"transition u A B\n", 9, "want: transition NAME"},
    {"transition u A => B role r\n", 9, "expected '->'"},
    {"transition u A -> B rol r\n", 9, "expected 'role'"},
    {"transition u A -> Z\n", 9, "unknown state 'Z'"},
    {"transition u Z -> B\n", 9, "unknown state 'Z'"},
    {"transition u F -> B\n", 9, "final state 'F' cannot be left"},
    {"transition t A -> F\n", 9, "transition 't' already leaves state 'A'"},
    {"guard n > 1\n", 9, "'guard' must follow a transition line"},
    {"timer x on A 1h -> alert\n  guard n > 1\n", 10, "'guard' must follow a transition"},
    {"state Q\n  evidence e\n", 10, "'evidence' must follow a transition line"},
    {"warn 1h\n", 9, "'warn' must follow a timer line"},
    {"pause A\n", 9, "'pause' must follow a timer line"},
    {"  guard n >\n", 9, "must follow a transition line"},
    {"  guard n >\n", 9, "must follow"},
    {"  dual approver\n", 9, "must follow"},
    {"transition u A -> B\n  guard n >\n", 10, "guard 'n >': expected a value"},
    {"transition u A -> B\n  guard x\n", 10, "unknown field 'x'"},
    {"transition u A -> B\n  dual boss\n", 10, "want: dual approver ROLE"},
    {"transition u A -> B\n  dual approver boss expire 1h\n", 10, "want: dual approver"},
    {"transition u A -> B\n  dual approver boss expires 1\n", 10, "bad duration"},
    {"transition u A -> B\n  dual approver b/oss\n", 10, "bad approver role"},
    {"transition u A -> B\n  evidence\n", 10, "'evidence' needs more words"},
    {"transition u A -> B\n  evidence e\n  evidence e\n", 11, "already requires evidence"},
    {"transition u A -> B\n  action\n", 10, "want: action NAME"},
    {"transition u A -> B\n  action a in 5m\n", 10, "want: action NAME"},
    {"transition u A -> B\n  action a within 5\n", 10, "bad duration"},
    {"transition u A -> B\n  limit acct\n", 10, "needs more words"},
    {"transition u A -> B\n  limit acct 0\n", 10, "bad limit '0'"},
    {"transition u A -> B\n  limit acct 4294967296\n", 10, "bad limit"},
    {"transition u A -> B\n  limit acct x\n", 10, "bad limit"},
    {"transition u A -> B\n  limit n 2\n", 10, "counts by an account or text field"},
    {"transition u A -> B\n  limit acct 2\n  limit acct 3\n", 11, "already has a limit"},
    {"timer x on A 1h\n", 9, "want: timer NAME"},
    {"timer x at A 1h -> alert\n", 9, "expected 'on STATE' or 'from FIELD'"},
    {"timer x on A 1y -> alert\n", 9, "bad length"},
    {"timer x on A 1h => alert\n", 9, "expected '->'"},
    {"timer x on A 1h -> explode\n", 9, "unknown expiry 'explode'"},
    {"timer x on A 1h -> transition\n", 9, "'transition' needs a name"},
    {"timer x on A 1h -> escalate\n", 9, "'escalate' needs a name"},
    {"timer x on A 1h -> alert soon\n", 9, "unexpected 'soon'"},
    {"timer x on A 1h -> alert keep keep\n", 9, "unexpected 'keep'"},
    {"timer x on Z 1h -> alert\n", 9, "unknown state 'Z'"},
    {"timer x on A 1h -> transition nope\n", 9, "unknown transition 'nope'"},
    {"timer x on A 1h -> escalate a/b\n", 9, "bad escalation role"},
    {"timer x on A 36601d -> alert\n", 9, "length out of range"},
    {"timer x from n 1h -> alert\n", 9, "starts from a time field, not 'n'"},
    {"timer x from q 1h -> alert\n", 9, "unknown field 'q'"},
    {"timer x on A 1h -> alert\n  warn 0s\n", 10, "warning time out of range"},
    {"timer x on A 1h -> alert\n  warn 1bh\n", 10, "bad duration"},
    {"timer x on A 1h -> alert\n  warn 1h\n  warn 60m\n", 11, "already warns then"},
    {"timer x on A 1h -> alert\n  pause Z\n", 10, "unknown state 'Z'"},
    {"timer x on A 1h -> alert\n  pause B\n  pause B\n", 11, "already pauses in 'B'"},
    {"timer x on A 1h -> alert\n  pause\n", 10, "'pause' needs more words"},
    {"timer x on A 1h -> alert\ntimer x on B 1h -> alert\n", 10, "timer 'x' already exists"},
    {"state Q\nstate R\n\n\nstate R\n", 13, "state 'R' already exists"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const bad_text *c = &cases[i];
    char text[1024];
    /* line -1 and -2: the text stands alone (line 1 and 2); otherwise it follows head. */
    int alone = c->line <= 0;
    snprintf(text, sizeof text, "%s%s", alone ? "" : head, c->text);
    int line = c->line < 0 ? -c->line : c->line;
    ccenter_parse_error err = {.size = sizeof err};
    ccenter_workflow *wf = (ccenter_workflow *)&err;
    int rc = ccenter_workflow_parse(NULL, text, strlen(text), "f.wf", &wf, &err);
    ck_assert_msg(rc == CCENTER_ESYNTAX, "case %zu (%s): rc %d", i, c->text, rc);
    ck_assert_ptr_eq(wf, (ccenter_workflow *)&err);
    ck_assert_msg(err.line == line, "case %zu (%s): line %d, want %d (%s)", i, c->text,
                  err.line, line, err.message);
    char prefix[32];
    snprintf(prefix, sizeof prefix, line ? "f.wf:%d: " : "f.wf: ", line);
    ck_assert_msg(strncmp(err.message, prefix, strlen(prefix)) == 0, "case %zu: '%s'", i,
                  err.message);
    ck_assert_msg(strstr(err.message, c->what) != NULL, "case %zu: '%s' lacks '%s'", i,
                  err.message, c->what);
  }
}
END_TEST

START_TEST(parse_limits_and_arguments)
{
  ccenter_workflow *wf = NULL;
  ccenter_parse_error err = {.size = sizeof err};
  ck_assert_int_eq(ccenter_workflow_parse(NULL, NULL, 1, "x", &wf, &err), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_workflow_parse(NULL, "workflow w", 10, "x", NULL, &err),
                   CCENTER_EINVAL);
  /* NULL text with length 0 is an empty text; NULL source reads "<text>". */
  ck_assert_int_eq(ccenter_workflow_parse(NULL, NULL, 0, NULL, &wf, &err), CCENTER_ESYNTAX);
  ck_assert_str_eq(err.message, "<text>: no 'workflow NAME' line");
  /* A line too long, a NUL byte, too many words. */
  char *big = malloc(3000);
  memset(big, 'a', 3000);
  memcpy(big, "workflow w\n# ", 13);
  ck_assert_int_eq(ccenter_workflow_parse(NULL, big, 3000, "x", &wf, &err), CCENTER_ESYNTAX);
  ck_assert_int_eq(err.line, 2);
  ck_assert_ptr_nonnull(strstr(err.message, "line longer than"));
  free(big);
  const char nul[] = "workflow w\nstate A\0 initial\n";
  ck_assert_int_eq(ccenter_workflow_parse(NULL, nul, sizeof nul - 1, "x", &wf, &err),
                   CCENTER_ESYNTAX);
  ck_assert_int_eq(err.line, 2);
  ck_assert_ptr_nonnull(strstr(err.message, "NUL byte"));
  const char *many = "workflow w\nstate A a a a a a a a a a a a a a a a a a a a a a a a a a a a "
                     "a a a a a a\n";
  ck_assert_int_eq(ccenter_workflow_parse(NULL, many, strlen(many), "x", &wf, &err),
                   CCENTER_ESYNTAX);
  ck_assert_ptr_nonnull(strstr(err.message, "more than 32 words"));
  /* err may be NULL. */
  ck_assert_int_eq(ccenter_workflow_parse(NULL, "nope", 4, "x", &wf, NULL), CCENTER_ESYNTAX);
}
END_TEST

START_TEST(write_buffer_contract)
{
  ccenter_workflow *wf = base();
  size_t need = 0;
  ck_assert_int_eq(ccenter_workflow_write(wf, NULL, 0, &need), CCENTER_ERANGE);
  ck_assert_uint_gt(need, 10);
  char *buf = malloc(need + 1);
  memset(buf, 'Z', need + 1);
  ck_assert_int_eq(ccenter_workflow_write(wf, NULL, 5, &need), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_workflow_write(wf, buf, need, NULL), CCENTER_ERANGE);
  ck_assert_int_eq(buf[0], 'Z'); /* nothing written when it does not fit */
  size_t got = 0;
  ck_assert_int_eq(ccenter_workflow_write(wf, buf, need + 1, &got), 0);
  ck_assert_uint_eq(got, need);
  ck_assert_int_eq(buf[need], '\0');
  ck_assert_uint_eq(strlen(buf), need);
  free(buf);
  ck_assert_int_eq(ccenter_workflow_write_dot(wf, NULL, 0, &need), CCENTER_ERANGE);
  buf = malloc(need + 1);
  memset(buf, 'Z', need + 1);
  ck_assert_int_eq(ccenter_workflow_write_dot(wf, NULL, 1, NULL), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_workflow_write_dot(wf, buf, need, NULL), CCENTER_ERANGE);
  ck_assert_int_eq(buf[0], 'Z');
  ck_assert_int_eq(ccenter_workflow_write_dot(wf, buf, need + 1, NULL), 0);
  ck_assert_uint_eq(strlen(buf), need);
  free(buf);
  ccenter_workflow_free(wf);
}
END_TEST

START_TEST(dot_shows_states_transitions_and_timers)
{
  ccenter_workflow *wf = parse_ok("workflow w\n"
                                  "field at time\n"
                                  "state A initial\nstate B contained\nstate F final DONE\n"
                                  "transition go A -> B role agent\n"
                                  "  dual approver boss\n  guard at\n  evidence ref\n"
                                  "  action call within 5m\n"
                                  "transition lapse B -> F\n"
                                  "timer stop on B 48h -> transition lapse deadline\n"
                                  "  warn 2h\n"
                                  "timer late from at 3bd -> escalate boss\n"
                                  "timer ping on A 1h -> alert\n");
  char *dot = dot_of(wf);
  static const char *const want[] = {
    "digraph \"w\" {",
    "\"A\" [label=\"A\", style=\"rounded,bold\", penwidth=2];",
    "\"B\" [label=\"B\\n(contained)\", style=\"rounded,filled\", fillcolor=",
    "\"F\" [label=\"F\\nDONE\", shape=doublecircle];",
    "\"A\" -> \"B\" [label=\"go\\nrole agent\\n[dual: boss]\\nif at\\nneeds ref\\ndo call\"];",
    "\"B\" -> \"F\" [label=\"lapse\\nsystem\", color=gray40];",
    ("\"B\" -> \"F\" [style=dashed, color=firebrick, label=\"timer stop: 48h\\nwarn 2h "
     "before\\n(deadline)\\n-> lapse\"];"),
    "\"timer late\" [shape=note",
    "timer late: 3bd from at\\n-> escalate to boss",
    "\"timer ping\" [shape=note",
    "\"A\" -> \"timer ping\" [style=dashed",
  };
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
    ck_assert_msg(strstr(dot, want[i]) != NULL, "dot lacks %s:\n%s", want[i], dot);
  ck_assert_ptr_null(strstr(dot, "-> \"timer late\""));
  size_t n = strlen(dot);
  ck_assert_str_eq(dot + n - 2, "}\n");
  free(dot);
  ccenter_workflow_free(wf);
}
END_TEST

/* ---- the shipped templates and the loader ------------------------------------------------- */

START_TEST(templates_round_trip_and_check)
{
  for (size_t i = 0; i < sizeof templates / sizeof templates[0]; i++) {
    char path[1024];
    template_path(path, sizeof path, templates[i]);
    ccenter_parse_error err = {.size = sizeof err};
    ccenter_workflow *wf = NULL;
    int rc = ccenter_workflow_load_file(NULL, path, &wf, &err);
    ck_assert_msg(rc == 0, "%s: %d %s", path, rc, err.message);
    ck_assert_str_eq(ccenter_workflow_name(wf), templates[i]);
    rc = ccenter_workflow_check(wf, &err);
    ck_assert_msg(rc == 0, "%s: %s", path, err.message);
    ck_assert_ptr_nonnull(wf->calendar);
    char *text = text_of(wf);
    ccenter_workflow *again = parse_ok(text);
    char *text2 = text_of(again);
    ck_assert_str_eq(text, text2);
    char *dot = dot_of(wf);
    for (uint32_t s = 0; s < wf->n_states; s++) {
      char node[128];
      snprintf(node, sizeof node, "\n  \"%s\" [label=", wf->states[s].name);
      ck_assert_msg(strstr(dot, node) != NULL, "%s: no node %s", templates[i], node);
    }
    free(dot);
    free(text);
    free(text2);
    ccenter_workflow_free(again);
    ccenter_workflow_free(wf);
  }
}
END_TEST

START_TEST(templates_say_what_the_rules_say)
{
  char path[1024];
  template_path(path, sizeof path, "cn-telecom-fraud");
  ccenter_workflow *wf = NULL;
  ck_assert_int_eq(ccenter_workflow_load_file(NULL, path, &wf, NULL), 0);
  ck_assert_str_eq(wf->calendar, "CN-2026");
  ck_assert_int_eq(wf->golden_ms, 30 * 60000);
  const cc_wf_timer *t = &wf->timers[cc_wf_find_timer(wf, "stop_lapse")];
  ck_assert_int_eq(t->clock, CCENTER_CLOCK_ELAPSED);
  ck_assert_int_eq(t->amount, 48 * 3600000LL);
  ck_assert_int_eq(t->warn[0], 2 * 3600000LL);
  t = &wf->timers[cc_wf_find_timer(wf, "freeze_lapse")];
  ck_assert_int_eq(t->clock, CCENTER_CLOCK_MONTHS);
  ck_assert_int_eq(t->amount, 6);
  t = &wf->timers[cc_wf_find_timer(wf, "return_due")];
  ck_assert_int_eq(t->clock, CCENTER_CLOCK_BUSINESS_DAYS);
  ck_assert_int_eq(t->amount, 3);
  ck_assert_int_eq(t->start_field, cc_wf_find_field(wf, "police_decision_at"));
  const cc_wf_tname *stop = &wf->tnames[cc_wf_find_tname(wf, "stop")];
  ck_assert(stop->has_limit);
  ck_assert_uint_eq(stop->limit_max, 2);
  ck_assert_str_eq(wf->fields[stop->limit_field].name, "receiving_account");
  int four = 0;
  for (uint32_t k = 0; k < stop->n_evidence; k++)
    four |= strcmp(stop->evidence[k], "four_field_check") == 0;
  ck_assert(four);
  static const char *const dual[] = {"freeze", "unfreeze", "release_hold", "return_funds",
                                     "reimburse", "decline"};
  for (size_t i = 0; i < sizeof dual / sizeof dual[0]; i++)
    ck_assert_msg(wf->tnames[cc_wf_find_tname(wf, dual[i])].dual, "%s", dual[i]);
  ccenter_workflow_free(wf);

  template_path(path, sizeof path, "uk-app-scam");
  ck_assert_int_eq(ccenter_workflow_load_file(NULL, path, &wf, NULL), 0);
  ck_assert_str_eq(wf->calendar, "GB-EAW-2026");
  t = &wf->timers[cc_wf_find_timer(wf, "reimburse_due")];
  ck_assert_int_eq(t->clock, CCENTER_CLOCK_BUSINESS_DAYS);
  ck_assert_int_eq(t->amount, 5);
  ck_assert_uint_eq(t->n_pause, 1);
  ck_assert_int_eq(wf->timers[cc_wf_find_timer(wf, "outer_limit")].amount, 35);
  ccenter_workflow_free(wf);

  template_path(path, sizeof path, "us-reg-e");
  ck_assert_int_eq(ccenter_workflow_load_file(NULL, path, &wf, NULL), 0);
  ck_assert_str_eq(wf->calendar, "US-FRB-2026");
  ck_assert_int_eq(wf->timers[cc_wf_find_timer(wf, "decide_10bd")].amount, 10);
  ck_assert_int_eq(wf->timers[cc_wf_find_timer(wf, "resolve_45d")].clock, CCENTER_CLOCK_DAYS);
  ck_assert_int_eq(wf->timers[cc_wf_find_timer(wf, "resolve_90d")].amount, 90);
  ccenter_workflow_free(wf);

  template_path(path, sizeof path, "cn-loss-report");
  ck_assert_int_eq(ccenter_workflow_load_file(NULL, path, &wf, NULL), 0);
  t = &wf->timers[cc_wf_find_timer(wf, "written_due")];
  ck_assert_int_eq(t->clock, CCENTER_CLOCK_DAYS);
  ck_assert_int_eq(t->amount, 5);
  ccenter_workflow_free(wf);
}
END_TEST

START_TEST(load_file_errors)
{
  ccenter_parse_error err = {.size = sizeof err};
  ccenter_workflow *wf = NULL;
  ck_assert_int_eq(ccenter_workflow_load_file(NULL, NULL, &wf, &err), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_workflow_load_file(NULL, "x", NULL, &err), CCENTER_EINVAL);
  ck_assert_int_eq(ccenter_workflow_load_file(NULL, "/nonexistent/w.wf", &wf, &err),
                   CCENTER_EIO);
  ck_assert_ptr_nonnull(strstr(err.message, "/nonexistent/w.wf: cannot open"));
  ck_assert_int_eq(ccenter_workflow_load_file(NULL, "/", &wf, &err), CCENTER_EIO);
  ck_assert_ptr_nonnull(strstr(err.message, "/: cannot read"));
  ck_assert_ptr_null(wf);
  char path[] = "/tmp/ccenter-wf-XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  const char *text = "workflow w\nstate A initial\nstate A\n";
  ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
  ck_assert_int_eq(ccenter_workflow_load_file(NULL, path, &wf, &err), CCENTER_ESYNTAX);
  char want[128];
  snprintf(want, sizeof want, "%s:3: state 'A' already exists", path);
  ck_assert_str_eq(err.message, want);
  unlink(path);
}
END_TEST

/* ---- memory ---------------------------------------------------------------------------------- */

START_TEST(allocation_failure_changes_nothing)
{
  counter c;
  ccenter_options *o = counting(&c);
  char path[1024];
  template_path(path, sizeof path, "cn-telecom-fraud");
  char *text = read_all(path);
  /* Parsing fails cleanly at every allocation until it has them all. */
  int n = 0;
  for (;; n++) {
    c.fail_after = n;
    ccenter_workflow *wf = NULL;
    ccenter_parse_error err = {.size = sizeof err};
    int rc = ccenter_workflow_parse(o, text, strlen(text), "t", &wf, &err);
    if (rc == 0) {
      ccenter_workflow_free(wf);
      break;
    }
    ck_assert_int_eq(rc, CCENTER_ENOMEM);
    ck_assert_int_eq(c.live, 0);
    ck_assert_ptr_null(wf);
  }
  ck_assert_int_gt(n, 50);
  ck_assert_int_eq(c.live, 0);
  /* Each builder step fails cleanly when its allocations fail. */
  c.fail_after = -1;
  ccenter_workflow *wf = NULL;
  ck_assert_int_eq(ccenter_workflow_parse(o, text, strlen(text), "t", &wf, NULL), 0);
  /* Each builder step fails cleanly at each of its allocations, then succeeds. */
#define EVERY_ALLOC(call)                                                       \
  for (int k_ = 0;; k_++) {                                                     \
    char *b_ = text_of(wf);                                                     \
    c.fail_after = k_;                                                          \
    int r_ = (call);                                                            \
    c.fail_after = -1;                                                          \
    char *a_ = text_of(wf);                                                     \
    if (r_ == 0) {                                                              \
      ck_assert_str_ne(b_, a_);                                                 \
      free(a_);                                                                 \
      free(b_);                                                                 \
      break;                                                                    \
    }                                                                           \
    ck_assert_int_eq(r_, CCENTER_ENOMEM);                                       \
    ck_assert_str_eq(b_, a_);                                                   \
    free(a_);                                                                   \
    free(b_);                                                                   \
  }
  EVERY_ALLOC(ccenter_workflow_set_calendar(wf, "X"));
  EVERY_ALLOC(ccenter_workflow_add_field(wf, "nf", CCENTER_FIELD_INT));
  EVERY_ALLOC(ccenter_workflow_add_state(wf, "NS", 0, NULL));
  EVERY_ALLOC(ccenter_workflow_add_state(wf, "NF", CCENTER_STATE_FINAL, "OUT"));
  EVERY_ALLOC(ccenter_workflow_add_transition(wf, "nt", "*", "TRIAGE", "r"));
  EVERY_ALLOC(ccenter_workflow_add_transition(wf, "refer", "NS,INTAKE", "FROZEN", "r"));
  EVERY_ALLOC(ccenter_workflow_set_dual(wf, "triage", "boss", 0));
  EVERY_ALLOC(ccenter_workflow_add_guard(wf, "triage", "receiving_account == a"));
  EVERY_ALLOC(ccenter_workflow_add_guard(wf, "triage", "amount > 1"));
  EVERY_ALLOC(ccenter_workflow_require_evidence(wf, "triage", "e"));
  EVERY_ALLOC(ccenter_workflow_add_action(wf, "triage", "a", 0));
  EVERY_ALLOC(ccenter_workflow_add_timer(wf, "nt", "TRIAGE", CCENTER_CLOCK_ELAPSED, 1,
                                         CCENTER_EXPIRY_ESCALATE, "r", 0));
  EVERY_ALLOC(ccenter_workflow_timer_pause_in(wf, "no_police_ref", "TRIAGE"));
#undef EVERY_ALLOC
  c.fail_after = -1;
  ccenter_workflow_free(wf);
  ck_assert_int_eq(c.live, 0);
  free(text);
  ccenter_options_free(o);
}
END_TEST

START_TEST(clone_and_memory_are_exact)
{
  counter c;
  ccenter_options *o = counting(&c);
  cc_alloc a = {c_malloc, c_realloc, c_free, &c};
  for (size_t i = 0; i < sizeof templates / sizeof templates[0]; i++) {
    char path[1024];
    template_path(path, sizeof path, templates[i]);
    ccenter_workflow *wf = NULL;
    ck_assert_int_eq(ccenter_workflow_load_file(NULL, path, &wf, NULL), 0);
    char *text = text_of(wf);
    int n = 0;
    for (;; n++) {
      c.fail_after = n;
      ccenter_workflow *copy = NULL;
      int rc = cc_wf_clone(wf, &a, &copy);
      c.fail_after = -1;
      if (rc == 0) {
        /* The copy's own count is what its allocator holds. */
        ck_assert_uint_eq(cc_wf_memory(copy), c.bytes);
        char *text2 = text_of(copy);
        ck_assert_str_eq(text, text2);
        free(text2);
        ck_assert_int_eq(ccenter_workflow_check(copy, NULL), 0);
        ccenter_workflow_free(copy);
        break;
      }
      ck_assert_int_eq(rc, CCENTER_ENOMEM);
      ck_assert_ptr_null(copy);
      ck_assert_int_eq(c.live, 0);
    }
    ck_assert_int_gt(n, 20);
    ck_assert_int_eq(c.live, 0);
    ck_assert_uint_gt(cc_wf_memory(wf), sizeof *wf);
    free(text);
    ccenter_workflow_free(wf);
  }
  ck_assert_uint_eq(cc_wf_memory(NULL), 0);
  /* A workflow built with the counting allocator counts what it holds, less the slack of
     its doubled arrays (cc_wf_memory counts their capacity, which was allocated too). */
  ccenter_workflow *wf = NULL;
  ck_assert_int_eq(ccenter_workflow_new(o, "w", &wf), 0);
  ck_assert_uint_eq(cc_wf_memory(wf), c.bytes);
  ck_assert_int_eq(ccenter_workflow_add_state(wf, "A", CCENTER_STATE_INITIAL, NULL), 0);
  ck_assert_int_eq(ccenter_workflow_add_field(wf, "f", CCENTER_FIELD_TEXT), 0);
  ck_assert_int_eq(ccenter_workflow_add_transition(wf, "t", "A", "A", "r"), 0);
  ck_assert_int_eq(ccenter_workflow_add_guard(wf, "t", "f == x"), 0);
  ck_assert_uint_eq(cc_wf_memory(wf), c.bytes);
  ccenter_workflow_free(wf);
  ck_assert_int_eq(c.live, 0);
  ccenter_options_free(o);
}
END_TEST

Suite *make_suite(void)
{
  Suite *s = suite_create("workflow_def");
  TCase *tc = tcase_create("workflow_def");
  /* Per test; the slowest (allocation_failure_changes_nothing) takes well under a second
   * under ASan+UBSan. */
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, builder_writes_canonical_text);
  tcase_add_test(tc, new_name_and_free);
  tcase_add_test(tc, null_workflow_is_einval);
  tcase_add_test(tc, settings_errors);
  tcase_add_test(tc, field_and_state_errors);
  tcase_add_test(tc, transition_errors);
  tcase_add_test(tc, edges_sorted_and_found);
  tcase_add_test(tc, transition_attribute_errors);
  tcase_add_test(tc, guard_errors);
  tcase_add_test(tc, timer_errors);
  tcase_add_test(tc, check_finds_incomplete_workflows);
  tcase_add_test(tc, check_timers);
  tcase_add_test(tc, parse_accepts_the_documented_grammar);
  tcase_add_test(tc, parse_errors_name_their_line);
  tcase_add_test(tc, parse_limits_and_arguments);
  tcase_add_test(tc, write_buffer_contract);
  tcase_add_test(tc, dot_shows_states_transitions_and_timers);
  tcase_add_test(tc, templates_round_trip_and_check);
  tcase_add_test(tc, templates_say_what_the_rules_say);
  tcase_add_test(tc, load_file_errors);
  tcase_add_test(tc, allocation_failure_changes_nothing);
  tcase_add_test(tc, clone_and_memory_are_exact);
  suite_add_tcase(s, tc);
  return s;
}

CC_TEST_MAIN()
