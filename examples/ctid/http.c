/*
 * ctid's HTTP side on libh2o (http.h, docs/wallboard.md). libh2o is built on libuv here:
 * ctid accepts on its own uv_tcp_t listeners and hands each connection to h2o, which runs
 * HTTP/1.1 (and TLS, with an SSL_CTX from the same ct_tls_server_ctx as the CTI port) on
 * the same loop. One h2o handler on "/" checks the credential and routes; the static
 * files are h2o's file handler behind it.
 */
#define _GNU_SOURCE
#include "http.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <h2o.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <ccenter/proto.h>

#include "board.h"
#include "transport.h"

#ifndef CTID_WWW_DIR
#define CTID_WWW_DIR "/usr/local/share/ccenter/www"
#endif

#define MAX_CONNS 4096
/* New connections handed to h2o per turn of the loop: a wall of wallboards reconnecting
   at once is served over several turns, between which the CTI sessions are served. */
#define ADMIT_PER_TURN 8
#define MAX_VERIFYING 2 /* HTTP credentials hashed at once (libuv's pool has 4 threads) */
#define CRED_SLOTS 256
#define CRED_TTL_MS (5 * 60 * 1000)
#define PUSH_GAP_MS 250
#define HEARTBEAT_MS 15000
#define SSE_SNDBUF (32 * 1024)
/* Streams a push writes to in one turn of the loop: a write costs 5 to 20 us, so a CTI
   command arriving meanwhile waits for at most a few hundred us of it, however many
   wallboards are open. */
#define PUSH_SLICE 32
/* The same for finding streams whose client left: sockets looked at, and streams ended
   (each closes a connection and logs a line), per turn. */
#define REAP_SLICE 256
#define REAP_SLICE_ENDS 16
#define REAP_MS 1000
#define INTERNAL_PRINCIPAL "ctid-http"
#define PRINCIPAL_MAX 128
/* Latency buckets of the histograms, seconds. */
static const double buckets[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                 0.01,   0.025,   0.05,   0.1,   0.25,   1};
#define N_BUCKETS (sizeof buckets / sizeof buckets[0])

typedef struct histo {
  uint64_t count[N_BUCKETS + 1];
  uint64_t n;
  double sum; /* seconds */
} histo;

typedef struct hconn {
  uv_tcp_t tcp; /* first: h2o's close callback gets this handle */
  ctid_http *h;
  struct hconn *prev, *next;
  struct hlistener *l;
  struct hconn *wait_next; /* accepted, not yet handed to h2o */
} hconn;

typedef struct hlistener {
  uv_tcp_t tcp;
  ctid_http *h;
  h2o_accept_ctx_t actx;
  SSL_CTX *tls;
  int closed;
} hlistener;

typedef struct sse {
  h2o_generator_t super; /* first: h2o passes this back */
  ctid_http *h;
  h2o_req_t *req;
  struct sse *prev, *next;
  char *queued; /* bytes not yet handed to h2o */
  size_t queued_len;
  char *inflight; /* handed to h2o, kept until it calls proceed */
  size_t inflight_len;
  int sending;
  int cut;
} sse;

typedef struct cred {
  uint8_t key[32]; /* HMAC of principal and secret under a key of this process */
  char principal[PRINCIPAL_MAX];
  char stored[CTID_STORED_MAX];
  uint64_t until; /* uv_now; 0: empty */
} cred;

/* Per-queue event counters for /metrics (Prometheus counters must never go down, the
   library's statistics age out). */
typedef struct qcount {
  char *queue;
  uint64_t offered, answered, abandoned;
} qcount;

enum route {
  R_STATIC, R_WALLBOARD, R_STREAM, R_METRICS, R_AGENTS, R_AGENT_ACTION, R_PROPOSALS,
  R_PROPOSAL_ACTION, R_API_UNKNOWN, R_COUNT_
};
static const char *const route_names[R_COUNT_] = {
  "static", "wallboard", "stream", "metrics", "agents", "agent_action", "proposals",
  "proposal_action", "unknown"};

struct ctid_http {
  ctid_http_host host;
  h2o_globalconf_t config;
  h2o_context_t ctx;
  h2o_handler_t *handler;
  int ctx_live;
  hlistener *listeners;
  size_t n_listeners;
  hconn *conns;
  size_t n_conns;
  sse *streams;
  size_t n_streams;
  uv_timer_t push_timer, beat_timer, reap_timer;
  uv_idle_t admit;             /* hands waiting connections to h2o, a few per turn */
  uv_idle_t pusher;            /* writes push_msg to the streams, PUSH_SLICE per turn */
  ctid_jbuf push_msg;          /* the board (or heartbeat) being pushed */
  sse *push_next;              /* the next stream to get it; NULL: none left */
  uv_idle_t reaper;            /* looks for streams whose client left, a slice per turn */
  sse *reap_next;
  uv_check_t turn;             /* after each poll: how long the loop's last turn worked */
  uint64_t turn_at, turn_idle; /* uv_hrtime and uv_metrics_idle_time at the last check */
  uint64_t turn_cpu;           /* the loop thread's CPU time then */
  histo busy;                  /* per turn of the loop, the time not spent waiting */
  histo work;                  /* per turn, the loop thread's CPU time */
  double busy_max;
  hconn *wait_head, *wait_tail;
  uint64_t last_push;
  int push_due;
  int stopping;
  uint8_t cred_key[32];
  cred creds[CRED_SLOTS];
  qcount *qc;
  size_t n_qc;
  histo lag, flush, build;
  uint64_t last_build_ms; /* the last stream board's making */
  uint64_t requests[R_COUNT_];
  uint64_t auth_failures, streams_cut, pending_work;
  uint64_t events;    /* events seen (ctid_http_event) */
  uint64_t seq;       /* the last event's number */
  char **open;        /* ids of the cases open (from CASE_OPENED), in id order */
  size_t n_open;
  ctid_jbuf cached;   /* the last stream message, made when `events` was cached_events */
  uint64_t cached_events, cached_at;
  ctid_board_tally *tally; /* the boards' agent counts, kept from the events */
};

static qcount *qcount_of(ctid_http *h, const char *queue);
static void hlog(ctid_http *h, int prio, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void hlog(ctid_http *h, int prio, const char *fmt, ...)
{
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  h->host.log(h->host.ud, prio, line);
}

static void histo_add(histo *hi, double seconds)
{
  size_t i = 0;
  while (i < N_BUCKETS && seconds > buckets[i])
    i++;
  hi->count[i]++;
  hi->n++;
  hi->sum += seconds;
}

/* ---------------------------------------------------------------------------------- */
/* Answers                                                                              */

static void respond(h2o_req_t *req, int status, const char *reason, const char *ctype,
                    const char *body, size_t len)
{
  req->res.status = status;
  req->res.reason = reason;
  req->res.content_length = len;
  h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, ctype,
                 strlen(ctype));
  h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
                 H2O_STRLIT("no-store"));
  h2o_send_inline(req, body, len);
}

static void respond_json(h2o_req_t *req, int status, const char *reason, const ctid_jbuf *b)
{
  if (b->oom) {
    respond(req, 500, "Internal Server Error", "application/json; charset=utf-8",
            H2O_STRLIT("{\"error\":\"out of memory\"}"));
    return;
  }
  respond(req, status, reason, "application/json; charset=utf-8", b->p ? b->p : "",
          b->len);
}

static void respond_error(h2o_req_t *req, int status, const char *reason, const char *msg)
{
  ctid_jbuf b = {0};
  ctid_jb_raw(&b, "{\"error\":");
  ctid_jb_str(&b, msg);
  ctid_jb_raw(&b, "}");
  respond_json(req, status, reason, &b);
  ctid_jb_free(&b);
}

static void respond_401(h2o_req_t *req)
{
  h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_WWW_AUTHENTICATE, NULL,
                 H2O_STRLIT("Basic realm=\"ctid\", charset=\"UTF-8\""));
  respond_error(req, 401, "Unauthorized", "credentials needed");
}

static const char *peer_of(h2o_req_t *req, char *buf)
{
  struct sockaddr_storage ss;
  socklen_t sl = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss);
  if (!sl || h2o_socket_getnumerichost((struct sockaddr *)&ss, sl, buf) == SIZE_MAX)
    return "?";
  return buf;
}

/* ---------------------------------------------------------------------------------- */
/* The protocol's Snapshot, through the dispatcher                                      */

typedef struct answer {
  Ccenter__V1__ServerFrame *f;
} answer;

static void take_answer(void *ud, Ccenter__V1__ServerFrame *f)
{
  answer *a = ud;
  if (a->f)
    ccenter__v1__server_frame__free_unpacked(a->f, NULL);
  a->f = f;
}

/* Runs one command or query as principal; the answer (or NULL) is the caller's. */
static Ccenter__V1__ServerFrame *run_frame(ctid_http *h, const char *principal, ctid_role role,
                                           const Ccenter__V1__ClientFrame *cf)
{
  size_t n = ccenter__v1__client_frame__get_packed_size(cf);
  uint8_t *buf = malloc(n ? n : 1);
  if (!buf)
    return NULL;
  ccenter__v1__client_frame__pack(cf, buf);
  answer a = {0};
  h->host.dispatch(h->host.ud, principal, role, buf, n, take_answer, &a);
  free(buf);
  return a.f;
}

static Ccenter__V1__ServerFrame *snapshot(ctid_http *h)
{
  Ccenter__V1__SnapshotRequest sr = CCENTER__V1__SNAPSHOT_REQUEST__INIT;
  Ccenter__V1__ClientFrame cf = CCENTER__V1__CLIENT_FRAME__INIT;
  cf.request_id = 1;
  cf.body_case = CCENTER__V1__CLIENT_FRAME__BODY_SNAPSHOT;
  cf.snapshot = &sr;
  Ccenter__V1__ServerFrame *f = run_frame(h, INTERNAL_PRINCIPAL, CTID_ROLE_WALLBOARD, &cf);
  if (f && (f->body_case != CCENTER__V1__SERVER_FRAME__BODY_SNAPSHOT || !f->snapshot)) {
    ccenter__v1__server_frame__free_unpacked(f, NULL);
    f = NULL;
  }
  return f;
}

/* The local day containing t (ms since the epoch). */
static void local_day(int64_t t, int64_t *start, int64_t *end)
{
  time_t s = (time_t)(t / 1000);
  struct tm tm;
  localtime_r(&s, &tm);
  tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
  tm.tm_isdst = -1;
  *start = (int64_t)mktime(&tm) * 1000;
  tm.tm_mday++;
  tm.tm_isdst = -1;
  *end = (int64_t)mktime(&tm) * 1000;
}

typedef int (*board_fn)(const ctid_board_src *src, ctid_jbuf *out);

/* A board document made from a fresh Snapshot; -1 when there was none. */
/* Forgets the cases that are closed or gone. */
static void prune_cases(ctid_http *h)
{
  size_t kept = 0;
  for (size_t i = 0; i < h->n_open; i++) {
    ccenter_case_info ci = {.size = sizeof ci};
    if (ccenter_case_info_get(h->host.cases, h->open[i], &ci) == 0 && !ci.closed)
      h->open[kept++] = h->open[i];
    else
      free(h->open[i]);
  }
  h->n_open = kept;
}

/* Remembers an open case (the list stays in id order, as a Snapshot's). */
static void add_case(ctid_http *h, const char *id)
{
  size_t lo = 0, hi = h->n_open;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int c = strcmp(h->open[mid], id);
    if (c == 0)
      return;
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  char **grown = realloc(h->open, (h->n_open + 1) * sizeof *grown);
  char *copy = strdup(id);
  if (grown)
    h->open = grown;
  if (!grown || !copy) {
    free(copy);
    return;
  }
  memmove(h->open + lo + 1, h->open + lo, (h->n_open - lo) * sizeof *h->open);
  h->open[lo] = copy;
  h->n_open++;
}

/* A board document: from a Snapshot through the dispatcher (full: the supervisor's lists,
   with contacts), or from the light snapshot (the wallboard, the stream, /metrics). The
   board's sequence number goes to *seq. -1 when there was none. */
static int board(ctid_http *h, board_fn fn, int full, ctid_jbuf *out, uint64_t *seq)
{
  const ctid_config *cfg = h->host.config(h->host.ud);
  ctid_board_src src = {.engine = h->host.engine, .cases = h->host.cases, .cfg = cfg};
  Ccenter__V1__ServerFrame *f = NULL;
  ctid_board_light l;
  if (full) {
    if (!(f = snapshot(h)))
      return -1;
    src.snap = f->snapshot;
  } else {
    prune_cases(h);
    int64_t now = h->host.now(h->host.ud);
    /* Without the tally (out of memory), the agents are read one by one as before. */
    if (ctid_board_tally_update(h->tally, h->host.engine, cfg, now) == 0)
      src.tally = h->tally;
    if (ctid_board_light_make(h->host.engine, h->host.cases, cfg, !src.tally, h->open,
                              h->n_open, now, h->seq, &l))
      return -1;
    src.snap = &l.snap;
  }
  local_day(src.snap->time, &src.day_start, &src.day_end);
  int rc = fn(&src, out);
  if (seq)
    *seq = src.snap->last_seq;
  if (f)
    ccenter__v1__server_frame__free_unpacked(f, NULL);
  else
    ctid_board_light_free(&l);
  return rc;
}

static void serve_board(ctid_http *h, h2o_req_t *req, board_fn fn, int full)
{
  ctid_jbuf b = {0};
  if (board(h, fn, full, &b, NULL))
    respond_error(req, 503, "Service Unavailable", "no snapshot");
  else
    respond_json(req, 200, "OK", &b);
  ctid_jb_free(&b);
}

/* ---------------------------------------------------------------------------------- */
/* Server-sent events                                                                   */

/* The socket under a request's connection, or -1. */
static int req_fd(h2o_req_t *req)
{
  h2o_socket_t *sock =
      req->conn->callbacks->get_socket ? req->conn->callbacks->get_socket(req->conn) : NULL;
  return sock ? h2o_socket_get_fd(sock) : -1;
}

static void sse_unlink(sse *s)
{
  ctid_http *h = s->h;
  if (h->push_next == s)
    h->push_next = s->next;
  if (h->reap_next == s)
    h->reap_next = s->next;
  if (s->prev)
    s->prev->next = s->next;
  else if (h->streams == s)
    h->streams = s->next;
  if (s->next)
    s->next->prev = s->prev;
  s->prev = s->next = NULL;
  h->n_streams--;
}

static void sse_stop(h2o_generator_t *g, h2o_req_t *req)
{
  (void)req;
  sse *s = (sse *)g;
  if (!s->cut)
    sse_unlink(s);
  free(s->queued);
  free(s->inflight);
  s->queued = s->inflight = NULL;
}

static void sse_kick(sse *s)
{
  if (s->sending || !s->queued_len || s->cut)
    return;
  free(s->inflight);
  s->inflight = s->queued;
  s->inflight_len = s->queued_len;
  s->queued = NULL;
  s->queued_len = 0;
  s->sending = 1;
  h2o_iovec_t v = h2o_iovec_init(s->inflight, s->inflight_len);
  h2o_send(s->req, &v, 1, H2O_SEND_STATE_IN_PROGRESS);
}

static void sse_proceed(h2o_generator_t *g, h2o_req_t *req)
{
  (void)req;
  sse *s = (sse *)g;
  s->sending = 0;
  free(s->inflight);
  s->inflight = NULL;
  s->inflight_len = 0;
  /* Ended while a write was in flight that then went through before the shutdown could
     fail it: h2o would wait for more of this answer for ever, not reading the socket, and
     a stopping server's loop would never run out. */
  if (s->cut) {
    h2o_send(s->req, NULL, 0, H2O_SEND_STATE_ERROR);
    return;
  }
  sse_kick(s);
}

/* Ends a stream: at once when h2o holds nothing of it, else by shutting the socket down
   under the write h2o is waiting on (it then fails and h2o closes the connection). */
static void sse_end(sse *s, const char *why)
{
  ctid_http *h = s->h;
  if (s->cut)
    return;
  char peer[64];
  hlog(h, strcmp(why, "output bound") ? 6 : 4, "http stream closed peer=%s why=\"%s\"",
       peer_of(s->req, peer), why);
  sse_unlink(s);
  s->cut = 1;
  if (!s->sending) {
    h2o_send(s->req, NULL, 0, H2O_SEND_STATE_ERROR);
    return;
  }
  int fd = req_fd(s->req);
  if (fd >= 0)
    shutdown(fd, SHUT_RDWR);
}

static void sse_push(sse *s, const char *data, size_t len)
{
  ctid_http *h = s->h;
  if (s->cut)
    return;
  const ctid_config *cfg = h->host.config(h->host.ud);
  uint64_t bound = cfg->limits.output_max[CTID_ROLE_WALLBOARD];
  if (s->queued_len + s->inflight_len + len > bound) {
    h->streams_cut++;
    sse_end(s, "output bound");
    return;
  }
  char *q = realloc(s->queued, s->queued_len + len);
  if (!q) {
    sse_end(s, "out of memory");
    return;
  }
  memcpy(q + s->queued_len, data, len);
  s->queued = q;
  s->queued_len += len;
  sse_kick(s);
}

/* The board as one SSE message; NULL on failure. */
static int sse_message(ctid_http *h, ctid_jbuf *msg)
{
  /* Streams that connect together (every wallboard after a restart) share one board while
     no event came and it is younger than the push gap: the figures are the same. */
  uint64_t now = uv_now(h->host.loop);
  if (h->cached.p && h->cached_events == h->events && now < h->cached_at + PUSH_GAP_MS) {
    ctid_jb_raw(msg, h->cached.p);
    return msg->oom ? -1 : 0;
  }
  ctid_jbuf b = {0};
  uint64_t seq = 0;
  uint64_t t0 = uv_hrtime();
  int rc = board(h, ctid_board_wallboard, 0, &b, &seq);
  uint64_t took = uv_hrtime() - t0;
  histo_add(&h->build, (double)took / 1e9);
  h->last_build_ms = took / 1000000;
  if (!rc) {
    ctid_jb_fmt(msg, "id: %llu\ndata: ", (unsigned long long)seq);
    ctid_jb_raw(msg, b.p);
    ctid_jb_raw(msg, "\n\n");
    rc = msg->oom ? -1 : 0;
  }
  if (!rc) {
    ctid_jb_free(&h->cached);
    ctid_jb_raw(&h->cached, msg->p);
    h->cached_events = h->events;
    h->cached_at = now;
  }
  ctid_jb_free(&b);
  return rc;
}

static uint64_t thread_cpu_ns(void)
{
  struct timespec ts;
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts))
    return 0;
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A turn of the loop from one check to the next: what it did not wait in the poll, it
   worked (callbacks of ctid, h2o, the engine, the store). A CTI frame that arrives during
   a turn waits for the rest of it: the worst turns bound the CTI latency ctid adds. The
   turn's CPU time tells ctid's own work from the time the system gave to others. */
static void on_turn(uv_check_t *c)
{
  ctid_http *h = c->data;
  uint64_t at = uv_hrtime(), idle = uv_metrics_idle_time(c->loop), cpu = thread_cpu_ns();
  if (h->turn_at) {
    uint64_t span = at - h->turn_at, waited = idle - h->turn_idle;
    double busy = span > waited ? (double)(span - waited) / 1e9 : 0;
    histo_add(&h->busy, busy);
    histo_add(&h->work, cpu > h->turn_cpu ? (double)(cpu - h->turn_cpu) / 1e9 : 0);
    if (busy > h->busy_max)
      h->busy_max = busy;
  }
  h->turn_at = at;
  h->turn_idle = idle;
  h->turn_cpu = cpu;
}

static void on_push_slice(uv_idle_t *idle)
{
  ctid_http *h = idle->data;
  for (int k = 0; k < PUSH_SLICE && h->push_next; k++) {
    sse *s = h->push_next;
    h->push_next = s->next;
    sse_push(s, h->push_msg.p, h->push_msg.len);
  }
  if (!h->push_next) {
    uv_idle_stop(idle);
    ctid_jb_free(&h->push_msg);
  }
}

/* Writes msg (taken over) to every stream, a slice per turn of the loop. A push begun
   before and not finished is overtaken: every message is the whole board, so the streams
   it has not reached yet only need the new one. */
static void push_start(ctid_http *h, ctid_jbuf *msg)
{
  ctid_jb_free(&h->push_msg);
  h->push_msg = *msg;
  *msg = (ctid_jbuf){0};
  h->push_next = h->streams;
  uv_idle_start(&h->pusher, on_push_slice);
}

static void push_all(ctid_http *h)
{
  h->push_due = 0;
  h->last_push = uv_now(h->host.loop);
  if (!h->streams)
    return;
  ctid_jbuf msg = {0};
  if (sse_message(h, &msg) == 0)
    push_start(h, &msg);
  ctid_jb_free(&msg);
}

static void on_push_timer(uv_timer_t *t)
{
  push_all(t->data);
}

/* h2o does not read an HTTP/1 connection while its answer runs: a stream's client that
   left is found here (or at the next write, which may be long), so that a page reloading
   all day does not fill the connection table. A stream's client sends nothing after its
   request: anything readable, or the end, ends it. */
static void on_reap_slice(uv_idle_t *idle)
{
  ctid_http *h = idle->data;
  for (int k = 0, ends = 0; k < REAP_SLICE && ends < REAP_SLICE_ENDS && h->reap_next; k++) {
    sse *s = h->reap_next;
    h->reap_next = s->next;
    int fd = req_fd(s->req);
    char c;
    ssize_t n = fd >= 0 ? recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) : -1;
    if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
      sse_end(s, n == 0 ? "peer closed" : n > 0 ? "peer sent after its request" : strerror(errno));
      ends++;
    }
  }
  if (!h->reap_next)
    uv_idle_stop(idle);
}

static void on_reap_timer(uv_timer_t *t)
{
  ctid_http *h = t->data;
  if (h->reap_next || !h->streams) /* the last round is still going */
    return;
  h->reap_next = h->streams;
  uv_idle_start(&h->reaper, on_reap_slice);
}

static void on_beat_timer(uv_timer_t *t)
{
  ctid_http *h = t->data;
  if (h->push_next || !h->streams) /* a board on its way says as much */
    return;
  ctid_jbuf msg = {0};
  ctid_jb_raw(&msg, ": heartbeat\n\n");
  if (!msg.oom)
    push_start(h, &msg);
  ctid_jb_free(&msg);
}

static void serve_stream(ctid_http *h, h2o_req_t *req)
{
  sse *s = h2o_mem_alloc_pool(&req->pool, sizeof *s);
  *s = (sse){.super = {sse_proceed, sse_stop}, .h = h, .req = req};
  ctid_jbuf msg = {0};
  if (sse_message(h, &msg)) {
    ctid_jb_free(&msg);
    respond_error(req, 503, "Service Unavailable", "no snapshot");
    return;
  }
  req->res.status = 200;
  req->res.reason = "OK";
  h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                 H2O_STRLIT("text/event-stream; charset=utf-8"));
  h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
                 H2O_STRLIT("no-store"));
  h2o_start_response(req, &s->super);
  /* A small kernel buffer: what a client does not take stays in ours, where the bound
     sees it, instead of megabytes in the socket's. */
  int fd = req_fd(req);
  int sndbuf = SSE_SNDBUF;
  if (fd >= 0)
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  s->next = h->streams;
  if (h->streams)
    h->streams->prev = s;
  h->streams = s;
  h->n_streams++;
  sse_push(s, msg.p, msg.len);
  ctid_jb_free(&msg);
}

void ctid_http_event(ctid_http *h, const Ccenter__V1__ServerFrame *f)
{
  if (!h || h->stopping)
    return;
  h->events++;
  if (f->body_case == CCENTER__V1__SERVER_FRAME__BODY_EVENT && f->event)
    h->seq = f->event->seq;
  else if (f->body_case == CCENTER__V1__SERVER_FRAME__BODY_CASE_EVENT && f->case_event) {
    h->seq = f->case_event->seq;
    if (f->case_event->type == CCENTER__V1__CASE_EVENT_TYPE__CASE_OPENED &&
        f->case_event->case_id && *f->case_event->case_id)
      add_case(h, f->case_event->case_id);
  }
  uv_loop_t *loop = h->host.loop;
  /* From the loop's wake-up for the command or timer that raised it to now, when it has
     been written to the sessions. */
  double lag_ms = (double)uv_hrtime() / 1e6 - (double)uv_now(loop);
  histo_add(&h->lag, lag_ms > 0 ? lag_ms / 1000 : 0);
  const Ccenter__V1__Event *e =
      f->body_case == CCENTER__V1__SERVER_FRAME__BODY_EVENT ? f->event : NULL;
  if (e) {
    ctid_board_tally_mark(h->tally, e->agent);
    ctid_board_tally_mark(h->tally, e->agent_to);
  }
  if (e && e->queue && *e->queue) {
    qcount *q = qcount_of(h, e->queue);
    if (q && e->type == CCENTER__V1__EVENT_TYPE__EV_CONTACT_QUEUED)
      q->offered++;
    else if (q && e->type == CCENTER__V1__EVENT_TYPE__EV_CONTACT_CONNECTED)
      q->answered++;
    else if (q && e->type == CCENTER__V1__EVENT_TYPE__EV_CONTACT_ENDED &&
             e->outcome == CCENTER__V1__OUTCOME__OUTCOME_ABANDONED)
      q->abandoned++;
  }
  /* The first event after a quiet spell goes out at once; later ones wait for the gap. */
  if (!h->streams || h->push_due)
    return;
  uint64_t now = uv_now(loop);
  /* Should a board ever take long (a centre of many queues, a day of short intervals),
     pushes are spaced so that making them takes at most a fifth of the loop. */
  uint64_t gap = 4 * h->last_build_ms > PUSH_GAP_MS ? 4 * h->last_build_ms : PUSH_GAP_MS;
  uint64_t at = h->last_push + gap;
  h->push_due = 1;
  uv_timer_start(&h->push_timer, on_push_timer, at > now ? at - now : 0, 0);
}

void ctid_http_flush_time(ctid_http *h, uint64_t ns)
{
  if (h)
    histo_add(&h->flush, (double)ns / 1e9);
}

/* ---------------------------------------------------------------------------------- */
/* /metrics                                                                             */

static void metric_head(ctid_jbuf *b, const char *name, const char *type, const char *help)
{
  ctid_jb_fmt(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value: \, " and newline escaped (Prometheus text format). */
static void label(ctid_jbuf *b, const char *v)
{
  for (; *v; v++) {
    if (*v == '\\' || *v == '"')
      ctid_jb_fmt(b, "\\%c", *v);
    else if (*v == '\n')
      ctid_jb_raw(b, "\\n");
    else
      ctid_jb_fmt(b, "%c", *v);
  }
}

static void histo_out(ctid_jbuf *b, const char *name, const char *help, const histo *hi)
{
  metric_head(b, name, "histogram", help);
  uint64_t cum = 0;
  for (size_t i = 0; i < N_BUCKETS; i++) {
    cum += hi->count[i];
    ctid_jb_fmt(b, "%s_bucket{le=\"%g\"} %llu\n", name, buckets[i], (unsigned long long)cum);
  }
  ctid_jb_fmt(b, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.9f\n%s_count %llu\n", name,
              (unsigned long long)hi->n, name, hi->sum, name, (unsigned long long)hi->n);
}

typedef struct qgauge {
  const char *name, *help;
} qgauge;

static int metrics_doc(const ctid_board_src *src, ctid_jbuf *b);
static ctid_http *metrics_h; /* the server metrics_doc reports on (one per process) */

static void queue_gauges(const ctid_board_src *src, ctid_jbuf *b)
{
  const Ccenter__V1__Snapshot *sn = src->snap;
  ctid_board_counts *ag = ctid_board_count_agents(src);
  if (!ag) {
    b->oom = 1;
    return;
  }
  metric_head(b, "ctid_queue_waiting", "gauge", "Contacts waiting in the queue.");
  for (size_t i = 0; i < sn->n_queues; i++) {
    ctid_jb_raw(b, "ctid_queue_waiting{queue=\"");
    label(b, sn->queues[i]->queue);
    ctid_jb_fmt(b, "\"} %u\n", sn->queues[i]->waiting);
  }
  metric_head(b, "ctid_queue_longest_wait_seconds", "gauge",
              "Wait of the oldest waiting or ringing contact.");
  for (size_t i = 0; i < sn->n_queues; i++) {
    ctid_jb_raw(b, "ctid_queue_longest_wait_seconds{queue=\"");
    label(b, sn->queues[i]->queue);
    ctid_jb_fmt(b, "\"} %.3f\n", (double)sn->queues[i]->longest_wait_ms / 1000);
  }
  metric_head(b, "ctid_queue_ewt_seconds", "gauge",
              "Expected wait of a voice contact joining now (NaN: unknown).");
  for (size_t i = 0; i < sn->n_queues; i++) {
    ctid_jb_raw(b, "ctid_queue_ewt_seconds{queue=\"");
    label(b, sn->queues[i]->queue);
    if (sn->queues[i]->ewt_ms < 0)
      ctid_jb_raw(b, "\"} NaN\n");
    else
      ctid_jb_fmt(b, "\"} %.3f\n", (double)sn->queues[i]->ewt_ms / 1000);
  }
  metric_head(b, "ctid_queue_agents", "gauge",
              "Members of the queue logged in, by activity (as the wallboard counts them).");
  for (size_t i = 0; i < sn->n_queues; i++) {
    ctid_board_counts a = ag[i];
    const struct { const char *state; unsigned n; } st[] = {
      {"ready", a.ready}, {"busy", a.busy}, {"wrap_up", a.wrap_up}, {"not_ready", a.not_ready}};
    for (size_t j = 0; j < 4; j++) {
      ctid_jb_raw(b, "ctid_queue_agents{queue=\"");
      label(b, sn->queues[i]->queue);
      ctid_jb_fmt(b, "\",state=\"%s\"} %u\n", st[j].state, st[j].n);
    }
  }
  free(ag);
}

static qcount *qcount_of(ctid_http *h, const char *queue)
{
  for (size_t i = 0; i < h->n_qc; i++)
    if (strcmp(h->qc[i].queue, queue) == 0)
      return &h->qc[i];
  qcount *grown = realloc(h->qc, (h->n_qc + 1) * sizeof *grown);
  if (!grown)
    return NULL;
  h->qc = grown;
  char *name = strdup(queue);
  if (!name)
    return NULL;
  h->qc[h->n_qc] = (qcount){.queue = name};
  return &h->qc[h->n_qc++];
}

static void queue_counters(ctid_http *h, const Ccenter__V1__Snapshot *sn, ctid_jbuf *b)
{
  for (size_t i = 0; i < sn->n_queues; i++) /* a queue without events yet shows 0 */
    qcount_of(h, sn->queues[i]->queue);
  static const char *const names[] = {"ctid_queue_offered_total", "ctid_queue_answered_total",
                                      "ctid_queue_abandoned_total"};
  static const char *const helps[] = {
    "Contacts queued (events since ctid started).",
    "Contacts connected to an agent from the queue (events since ctid started).",
    "Contacts abandoned in the queue (events since ctid started)."};
  for (size_t k = 0; k < 3; k++) {
    metric_head(b, names[k], "counter", helps[k]);
    for (size_t i = 0; i < h->n_qc; i++) {
      const qcount *q = &h->qc[i];
      uint64_t v = k == 0 ? q->offered : k == 1 ? q->answered : q->abandoned;
      ctid_jb_fmt(b, "%s{queue=\"", names[k]);
      label(b, q->queue);
      ctid_jb_fmt(b, "\"} %llu\n", (unsigned long long)v);
    }
  }
}

static int metrics_doc(const ctid_board_src *src, ctid_jbuf *b)
{
  ctid_http *h = metrics_h;
  queue_gauges(src, b);
  queue_counters(h, src->snap, b);
  uint64_t by_role[CTID_ROLE_COUNT_] = {0};
  h->host.sessions(h->host.ud, by_role);
  metric_head(b, "ctid_sessions", "gauge", "Authenticated CTI sessions by role.");
  for (int r = 0; r < CTID_ROLE_COUNT_; r++)
    ctid_jb_fmt(b, "ctid_sessions{role=\"%s\"} %llu\n", ctid_role_name((ctid_role)r),
                (unsigned long long)by_role[r]);
  metric_head(b, "ctid_http_streams", "gauge", "Open server-sent event streams.");
  ctid_jb_fmt(b, "ctid_http_streams %zu\n", h->n_streams);
  metric_head(b, "ctid_http_connections", "gauge", "Open HTTP connections.");
  ctid_jb_fmt(b, "ctid_http_connections %zu\n", h->n_conns);
  metric_head(b, "ctid_http_requests_total", "counter", "HTTP requests by route.");
  for (int r = 0; r < R_COUNT_; r++)
    ctid_jb_fmt(b, "ctid_http_requests_total{route=\"%s\"} %llu\n", route_names[r],
                (unsigned long long)h->requests[r]);
  metric_head(b, "ctid_http_auth_failures_total", "counter",
              "HTTP requests refused for their credential (401, 403, 429).");
  ctid_jb_fmt(b, "ctid_http_auth_failures_total %llu\n", (unsigned long long)h->auth_failures);
  metric_head(b, "ctid_http_streams_cut_total", "counter",
              "Event streams cut off at their output bound.");
  ctid_jb_fmt(b, "ctid_http_streams_cut_total %llu\n", (unsigned long long)h->streams_cut);
  metric_head(b, "ctid_last_event_seq", "gauge", "Number of the last event sent.");
  ctid_jb_fmt(b, "ctid_last_event_seq %llu\n", (unsigned long long)src->snap->last_seq);
  histo_out(b, "ctid_event_lag_seconds",
            "From the loop's wake-up for the command or timer that raised an event to the "
            "event written to the CTI sessions (millisecond resolution).",
            &h->lag);
  histo_out(b, "ctid_store_flush_seconds", "Time the store's grouped flush (commit) takes.",
            &h->flush);
  histo_out(b, "ctid_loop_busy_seconds",
            "Time each turn of the event loop worked (not waiting for input): a CTI command "
            "arriving meanwhile waits for the rest of the turn.",
            &h->busy);
  histo_out(b, "ctid_loop_cpu_seconds",
            "CPU time of the event loop's thread per turn: ctid's own work in the turn, "
            "without the time the system gave to other processes.",
            &h->work);
  metric_head(b, "ctid_loop_busy_max_seconds", "gauge", "The longest turn of the loop so far.");
  ctid_jb_fmt(b, "ctid_loop_busy_max_seconds %.6f\n", h->busy_max);
  histo_out(b, "ctid_http_board_seconds",
            "Time a stream's board takes to make (the loop does nothing else meanwhile).",
            &h->build);
  return b->oom ? -1 : 0;
}

static void serve_metrics(ctid_http *h, h2o_req_t *req)
{
  ctid_jbuf b = {0};
  metrics_h = h;
  if (board(h, metrics_doc, 0, &b, NULL) || b.oom)
    respond_error(req, 503, "Service Unavailable", "no snapshot");
  else
    respond(req, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", b.p, b.len);
  ctid_jb_free(&b);
}

/* ---------------------------------------------------------------------------------- */
/* Supervisor actions: protocol commands in a session of the supervisor                 */

static void respond_result(h2o_req_t *req, Ccenter__V1__ServerFrame *f)
{
  const Ccenter__V1__Response *r =
      f && f->body_case == CCENTER__V1__SERVER_FRAME__BODY_RESPONSE ? f->response : NULL;
  ctid_jbuf b = {0};
  if (!r) {
    respond_error(req, 500, "Internal Server Error", "no answer from the dispatcher");
    return;
  }
  ctid_jb_fmt(&b, "{\"ok\":%s,\"code\":%d,\"code_name\":", r->code >= 0 ? "true" : "false",
              r->code);
  ctid_jb_str(&b, r->code_name);
  ctid_jb_raw(&b, ",\"message\":");
  ctid_jb_str(&b, r->message);
  ctid_jb_raw(&b, "}");
  if (r->code >= 0)
    respond_json(req, 200, "OK", &b);
  else if (r->code == CCENTER_ENOENT)
    respond_json(req, 404, "Not Found", &b);
  else if (r->code == CCENTER_EPERM)
    respond_json(req, 403, "Forbidden", &b);
  else
    respond_json(req, 409, "Conflict", &b);
  ctid_jb_free(&b);
}

static void run_command(ctid_http *h, h2o_req_t *req, const char *principal,
                        Ccenter__V1__Command *cmd)
{
  Ccenter__V1__ClientFrame cf = CCENTER__V1__CLIENT_FRAME__INIT;
  cf.request_id = 1;
  cf.body_case = CCENTER__V1__CLIENT_FRAME__BODY_COMMAND;
  cf.command = cmd;
  Ccenter__V1__ServerFrame *f = run_frame(h, principal, CTID_ROLE_SUPERVISOR, &cf);
  respond_result(req, f);
  if (f)
    ccenter__v1__server_frame__free_unpacked(f, NULL);
}

/* Splits "/api/KIND/A/B/ACTION" style paths (after prefix) into parts; returns how many. */
static size_t split_path(const char *rest, char parts[][PRINCIPAL_MAX], size_t max)
{
  size_t n = 0;
  while (*rest && n < max + 1) {
    size_t len = strcspn(rest, "/");
    if (len == 0 || len >= PRINCIPAL_MAX)
      return 0;
    if (n < max) {
      memcpy(parts[n], rest, len);
      parts[n][len] = 0;
    }
    n++;
    rest += len;
    if (*rest == '/')
      rest++;
  }
  return n;
}

static void agent_action(ctid_http *h, h2o_req_t *req, const char *principal, const char *path)
{
  char parts[2][PRINCIPAL_MAX];
  if (split_path(path, parts, 2) != 2) {
    respond_error(req, 404, "Not Found", "no such path");
    return;
  }
  Ccenter__V1__Command cmd = CCENTER__V1__COMMAND__INIT;
  Ccenter__V1__AgentRef ref = CCENTER__V1__AGENT_REF__INIT;
  Ccenter__V1__AgentNotReady nr = CCENTER__V1__AGENT_NOT_READY__INIT;
  ref.agent = nr.agent = parts[0];
  nr.reason = "supervisor";
  if (strcmp(parts[1], "ready") == 0) {
    cmd.cmd_case = CCENTER__V1__COMMAND__CMD_AGENT_READY;
    cmd.agent_ready = &ref;
  } else if (strcmp(parts[1], "logout") == 0) {
    cmd.cmd_case = CCENTER__V1__COMMAND__CMD_AGENT_LOGOUT;
    cmd.agent_logout = &ref;
  } else if (strcmp(parts[1], "not_ready") == 0) {
    cmd.cmd_case = CCENTER__V1__COMMAND__CMD_AGENT_NOT_READY;
    cmd.agent_not_ready = &nr;
  } else {
    respond_error(req, 404, "Not Found", "no such action");
    return;
  }
  hlog(h, 6, "http action principal=%s agent=%s action=%s", principal, parts[0], parts[1]);
  run_command(h, req, principal, &cmd);
}

static void proposal_action(ctid_http *h, h2o_req_t *req, const char *principal,
                            const char *path)
{
  char parts[3][PRINCIPAL_MAX];
  if (split_path(path, parts, 3) != 3 ||
      (strcmp(parts[2], "approve") != 0 && strcmp(parts[2], "reject") != 0)) {
    respond_error(req, 404, "Not Found", "no such path");
    return;
  }
  Ccenter__V1__ServerFrame *snap = snapshot(h);
  const Ccenter__V1__CaseInfo *c = snap ? ctid_board_case(snap->snapshot, parts[0]) : NULL;
  int pending = c && c->proposal && strcmp(c->proposal, parts[1]) == 0;
  if (snap)
    ccenter__v1__server_frame__free_unpacked(snap, NULL);
  if (!c && snap) {
    respond_error(req, 404, "Not Found", "no such open case");
    return;
  }
  if (!pending) {
    respond_error(req, 409, "Conflict", "not the case's pending proposal");
    return;
  }
  Ccenter__V1__Command cmd = CCENTER__V1__COMMAND__INIT;
  Ccenter__V1__CaseDecision d = CCENTER__V1__CASE_DECISION__INIT;
  d.case_id = parts[0];
  d.actor = (char *)principal;
  d.reason = "supervisor page";
  if (strcmp(parts[2], "approve") == 0) {
    cmd.cmd_case = CCENTER__V1__COMMAND__CMD_CASE_APPROVE;
    cmd.case_approve = &d;
  } else {
    cmd.cmd_case = CCENTER__V1__COMMAND__CMD_CASE_REJECT;
    cmd.case_reject = &d;
  }
  hlog(h, 6, "http action principal=%s case=%s proposal=%s action=%s", principal, parts[0],
       parts[1], parts[2]);
  run_command(h, req, principal, &cmd);
}

/* ---------------------------------------------------------------------------------- */
/* Routing and credentials                                                              */

static int method_is(const h2o_req_t *req, const char *m)
{
  return h2o_memis(req->method.base, req->method.len, m, strlen(m));
}

static enum route route_of(const h2o_req_t *req, const char **rest)
{
  static const struct { const char *path; enum route r; int prefix; } routes[] = {
    {"/api/wallboard", R_WALLBOARD, 0}, {"/api/stream", R_STREAM, 0},
    {"/metrics", R_METRICS, 0},         {"/api/agents", R_AGENTS, 0},
    {"/api/proposals", R_PROPOSALS, 0}, {"/api/agents/", R_AGENT_ACTION, 1},
    {"/api/proposals/", R_PROPOSAL_ACTION, 1}, {"/api/", R_API_UNKNOWN, 1},
    {"/api", R_API_UNKNOWN, 0}};
  const char *p = req->path_normalized.base;
  size_t n = req->path_normalized.len;
  for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
    size_t l = strlen(routes[i].path);
    if (routes[i].prefix ? n > l && memcmp(p, routes[i].path, l) == 0
                         : n == l && memcmp(p, routes[i].path, l) == 0) {
      *rest = p + l;
      return routes[i].r;
    }
  }
  *rest = p;
  return R_STATIC;
}

static int route_is_supervisor(enum route r)
{
  return r == R_AGENTS || r == R_AGENT_ACTION || r == R_PROPOSALS || r == R_PROPOSAL_ACTION;
}

/* The request once its principal is known. */
static void serve(ctid_http *h, h2o_req_t *req, const char *principal, ctid_role role)
{
  char peer[64];
  const char *rest;
  enum route r = route_of(req, &rest);
  if (role != CTID_ROLE_WALLBOARD && role != CTID_ROLE_SUPERVISOR) {
    h->auth_failures++;
    hlog(h, 4, "http refused principal=%s role=%s peer=%s path=%.*s why=\"role\"", principal,
         ctid_role_name(role), peer_of(req, peer), (int)req->path_normalized.len,
         req->path_normalized.base);
    respond_401(req);
    return;
  }
  if (route_is_supervisor(r) && role != CTID_ROLE_SUPERVISOR) {
    h->auth_failures++;
    hlog(h, 4, "http refused principal=%s role=%s peer=%s path=%.*s why=\"a supervisor's\"",
         principal, ctid_role_name(role), peer_of(req, peer), (int)req->path_normalized.len,
         req->path_normalized.base);
    respond_error(req, 403, "Forbidden", "a supervisor's");
    return;
  }
  /* The pages load only their own files (no CDN, no inline script), in no frame of
     another site. */
  static const struct { const char *name, *value; } page_headers[] = {
    {"content-security-policy", "default-src 'self'; frame-ancestors 'none'"},
    {"x-frame-options", "DENY"},
    {"x-content-type-options", "nosniff"},
    {"referrer-policy", "no-referrer"}};
  for (size_t i = 0; i < sizeof page_headers / sizeof page_headers[0]; i++)
    h2o_add_header_by_str(&req->pool, &req->res.headers, page_headers[i].name,
                          strlen(page_headers[i].name), 0, NULL, page_headers[i].value,
                          strlen(page_headers[i].value));
  int post = r == R_AGENT_ACTION || r == R_PROPOSAL_ACTION;
  int head_ok = r != R_STREAM; /* a stream has no end to answer a HEAD with */
  if (r != R_STATIC && r != R_API_UNKNOWN &&
      !(post ? method_is(req, "POST")
             : method_is(req, "GET") || (head_ok && method_is(req, "HEAD")))) {
    respond_error(req, 405, "Method Not Allowed", post ? "POST only" : "GET only");
    return;
  }
  switch (r) {
  case R_WALLBOARD:
    serve_board(h, req, ctid_board_wallboard, 0);
    break;
  case R_STREAM:
    serve_stream(h, req);
    break;
  case R_METRICS:
    serve_metrics(h, req);
    break;
  case R_AGENTS:
    serve_board(h, req, ctid_board_agents, 1);
    break;
  case R_PROPOSALS:
    serve_board(h, req, ctid_board_proposals, 1);
    break;
  case R_AGENT_ACTION:
  case R_PROPOSAL_ACTION: {
    /* h2o's path is not NUL-terminated */
    char tail[3 * PRINCIPAL_MAX + 4];
    size_t n = (size_t)(req->path_normalized.base + req->path_normalized.len - rest);
    if (n >= sizeof tail) {
      respond_error(req, 404, "Not Found", "no such path");
      break;
    }
    memcpy(tail, rest, n);
    tail[n] = 0;
    (r == R_AGENT_ACTION ? agent_action : proposal_action)(h, req, principal, tail);
    break;
  }
  case R_API_UNKNOWN:
    respond_error(req, 404, "Not Found", "no such path");
    break;
  default:
    if (!method_is(req, "GET") && !method_is(req, "HEAD")) {
      respond_error(req, 405, "Method Not Allowed", "GET only");
      break;
    }
    /* The pages change with the example: the browser revalidates (ETag) each time. */
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
                   H2O_STRLIT("no-cache"));
    h2o_delegate_request(req, h->handler);
    break;
  }
}

/* Basic credentials: 0 with principal and secret, -1 when absent or malformed. */
static int basic_credentials(const h2o_req_t *req, char *principal, uint8_t *secret,
                             size_t *secret_len)
{
  ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_AUTHORIZATION, -1);
  if (i < 0)
    return -1;
  h2o_iovec_t v = req->headers.entries[i].value;
  if (v.len < 7 || strncasecmp(v.base, "basic ", 6) != 0)
    return -1;
  const char *b64 = v.base + 6;
  size_t n = v.len - 6;
  while (n && *b64 == ' ')
    b64++, n--;
  if (n == 0 || n % 4 || n > 4 * ((PRINCIPAL_MAX + CTID_SECRET_MAX + 2) / 3))
    return -1;
  uint8_t raw[PRINCIPAL_MAX + CTID_SECRET_MAX + 4];
  int len = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)n);
  if (len < 0)
    return -1;
  len -= (b64[n - 1] == '=') + (b64[n - 2] == '=');
  uint8_t *colon = memchr(raw, ':', (size_t)len);
  if (!colon || colon == raw || (size_t)(colon - raw) >= PRINCIPAL_MAX ||
      memchr(raw, 0, (size_t)(colon - raw)))
    return -1;
  size_t pl = (size_t)(colon - raw);
  memcpy(principal, raw, pl);
  principal[pl] = 0;
  *secret_len = (size_t)len - pl - 1;
  if (*secret_len > CTID_SECRET_MAX)
    return -1;
  memcpy(secret, colon + 1, *secret_len);
  OPENSSL_cleanse(raw, sizeof raw);
  return 0;
}

static void cred_key(const ctid_http *h, const char *principal, const uint8_t *secret,
                     size_t secret_len, uint8_t out[32])
{
  uint8_t msg[PRINCIPAL_MAX + 1 + CTID_SECRET_MAX];
  size_t pl = strlen(principal);
  memcpy(msg, principal, pl + 1);
  memcpy(msg + pl + 1, secret, secret_len);
  ccenter_hmac_sha256(h->cred_key, sizeof h->cred_key, msg, pl + 1 + secret_len, out);
  OPENSSL_cleanse(msg, sizeof msg);
}

/* The principal a remembered credential stands for, when it still does. */
static const ctid_principal *cred_find(ctid_http *h, const uint8_t key[32])
{
  uint64_t now = uv_now(h->host.loop);
  for (size_t i = 0; i < CRED_SLOTS; i++) {
    cred *c = &h->creds[i];
    if (c->until <= now || memcmp(c->key, key, 32) != 0)
      continue;
    const ctid_principal *p = ctid_config_principal(h->host.config(h->host.ud), c->principal);
    if (p && strcmp(p->secret, c->stored) == 0)
      return p;
    c->until = 0;
  }
  return NULL;
}

static void cred_keep(ctid_http *h, const uint8_t key[32], const ctid_principal *p)
{
  uint64_t now = uv_now(h->host.loop);
  cred *slot = &h->creds[0];
  for (size_t i = 0; i < CRED_SLOTS; i++)
    if (h->creds[i].until < slot->until)
      slot = &h->creds[i];
  memcpy(slot->key, key, 32);
  snprintf(slot->principal, sizeof slot->principal, "%s", p->id);
  snprintf(slot->stored, sizeof slot->stored, "%s", p->secret);
  slot->until = now + CRED_TTL_MS;
}

typedef struct verify {
  uv_work_t work;
  ctid_http *h;
  h2o_req_t *req;
  char principal[PRINCIPAL_MAX];
  char stored[CTID_STORED_MAX];
  uint8_t secret[CTID_SECRET_MAX];
  size_t secret_len;
  uint8_t key[32];
  int known, ok;
} verify;

static void verify_run(uv_work_t *w)
{
  verify *v = w->data;
  v->ok = ctid_verify_secret(v->stored, v->secret, v->secret_len) == 1;
}

static void refuse_credential(ctid_http *h, h2o_req_t *req, const char *principal,
                              const char *why, int locked)
{
  char peer[64];
  h->auth_failures++;
  hlog(h, 4, "http refused principal=%s peer=%s path=%.*s why=\"%s\"", principal,
       peer_of(req, peer), (int)req->path_normalized.len, req->path_normalized.base, why);
  if (locked)
    respond_error(req, 429, "Too Many Requests", "locked out");
  else
    respond_401(req);
}

static void verify_done(uv_work_t *w, int status)
{
  verify *v = w->data;
  ctid_http *h = v->h;
  h->pending_work--;
  int64_t now = h->host.now(h->host.ud);
  const ctid_principal *p = ctid_config_principal(h->host.config(h->host.ud), v->principal);
  /* A reload may have changed the principal meanwhile: only the hash checked counts. */
  int same = p && strcmp(p->secret, v->stored) == 0;
  int ok = status == 0 && v->ok && v->known && same;
  int locked = 0;
  if (v->known && status == 0 && ctid_guard_record(h->host.guard, v->principal, v->ok, now) == 1)
    locked = 1;
  if (ok) {
    cred_keep(h, v->key, p);
    serve(h, v->req, p->id, p->role);
  } else {
    refuse_credential(h, v->req, v->principal,
                      !v->known ? "unknown principal" : "bad credential", 0);
    (void)locked;
  }
  OPENSSL_cleanse(v->secret, sizeof v->secret);
  free(v);
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
  ctid_http *h = *(ctid_http **)(self + 1);
  const char *rest;
  h->requests[route_of(req, &rest)]++;
  char principal[PRINCIPAL_MAX];
  uint8_t secret[CTID_SECRET_MAX];
  size_t secret_len = 0;
  if (basic_credentials(req, principal, secret, &secret_len)) {
    respond_401(req);
    return 0;
  }
  /* A locked principal is refused as the CTI handshake refuses it, remembered or not. */
  const ctid_principal *p = ctid_config_principal(h->host.config(h->host.ud), principal);
  if (p && ctid_guard_locked(h->host.guard, principal, h->host.now(h->host.ud), NULL)) {
    OPENSSL_cleanse(secret, sizeof secret);
    refuse_credential(h, req, principal, "locked out", 1);
    return 0;
  }
  uint8_t key[32];
  cred_key(h, principal, secret, secret_len, key);
  const ctid_principal *known = cred_find(h, key);
  if (known) {
    OPENSSL_cleanse(secret, sizeof secret);
    serve(h, req, known->id, known->role);
    return 0;
  }
  /* The hashing threads are the CTI handshakes' too: a flood of new credentials must not
     keep them from the desks. */
  if (h->pending_work >= MAX_VERIFYING) {
    OPENSSL_cleanse(secret, sizeof secret);
    h->auth_failures++;
    respond_error(req, 503, "Service Unavailable", "too many credentials being checked");
    return 0;
  }
  verify *v = calloc(1, sizeof *v);
  if (!v) {
    respond_error(req, 503, "Service Unavailable", "out of memory");
    return 0;
  }
  v->h = h;
  v->req = req;
  v->known = p != NULL;
  snprintf(v->principal, sizeof v->principal, "%s", principal);
  snprintf(v->stored, sizeof v->stored, "%s", p ? p->secret : h->host.dummy_hash);
  memcpy(v->secret, secret, secret_len);
  v->secret_len = secret_len;
  memcpy(v->key, key, 32);
  OPENSSL_cleanse(secret, sizeof secret);
  v->work.data = v;
  if (uv_queue_work(h->host.loop, &v->work, verify_run, verify_done)) {
    free(v);
    respond_error(req, 503, "Service Unavailable", "cannot verify now");
    return 0;
  }
  h->pending_work++;
  return 0;
}

/* ---------------------------------------------------------------------------------- */
/* Connections and listeners                                                            */

static void maybe_dispose(ctid_http *h)
{
  if (h->stopping && h->ctx_live && !h->n_conns) {
    h2o_context_dispose(&h->ctx);
    h->ctx_live = 0;
  }
}

static void on_conn_close(uv_handle_t *handle)
{
  hconn *c = (hconn *)handle;
  ctid_http *h = c->h;
  if (c->prev)
    c->prev->next = c->next;
  else
    h->conns = c->next;
  if (c->next)
    c->next->prev = c->prev;
  h->n_conns--;
  free(c);
  maybe_dispose(h);
}

static void hand_to_h2o(hconn *c)
{
  h2o_socket_t *sock = h2o_uv_socket_create((uv_stream_t *)&c->tcp, on_conn_close);
  if (!sock) {
    uv_close((uv_handle_t *)&c->tcp, on_conn_close);
    return;
  }
  h2o_accept(&c->l->actx, sock);
}

static void on_admit(uv_idle_t *idle)
{
  ctid_http *h = idle->data;
  for (int n = 0; n < ADMIT_PER_TURN && h->wait_head; n++) {
    hconn *c = h->wait_head;
    if (!(h->wait_head = c->wait_next))
      h->wait_tail = NULL;
    hand_to_h2o(c);
  }
  if (!h->wait_head)
    uv_idle_stop(idle);
}

static void on_accept(uv_stream_t *ls, int status)
{
  hlistener *l = (hlistener *)ls;
  ctid_http *h = l->h;
  if (status)
    return;
  hconn *c = calloc(1, sizeof *c);
  if (!c || uv_tcp_init(ls->loop, &c->tcp)) {
    free(c);
    return;
  }
  c->h = h;
  c->l = l;
  c->next = h->conns;
  if (h->conns)
    h->conns->prev = c;
  h->conns = c;
  h->n_conns++;
  if (uv_accept(ls, (uv_stream_t *)&c->tcp) || h->n_conns > MAX_CONNS || h->stopping) {
    uv_close((uv_handle_t *)&c->tcp, on_conn_close);
    return;
  }
  uv_tcp_nodelay(&c->tcp, 1);
  if (h->wait_tail)
    h->wait_tail->wait_next = c;
  else
    h->wait_head = c;
  h->wait_tail = c;
  uv_idle_start(&h->admit, on_admit);
}

static int open_listener(ctid_http *h, const ctid_listener *cl, hlistener *l)
{
  char err[512];
  struct sockaddr_storage ss;
  const char *host = strcmp(cl->host, "localhost") == 0 ? "127.0.0.1" : cl->host;
  if (uv_ip4_addr(host, cl->port, (struct sockaddr_in *)&ss) &&
      uv_ip6_addr(host, cl->port, (struct sockaddr_in6 *)&ss)) {
    hlog(h, 3, "listener %s: '%s' is not a numeric address", cl->name, cl->host);
    return -1;
  }
  if (cl->tls_cert && !(l->tls = ct_tls_server_ctx(cl->tls_cert, cl->tls_key, err, sizeof err))) {
    hlog(h, 3, "listener %s: %s", cl->name, err);
    return -1;
  }
  l->h = h;
  l->actx.ctx = &h->ctx;
  l->actx.hosts = h->config.hosts;
  l->actx.ssl_ctx = l->tls;
  uv_tcp_init(h->host.loop, &l->tcp);
  int rc = uv_tcp_bind(&l->tcp, (struct sockaddr *)&ss, 0);
  if (!rc)
    rc = uv_listen((uv_stream_t *)&l->tcp, 511, on_accept);
  if (rc) {
    hlog(h, 3, "listener %s: %s:%d: %s", cl->name, cl->host, cl->port, uv_strerror(rc));
    uv_close((uv_handle_t *)&l->tcp, NULL);
    l->closed = 1;
    return -1;
  }
  struct sockaddr_storage bound;
  int blen = sizeof bound;
  int port = cl->port;
  if (!uv_tcp_getsockname(&l->tcp, (struct sockaddr *)&bound, &blen))
    port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                             : ((struct sockaddr_in *)&bound)->sin_port);
  hlog(h, 6, "listening name=%s http=%s:%d tls=%s", cl->name, cl->host, port,
       l->tls ? "yes" : "no");
  return 0;
}

int ctid_http_start(const ctid_http_host *host, ctid_http **out)
{
  *out = NULL;
  const ctid_config *cfg = host->config(host->ud);
  size_t n = 0;
  for (size_t i = 0; i < cfg->n_listeners; i++)
    n += cfg->listeners[i].http;
  if (!n)
    return 0;
  ctid_http *h = calloc(1, sizeof *h);
  if (!h || !(h->listeners = calloc(n, sizeof *h->listeners)) ||
      !(h->tally = ctid_board_tally_new()) || RAND_bytes(h->cred_key, sizeof h->cred_key) != 1) {
    if (h) {
      free(h->listeners);
      ctid_board_tally_free(h->tally);
    }
    free(h);
    return -1;
  }
  h->host = *host;
  h2o_config_init(&h->config);
  h2o_hostconf_t *hc =
      h2o_config_register_host(&h->config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
  h2o_pathconf_t *pc = h2o_config_register_path(hc, "/", 0);
  h->handler = h2o_create_handler(pc, sizeof *h->handler + sizeof h);
  h->handler->on_req = on_req;
  *(ctid_http **)(h->handler + 1) = h;
  const char *www = cfg->www_dir ? cfg->www_dir : CTID_WWW_DIR;
  h2o_file_register(pc, www, NULL, NULL, 0);
  h->config.server_name = h2o_iovec_init(H2O_STRLIT("ctid")); /* not h2o's version */
  h2o_context_init(&h->ctx, host->loop, &h->config);
  h->ctx_live = 1;
  uv_timer_init(host->loop, &h->push_timer);
  uv_timer_init(host->loop, &h->beat_timer);
  uv_timer_init(host->loop, &h->reap_timer);
  h->push_timer.data = h->beat_timer.data = h->reap_timer.data = h;
  uv_idle_init(host->loop, &h->admit);
  uv_idle_init(host->loop, &h->pusher);
  uv_idle_init(host->loop, &h->reaper);
  h->admit.data = h->pusher.data = h->reaper.data = h;
  /* Without the loop's idle time the turns could not be told from the waits: no figure. */
  if (uv_loop_configure(host->loop, UV_METRICS_IDLE_TIME) == 0) {
    uv_check_init(host->loop, &h->turn);
    h->turn.data = h;
    uv_check_start(&h->turn, on_turn);
    uv_unref((uv_handle_t *)&h->turn);
  }
  uv_timer_start(&h->beat_timer, on_beat_timer, HEARTBEAT_MS, HEARTBEAT_MS);
  uv_timer_start(&h->reap_timer, on_reap_timer, REAP_MS, REAP_MS);
  *out = h;
  for (size_t i = 0; i < cfg->n_listeners; i++) {
    if (!cfg->listeners[i].http)
      continue;
    if (open_listener(h, &cfg->listeners[i], &h->listeners[h->n_listeners]))
      return -1;
    h->n_listeners++;
  }
  /* The cases open at start and the number the events go on from: a Snapshot, once. */
  Ccenter__V1__ServerFrame *f = snapshot(h);
  if (f) {
    h->seq = f->snapshot->last_seq;
    for (size_t i = 0; i < f->snapshot->n_cases; i++)
      add_case(h, f->snapshot->cases[i]->case_id);
    ccenter__v1__server_frame__free_unpacked(f, NULL);
  }
  hlog(h, 6, "http www=%s", www);
  return 0;
}

void ctid_http_stop(ctid_http *h)
{
  if (!h || h->stopping)
    return;
  h->stopping = 1;
  for (size_t i = 0; i < h->n_listeners; i++)
    if (!h->listeners[i].closed) {
      uv_close((uv_handle_t *)&h->listeners[i].tcp, NULL);
      h->listeners[i].closed = 1;
    }
  uv_close((uv_handle_t *)&h->push_timer, NULL);
  uv_close((uv_handle_t *)&h->beat_timer, NULL);
  uv_close((uv_handle_t *)&h->reap_timer, NULL);
  uv_close((uv_handle_t *)&h->admit, NULL);
  uv_close((uv_handle_t *)&h->pusher, NULL);
  uv_close((uv_handle_t *)&h->reaper, NULL);
  h->push_next = h->reap_next = NULL;
  if (uv_is_active((uv_handle_t *)&h->turn))
    uv_close((uv_handle_t *)&h->turn, NULL);
  for (hconn *c = h->wait_head, *next; c; c = next) { /* never handed to h2o */
    next = c->wait_next;
    uv_close((uv_handle_t *)&c->tcp, on_conn_close);
  }
  h->wait_head = h->wait_tail = NULL;
  while (h->streams)
    sse_end(h->streams, "server stopping");
  /* Idle keep-alive connections are reading: a shutdown ends them. */
  for (hconn *c = h->conns; c; c = c->next) {
    uv_os_fd_t fd;
    if (uv_fileno((uv_handle_t *)&c->tcp, &fd) == 0)
      shutdown(fd, SHUT_RDWR);
  }
  maybe_dispose(h);
}

void ctid_http_free(ctid_http *h)
{
  if (!h)
    return;
  if (h->ctx_live)
    h2o_context_dispose(&h->ctx);
  h2o_config_dispose(&h->config);
  for (size_t i = 0; i < h->n_listeners; i++)
    if (h->listeners[i].tls)
      SSL_CTX_free(h->listeners[i].tls);
  for (size_t i = 0; i < h->n_qc; i++)
    free(h->qc[i].queue);
  free(h->qc);
  for (size_t i = 0; i < h->n_open; i++)
    free(h->open[i]);
  free(h->open);
  ctid_jb_free(&h->cached);
  ctid_jb_free(&h->push_msg);
  ctid_board_tally_free(h->tally);
  free(h->listeners);
  free(h);
}

void ctid_http_reconfigured(ctid_http *h)
{
  if (h)
    ctid_board_tally_reset(h->tally);
}
