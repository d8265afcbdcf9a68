/*
 * The figures ctid's HTTP side serves (docs/wallboard.md, "HTTP API"): the wallboard, the
 * agents and proposals of the supervisor page, as JSON, from the library's queries and the
 * protocol's Snapshot (the lists of queues, agents and cases a CTI client gets). Reads no
 * clock: the time is the Snapshot's, the local day is given. An internal library of the
 * ctid example, not part of libccenter's ABI.
 */
#ifndef CTID_BOARD_H
#define CTID_BOARD_H

#include <stddef.h>
#include <stdint.h>

#include <ccenter/ccenter.h>

#include "ccenter.pb-c.h"
#include "conf.h"

/* A growing text buffer; a failed allocation sets oom and makes later writes no-ops. */
typedef struct ctid_jbuf {
  char *p;
  size_t len, cap;
  int oom;
} ctid_jbuf;

void ctid_jb_free(ctid_jbuf *b);
void ctid_jb_raw(ctid_jbuf *b, const char *s);
void ctid_jb_fmt(ctid_jbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A JSON string (escaped), or null for NULL. */
void ctid_jb_str(ctid_jbuf *b, const char *s);

typedef struct ctid_board_tally ctid_board_tally;

typedef struct ctid_board_src {
  const ccenter_engine *engine;
  const ccenter_cases *cases;
  const ctid_config *cfg;
  const Ccenter__V1__Snapshot *snap; /* time and last_seq are the board's */
  int64_t day_start, day_end;        /* the local day the Snapshot's time is in */
  /* Agents by activity per queue, kept from the events (updated before the board is made);
     NULL: counted from the snapshot's agents. */
  const ctid_board_tally *tally;
} ctid_board_src;

/* The wallboard's intervals: today's, at most this many of the newest. */
#define CTID_BOARD_MAX_INTERVALS 96

/* Each appends one JSON document to out. 0, or -1 when out ran out of memory. */
int ctid_board_wallboard(const ctid_board_src *src, ctid_jbuf *out);
int ctid_board_agents(const ctid_board_src *src, ctid_jbuf *out);
int ctid_board_proposals(const ctid_board_src *src, ctid_jbuf *out);

/* The members of each queue by activity, as /api/wallboard counts them: an array indexed
   like the snapshot's queues, to free; NULL when out of memory. From the tally when the
   source has one, else from the snapshot's agents. */
typedef struct ctid_board_counts {
  unsigned logged_in, ready, busy, wrap_up, not_ready;
} ctid_board_counts;
ctid_board_counts *ctid_board_count_agents(const ctid_board_src *src);

/* The same counts kept up to date instead of made from every agent for every board: an
   event that names an agent marks it, and an update reads again only the agents marked
   since the last one (every agent after a reset). A board of a 10,000-agent centre then
   reads the few agents that changed in the last quarter of a second, not 10,000. It relies
   on the library raising an event naming the agent (agent or agent_to) for every change of
   its state, offers, conversations and wrap-ups; the ctid_board test checks that against
   a full count after every call of random sequences. */
ctid_board_tally *ctid_board_tally_new(void);
void ctid_board_tally_free(ctid_board_tally *t);
/* The configuration changed (or is new): the next update builds everything from it. Until
   then marks are ignored, so the old configuration may be freed right after. */
void ctid_board_tally_reset(ctid_board_tally *t);
/* agent: an event's agent or agent_to; NULL, "" and ids not configured are ignored. */
void ctid_board_tally_mark(ctid_board_tally *t, const char *agent);
/* Reads the marked agents again (all of them after a reset) from the engine at now. 0, or
   -1 when out of memory: the tally is then reset and the counts are not to be used. */
int ctid_board_tally_update(ctid_board_tally *t, const ccenter_engine *engine,
                            const ctid_config *cfg, int64_t now);
/* The queue's counts, or NULL (not configured, or the tally not updated since a reset). */
const ctid_board_counts *ctid_board_tally_queue(const ctid_board_tally *t, const char *queue);

/* A Snapshot of what the wallboard reads, made with the queries the protocol's views use
   (ccenter_queue_info_get, ccenter_agent_info_get, ccenter_case_info_get) for the
   configuration's queues and, with agents set, its agents (each list in id order, as the
   Snapshot's) and the given cases still open, without a Snapshot's encoding and decoding
   of every agent and contact. No contacts. Without the agents (a board counting them with
   a tally) it reads nothing per agent. */
typedef struct ctid_board_light {
  Ccenter__V1__Snapshot snap;
  void *mem[6];
} ctid_board_light;

/* 0, or -1 (out of memory: nothing to free). */
int ctid_board_light_make(const ccenter_engine *engine, const ccenter_cases *cases,
                          const ctid_config *cfg, int agents, char *const *case_ids,
                          size_t n_cases, int64_t now, uint64_t seq, ctid_board_light *out);
void ctid_board_light_free(ctid_board_light *l);

/* The snapshot's case with this id, or NULL. */
const Ccenter__V1__CaseInfo *ctid_board_case(const Ccenter__V1__Snapshot *snap,
                                             const char *id);

#endif
