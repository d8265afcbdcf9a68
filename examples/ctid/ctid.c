/*
 * ctid: the example CTI server (docs/ctid.md). One libuv loop: listeners and sessions
 * (transport.c), one protocol dispatcher bound to a routing engine and a case engine kept in
 * the store, credentials checked off the loop (PBKDF2 is slow on purpose), a timer at the
 * engines' next deadline and one at the store's flush deadline, SIGHUP reloads, SIGTERM
 * and SIGINT stop cleanly.
 *
 *   ctid -c FILE [--snapshot-every N] [--history N] [-v]
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include <ccenter/ccenter.h>
#include <ccenter/proto.h>
#include <ccenter/store.h>

#include "auth.h"
#include "ccenter.pb-c.h"
#include "conf.h"
#include "http.h"
#include "transport.h"
#include "window.h"

#define ROUTING_NAME "routing"
#define CASES_NAME "cases"
#define DAY_MS (24 * 3600 * 1000)
/* Output bound of a session before its handshake: a Welcome or a refusal. */
#define PRE_AUTH_OUT_MAX (256 * 1024)
/* Reloads whose removals wait for their objects to be idle, kept at once. */
#define MAX_PENDING_RELOADS 8
#define RETRY_MS 1000

typedef struct session session;

typedef struct pending_reload {
  ctid_config *old_cfg; /* the deferred changes name its objects */
  ctid_diff diff;
} pending_reload;

/* Who a contact was last connected to: a contact in wrap-up has no agent in its
   ccenter_contact_info, and the agent's disposition must still be checked. */
typedef struct handled {
  struct handled *next;
  char *contact;
  char agent[CCENTER_MAX_ID + 1];
} handled;
#define HANDLED_BUCKETS 4096
/* Agent sessions indexed by agent id and by principal: an event goes to the sessions it
   names without a walk over every session (10,000 agent desks are the design load). */
#define FAN_BUCKETS 16384

typedef struct server {
  uv_loop_t *loop;
  const char *conf_path;
  int verbose;
  uint64_t snapshot_every;
  ctid_config *cfg;
  ccenter_options *opts;
  ccenter_store *store;
  ccenter_engine *engine;
  ccenter_cases *cases;
  ccenter_proto_dispatcher *disp;
  ctid_guard *guard;
  int64_t clock_base; /* engine time = clock_base + uv_now(loop) */
  uint64_t records_at_snapshot;
  uint64_t seq_reserved; /* event numbers up to this one may be used (the .seq file) */
  size_t history;        /* event frames kept for resume, in memory and in STORE.events */
  ct_window *window;     /* STORE.events; NULL when it failed (resumes across a restart
                            then get snapshots) */
  struct held *held;     /* event frames appended to the window, not yet committed and sent */
  size_t n_held, held_cap;
  uv_timer_t engine_timer, flush_timer, snapshot_timer, retry_timer;
  /* durability = written: the disk sync on libuv's thread pool, one at a time */
  uv_work_t sync_req;
  int syncing;            /* sync_req is queued or running */
  int unsynced;           /* inputs may have been written since the last sync began */
  int sync_rc;            /* the running sync's result, set on the pool's thread */
  unsigned sync_failures; /* in a row, reported when one succeeds again */
  uv_signal_t sig_hup, sig_term, sig_int;
  ct_listener **listeners;
  size_t n_listeners;
  session *sessions;
  pending_reload pending[MAX_PENDING_RELOADS];
  size_t n_pending;
  int stopping;
  ctid_http *http; /* the wallboard's HTTP side, or NULL (http.c) */
  char dummy_hash[CTID_STORED_MAX];
  handled *handled_tab[HANDLED_BUCKETS];
  session *watchers;                /* supervisors and wallboards: every event */
  session *switches;                /* switch sessions: every contact event */
  session *by_agent[FAN_BUCKETS];   /* agent sessions, chained through agent_next */
  session *by_principal[FAN_BUCKETS]; /* agent sessions, chained through principal_next */
  uint64_t fan_stamp;               /* one per event frame sent out */
} server;

struct session {
  server *srv;
  ct_conn *conn; /* NULL once closed (a verification may still be running) */
  ccenter_proto_reader *reader;
  ccenter_proto_session *ps;
  session *prev, *next;
  int authed;
  int verifying;       /* a Hello's credential is being checked off the loop */
  int hello_verdict;   /* what the authorisation hook answers to the held Hello */
  int refused;         /* the handshake failed: the connection ends after the answer */
  ctid_role role;
  char principal[CCENTER_WF_MAX_CASE_ID + 1];
  char agent[CCENTER_MAX_ID + 1]; /* an agent principal's agent id */
  ccenter_proto_kind cur_kind;    /* the request being dispatched, for the log */
  double tokens;                  /* commands-per-second bucket */
  uint64_t tokens_at;             /* uv_now of the last refill */
  ctid_http_answer_fn sink;       /* an HTTP request's session: answers go here */
  void *sink_ud;
  int fanned;                     /* in the fan-out lists or chains below */
  session *fan_next, *fan_prev;   /* in watchers or switches */
  session *agent_next, *principal_next;
  uint64_t fan_stamp;             /* the last event frame it was given: sent once */
};

static server g_srv;

/* ---------------------------------------------------------------------------------- */
/* Logging: one line per event of interest, journald's priority prefix.                 */

static void logf_(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(int prio, const char *fmt, ...)
{
  char line[1024], out[4 * sizeof line];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  /* Lines carry what clients sent (a refused Hello's principal before any check): a
     newline would forge a line, other bytes would break the log's encoding. */
  size_t o = 0;
  for (const unsigned char *c = (const unsigned char *)line; *c; c++)
    if (*c < 0x20 || *c >= 0x7f)
      o += (size_t)snprintf(out + o, sizeof out - o, "\\x%02x", *c);
    else
      out[o++] = (char)*c;
  out[o] = 0;
  fprintf(stderr, "<%d>ctid: %s\n", prio, out);
}
#define LOG_ERR_ 3
#define LOG_WARN_ 4
#define LOG_INFO_ 6

static void engine_log(void *ud, ccenter_log_level level, const char *msg)
{
  (void)ud;
  static const int prio[] = {LOG_ERR_, LOG_WARN_, LOG_INFO_, 7};
  if (level <= CCENTER_LOG_INFO)
    logf_(prio[level], "engine: %s", msg);
}

static void transport_log(void *ud, const char *line)
{
  (void)ud;
  logf_(LOG_INFO_, "%s", line);
}

static const char *role_of(const session *s)
{
  return s->authed ? ctid_role_name(s->role) : "none";
}

/* ---------------------------------------------------------------------------------- */
/* Time                                                                                 */

static int64_t now_ms(const server *srv)
{
  return srv->clock_base + (int64_t)uv_now(srv->loop);
}

/* Engine time is wall-clock milliseconds (statistics and case deadlines read as dates)
   advanced by the loop's monotonic clock, and never behind what the store recorded: a
   clock set back between two runs must not take the engines back in time. */
static void clock_init(server *srv)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uv_update_time(srv->loop);
  int64_t wall = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
  srv->clock_base = wall - (int64_t)uv_now(srv->loop);
}

static void clock_not_behind(server *srv, int64_t t)
{
  if (t > now_ms(srv))
    srv->clock_base += t - now_ms(srv);
}

/* ---------------------------------------------------------------------------------- */
/* Timers: the engines' next deadline, the store's flush deadline, snapshots.           */

static void arm(uv_timer_t *t, int64_t deadline, int64_t now)
{
  if (deadline == CCENTER_NO_DEADLINE) {
    uv_timer_stop(t);
    return;
  }
  uv_timer_start(t, t->timer_cb, deadline > now ? (uint64_t)(deadline - now) : 0, 0);
}

static void snapshot_now(server *srv, const char *why)
{
  int rc1 = ccenter_store_snapshot(srv->store, ROUTING_NAME);
  int rc2 = ccenter_store_snapshot(srv->store, CASES_NAME);
  ccenter_store_info info = {.size = sizeof info};
  ccenter_store_info_get(srv->store, &info);
  srv->records_at_snapshot = info.records;
  logf_(rc1 || rc2 ? LOG_ERR_ : LOG_INFO_, "snapshot why=%s records=%" PRIu64 " rc=%s,%s", why,
        info.records, ccenter_err_name(rc1), ccenter_err_name(rc2));
}

/* After every call into the engines: the timers follow the deadlines it moved. */
/* Event sequence numbers outlive the process: the file STORE.seq holds a number above
 * every one sent, written (and synced) before the stream reaches it, in blocks. A restart,
 * even after kill -9, starts the stream after it: numbers leave gaps, never repeat, and a
 * client resuming from before the restart gets a snapshot. */
#define SEQ_BLOCK UINT64_C(1000000)

static int seq_file(const server *srv, char *path, size_t size)
{
  return (size_t)snprintf(path, size, "%s.seq", srv->cfg->store_path) < size ? 0 : -1;
}

static int seq_reserve(server *srv, uint64_t upto)
{
  char path[4096], tmp[4200];
  if (seq_file(srv, path, sizeof path))
    return -1;
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  int ok = f && fprintf(f, "%" PRIu64 "\n", upto) > 0 && fflush(f) == 0 && fsync(fileno(f)) == 0;
  if (f && fclose(f) != 0)
    ok = 0;
  if (!ok || rename(tmp, path) != 0) {
    logf_(LOG_ERR_, "sequence file %s: %s", path, strerror(errno));
    return -1;
  }
  srv->seq_reserved = upto;
  return 0;
}

/* The number the stream starts after: the reservation of the last run, 0 the first time. */
static int seq_start(server *srv, uint64_t *first)
{
  char path[4096];
  *first = 0;
  if (seq_file(srv, path, sizeof path))
    return -1;
  FILE *f = fopen(path, "r");
  if (f) {
    int n = fscanf(f, "%" SCNu64, first);
    fclose(f);
    if (n != 1) {
      logf_(LOG_ERR_, "sequence file %s: not a number", path);
      return -1;
    }
  } else if (errno != ENOENT) {
    logf_(LOG_ERR_, "sequence file %s: %s", path, strerror(errno));
    return -1;
  }
  return seq_reserve(srv, *first + SEQ_BLOCK);
}

/* Sends the event frames held until the window has them (below). */
static void window_release(server *srv);

/* durability = written: the store writes every input before the answer, so a kill -9
   loses nothing answered; the sync that makes it survive the machine's crash runs off the
   loop, at most every group_ms and only after activity, so no command waits for the
   disk. */
static void sync_arm(server *srv)
{
  if (srv->stopping || srv->cfg->durability != CCENTER_DURABILITY_WRITTEN || srv->syncing ||
      !srv->unsynced || uv_is_active((uv_handle_t *)&srv->flush_timer))
    return;
  uv_timer_start(&srv->flush_timer, srv->flush_timer.timer_cb, (uint64_t)srv->cfg->group_ms, 0);
}

static void sync_run(uv_work_t *w)
{
  server *srv = w->data;
  srv->sync_rc = ccenter_store_sync(srv->store);
}

static void sync_done(uv_work_t *w, int status)
{
  server *srv = w->data;
  srv->syncing = 0;
  int rc = status ? CCENTER_EIO : srv->sync_rc;
  if (rc) {
    /* What was written is still only in the page cache: the next sync tries again. */
    srv->unsynced = 1;
    srv->sync_failures++;
    logf_(LOG_ERR_, "store sync rc=%s failures=%u (retried in %lld ms)", ccenter_err_name(rc),
          srv->sync_failures, (long long)srv->cfg->group_ms);
  } else if (srv->sync_failures) {
    logf_(LOG_INFO_, "store sync succeeded after failures=%u", srv->sync_failures);
    srv->sync_failures = 0;
  }
  sync_arm(srv);
}

static void sync_start(server *srv)
{
  srv->unsynced = 0;
  srv->syncing = 1;
  srv->sync_req.data = srv;
  int rc = uv_queue_work(srv->loop, &srv->sync_req, sync_run, sync_done);
  if (rc) {
    srv->syncing = 0;
    srv->unsynced = 1;
    logf_(LOG_ERR_, "store sync not queued: %s", uv_strerror(rc));
    sync_arm(srv);
  }
}

static void rearm(server *srv)
{
  window_release(srv);
  if (srv->stopping)
    return;
  /* Half a block ahead of the stream, so the next reservation is on disk long before it
   * is needed. */
  if (ccenter_proto_dispatcher_last_seq(srv->disp) + SEQ_BLOCK / 2 >= srv->seq_reserved)
    (void)seq_reserve(srv, srv->seq_reserved + SEQ_BLOCK);
  int64_t now = now_ms(srv);
  int64_t d1 = ccenter_engine_next_deadline(srv->engine);
  int64_t d2 = ccenter_cases_next_deadline(srv->cases);
  arm(&srv->engine_timer, d1 < d2 ? d1 : d2, now);
  if (srv->cfg->durability == CCENTER_DURABILITY_WRITTEN) {
    srv->unsynced = 1;
    sync_arm(srv);
  } else {
    arm(&srv->flush_timer, ccenter_store_flush_deadline(srv->store), now);
  }
  if (srv->snapshot_every) {
    ccenter_store_info info = {.size = sizeof info};
    if (!ccenter_store_info_get(srv->store, &info) &&
        info.records >= srv->records_at_snapshot + srv->snapshot_every)
      snapshot_now(srv, "records");
  }
}

static void on_engine_timer(uv_timer_t *t)
{
  server *srv = t->data;
  int rc = ccenter_proto_dispatcher_advance(srv->disp, now_ms(srv));
  if (rc)
    logf_(LOG_ERR_, "advance rc=%s", ccenter_err_name(rc));
  rearm(srv);
}

static void on_flush_timer(uv_timer_t *t)
{
  server *srv = t->data;
  if (srv->cfg->durability == CCENTER_DURABILITY_WRITTEN) {
    sync_start(srv);
    return;
  }
  uint64_t t0 = uv_hrtime();
  int rc = ccenter_store_flush(srv->store);
  ctid_http_flush_time(srv->http, uv_hrtime() - t0);
  if (rc)
    logf_(LOG_ERR_, "store flush rc=%s", ccenter_err_name(rc));
  rearm(srv);
}

static void on_snapshot_timer(uv_timer_t *t)
{
  snapshot_now(t->data, "daily");
}

/* ---------------------------------------------------------------------------------- */
/* Authorisation (docs/ctid.md, "Sessions and roles")                                   */

static int kind_is_query(ccenter_proto_kind k)
{
  return k == CCENTER_PROTO_RESUME || k == CCENTER_PROTO_SNAPSHOT ||
         (k >= CCENTER_PROTO_QUEUE_INFO && k <= CCENTER_PROTO_CASE_INFO);
}

/* The PBX side: calls arrive, wait, are held, transferred by the caller's choice, end. */
static int switch_may(ccenter_proto_kind k)
{
  switch (k) {
  case CCENTER_PROTO_CONTACT_ENQUEUE:
  case CCENTER_PROTO_CONTACT_ABANDON:
  case CCENTER_PROTO_CONTACT_REMOVE:
  case CCENTER_PROTO_CONTACT_END:
  case CCENTER_PROTO_CONTACT_HOLD:
  case CCENTER_PROTO_CONTACT_RESUME:
  case CCENTER_PROTO_CONTACT_SURVEY:
  case CCENTER_PROTO_CONTACT_CALLBACK:
  case CCENTER_PROTO_OFFER_MISSED:
    return 1;
  default:
    return 0;
  }
}

static uint32_t str_hash(const char *str)
{
  uint32_t h = 2166136261u; /* FNV-1a */
  for (const unsigned char *p = (const unsigned char *)str; *p; p++)
    h = (h ^ *p) * 16777619u;
  return h;
}

static handled **handled_slot(const server *srv, const char *contact)
{
  handled **pp = (handled **)&srv->handled_tab[str_hash(contact) % HANDLED_BUCKETS];
  while (*pp && strcmp((*pp)->contact, contact) != 0)
    pp = &(*pp)->next;
  return pp;
}

static void handled_set(server *srv, const char *contact, const char *agent)
{
  handled **pp = handled_slot(srv, contact);
  if (!*pp) {
    handled *h = calloc(1, sizeof *h);
    if (!h || !(h->contact = strdup(contact))) {
      free(h);
      return;
    }
    *pp = h;
  }
  snprintf((*pp)->agent, sizeof (*pp)->agent, "%s", agent);
}

static void handled_del(server *srv, const char *contact)
{
  handled **pp = handled_slot(srv, contact), *h = *pp;
  if (h) {
    *pp = h->next;
    free(h->contact);
    free(h);
  }
}

static void handled_free_all(server *srv)
{
  for (size_t i = 0; i < HANDLED_BUCKETS; i++)
    while (srv->handled_tab[i])
      handled_del(srv, srv->handled_tab[i]->contact);
}

/* The agent a contact is offered or connected to, or in whose wrap-up it is; NULL when
   none. The pointer is valid until the engine or the handled table next changes. */
static const char *contact_agent(const server *srv, const char *contact)
{
  ccenter_contact_info info = {.size = sizeof info};
  if (!contact || ccenter_contact_info_get(srv->engine, contact, now_ms(srv), &info) != 0)
    return NULL;
  if (info.agent)
    return info.agent;
  const handled *h = *handled_slot(srv, contact);
  return info.state == CCENTER_CONTACT_WRAP_UP && h ? h->agent : NULL;
}

static int contact_is_with(const server *srv, const char *contact, const char *agent)
{
  const char *with = contact_agent(srv, contact);
  return with && strcmp(with, agent) == 0;
}

/* 0 allowed; else a static string saying why not. */
static const char *agent_refusal(const server *srv, const session *s,
                                 const ccenter_proto_request *req)
{
  ccenter_proto_kind k = req->kind;
  if (k >= CCENTER_PROTO_CASE_OPEN && k <= CCENTER_PROTO_CASE_ADVANCE) {
    if (k == CCENTER_PROTO_CASE_FORGET || k == CCENTER_PROTO_CASE_SET_ACTOR ||
        k == CCENTER_PROTO_CASE_ADVANCE)
      return "case administration is a supervisor's";
    if (!req->actor || strcmp(req->actor, s->principal) != 0)
      return "acting as another case actor";
    if (req->contact && !contact_is_with(srv, req->contact, s->agent))
      return "the contact is not this agent's";
    return NULL;
  }
  switch (k) {
  case CCENTER_PROTO_AGENT_LOGIN:
  case CCENTER_PROTO_AGENT_LOGOUT:
  case CCENTER_PROTO_AGENT_READY:
  case CCENTER_PROTO_AGENT_NOT_READY:
  case CCENTER_PROTO_WRAP_UP_END:
  case CCENTER_PROTO_WRAP_UP_EXTEND:
    /* The engine refuses a wrap-up the agent is not in: naming itself is enough. */
    return req->agent && strcmp(req->agent, s->agent) == 0 ? NULL : "acting as another agent";
  case CCENTER_PROTO_OFFER_ACCEPT:
  case CCENTER_PROTO_OFFER_REJECT:
    if (!req->agent || strcmp(req->agent, s->agent) != 0)
      return "acting as another agent";
    return contact_is_with(srv, req->contact, s->agent) ? NULL
                                                        : "the contact is not offered to it";
  case CCENTER_PROTO_CONTACT_END:
  case CCENTER_PROTO_CONTACT_HOLD:
  case CCENTER_PROTO_CONTACT_RESUME:
  case CCENTER_PROTO_CONTACT_DISPOSITION:
  case CCENTER_PROTO_TRANSFER_QUEUE:
  case CCENTER_PROTO_TRANSFER_AGENT: /* req->agent is the target here */
  case CCENTER_PROTO_CONTACT_REQUEUE:
  case CCENTER_PROTO_CONSULT_START:
  case CCENTER_PROTO_CONSULT_COMPLETE:
  case CCENTER_PROTO_CONSULT_CANCEL:
    return contact_is_with(srv, req->contact, s->agent) ? NULL
                                                        : "the contact is not this agent's";
  default:
    return "not an agent's command";
  }
}

static const char *refusal(const server *srv, const session *s, const ccenter_proto_request *req)
{
  if (kind_is_query(req->kind))
    return NULL;
  switch (s->role) {
  case CTID_ROLE_SUPERVISOR:
    return NULL;
  case CTID_ROLE_WALLBOARD:
    return "a wallboard is read-only";
  case CTID_ROLE_SWITCH:
    return switch_may(req->kind) ? NULL : "not a switch's command";
  case CTID_ROLE_AGENT:
    return agent_refusal(srv, s, req);
  default:
    return "unknown role";
  }
}

static int authorize(void *ud, const ccenter_proto_request *req)
{
  server *srv = ud;
  session *s = req->session_data;
  s->cur_kind = req->kind;
  if (req->kind == CCENTER_PROTO_HELLO)
    return s->hello_verdict;
  const char *why = refusal(srv, s, req);
  if (!why)
    return 0;
  logf_(LOG_WARN_,
        "refused principal=%s role=%s cmd=%s agent=%s contact=%s case=%s actor=%s why=\"%s\"",
        s->principal, role_of(s), ccenter_proto_kind_name(req->kind),
        req->agent ? req->agent : "-", req->contact ? req->contact : "-",
        req->case_id ? req->case_id : "-", req->actor ? req->actor : "-", why);
  return -1;
}

/* ---------------------------------------------------------------------------------- */
/* Output: answers to their session, events to the sessions that follow them.          */

/* The ServerFrame in a prefixed buffer, decoded; NULL when it is not one. */
static Ccenter__V1__ServerFrame *decode_out(const uint8_t *data, size_t len)
{
  uint64_t n = 0;
  size_t i = 0;
  for (int shift = 0; i < len && i < CCENTER_PROTO_PREFIX_MAX; shift += 7) {
    n |= (uint64_t)(data[i] & 0x7f) << shift;
    if (!(data[i++] & 0x80))
      break;
  }
  if (n > len - i)
    return NULL;
  return ccenter__v1__server_frame__unpack(NULL, (size_t)n, data + i);
}

/* Who sees an event: wallboards and supervisors all; the switch every contact event;
   an agent the events naming it (as agent or transfer target) or its contacts, and the
   case events it is the actor of. Sessions join these lists when their handshake
   succeeds and leave them when they close. */
static session **fan_list(server *srv, const session *s)
{
  return s->role == CTID_ROLE_SWITCH ? &srv->switches : &srv->watchers;
}

static session **agent_bucket(server *srv, const char *agent)
{
  return &srv->by_agent[str_hash(agent) % FAN_BUCKETS];
}

static session **principal_bucket(server *srv, const char *principal)
{
  return &srv->by_principal[str_hash(principal) % FAN_BUCKETS];
}

static void fan_join(server *srv, session *s)
{
  if (s->role == CTID_ROLE_AGENT) {
    session **a = agent_bucket(srv, s->agent), **p = principal_bucket(srv, s->principal);
    s->agent_next = *a;
    *a = s;
    s->principal_next = *p;
    *p = s;
  } else if (s->role != CTID_ROLE_COUNT_) {
    session **l = fan_list(srv, s);
    s->fan_next = *l;
    if (*l)
      (*l)->fan_prev = s;
    *l = s;
  }
  s->fanned = 1;
}

static void chain_remove(session **pp, session *s, size_t link)
{
  for (; *pp; pp = (session **)((char *)*pp + link))
    if (*pp == s) {
      *pp = *(session **)((char *)s + link);
      return;
    }
}

static void fan_leave(server *srv, session *s)
{
  if (!s->fanned)
    return;
  if (s->role == CTID_ROLE_AGENT) {
    chain_remove(agent_bucket(srv, s->agent), s, offsetof(session, agent_next));
    chain_remove(principal_bucket(srv, s->principal), s, offsetof(session, principal_next));
  } else if (s->role != CTID_ROLE_COUNT_) {
    if (s->fan_prev)
      s->fan_prev->fan_next = s->fan_next;
    else
      *fan_list(srv, s) = s->fan_next;
    if (s->fan_next)
      s->fan_next->fan_prev = s->fan_prev;
  }
  s->fanned = 0;
}

static void send_or_log(session *s, const uint8_t *data, size_t len);

/* Sends an event frame to s unless it already has it (an event can name a session twice:
   as its agent and as the agent its contact is with). */
static void fan_send(server *srv, session *s, const uint8_t *data, size_t len)
{
  if (s->fan_stamp == srv->fan_stamp || !s->authed || !s->conn)
    return;
  s->fan_stamp = srv->fan_stamp;
  send_or_log(s, data, len);
}

static void fan_agent(server *srv, const char *agent, const uint8_t *data, size_t len)
{
  if (!agent || !*agent)
    return;
  for (session *s = *agent_bucket(srv, agent); s; s = s->agent_next)
    if (strcmp(s->agent, agent) == 0)
      fan_send(srv, s, data, len);
}

/* Who an event is for, besides the supervisors and wallboards who get every frame: the
   switches when it is about a contact; the agents it names, or the one its contact is with
   (was_with: the agent an ended contact was last with; it no longer is with anyone); a
   case event's actor. The one rule for live events (fan_out) and replays (replay_follows). */
typedef struct audience {
  int switches;
  const char *agents[3];
  const char *actor;
  char with[CCENTER_MAX_ID + 1]; /* copied: the engine's string is borrowed */
} audience;

static void audience_of(const server *srv, const Ccenter__V1__ServerFrame *f,
                        const char *was_with, audience *a)
{
  memset(a, 0, sizeof *a);
  if (f->body_case == CCENTER__V1__SERVER_FRAME__BODY_EVENT && f->event) {
    const Ccenter__V1__Event *e = f->event;
    a->agents[0] = e->agent;
    a->agents[1] = e->agent_to;
    if (e->contact && *e->contact) {
      const char *with = contact_agent(srv, e->contact);
      a->switches = 1;
      snprintf(a->with, sizeof a->with, "%s", with ? with : was_with);
      a->agents[2] = a->with;
    }
  } else if (f->body_case == CCENTER__V1__SERVER_FRAME__BODY_CASE_EVENT && f->case_event &&
             f->case_event->actor && *f->case_event->actor) {
    a->actor = f->case_event->actor;
  }
}

static void fan_out(server *srv, const Ccenter__V1__ServerFrame *f, const char *was_with,
                    const uint8_t *data, size_t len)
{
  audience a;
  audience_of(srv, f, was_with, &a);
  srv->fan_stamp++;
  for (session *s = srv->watchers; s; s = s->fan_next)
    fan_send(srv, s, data, len);
  if (a.switches)
    for (session *s = srv->switches; s; s = s->fan_next)
      fan_send(srv, s, data, len);
  for (size_t i = 0; i < 3; i++)
    fan_agent(srv, a.agents[i], data, len);
  if (a.actor)
    for (session *s = *principal_bucket(srv, a.actor); s; s = s->principal_next)
      if (strcmp(s->principal, a.actor) == 0)
        fan_send(srv, s, data, len);
}

static void log_answer(const session *s, const uint8_t *data, size_t len)
{
  Ccenter__V1__ServerFrame *f = decode_out(data, len);
  if (!f)
    return;
  if (f->body_case == CCENTER__V1__SERVER_FRAME__BODY_RESPONSE && f->response &&
      (f->response->code < 0 || s->srv->verbose))
    logf_(f->response->code == CCENTER_EPERM ? LOG_WARN_ : LOG_INFO_,
          "principal=%s role=%s cmd=%s rc=%s msg=\"%s\"", s->principal[0] ? s->principal : "-",
          role_of(s), ccenter_proto_kind_name(s->cur_kind), f->response->code_name,
          f->response->message ? f->response->message : "");
  ccenter__v1__server_frame__free_unpacked(f, NULL);
}

static void send_or_log(session *s, const uint8_t *data, size_t len)
{
  if (s->sink) {
    Ccenter__V1__ServerFrame *f = decode_out(data, len);
    if (f)
      s->sink(s->sink_ud, f);
    return;
  }
  if (!s->conn)
    return;
  int rc = ct_conn_send(s->conn, data, len);
  if (rc == CT_EOVERFLOW)
    logf_(LOG_WARN_, "cut off principal=%s role=%s why=\"output bound\"", s->principal,
          role_of(s));
}

static void output(void *ud, ccenter_proto_session *ps, void *sd, const uint8_t *data,
                   size_t len)
{
  server *srv = ud;
  if (ps) {
    session *s = sd;
    log_answer(s, data, len);
    send_or_log(s, data, len);
    return;
  }
  Ccenter__V1__ServerFrame *f = decode_out(data, len);
  if (!f)
    return;
  const Ccenter__V1__Event *e = f->event;
  char was_with[CCENTER_MAX_ID + 1] = "";
  if (f->body_case == CCENTER__V1__SERVER_FRAME__BODY_EVENT && e && e->contact && *e->contact) {
    if (e->type == CCENTER__V1__EVENT_TYPE__EV_CONTACT_CONNECTED && e->agent && *e->agent)
      handled_set(srv, e->contact, e->agent);
    else if (e->type == CCENTER__V1__EVENT_TYPE__EV_CONTACT_ENDED) {
      const handled *h = *handled_slot(srv, e->contact);
      if (h) /* the agent's desk hears that the contact it handled is gone */
        snprintf(was_with, sizeof was_with, "%s", h->agent);
      handled_del(srv, e->contact);
    }
  }
  fan_out(srv, f, was_with, data, len);
  ctid_http_event(srv->http, f);
  ccenter__v1__server_frame__free_unpacked(f, NULL);
}

/* ---------------------------------------------------------------------------------- */
/* Sessions                                                                             */

static void set_role_limits(server *srv, session *s)
{
  const ctid_limits *l = &srv->cfg->limits;
  ct_limits lim = {.out_max = s->authed ? l->output_max[s->role] : PRE_AUTH_OUT_MAX,
                   .idle_ms = (uint64_t)l->idle_timeout_ms};
  ct_conn_set_limits(s->conn, &lim);
}

static void process_frames(session *s);

/* Whether a frame is within the session's commands per second (a token bucket holding
   one second of commands). */
static int take_token(server *srv, session *s)
{
  uint32_t rate = srv->cfg->limits.commands_per_second;
  if (!rate)
    return 1;
  uint64_t t = uv_now(srv->loop);
  s->tokens += (double)(t - s->tokens_at) * rate / 1000.0;
  s->tokens_at = t;
  if (s->tokens > rate)
    s->tokens = rate;
  if (s->tokens < 1)
    return 0;
  s->tokens -= 1;
  return 1;
}

static void send_busy(session *s, const uint8_t *frame, size_t len)
{
  Ccenter__V1__ClientFrame *cf = ccenter__v1__client_frame__unpack(NULL, len, frame);
  Ccenter__V1__Response r = CCENTER__V1__RESPONSE__INIT;
  r.code = CCENTER_EBUSY;
  r.code_name = (char *)ccenter_err_name(CCENTER_EBUSY);
  r.message = "too many commands per second";
  Ccenter__V1__ServerFrame sf = CCENTER__V1__SERVER_FRAME__INIT;
  sf.request_id = cf ? cf->request_id : 0;
  sf.body_case = CCENTER__V1__SERVER_FRAME__BODY_RESPONSE;
  sf.response = &r;
  if (cf)
    ccenter__v1__client_frame__free_unpacked(cf, NULL);
  uint8_t buf[256];
  size_t n = ccenter__v1__server_frame__get_packed_size(&sf);
  size_t p = ccenter_proto_prefix(n, buf);
  if (p + n <= sizeof buf) {
    ccenter__v1__server_frame__pack(&sf, buf + p);
    send_or_log(s, buf, p + n);
  }
}

static void session_free(session *s)
{
  ccenter_proto_session_free(s->ps);
  ccenter_proto_reader_free(s->reader);
  free(s);
}

typedef struct verify_work {
  uv_work_t req;
  session *s;
  char stored[CTID_STORED_MAX]; /* copied: a reload may free the configuration meanwhile */
  uint8_t secret[CTID_SECRET_MAX];
  size_t secret_len;
  int known;
  int role_ok;
  int ok;
  uint8_t *frame; /* the Hello, dispatched once the verdict is in */
  size_t frame_len;
} verify_work;

static void verify_run(uv_work_t *req)
{
  verify_work *w = req->data;
  w->ok = ctid_verify_secret(w->stored, w->secret, w->secret_len) == 1;
}

static void finish_hello(session *s, const uint8_t *frame, size_t len)
{
  server *srv = s->srv;
  int rc = ccenter_proto_dispatch(srv->disp, s->ps, frame, len, now_ms(srv));
  if (rc == 0 && !s->hello_verdict && ccenter_proto_session_role(s->ps) != 0) {
    s->authed = 1;
    fan_join(srv, s);
    s->tokens = srv->cfg->limits.commands_per_second;
    s->tokens_at = uv_now(srv->loop);
    set_role_limits(srv, s);
    logf_(LOG_INFO_, "session principal=%s role=%s peer=%s", s->principal, role_of(s),
          ct_conn_peer(s->conn));
  } else {
    s->refused = 1;
    ct_conn_end(s->conn, "handshake refused");
  }
  rearm(srv);
}

static void verify_done(uv_work_t *req, int status)
{
  verify_work *w = req->data;
  session *s = w->s;
  server *srv = s->srv;
  s->verifying = 0;
  if (!s->conn) { /* closed meanwhile */
    session_free(s);
    goto out;
  }
  int ok = status == 0 && w->ok && w->known && w->role_ok;
  int64_t until = 0;
  if (w->known && status == 0 &&
      ctid_guard_record(srv->guard, s->principal, w->ok, now_ms(srv)) == 1)
    ctid_guard_locked(srv->guard, s->principal, now_ms(srv), &until);
  s->hello_verdict = ok ? 0 : -1;
  if (!ok)
    logf_(LOG_WARN_, "handshake refused principal=%s role=%s peer=%s why=\"%s\"%s",
          s->principal, s->role < CTID_ROLE_COUNT_ ? ctid_role_name(s->role) : "?",
          ct_conn_peer(s->conn),
          !w->known ? "unknown principal" : !w->ok ? "bad credential" : "role not its own",
          until ? " locked=yes" : "");
  finish_hello(s, w->frame, w->frame_len);
  if (!s->refused) {
    ct_conn_read_start(s->conn);
    process_frames(s);
  }
out:
  OPENSSL_cleanse(w->secret, sizeof w->secret);
  free(w->frame);
  free(w);
}

/* The first Hello of a session: its credential is checked on libuv's thread pool; the
   session reads nothing more until the verdict. Returns 0, or -1 when the session ended. */
static int start_hello(session *s, const Ccenter__V1__Hello *h, const uint8_t *frame,
                       size_t len)
{
  server *srv = s->srv;
  const char *principal = h->principal ? h->principal : "";
  snprintf(s->principal, sizeof s->principal, "%s", principal);
  int hr = (int)h->role;
  s->role = hr >= 1 && hr <= (int)CTID_ROLE_COUNT_ ? (ctid_role)(hr - 1)
                                                         : CTID_ROLE_COUNT_;
  const ctid_principal *p = ctid_config_principal(srv->cfg, principal);
  int64_t until;
  if (p && ctid_guard_locked(srv->guard, principal, now_ms(srv), &until)) {
    logf_(LOG_WARN_, "handshake refused principal=%s peer=%s why=\"locked out\"", principal,
          ct_conn_peer(s->conn));
    s->hello_verdict = -1;
    finish_hello(s, frame, len);
    return -1;
  }
  verify_work *w = calloc(1, sizeof *w);
  if (!w || h->credential.len > sizeof w->secret || !(w->frame = malloc(len ? len : 1))) {
    if (w)
      free(w);
    s->hello_verdict = -1;
    finish_hello(s, frame, len);
    return -1;
  }
  memcpy(w->frame, frame, len);
  w->frame_len = len;
  w->s = s;
  w->known = p != NULL;
  w->role_ok = p && s->role == (ctid_role)p->role;
  if (p) {
    snprintf(s->agent, sizeof s->agent, "%s", p->agent ? p->agent : "");
    snprintf(w->stored, sizeof w->stored, "%s", p->secret);
  } else {
    /* An unknown name costs a hash too, so the time taken does not tell who exists. */
    snprintf(w->stored, sizeof w->stored, "%s", srv->dummy_hash);
  }
  if (h->credential.len)
    memcpy(w->secret, h->credential.data, h->credential.len);
  w->secret_len = h->credential.len;
  w->req.data = w;
  s->verifying = 1;
  ct_conn_read_stop(s->conn);
  if (uv_queue_work(srv->loop, &w->req, verify_run, verify_done)) {
    s->verifying = 0;
    free(w->frame);
    free(w);
    s->hello_verdict = -1;
    finish_hello(s, frame, len);
    return -1;
  }
  return 0;
}

/* Whether a frame is a Hello, looking past a leading request_id as every encoder writes
   it: enough to tell a second handshake in the log (the dispatcher refuses it anyway). */
static int looks_like_hello(const uint8_t *p, size_t len)
{
  size_t i = 0;
  if (len && p[0] == 0x08)
    for (i = 1; i < len && i < 11 && (p[i++] & 0x80);)
      ;
  return i < len && p[i] == 0x12;
}

static void process_frames(session *s)
{
  server *srv = s->srv;
  const uint8_t *frame;
  size_t len;
  while (s->conn && !s->verifying && !s->refused &&
         ccenter_proto_reader_next(s->reader, &frame, &len) == 1) {
    if (!s->authed) {
      Ccenter__V1__ClientFrame *f = ccenter__v1__client_frame__unpack(NULL, len, frame);
      if (f && f->body_case == CCENTER__V1__CLIENT_FRAME__BODY_HELLO && f->hello &&
          f->hello->protocol_version == CCENTER_PROTO_VERSION) {
        int rc = start_hello(s, f->hello, frame, len);
        ccenter__v1__client_frame__free_unpacked(f, NULL);
        if (rc || s->verifying)
          return;
        continue;
      }
      if (f)
        ccenter__v1__client_frame__free_unpacked(f, NULL);
      /* Anything else before the handshake: the dispatcher refuses it (or closes). */
    } else if (!take_token(srv, s)) {
      send_busy(s, frame, len);
      continue;
    }
    s->cur_kind = looks_like_hello(frame, len) ? CCENTER_PROTO_HELLO : 0;
    if (s->cur_kind && s->authed)
      logf_(LOG_WARN_, "refused principal=%s role=%s cmd=hello why=\"second handshake\"",
            s->principal, role_of(s));
    int rc = ccenter_proto_dispatch(srv->disp, s->ps, frame, len, now_ms(srv));
    if (rc < 0) {
      logf_(LOG_WARN_, "closing principal=%s peer=%s rc=%s", s->principal[0] ? s->principal : "-",
            ct_conn_peer(s->conn), ccenter_err_name(rc));
      ct_conn_end(s->conn, "bad frame");
      break;
    }
  }
  rearm(srv);
}

static void on_open(ct_conn *c)
{
  server *srv = ct_conn_user(c);
  session *s = calloc(1, sizeof *s);
  if (!s || ccenter_proto_reader_new(srv->cfg->limits.frame_max, &s->reader) ||
      ccenter_proto_session_new(srv->disp, s, &s->ps)) {
    if (s)
      session_free(s);
    ct_conn_set_user(c, NULL);
    ct_conn_close(c, "out of memory");
    return;
  }
  s->srv = srv;
  s->conn = c;
  s->role = CTID_ROLE_COUNT_;
  s->hello_verdict = -1;
  s->next = srv->sessions;
  if (srv->sessions)
    srv->sessions->prev = s;
  srv->sessions = s;
  ct_conn_set_user(c, s);
  set_role_limits(srv, s);
}

static void on_data(ct_conn *c, const void *bytes, size_t len)
{
  session *s = ct_conn_user(c);
  if (!s)
    return;
  int rc = ccenter_proto_reader_push(s->reader, bytes, len);
  process_frames(s);
  if (rc && s->conn) {
    logf_(LOG_WARN_, "closing principal=%s peer=%s rc=%s why=\"framing\"",
          s->principal[0] ? s->principal : "-", ct_conn_peer(c), ccenter_err_name(rc));
    ct_conn_close(c, "bad framing");
  }
}

static void on_close(ct_conn *c, const char *reason)
{
  void *u = ct_conn_user(c);
  if (!u || u == &g_srv) /* before on_open (a failed TLS handshake) or a failed on_open */
    return;
  session *s = u;
  server *srv = s->srv;
  if (s->authed)
    logf_(LOG_INFO_, "session ended principal=%s role=%s why=\"%s\"", s->principal,
          role_of(s), reason);
  if (s->prev)
    s->prev->next = s->next;
  else
    srv->sessions = s->next;
  if (s->next)
    s->next->prev = s->prev;
  fan_leave(srv, s);
  s->conn = NULL;
  if (!s->verifying)
    session_free(s);
}

/* ---------------------------------------------------------------------------------- */
/* The HTTP side's view of the server (http.h)                                         */

static void http_drop(void *ud, Ccenter__V1__ServerFrame *f)
{
  (void)ud;
  ccenter__v1__server_frame__free_unpacked(f, NULL);
}

/* A session that lives for one frame: shaken hands as principal with role (the HTTP side
   checked the credential), then the frame, through the same authorisation hook, journal
   and events as a CTI client's. */
static int http_dispatch(void *ud, const char *principal, ctid_role role, const uint8_t *frame,
                         size_t len, ctid_http_answer_fn answer, void *answer_ud)
{
  server *srv = ud;
  session *s = calloc(1, sizeof *s);
  if (!s || ccenter_proto_session_new(srv->disp, s, &s->ps)) {
    free(s);
    return CCENTER_ENOMEM;
  }
  s->srv = srv;
  s->role = role;
  s->sink = http_drop; /* the Welcome */
  snprintf(s->principal, sizeof s->principal, "%s", principal);
  const ctid_principal *p = ctid_config_principal(srv->cfg, principal);
  snprintf(s->agent, sizeof s->agent, "%s", p && p->agent ? p->agent : "");
  Ccenter__V1__Hello h = CCENTER__V1__HELLO__INIT;
  h.protocol_version = CCENTER_PROTO_VERSION;
  h.role = (Ccenter__V1__Role)(role + 1);
  h.principal = s->principal;
  Ccenter__V1__ClientFrame cf = CCENTER__V1__CLIENT_FRAME__INIT;
  cf.body_case = CCENTER__V1__CLIENT_FRAME__BODY_HELLO;
  cf.hello = &h;
  uint8_t hello[512];
  size_t n = ccenter__v1__client_frame__get_packed_size(&cf);
  int rc = CCENTER_EINVAL;
  if (n <= sizeof hello) {
    ccenter__v1__client_frame__pack(&cf, hello);
    rc = ccenter_proto_dispatch(srv->disp, s->ps, hello, n, now_ms(srv));
  }
  if (rc == 0) {
    s->authed = 1;
    s->sink = answer;
    s->sink_ud = answer_ud;
    rc = ccenter_proto_dispatch(srv->disp, s->ps, frame, len, now_ms(srv));
  }
  session_free(s);
  rearm(srv);
  return rc;
}

static const ctid_config *http_config(void *ud)
{
  return ((server *)ud)->cfg;
}

static int64_t http_now(void *ud)
{
  return now_ms(ud);
}

static void http_sessions(void *ud, uint64_t by_role[CTID_ROLE_COUNT_])
{
  for (const session *s = ((server *)ud)->sessions; s; s = s->next)
    if (s->authed && s->role < CTID_ROLE_COUNT_)
      by_role[s->role]++;
}

static void http_log(void *ud, int prio, const char *line)
{
  (void)ud;
  logf_(prio, "%s", line);
}

static int http_start(server *srv)
{
  ctid_http_host host = {.ud = srv,
                         .loop = srv->loop,
                         .engine = srv->engine,
                         .cases = srv->cases,
                         .guard = srv->guard,
                         .dummy_hash = srv->dummy_hash,
                         .config = http_config,
                         .now = http_now,
                         .dispatch = http_dispatch,
                         .sessions = http_sessions,
                         .log = http_log};
  return ctid_http_start(&host, &srv->http);
}

/* ---------------------------------------------------------------------------------- */
/* Listeners                                                                            */

static int open_listeners(server *srv)
{
  srv->listeners = calloc(srv->cfg->n_listeners ? srv->cfg->n_listeners : 1,
                          sizeof *srv->listeners);
  if (!srv->listeners)
    return -1;
  for (size_t i = 0; i < srv->cfg->n_listeners; i++) {
    const ctid_listener *l = &srv->cfg->listeners[i];
    if (l->http)
      continue; /* the HTTP side's (http_start) */
    char err[512];
    SSL_CTX *tls = NULL;
    if (l->tls_cert && !(tls = ct_tls_server_ctx(l->tls_cert, l->tls_key, err, sizeof err))) {
      logf_(LOG_ERR_, "listener %s: %s", l->name, err);
      return -1;
    }
    ct_listen_config lc = {.host = l->host,
                           .port = l->port,
                           .path = l->path,
                           .tls = tls,
                           .allow_plain_remote = l->allow_plain_remote,
                           .limits = {.out_max = PRE_AUTH_OUT_MAX,
                                      .idle_ms = (uint64_t)srv->cfg->limits.idle_timeout_ms},
                           .cb = {on_open, on_data, on_close, transport_log, NULL},
                           .user = srv};
    int rc = ct_listen(srv->loop, &lc, &srv->listeners[srv->n_listeners], err, sizeof err);
    if (tls)
      SSL_CTX_free(tls);
    if (rc) {
      logf_(LOG_ERR_, "listener %s: %s", l->name, err);
      return -1;
    }
    srv->n_listeners++;
    if (l->path)
      logf_(LOG_INFO_, "listening name=%s unix=%s", l->name, l->path);
    else
      logf_(LOG_INFO_, "listening name=%s tcp=%s:%d tls=%s", l->name, l->host,
            ct_listener_port(srv->listeners[srv->n_listeners - 1]), tls ? "yes" : "no");
  }
  return 0;
}

/* ---------------------------------------------------------------------------------- */
/* Reload (SIGHUP) and stop (SIGTERM, SIGINT)                                           */

static size_t count_deferred(const ctid_diff *d)
{
  size_t n = 0;
  for (size_t i = 0; i < d->n; i++)
    n += d->changes[i].outcome == CTID_DEFERRED;
  return n;
}

static void retry_pending(server *srv)
{
  size_t kept = 0;
  for (size_t i = 0; i < srv->n_pending; i++) {
    pending_reload *p = &srv->pending[i];
    int rc = ctid_reload_retry(srv->engine, &p->diff, now_ms(srv));
    if (rc == 0) {
      logf_(LOG_INFO_, "reload deferred changes done");
      ctid_diff_free(&p->diff);
      ctid_config_free(p->old_cfg);
    } else {
      srv->pending[kept++] = *p;
    }
  }
  srv->n_pending = kept;
  if (!kept)
    uv_timer_stop(&srv->retry_timer);
  ccenter_proto_dispatcher_flush(srv->disp);
  rearm(srv);
}

static void on_retry_timer(uv_timer_t *t)
{
  retry_pending(t->data);
}

static int principal_same(const ctid_principal *a, const ctid_principal *b)
{
  return b && a->role == b->role &&
         ((!a->agent && !b->agent) || (a->agent && b->agent && !strcmp(a->agent, b->agent)));
}

static void reload(server *srv)
{
  if (srv->n_pending == MAX_PENDING_RELOADS) {
    logf_(LOG_ERR_, "reload refused: %d earlier reloads still wait for idle objects",
          MAX_PENDING_RELOADS);
    return;
  }
  ctid_config *n = NULL;
  ctid_conf_error err = {0};
  if (ctid_config_load_file(srv->conf_path, NULL, &n, &err)) {
    logf_(LOG_ERR_, "reload refused: %s", err.message);
    return;
  }
  ctid_diff diff = {0};
  if (ctid_config_diff(srv->cfg, n, &diff)) {
    logf_(LOG_ERR_, "reload refused: out of memory");
    ctid_config_free(n);
    return;
  }
  int rc = ctid_config_reload(srv->engine, srv->cases, srv->cfg, n, &diff, now_ms(srv), &err);
  for (size_t i = 0; i < diff.n; i++) {
    const ctid_change *c = &diff.changes[i];
    logf_(LOG_INFO_, "reload %s %s %s outcome=%s", ctid_change_kind_name(c->kind),
          ctid_object_name(c->object), c->name, ctid_outcome_name(c->outcome));
  }
  if (rc)
    logf_(LOG_ERR_, "reload: %s (the changes before it are applied)", err.message);
  ctid_guard_set_policy(srv->guard, &n->limits.lockout);
  if (n->durability != srv->cfg->durability || n->group_ms != srv->cfg->group_ms ||
      n->group_records != srv->cfg->group_records)
    ccenter_store_set_durability(srv->store, n->durability, n->group_ms, n->group_records);
  /* A principal removed or given another role or agent loses its sessions. */
  for (session *s = srv->sessions; s; s = s->next) {
    if (!s->authed || !s->conn)
      continue;
    const ctid_principal *was = ctid_config_principal(srv->cfg, s->principal);
    const ctid_principal *is = ctid_config_principal(n, s->principal);
    if (!was || !principal_same(was, is))
      ct_conn_end(s->conn, "principal changed");
  }
  ctid_config *old = srv->cfg;
  srv->cfg = n;
  ctid_http_reconfigured(srv->http);
  for (session *s = srv->sessions; s; s = s->next)
    if (s->conn && !s->refused)
      set_role_limits(srv, s);
  if (count_deferred(&diff)) {
    srv->pending[srv->n_pending++] = (pending_reload){old, diff};
    uv_timer_start(&srv->retry_timer, on_retry_timer, RETRY_MS, RETRY_MS);
  } else {
    ctid_diff_free(&diff);
    ctid_config_free(old);
  }
  logf_(LOG_INFO_, "reloaded %s; listener changes take effect at restart", srv->conf_path);
  ccenter_proto_dispatcher_flush(srv->disp);
  rearm(srv);
}

/* The server's own timers and signal handles (the transport closes its own). */
static void close_own_handles(server *srv)
{
  uv_handle_t *hs[] = {(uv_handle_t *)&srv->engine_timer,   (uv_handle_t *)&srv->flush_timer,
                       (uv_handle_t *)&srv->snapshot_timer, (uv_handle_t *)&srv->retry_timer,
                       (uv_handle_t *)&srv->sig_hup,        (uv_handle_t *)&srv->sig_term,
                       (uv_handle_t *)&srv->sig_int};
  for (size_t i = 0; i < sizeof hs / sizeof hs[0]; i++)
    if (hs[i]->loop && !uv_is_closing(hs[i]))
      uv_close(hs[i], NULL);
}

static void stop(server *srv, const char *why)
{
  if (srv->stopping)
    return;
  srv->stopping = 1;
  logf_(LOG_INFO_, "stopping why=%s", why);
  for (size_t i = 0; i < srv->n_listeners; i++)
    ct_listener_close(srv->listeners[i]);
  srv->n_listeners = 0;
  ctid_http_stop(srv->http);
  close_own_handles(srv);
}

static void on_signal(uv_signal_t *h, int signum)
{
  server *srv = h->data;
  if (signum == SIGHUP)
    reload(srv);
  else
    stop(srv, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

/* ---------------------------------------------------------------------------------- */
/* The durable event window (STORE.events, window.c): resume across restarts.           */

static int window_path(const server *srv, char *path, size_t size)
{
  return (size_t)snprintf(path, size, "%s.events", srv->cfg->store_path) < size ? 0 : -1;
}

/* A window that failed once has a hole: it is deleted, and this run keeps none (clients
   resuming after the next restart get snapshots). */
static void window_drop(server *srv, const char *why)
{
  char path[4096];
  if (window_path(srv, path, sizeof path))
    path[0] = 0;
  logf_(LOG_ERR_, "event window %s: %s; dropped (a resume from before it gets a snapshot)", path,
        why);
  ct_window_discard(srv->window, path);
  srv->window = NULL;
}

/* Whether a session would have got an event live (a contact's agent as the engine knows
   it now). */
static int replay_follows(const server *srv, const session *s, const Ccenter__V1__ServerFrame *f)
{
  if (s->role == CTID_ROLE_SUPERVISOR || s->role == CTID_ROLE_WALLBOARD)
    return 1;
  audience a;
  audience_of(srv, f, "", &a);
  if (s->role == CTID_ROLE_SWITCH)
    return a.switches;
  if (s->role != CTID_ROLE_AGENT)
    return 0;
  for (size_t i = 0; i < 3; i++)
    if (a.agents[i] && *a.agents[i] && strcmp(a.agents[i], s->agent) == 0)
      return 1;
  return a.actor && strcmp(a.actor, s->principal) == 0;
}

typedef struct held {
  uint8_t *bytes;
  size_t len;
} held;

/* Commits the held event frames (one transaction, one write) and only then sends them: a client can only have seen frames the next run preloads, so the
   dispatcher's promise (no event after the last preloaded one) holds even after kill -9.
   Called before any answer to a session and after every call into the engines, so events
   still follow the answer of the call that raised them and precede the next answer. */
static void window_release(server *srv)
{
  char err[512];
  if (srv->window && ct_window_commit(srv->window, err, sizeof err))
    window_drop(srv, err);
  /* Take the list first: output() may end up here again. */
  held *h = srv->held;
  size_t n = srv->n_held;
  srv->held = NULL;
  srv->n_held = srv->held_cap = 0;
  for (size_t k = 0; k < n; k++) {
    output(srv, NULL, NULL, h[k].bytes, h[k].len);
    free(h[k].bytes);
  }
  free(h);
}

/* Appends an event frame to the window and holds it until the commit; 0, or -1 when it
   must go out at once (no window, or it failed: the window, which cannot vouch for the
   frame, is dropped, and the frames held before it go out first). */
static int window_hold(server *srv, const uint8_t *data, size_t len)
{
  char err[512];
  if (!srv->window)
    return -1;
  const char *why = NULL;
  if (ct_window_append(srv->window, ccenter_proto_dispatcher_last_seq(srv->disp), data, len, err,
                       sizeof err))
    why = err;
  if (!why && srv->n_held == srv->held_cap) {
    size_t cap = srv->held_cap ? 2 * srv->held_cap : 64;
    held *nh = realloc(srv->held, cap * sizeof *nh);
    if (nh) {
      srv->held = nh;
      srv->held_cap = cap;
    } else {
      why = "out of memory";
    }
  }
  uint8_t *copy = why ? NULL : malloc(len);
  if (!why && !copy)
    why = "out of memory";
  if (why) {
    window_drop(srv, why);
    window_release(srv);
    return -1;
  }
  memcpy(copy, data, len);
  srv->held[srv->n_held++] = (held){copy, len};
  return 0;
}

static void output_kept(void *ud, ccenter_proto_session *ps, void *sd, const uint8_t *data,
                        size_t len)
{
  server *srv = ud;
  if (!ps && !window_hold(srv, data, len))
    return;
  if (ps) {
    window_release(srv);
    /* A resume replays the window to one session: only what it would have got live. */
    Ccenter__V1__ServerFrame *f = decode_out(data, len);
    int skip = f &&
               (f->body_case == CCENTER__V1__SERVER_FRAME__BODY_EVENT ||
                f->body_case == CCENTER__V1__SERVER_FRAME__BODY_CASE_EVENT) &&
               !replay_follows(srv, sd, f);
    if (f)
      ccenter__v1__server_frame__free_unpacked(f, NULL);
    if (skip)
      return;
  }
  output(ud, ps, sd, data, len);
}

typedef struct preloading {
  server *srv;
  uint64_t first, last;
  size_t n;
} preloading;

static int preload_one(void *ud, uint64_t seq, const void *frame, size_t len)
{
  preloading *p = ud;
  int rc = ccenter_proto_dispatcher_preload(p->srv->disp, seq, frame, len);
  if (!rc && !p->n++)
    p->first = seq;
  p->last = seq;
  return rc;
}

static int new_dispatcher(server *srv, const ccenter_proto_config *pc)
{
  int rc = ccenter_proto_dispatcher_new(pc, &srv->disp);
  if (rc)
    logf_(LOG_ERR_, "dispatcher: %s", ccenter_strerror(rc));
  return rc ? -1 : 0;
}

/* Opens STORE.events and preloads the newest frames of the earlier runs. A window that
   cannot be trusted (the machine restarted after an unclean end) or read whole is
   dropped: a fresh dispatcher, a fresh file. */
static int window_start(server *srv, const ccenter_proto_config *pc)
{
  char path[4096], err[512];
  int trusted;
  if (!srv->history || window_path(srv, path, sizeof path))
    return 0;
  /* Without the file ctid still serves; only resumes across the next restart suffer. */
  if (ct_window_open(path, srv->history, &trusted, &srv->window, err, sizeof err)) {
    logf_(LOG_ERR_, "event window: %s; none kept (a resume from before a restart gets a "
                    "snapshot)", err);
    return 0;
  }
  preloading pl = {.srv = srv};
  int rc = trusted ? ct_window_load(srv->window, preload_one, &pl, err, sizeof err) : 0;
  if (rc || !trusted) {
    window_drop(srv, !trusted ? "the machine restarted since ctid last wrote it and it was "
                                "not closed cleanly: its newest frames may be lost"
                : rc == -1 ? err
                           : ccenter_strerror(rc));
    pl.n = 0;
    ccenter_proto_dispatcher_free(srv->disp);
    srv->disp = NULL;
    if (new_dispatcher(srv, pc))
      return -1;
    if (ct_window_open(path, srv->history, &trusted, &srv->window, err, sizeof err))
      logf_(LOG_ERR_, "event window: %s; none kept", err);
  }
  logf_(LOG_INFO_, "event window %s history=%zu preloaded=%zu first=%" PRIu64 " last=%" PRIu64
        " stream_after=%" PRIu64, path, srv->history, pl.n, pl.first, pl.last,
        ccenter_proto_dispatcher_last_seq(srv->disp));
  return 0;
}

/* ---------------------------------------------------------------------------------- */
/* Start                                                                                */

static void drain_events(server *srv)
{
  while (ccenter_engine_next_event(srv->engine))
    ;
  while (ccenter_cases_next_event(srv->cases))
    ;
}

static int open_engines(server *srv)
{
  int rc = ccenter_store_open(srv->cfg->store_path, srv->opts, &srv->store);
  if (rc) {
    logf_(LOG_ERR_, "store %s: %s", srv->cfg->store_path, ccenter_strerror(rc));
    return -1;
  }
  rc = ccenter_store_set_durability(srv->store, srv->cfg->durability, srv->cfg->group_ms,
                                    srv->cfg->group_records);
  if (!rc) {
    rc = ccenter_store_engine_recover(srv->store, ROUTING_NAME, srv->opts, &srv->engine);
    if (rc == CCENTER_ENOENT)
      rc = ccenter_store_engine_new(srv->store, ROUTING_NAME, srv->opts, now_ms(srv),
                                    &srv->engine);
    else if (!rc)
      logf_(LOG_INFO_, "recovered engine=%s", ROUTING_NAME);
  }
  if (!rc) {
    rc = ccenter_store_cases_recover(srv->store, CASES_NAME, srv->opts, NULL, 0, &srv->cases);
    if (rc == CCENTER_ENOENT)
      rc = ccenter_store_cases_new(srv->store, CASES_NAME, srv->opts, now_ms(srv), NULL, 0,
                                   &srv->cases);
    else if (!rc)
      logf_(LOG_INFO_, "recovered engine=%s", CASES_NAME);
  }
  if (rc) {
    logf_(LOG_ERR_, "store %s: engines: %s", srv->cfg->store_path, ccenter_strerror(rc));
    return -1;
  }
  clock_not_behind(srv, ccenter_engine_now(srv->engine));
  clock_not_behind(srv, ccenter_cases_now(srv->cases));
  ctid_conf_error err = {0};
  if ((rc = ctid_config_apply(srv->engine, srv->cases, srv->cfg, now_ms(srv), &err))) {
    logf_(LOG_ERR_, "%s", err.message);
    return -1;
  }
  /* What the replay and the apply raised is history, not news for clients. */
  drain_events(srv);
  ccenter_store_info info = {.size = sizeof info};
  ccenter_store_info_get(srv->store, &info);
  srv->records_at_snapshot = info.records;
  return 0;
}

static int start(server *srv)
{
  ctid_conf_error err = {0};
  if (ctid_config_load_file(srv->conf_path, NULL, &srv->cfg, &err)) {
    logf_(LOG_ERR_, "%s", err.message);
    return -1;
  }
  if (!(srv->guard = ctid_guard_new(&srv->cfg->limits.lockout)) ||
      ctid_hash_secret("", 0, CTID_PBKDF2_DEFAULT_ITER, srv->dummy_hash,
                       sizeof srv->dummy_hash)) {
    logf_(LOG_ERR_, "credentials: out of memory");
    return -1;
  }
  if (!(srv->opts = ccenter_options_new()) || ccenter_options_set_event_queue(srv->opts, 1) ||
      ccenter_options_set_log(srv->opts, engine_log, CCENTER_LOG_INFO, NULL))
    return -1;
  clock_init(srv);
  if (open_engines(srv))
    return -1;
  ccenter_proto_config pc;
  ccenter_proto_config_init(&pc);
  if (seq_start(srv, &pc.first_seq))
    return -1;
  pc.engine = srv->engine;
  pc.cases = srv->cases;
  pc.max_frame = srv->cfg->limits.frame_max;
  pc.history = srv->history;
  pc.output = output_kept;
  pc.authorize = authorize;
  pc.ud = srv;
  if (new_dispatcher(srv, &pc) || window_start(srv, &pc))
    return -1;
  uv_timer_t *timers[] = {&srv->engine_timer, &srv->flush_timer, &srv->snapshot_timer,
                          &srv->retry_timer};
  uv_timer_cb cbs[] = {on_engine_timer, on_flush_timer, on_snapshot_timer, on_retry_timer};
  for (size_t i = 0; i < 4; i++) {
    uv_timer_init(srv->loop, timers[i]);
    timers[i]->data = srv;
    timers[i]->timer_cb = cbs[i];
  }
  uv_timer_start(&srv->snapshot_timer, on_snapshot_timer, DAY_MS, DAY_MS);
  uv_signal_t *sigs[] = {&srv->sig_hup, &srv->sig_term, &srv->sig_int};
  int signums[] = {SIGHUP, SIGTERM, SIGINT};
  for (size_t i = 0; i < 3; i++) {
    uv_signal_init(srv->loop, sigs[i]);
    sigs[i]->data = srv;
    uv_signal_start(sigs[i], on_signal, signums[i]);
  }
  if (open_listeners(srv) || http_start(srv))
    return -1;
  rearm(srv);
  logf_(LOG_INFO_, "ready store=%s time=%" PRId64, srv->cfg->store_path, now_ms(srv));
  return 0;
}

static void usage(void)
{
  fprintf(stderr, "usage: ctid -c FILE [--snapshot-every N] [--history N] [-v]\n");
}

int main(int argc, char **argv)
{
  server *srv = &g_srv;
  srv->snapshot_every = 100000;
  srv->history = CCENTER_PROTO_DEFAULT_HISTORY;
  static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
                                           {"snapshot-every", required_argument, NULL, 's'},
                                           {"history", required_argument, NULL, 'H'},
                                           {"verbose", no_argument, NULL, 'v'},
                                           {NULL, 0, NULL, 0}};
  int ch;
  while ((ch = getopt_long(argc, argv, "c:s:H:v", longopts, NULL)) != -1) {
    if (ch == 'c')
      srv->conf_path = optarg;
    else if (ch == 's')
      srv->snapshot_every = strtoull(optarg, NULL, 10);
    else if (ch == 'H')
      srv->history = strtoull(optarg, NULL, 10);
    else if (ch == 'v')
      srv->verbose = 1;
    else {
      usage();
      return 2;
    }
  }
  if (!srv->conf_path || optind != argc) {
    usage();
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  setvbuf(stderr, NULL, _IOLBF, 0);
  srv->loop = uv_default_loop();
  int ok = start(srv) == 0;
  if (ok)
    uv_run(srv->loop, UV_RUN_DEFAULT);
  else
    stop(srv, "start-up failed");
  uv_run(srv->loop, UV_RUN_DEFAULT);
  window_release(srv);
  ccenter_proto_dispatcher_free(srv->disp);
  ct_window_close(srv->window);
  int rc = srv->store ? ccenter_store_close(srv->store) : 0;
  if (rc)
    logf_(LOG_ERR_, "store close: %s", ccenter_strerror(rc));
  ccenter_engine_free(srv->engine);
  ccenter_cases_free(srv->cases);
  ccenter_options_free(srv->opts);
  ctid_guard_free(srv->guard);
  for (size_t i = 0; i < srv->n_pending; i++) {
    ctid_diff_free(&srv->pending[i].diff);
    ctid_config_free(srv->pending[i].old_cfg);
  }
  ctid_config_free(srv->cfg);
  handled_free_all(srv);
  free(srv->listeners);
  ctid_http_free(srv->http);
  uv_loop_close(srv->loop);
  if (ok)
    logf_(LOG_INFO_, "stopped");
  return ok && !rc ? 0 : 1;
}
