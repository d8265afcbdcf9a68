/*
 * ccenter-switch: the switch simulator and load generator for ctid. Over a switch session
 * it places calls on the queues as a Poisson stream and plays the callers, who abandon
 * when their patience (exponential) runs out and hang up when their talk time is over;
 * it plays N agents: logs them in, makes them ready, accepts every offer made to them and
 * ends their wrap-up, either all over one supervisor session (-P, -A) or each over its
 * own agent session (-n N: agents and principals PREFIX00000.., one secret -S), as desks
 * would. At the end (or when the server goes) it reports counts and the latencies from a
 * command to the event it causes (enqueue -> CONTACT_QUEUED, accept -> CONTACT_CONNECTED),
 * p50 and p99.
 *
 * With -R MS a session the server closes (cut off, or ctid restarting) is connected again
 * for up to MS and resumes after the last event number it saw (Resume): the missed events
 * come first, or a snapshot when they are gone, and the calls carry on. The report says
 * how many events came by resume, how many snapshots, and how many calls the server
 * accepted whose CONTACT_QUEUED never arrived (lost). -e FILE writes every event each
 * session gets, one a line: SESSION SEQ TYPE CONTACT live|resumed. SIGTERM or SIGINT ends
 * the run early, with the report; before it, answers and events in flight are waited for
 * (up to 5 s), so that unanswered and lost count what never came.
 *
 *   ccenter-switch -a ADDR -p SWITCH -s SECRET -P SUPERVISOR -S SECRET -A AGENT,AGENT...
 *                  [-q QUEUE,QUEUE] [-r CALLS_PER_S] [-d SECONDS] [-T TALK_MS]
 *                  [-W PATIENCE_MS] [-x SEED] [-R RECONNECT_MS] [-e EVENT_LOG]
 *   ccenter-switch -a ADDR -p SWITCH -s SECRET -n AGENTS -N PREFIX -S SECRET [...]
 *
 * With -n, every session is a descriptor: the soft RLIMIT_NOFILE is raised to the hard
 * limit, and one epoll set watches them all.
 */
#define _DEFAULT_SOURCE
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include "client.h"

enum { C_NONE, C_WAITING, C_OFFERED, C_CONNECTED, C_GONE };

typedef struct call {
  int state;
  int accepted; /* the server answered its enqueue with 0 */
  int queued;   /* its CONTACT_QUEUED arrived (live or by resume) */
  double t_enqueue, t_accept; /* µs, for the latencies */
  int64_t patience_at, end_at; /* ms */
  char agent[64];
} call;

/* What a session needs to come back: who it is, and where its event stream stopped. */
typedef struct session_link {
  int role;
  const char *principal, *secret;
  uint64_t last_seq;  /* the last event it got */
  uint64_t resume_to; /* events up to this one came by its last resume */
} session_link;

typedef struct sim {
  cl_conn sw, sup;
  cl_conn *ac; /* -n: one session per agent */
  session_link *links; /* by session number: 0 the switch, 1 the supervisor, 2 + i agent i */
  const char *addr;
  int64_t reconnect_ms;
  FILE *evlog;
  /* The switch's commands not yet answered, in order (answers come in order): the call
     an enqueue placed, or -1. */
  long *pend;
  size_t pend_head, pend_n, pend_cap;
  char **queues, **agents;
  int nq, na;
  double rate;
  int64_t talk_ms, patience_ms;
  unsigned seed, seed0;
  call *calls;
  size_t ncalls, cap;
  double *lat_q, *lat_c;
  size_t nlat_q, nlat_c;
  unsigned long placed, answered, abandoned, ended, errors;
  unsigned long reconnects, resumed, snapshots, duplicates, unanswered;
} sim;

/* SIGTERM or SIGINT: stop placing calls and report, as at the end of -d. */
static volatile sig_atomic_t g_stop;
/* At the end, how long answers and events in flight are waited for (main). */
#define DRAIN_MS 5000

static void on_stop_signal(int sig)
{
  (void)sig;
  g_stop = 1;
}

static double urand(sim *s)
{
  s->seed = s->seed * 1103515245u + 12345u;
  return ((s->seed >> 8) + 1.0) / 16777217.0;
}

static double expo(sim *s, double mean)
{
  return -mean * log(urand(s));
}

static char **split(char *list, int *n)
{
  char **v = calloc(strlen(list) + 1, sizeof *v);
  *n = 0;
  for (char *p = strtok(list, ","); p; p = strtok(NULL, ","))
    v[(*n)++] = p;
  return v;
}


static call *find(sim *s, const char *contact)
{
  char pre[32];
  snprintf(pre, sizeof pre, "sw%u-", s->seed0);
  size_t n = strlen(pre);
  if (!contact || strncmp(contact, pre, n) != 0)
    return NULL;
  size_t i = strtoull(contact + n, NULL, 10);
  return i < s->ncalls ? &s->calls[i] : NULL;
}

static void pend_push(sim *s, long call_index)
{
  if (s->pend_n == s->pend_cap) {
    size_t cap = s->pend_cap ? 2 * s->pend_cap : 256;
    long *np = malloc(cap * sizeof *np);
    for (size_t k = 0; k < s->pend_n; k++)
      np[k] = s->pend[(s->pend_head + k) % s->pend_cap];
    free(s->pend);
    s->pend = np;
    s->pend_cap = cap;
    s->pend_head = 0;
  }
  s->pend[(s->pend_head + s->pend_n++) % s->pend_cap] = call_index;
}

static long pend_pop(sim *s)
{
  if (!s->pend_n)
    return -1;
  long v = s->pend[s->pend_head];
  s->pend_head = (s->pend_head + 1) % s->pend_cap;
  s->pend_n--;
  return v;
}

static void command_for(sim *s, cl_conn *c, Ccenter__V1__Command *cmd, long call_index)
{
  if (!cl_command(c, cmd))
    s->errors++;
  else if (c == &s->sw)
    pend_push(s, call_index);
}

static void command(sim *s, cl_conn *c, Ccenter__V1__Command *cmd)
{
  command_for(s, c, cmd, -1);
}

static void agent_cmd(sim *s, cl_conn *via, const char *agent, const char *contact, int kind)
{
  Ccenter__V1__Command cmd = CCENTER__V1__COMMAND__INIT;
  Ccenter__V1__AgentRef ar = CCENTER__V1__AGENT_REF__INIT;
  Ccenter__V1__AgentContact ac = CCENTER__V1__AGENT_CONTACT__INIT;
  ar.agent = ac.agent = (char *)agent;
  ac.contact = (char *)contact;
  cmd.cmd_case = (Ccenter__V1__Command__CmdCase)kind;
  if (contact)
    cmd.offer_accept = &ac; /* every AgentContact case shares the union */
  else
    cmd.agent_login = &ar;
  command(s, via, &cmd);
}

static void place(sim *s)
{
  if (s->ncalls == s->cap) {
    s->cap = s->cap ? 2 * s->cap : 1024;
    s->calls = realloc(s->calls, s->cap * sizeof *s->calls);
    s->lat_q = realloc(s->lat_q, s->cap * sizeof *s->lat_q);
    s->lat_c = realloc(s->lat_c, s->cap * sizeof *s->lat_c);
  }
  size_t i = s->ncalls++;
  call *c = &s->calls[i];
  memset(c, 0, sizeof *c);
  char id[48];
  snprintf(id, sizeof id, "sw%u-%zu", s->seed0, i);
  Ccenter__V1__ContactEnqueue e = CCENTER__V1__CONTACT_ENQUEUE__INIT;
  e.contact = id;
  e.queue = s->queues[(size_t)(urand(s) * s->nq) % (size_t)s->nq];
  Ccenter__V1__Command cmd = CCENTER__V1__COMMAND__INIT;
  cmd.cmd_case = CCENTER__V1__COMMAND__CMD_CONTACT_ENQUEUE;
  cmd.contact_enqueue = &e;
  c->state = C_WAITING;
  c->t_enqueue = cl_mono_us();
  c->patience_at = cl_mono_ms() + (int64_t)expo(s, (double)s->patience_ms);
  command_for(s, &s->sw, &cmd, (long)i);
  s->placed++;
}

static void contact_cmd(sim *s, size_t i, int kind)
{
  char id[48];
  snprintf(id, sizeof id, "sw%u-%zu", s->seed0, i);
  Ccenter__V1__ContactRef r = CCENTER__V1__CONTACT_REF__INIT;
  Ccenter__V1__ContactEnd e = CCENTER__V1__CONTACT_END__INIT;
  r.contact = e.contact = id;
  e.by = CCENTER__V1__PARTY__PARTY_CUSTOMER;
  Ccenter__V1__Command cmd = CCENTER__V1__COMMAND__INIT;
  cmd.cmd_case = (Ccenter__V1__Command__CmdCase)kind;
  if (kind == CCENTER__V1__COMMAND__CMD_CONTACT_END)
    cmd.contact_end = &e;
  else
    cmd.contact_abandon = &r;
  command(s, &s->sw, &cmd);
}

/* Frames from the switch session, or from a session playing agents (from), which answers
   their offers and ends their wrap-up itself. */
static size_t link_of(const sim *s, const cl_conn *c)
{
  return c == &s->sw ? 0 : c == &s->sup ? 1 : (size_t)(c - s->ac) + 2;
}

static const char *link_name(const sim *s, size_t i)
{
  return i == 0 ? "switch" : i == 1 ? "supervisor" : s->agents[i - 2];
}

/* An event's number against its session's stream: 0 to act on it, -1 for one it has had
   already (the duplicates a resume may bring are the events that came live between the
   Welcome and the Resume's answer, which reconnect() drops: none should reach here). */
static int take_seq(sim *s, cl_conn *from, uint64_t seq, int type, const char *contact)
{
  session_link *l = &s->links[link_of(s, from)];
  if (seq <= l->last_seq) {
    s->duplicates++;
    return -1;
  }
  int by_resume = seq <= l->resume_to;
  s->resumed += (unsigned long)by_resume;
  l->last_seq = seq;
  if (s->evlog)
    fprintf(s->evlog, "%s %" PRIu64 " %s %s %s\n", link_name(s, link_of(s, from)), seq,
            type < 0 ? "case-event" : cl_enum_name(&ccenter__v1__event_type__descriptor, type),
            contact && *contact ? contact : "-", by_resume ? "resumed" : "live");
  return 0;
}

static void on_frame(sim *s, Ccenter__V1__ServerFrame *f, cl_conn *from)
{
  int from_sup = from != &s->sw;
  if (f->body_case == CCENTER__V1__SERVER_FRAME__BODY_RESPONSE) {
    if (f->response->code < 0)
      s->errors++;
    long ci = from == &s->sw ? pend_pop(s) : -1;
    if (ci >= 0 && f->response->code == 0)
      s->calls[ci].accepted = 1;
    return;
  }
  if (f->body_case == CCENTER__V1__SERVER_FRAME__BODY_CASE_EVENT)
    take_seq(s, from, f->case_event->seq, -1, NULL);
  if (f->body_case != CCENTER__V1__SERVER_FRAME__BODY_EVENT)
    return;
  const Ccenter__V1__Event *e = f->event;
  if (take_seq(s, from, e->seq, e->type, e->contact))
    return;
  call *c = find(s, e->contact);
  if (!c)
    return;
  switch (e->type) {
  case CCENTER__V1__EVENT_TYPE__EV_CONTACT_QUEUED:
    if (!from_sup)
      c->queued = 1;
    if (!from_sup && c->t_enqueue > 0) {
      s->lat_q[s->nlat_q++] = cl_mono_us() - c->t_enqueue;
      c->t_enqueue = 0;
    }
    break;
  case CCENTER__V1__EVENT_TYPE__EV_CONTACT_OFFERED:
    if (from_sup && c->state == C_WAITING) {
      c->state = C_OFFERED;
      snprintf(c->agent, sizeof c->agent, "%s", e->agent);
      c->t_accept = cl_mono_us();
      agent_cmd(s, from, e->agent, e->contact, CCENTER__V1__COMMAND__CMD_OFFER_ACCEPT);
    }
    break;
  case CCENTER__V1__EVENT_TYPE__EV_CONTACT_CONNECTED:
    if (from_sup && c->state == C_OFFERED) {
      c->state = C_CONNECTED;
      s->answered++;
      s->lat_c[s->nlat_c++] = cl_mono_us() - c->t_accept;
      c->end_at = cl_mono_ms() + (int64_t)expo(s, (double)s->talk_ms);
    }
    break;
  case CCENTER__V1__EVENT_TYPE__EV_OFFER_WITHDRAWN:
    if (from_sup && c->state == C_OFFERED)
      c->state = C_WAITING;
    break;
  case CCENTER__V1__EVENT_TYPE__EV_CONVERSATION_ENDED:
    if (from_sup && e->agent && *e->agent)
      agent_cmd(s, from, e->agent, e->contact, CCENTER__V1__COMMAND__CMD_WRAP_UP_END);
    break;
  case CCENTER__V1__EVENT_TYPE__EV_CONTACT_ENDED:
    if (!from_sup)
      c->state = C_GONE;
    break;
  default:
    break;
  }
}

/* A command of the switch session not answered yet, or a call the server accepted whose
   CONTACT_QUEUED has not come yet. */
static int in_flight(const sim *s)
{
  if (s->pend_n)
    return 1;
  for (size_t i = 0; i < s->ncalls; i++)
    if (s->calls[i].accepted && !s->calls[i].queued)
      return 1;
  return 0;
}

static int cmp_d(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void report(sim *s, const char *why)
{
  printf("ccenter-switch: %s\nplaced=%lu answered=%lu abandoned=%lu ended=%lu errors=%lu\n",
         why, s->placed, s->answered, s->abandoned, s->ended, s->errors);
  unsigned long lost = 0;
  for (size_t i = 0; i < s->ncalls; i++)
    lost += s->calls[i].accepted && !s->calls[i].queued;
  printf("resume reconnects=%lu resumed_events=%lu snapshots=%lu duplicates=%lu "
         "unanswered=%lu lost=%lu\n",
         s->reconnects, s->resumed, s->snapshots, s->duplicates, s->unanswered + s->pend_n,
         lost);
  double *v[] = {s->lat_q, s->lat_c};
  size_t n[] = {s->nlat_q, s->nlat_c};
  const char *name[] = {"enqueue->queued", "accept->connected"};
  for (int k = 0; k < 2; k++) {
    if (!n[k]) {
      printf("%s n=0\n", name[k]);
      continue;
    }
    qsort(v[k], n[k], sizeof *v[k], cmp_d);
    printf("%s n=%zu p50=%.0fus p99=%.0fus max=%.0fus\n", name[k], n[k], v[k][n[k] / 2],
           v[k][(size_t)((double)(n[k] - 1) * 0.99)], v[k][n[k] - 1]);
  }
  fflush(stdout);
}

static int watch(int ep, const cl_conn *c, uint32_t i)
{
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
  return epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
}

static cl_conn *conn_at(sim *s, uint32_t i)
{
  return i == 0 ? &s->sw : i == 1 ? &s->sup : &s->ac[i - 2];
}

/* A snapshot instead of the missed events: the calls take the state it shows. A session
   that plays agents answers what is offered to them and ends their wrap-up; the switch
   forgets the calls that are gone. */
static void apply_snapshot(sim *s, cl_conn *via, const Ccenter__V1__Snapshot *snap)
{
  int plays_agents = via != &s->sw;
  char *present = calloc(s->ncalls + 1, 1);
  for (size_t k = 0; k < snap->n_contacts; k++) {
    const Ccenter__V1__ContactInfo *ci = snap->contacts[k];
    call *c = find(s, ci->contact);
    if (!c)
      continue;
    present[c - s->calls] = 1;
    if (!plays_agents || c->state == C_GONE)
      continue;
    if (ci->state == CCENTER__V1__CONTACT_STATE__CONTACT_OFFERED && ci->agent && *ci->agent) {
      c->state = C_OFFERED;
      snprintf(c->agent, sizeof c->agent, "%s", ci->agent);
      agent_cmd(s, via, ci->agent, ci->contact, CCENTER__V1__COMMAND__CMD_OFFER_ACCEPT);
    } else if (ci->state == CCENTER__V1__CONTACT_STATE__CONTACT_CONNECTED &&
               c->state != C_CONNECTED) {
      c->state = C_CONNECTED;
      s->answered++;
      c->end_at = cl_mono_ms() + (int64_t)expo(s, (double)s->talk_ms);
    } else if (ci->state == CCENTER__V1__CONTACT_STATE__CONTACT_WRAP_UP && c->agent[0]) {
      agent_cmd(s, via, c->agent, ci->contact, CCENTER__V1__COMMAND__CMD_WRAP_UP_END);
    }
  }
  for (size_t i = 0; !plays_agents && i < s->ncalls; i++)
    if (!present[i] && s->calls[i].state != C_GONE)
      s->calls[i].state = C_GONE;
  free(present);
}

/* Resume after the session's last event: 0 (the missed events follow, or a snapshot was
   applied), 1 when the connection went meanwhile, -1 when the server refused. Events that
   arrive before the answer came live after the Welcome: the resume sends them again. */
static int resume(sim *s, cl_conn *c, session_link *l)
{
  Ccenter__V1__Resume r = CCENTER__V1__RESUME__INIT;
  r.after_seq = l->last_seq;
  Ccenter__V1__ClientFrame f = CCENTER__V1__CLIENT_FRAME__INIT;
  f.body_case = CCENTER__V1__CLIENT_FRAME__BODY_RESUME;
  f.resume = &r;
  uint64_t id = cl_send(c, &f);
  if (!id)
    return 1;
  for (;;) {
    int eof, rc = -2;
    Ccenter__V1__ServerFrame *fr = cl_recv(c, 30000, &eof);
    if (!fr)
      return 1;
    if (fr->request_id == id && fr->body_case == CCENTER__V1__SERVER_FRAME__BODY_RESPONSE) {
      if (fr->response->code || !fr->response->resume) {
        fprintf(stderr, "ccenter-switch: resume after %" PRIu64 " refused: %s\n", l->last_seq,
                fr->response->message ? fr->response->message : "");
        rc = -1;
      } else if (!fr->response->resume->too_old) {
        l->resume_to = fr->response->resume->last_seq;
        rc = 0;
      }
    } else if (fr->request_id == id &&
               fr->body_case == CCENTER__V1__SERVER_FRAME__BODY_SNAPSHOT) {
      apply_snapshot(s, c, fr->snapshot);
      l->last_seq = l->resume_to = fr->snapshot->last_seq;
      s->snapshots++;
      rc = 0;
    } else if (fr->body_case == CCENTER__V1__SERVER_FRAME__BODY_GOODBYE) {
      rc = 1;
    }
    cl_free(fr);
    if (rc != -2)
      return rc;
  }
}

/* Session i was closed by the server: connect again (until -R runs out), shake hands and
   resume. 0, or -1 when it cannot come back. The switch's commands in flight are lost
   with the connection: their calls' outcomes show in the events. */
static int reconnect(sim *s, int ep, uint32_t i)
{
  cl_conn *c = conn_at(s, i);
  session_link *l = &s->links[i];
  cl_close(c);
  if (i == 0) {
    s->unanswered += s->pend_n;
    s->pend_n = 0;
  }
  int64_t deadline = cl_mono_ms() + s->reconnect_ms;
  while (s->reconnect_ms && cl_mono_ms() < deadline && !g_stop) {
    cl_close(c);
    if (cl_connect(c, s->addr)) {
      usleep(50000);
      continue;
    }
    int rc = cl_hello(c, l->role, l->principal, l->secret, NULL);
    if (rc == CL_EOF || rc == CL_TIMEOUT || (rc == 0 && (rc = resume(s, c, l)) == 1)) {
      usleep(50000);
      continue;
    }
    if (rc || watch(ep, c, i)) {
      fprintf(stderr, "ccenter-switch: session %s cannot come back (%d)\n", link_name(s, i), rc);
      return -1;
    }
    s->reconnects++;
    return 0;
  }
  return -1;
}

/* Reads what the sessions have; 0, or -1 when the server closed one that could not come
   back. An epoll item's number is its session: 0 the switch, 1 the supervisor, 2 + i
   agent i. */
static int pump(sim *s, int ep, int timeout_ms)
{
  struct epoll_event ev[256];
  int n = epoll_wait(ep, ev, 256, timeout_ms);
  for (int k = 0; k < n; k++) {
    uint32_t i = ev[k].data.u32;
    cl_conn *c = conn_at(s, i);
    int eof = 0;
    Ccenter__V1__ServerFrame *f;
    while ((f = cl_recv(c, 0, &eof))) {
      on_frame(s, f, c);
      cl_free(f);
    }
    if (eof && reconnect(s, ep, i))
      return -1;
  }
  return 0;
}

/* One descriptor per agent session, a few more for the rest. */
static int raise_nofile(long need)
{
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl))
    return -1;
  if (rl.rlim_cur != RLIM_INFINITY && (long)rl.rlim_cur < need) {
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl))
      return -1;
  }
  return rl.rlim_cur == RLIM_INFINITY || (long)rl.rlim_cur >= need ? 0 : -1;
}

/* -n: each agent connects, shakes hands as itself, logs in and is made ready. */
static int connect_agents(sim *s, int ep, const char *addr, const char *prefix,
                          const char *secret)
{
  if (raise_nofile(s->na + 16L)) {
    fprintf(stderr, "ccenter-switch: %d sessions need more descriptors than the hard "
                    "RLIMIT_NOFILE allows\n", s->na);
    return -1;
  }
  s->ac = calloc((size_t)s->na, sizeof *s->ac);
  s->agents = calloc((size_t)s->na, sizeof *s->agents);
  double t0 = cl_mono_us();
  for (int i = 0; i < s->na; i++) {
    char name[64];
    snprintf(name, sizeof name, "%s%05d", prefix, i);
    s->agents[i] = strdup(name);
    s->links[i + 2] = (session_link){.role = 2, .principal = s->agents[i], .secret = secret};
    if (cl_connect(&s->ac[i], addr))
      return -1;
    int rc = cl_hello(&s->ac[i], 2, name, secret, NULL);
    if (rc) {
      fprintf(stderr, "ccenter-switch: handshake of %s refused (%d)\n", name, rc);
      return -1;
    }
    agent_cmd(s, &s->ac[i], name, NULL, CCENTER__V1__COMMAND__CMD_AGENT_LOGIN);
    agent_cmd(s, &s->ac[i], name, NULL, CCENTER__V1__COMMAND__CMD_AGENT_READY);
    if (watch(ep, &s->ac[i], (uint32_t)i + 2))
      return -1;
  }
  printf("agents=%d sessions connected, logged in and ready in %.1f s\n", s->na,
         (cl_mono_us() - t0) / 1e6);
  fflush(stdout);
  return 0;
}

int main(int argc, char **argv)
{
  sim s = {.rate = 10, .talk_ms = 3000, .patience_ms = 60000, .seed = 1};
  const char *addr = NULL, *swp = NULL, *sws = NULL, *supp = NULL, *sups = NULL;
  const char *prefix = "agent";
  char qdef[] = "sales";
  char *ql = qdef, *al = NULL;
  double duration = 10;
  int ch, nagents = 0;
  const char *evlog = NULL;
  while ((ch = getopt(argc, argv, "a:p:s:P:S:A:q:r:d:T:W:x:n:N:R:e:")) != -1) {
    switch (ch) {
    case 'a': addr = optarg; break;
    case 'p': swp = optarg; break;
    case 's': sws = optarg; break;
    case 'P': supp = optarg; break;
    case 'S': sups = optarg; break;
    case 'A': al = optarg; break;
    case 'q': ql = optarg; break;
    case 'r': s.rate = atof(optarg); break;
    case 'd': duration = atof(optarg); break;
    case 'T': s.talk_ms = atoll(optarg); break;
    case 'W': s.patience_ms = atoll(optarg); break;
    case 'x': s.seed = (unsigned)strtoul(optarg, NULL, 10); break;
    case 'n': nagents = atoi(optarg); break;
    case 'N': prefix = optarg; break;
    case 'R': s.reconnect_ms = atoll(optarg); break;
    case 'e': evlog = optarg; break;
    default:
      fprintf(stderr, "usage: ccenter-switch -a ADDR -p SWITCH -s SECRET {-P SUPERVISOR -A "
                      "AGENTS | -n N [-N PREFIX]} -S SECRET [-q QUEUES] [-r RATE] [-d S] "
                      "[-T MS] [-W MS] [-x SEED] [-R RECONNECT_MS] [-e EVENT_LOG]\n");
      return 2;
    }
  }
  int per_agent = nagents > 0;
  if (!addr || !swp || !sws || !sups || s.rate <= 0 ||
      (per_agent ? nagents > 1000000 || al || supp : !supp || !al)) {
    fprintf(stderr, "ccenter-switch: -a, -p, -s, -S and either -P and -A or -n are needed\n");
    return 2;
  }
  s.seed0 = s.seed;
  s.queues = split(ql, &s.nq);
  s.sup.fd = -1;
  s.addr = addr;
  if (evlog && !(s.evlog = fopen(evlog, "w"))) {
    perror(evlog);
    return 2;
  }
  if (s.evlog)
    setvbuf(s.evlog, NULL, _IOLBF, 0); /* followed while it runs */
  struct sigaction sa = {.sa_handler = on_stop_signal};
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  s.links = calloc((size_t)nagents + 2, sizeof *s.links);
  s.links[0] = (session_link){.role = 1, .principal = swp, .secret = sws};
  s.links[1] = (session_link){.role = 3, .principal = supp, .secret = sups};
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0 || cl_connect(&s.sw, addr) || watch(ep, &s.sw, 0))
    return 2;
  if (cl_hello(&s.sw, 1, swp, sws, NULL)) {
    fprintf(stderr, "ccenter-switch: handshake refused\n");
    return 1;
  }
  if (per_agent) {
    s.na = nagents;
    if (connect_agents(&s, ep, addr, prefix, sups))
      return 1;
  } else {
    s.agents = split(al, &s.na);
    if (cl_connect(&s.sup, addr) || watch(ep, &s.sup, 1))
      return 2;
    if (cl_hello(&s.sup, 3, supp, sups, NULL)) {
      fprintf(stderr, "ccenter-switch: handshake refused\n");
      return 1;
    }
    for (int i = 0; i < s.na; i++) {
      agent_cmd(&s, &s.sup, s.agents[i], NULL, CCENTER__V1__COMMAND__CMD_AGENT_LOGIN);
      agent_cmd(&s, &s.sup, s.agents[i], NULL, CCENTER__V1__COMMAND__CMD_AGENT_READY);
    }
  }
  int64_t start = cl_mono_ms(), stop_at = start + (int64_t)(duration * 1000);
  double next_arrival = (double)start + expo(&s, 1000.0 / s.rate);
  const char *why = "done";
  for (;;) {
    int64_t now = cl_mono_ms();
    while (now < stop_at && next_arrival <= (double)now) {
      place(&s);
      next_arrival += expo(&s, 1000.0 / s.rate);
    }
    for (size_t i = 0; i < s.ncalls; i++) {
      call *c = &s.calls[i];
      if (c->state == C_WAITING && c->patience_at <= now) {
        contact_cmd(&s, i, CCENTER__V1__COMMAND__CMD_CONTACT_ABANDON);
        c->state = C_GONE;
        s.abandoned++;
      } else if (c->state == C_CONNECTED && c->end_at <= now) {
        contact_cmd(&s, i, CCENTER__V1__COMMAND__CMD_CONTACT_END);
        c->state = C_GONE;
        s.ended++;
      }
    }
    if (now >= stop_at || g_stop) {
      why = g_stop ? "stopped by a signal" : why;
      break;
    }
    if (pump(&s, ep, 5) < 0) {
      why = "the server closed the session";
      break;
    }
  }
  /* A run ends (its duration, a signal) between commands and what they cause: wait a
     little for the answers and events already on their way, so that the report's
     unanswered and lost count what never came, not what was still in flight. No call is
     placed meanwhile. */
  int64_t drain_until = cl_mono_ms() + DRAIN_MS;
  while (strcmp(why, "the server closed the session") != 0 && in_flight(&s) &&
         cl_mono_ms() < drain_until)
    if (pump(&s, ep, 5) < 0)
      break;
  report(&s, why);
  cl_close(&s.sw);
  cl_close(&s.sup);
  for (int i = 0; per_agent && i < s.na; i++) {
    cl_close(&s.ac[i]);
    free(s.agents[i]);
  }
  free(s.ac);
  free(s.agents);
  free(s.queues);
  free(s.calls);
  free(s.links);
  free(s.pend);
  if (s.evlog)
    fclose(s.evlog);
  free(s.lat_q);
  free(s.lat_c);
  close(ep);
  return strcmp(why, "done") != 0 && !g_stop;
}
