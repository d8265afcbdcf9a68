/*
 * Shared by the engine and routing suites: one engine per test, every event recorded as a
 * line of words ("1000 CONTACT_OFFERED a=1001 c=c1 ..."), and assertions on those lines.
 */
#ifndef CC_TEST_SCENARIO_H
#define CC_TEST_SCENARIO_H

#include "acd/engine_int.h"
#include "ccenter/ccenter.h"
#include "harness.h"

#define SC_MAXEV 4096
#define SC_LINE 200

typedef struct sc_rec {
  char line[SC_MAXEV][SC_LINE];
  int n;
  int reentry_rc;
  int try_reentry;
} sc_rec;

extern ccenter_engine *eng;
extern sc_rec R;

/* Check fixture: a fresh engine at time 0 recording into R; teardown checks invariants. */
void sc_setup(void);
void sc_teardown(void);

/* True if a line at index >= from has every word of `want`. A word matches a word of the
 * line exactly, or is the end of an event name ("OFFERED" matches CONTACT_OFFERED). */
int sc_seen_from(int from, const char *want);
/* How many lines have every word of `want`. */
int sc_count(const char *want);

#define SEEN(s) ck_assert_msg(sc_seen_from(0, s), "event not seen: %s", s)
#define NOT_SEEN(s) ck_assert_msg(!sc_seen_from(0, s), "event seen: %s", s)
#define OK(x) ck_assert_int_eq((x), 0)

/* Adds agent a serving q, logs it in and makes it READY at t. */
void sc_agent_ready(const char *a, const char *q, int64_t t);
/* The same, with one skill at a level first (skill NULL: none). */
void sc_agent_skilled(const char *a, const char *q, const char *skill, int level, int64_t t);
/* The contact's ccenter_contact_state, or the error of the query. */
int sc_cstate(const char *c);

#endif
