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
 *   ccenter-switch -a ADDR -p SWITCH -s SECRET -P SUPERVISOR -S SECRET -A AGENT,AGENT...
 *                  [-q QUEUE,QUEUE] [-r CALLS_PER_S] [-d SECONDS] [-T TALK_MS]
 *                  [-W PATIENCE_MS] [-x SEED]
 *   ccenter-switch -a ADDR -p SWITCH -s SECRET -n AGENTS -N PREFIX -S SECRET [...]
 *
 * With -n, every session is a descriptor: the soft RLIMIT_NOFILE is raised to the hard
 * limit, and one epoll set watches them all.
 */
#define _DEFAULT_SOURCE
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include "client.h"

enum { C_NONE, C_WAITING, C_OFFERED, C_CONNECTED, C_GONE };

typedef struct call {
  int state;
  double t_enqueue, t_accept; /* µs, for the latencies */
  int64_t patience_at, end_at; /* ms */
  char agent[64];
} call;

typedef struct sim {
  cl_conn sw, sup;
  cl_conn *ac; /* -n: one session per agent */
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
} sim;

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

static void command(sim *s, cl_conn *c, Ccenter__V1__Command *cmd)
{
  if (!cl_command(c, cmd))
    s->errors++;
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
  command(s, &s->sw, &cmd);
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
static void on_frame(sim *s, Ccenter__V1__ServerFrame *f, cl_conn *from)
{
  int from_sup = from != &s->sw;
  if (f->body_case == CCENTER__V1__SERVER_FRAME__BODY_RESPONSE) {
    if (f->response->code < 0)
      s->errors++;
    return;
  }
  if (f->body_case != CCENTER__V1__SERVER_FRAME__BODY_EVENT)
    return;
  const Ccenter__V1__Event *e = f->event;
  call *c = find(s, e->contact);
  if (!c)
    return;
  switch (e->type) {
  case CCENTER__V1__EVENT_TYPE__EV_CONTACT_QUEUED:
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

static int cmp_d(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void report(sim *s, const char *why)
{
  printf("ccenter-switch: %s\nplaced=%lu answered=%lu abandoned=%lu ended=%lu errors=%lu\n",
         why, s->placed, s->answered, s->abandoned, s->ended, s->errors);
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

/* Reads what the sessions have; 0, or -1 when the server closed one. An epoll item's
   number is its session: 0 the switch, 1 the supervisor, 2 + i agent i. */
static int pump(sim *s, int ep, int timeout_ms)
{
  struct epoll_event ev[256];
  int n = epoll_wait(ep, ev, 256, timeout_ms);
  for (int k = 0; k < n; k++) {
    uint32_t i = ev[k].data.u32;
    cl_conn *c = i == 0 ? &s->sw : i == 1 ? &s->sup : &s->ac[i - 2];
    int eof = 0;
    Ccenter__V1__ServerFrame *f;
    while ((f = cl_recv(c, 0, &eof))) {
      on_frame(s, f, c);
      cl_free(f);
    }
    if (eof)
      return -1;
  }
  return 0;
}

static int watch(int ep, const cl_conn *c, uint32_t i)
{
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
  return epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
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
  while ((ch = getopt(argc, argv, "a:p:s:P:S:A:q:r:d:T:W:x:n:N:")) != -1) {
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
    default:
      fprintf(stderr, "usage: ccenter-switch -a ADDR -p SWITCH -s SECRET {-P SUPERVISOR -A "
                      "AGENTS | -n N [-N PREFIX]} -S SECRET [-q QUEUES] [-r RATE] [-d S] "
                      "[-T MS] [-W MS] [-x SEED]\n");
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
    if (now >= stop_at)
      break;
    if (pump(&s, ep, 5) < 0) {
      why = "the server closed the session";
      break;
    }
  }
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
  free(s.lat_q);
  free(s.lat_c);
  close(ep);
  return strcmp(why, "done") != 0;
}
