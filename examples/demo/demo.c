/*
 * ccenter-demo: a few minutes of a bank's phone line, on virtual time.
 *
 * Two queues ("cards" for card problems, "vip" for private-banking customers), three
 * agents, seven callers arriving at set times. Agents pick up an offer 3 seconds after it
 * starts ringing and talk for as long as the script says; one caller gives up before
 * anyone answers. Every event the engine raises is printed as one line, then a summary per
 * queue.
 *
 * Nothing here reads a clock: the program decides what time it is and passes it to every
 * call, so the output is the same on every run and the few minutes take no time at all.
 *
 * The pattern worth copying is the one for actions. The engine forbids state-changing calls
 * from inside the event callback (see "Re-entrancy" in ccenter/engine.h), so the callback
 * only writes down what should happen and when ("agent 1002 answers c3 at +8 s"); the main
 * loop carries it out after the engine call has returned.
 */
#include <ccenter/engine.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEC INT64_C(1000) /* engine time is in milliseconds */

/* The demo's clock starts here; any value works, the engine only compares times. */
#define T0 (INT64_C(1000000) * SEC)

/* An agent picks up this long after the offer starts ringing (the ring timeout is 15 s). */
#define ANSWER_DELAY (3 * SEC)

/* Service-level threshold of the summary: answered within 20 seconds. */
#define SLA_THRESHOLD (20 * SEC)

/* The demo gives up at this time even if the engine still has timers armed. */
#define END_OF_DEMO (T0 + 30 * 60 * SEC)

/* ---------------------------------------------------------------------------------- */
/* The script of the morning                                                          */

static const char *const queue_names[] = {"cards", "vip"};
#define N_QUEUES (sizeof queue_names / sizeof queue_names[0])

typedef struct agent_spec {
  const char *id;
  const char *serves[N_QUEUES]; /* NULL-terminated when shorter */
} agent_spec;

static const agent_spec agents[] = {
  {"1001", {"cards", NULL}},
  {"1002", {"cards", "vip"}},
  {"1003", {"vip", NULL}},
};
#define N_AGENTS (sizeof agents / sizeof agents[0])

typedef struct caller {
  int64_t at;       /* arrival, seconds after T0 */
  const char *id;
  const char *queue;
  int64_t patience; /* hangs up after waiting this long unless answered; 0 = never */
  int64_t talk;     /* conversation length once answered */
} caller;

static const caller callers[] = {
  {0 * SEC, "c1", "cards", 0, 40 * SEC},
  {2 * SEC, "c2", "vip", 0, 35 * SEC},
  {5 * SEC, "c3", "cards", 0, 50 * SEC},
  {9 * SEC, "c4", "cards", 0, 25 * SEC},
  {12 * SEC, "c5", "vip", 0, 30 * SEC},
  {14 * SEC, "c6", "cards", 20 * SEC, 30 * SEC}, /* gives up after 20 s */
  {30 * SEC, "c7", "vip", 0, 20 * SEC},
};
#define N_CALLERS (sizeof callers / sizeof callers[0])

/* Wrap-up (after-call work) per queue. */
static const int64_t wrap_up_ms[N_QUEUES] = {5 * SEC, 10 * SEC};

/* ---------------------------------------------------------------------------------- */
/* Actions written down by the event callback, carried out by the main loop           */

typedef enum action_kind { ACT_ACCEPT, ACT_END, ACT_ABANDON } action_kind;

typedef struct action {
  int64_t at;
  action_kind kind;
  char contact[CCENTER_MAX_ID + 1];
  char agent[CCENTER_MAX_ID + 1]; /* empty when it does not apply */
} action;

#define MAX_ACTIONS 64

typedef struct queue_stats {
  unsigned arrived;
  unsigned answered;
  unsigned answered_in_sla;
  unsigned abandoned;
  unsigned handled;
  int64_t wait_total_ms; /* of the answered contacts */
  int64_t longest_wait_ms; /* of the answered and the abandoned contacts */
} queue_stats;

typedef struct demo {
  action actions[MAX_ACTIONS]; /* in the order they were written down */
  size_t n_actions;
  int overflow;                /* an action did not fit: the run is not trustworthy */
  queue_stats stats[N_QUEUES];
} demo;

static void copy_id(char *dst, const char *src)
{
  size_t n = src ? strlen(src) : 0;
  if (n > CCENTER_MAX_ID)
    n = CCENTER_MAX_ID;
  if (n)
    memcpy(dst, src, n);
  dst[n] = '\0';
}

static void schedule(demo *d, int64_t at, action_kind kind, const char *contact,
                     const char *agent)
{
  if (d->n_actions == MAX_ACTIONS) {
    d->overflow = 1;
    return;
  }
  action *a = &d->actions[d->n_actions++];
  a->at = at;
  a->kind = kind;
  copy_id(a->contact, contact);
  copy_id(a->agent, agent);
}

/* Drops the actions of that kind for that contact (and agent, if not NULL). */
static void cancel(demo *d, action_kind kind, const char *contact, const char *agent)
{
  size_t kept = 0;
  for (size_t i = 0; i < d->n_actions; i++) {
    const action *a = &d->actions[i];
    int match = a->kind == kind && strcmp(a->contact, contact) == 0 &&
                (agent == NULL || strcmp(a->agent, agent) == 0);
    if (!match)
      d->actions[kept++] = *a;
  }
  d->n_actions = kept;
}

/* Index of the earliest action (the first written down among equal times), or -1. */
static int earliest(const demo *d)
{
  int best = -1;
  for (size_t i = 0; i < d->n_actions; i++)
    if (best < 0 || d->actions[i].at < d->actions[best].at)
      best = (int)i;
  return best;
}

static action take(demo *d, int i)
{
  action a = d->actions[i];
  memmove(&d->actions[i], &d->actions[i + 1],
          (d->n_actions - (size_t)i - 1) * sizeof d->actions[0]);
  d->n_actions--;
  return a;
}

static const caller *find_caller(const char *id)
{
  for (size_t i = 0; i < N_CALLERS; i++)
    if (strcmp(callers[i].id, id) == 0)
      return &callers[i];
  return NULL;
}

static queue_stats *stats_of(demo *d, const char *queue)
{
  for (size_t i = 0; queue && i < N_QUEUES; i++)
    if (strcmp(queue_names[i], queue) == 0)
      return &d->stats[i];
  return NULL;
}

/* ---------------------------------------------------------------------------------- */
/* Printing                                                                           */

static const char *presence_name(ccenter_agent_state s)
{
  switch (s) {
  case CCENTER_AGENT_LOGGED_OUT: return "LOGGED_OUT";
  case CCENTER_AGENT_NOT_READY: return "NOT_READY";
  case CCENTER_AGENT_READY: return "READY";
  }
  return "?";
}

static const char *outcome_name(ccenter_outcome o)
{
  switch (o) {
  case CCENTER_OUTCOME_NONE: return "none";
  case CCENTER_OUTCOME_HANDLED: return "handled";
  case CCENTER_OUTCOME_ABANDONED: return "abandoned";
  case CCENTER_OUTCOME_TIMED_OUT: return "timed-out";
  case CCENTER_OUTCOME_EXIT_EMPTY: return "exit-empty";
  case CCENTER_OUTCOME_REMOVED: return "removed";
  }
  return "?";
}

/* Prints a duration in milliseconds as seconds: "12.000s". */
static void print_seconds(int64_t ms)
{
  if (ms < 0) {
    putchar('-');
    ms = -ms;
  }
  printf("%" PRId64 ".%03" PRId64 "s", ms / 1000, ms % 1000);
}

static void print_event(const ccenter_event *ev)
{
  printf("t=+");
  print_seconds(ev->time - T0);
  printf(" %s", ccenter_event_name(ev->type));
  if (ev->contact)
    printf(" contact=%s", ev->contact);
  if (ev->agent)
    printf(" agent=%s", ev->agent);
  if (ev->queue)
    printf(" queue=%s", ev->queue);
  if (ev->queue_to)
    printf(" queue_to=%s", ev->queue_to);
  if (ev->agent_to)
    printf(" agent_to=%s", ev->agent_to);

  switch (ev->type) {
  case CCENTER_EV_AGENT_STATE:
    printf(" state=%s prev=%s", presence_name(ev->state), presence_name(ev->prev_state));
    break;
  case CCENTER_EV_CONTACT_QUEUED:
  case CCENTER_EV_ANNOUNCE:
    printf(" position=%d", ev->position);
    break;
  case CCENTER_EV_CONTACT_CONNECTED:
    printf(" wait=");
    print_seconds(ev->wait_ms);
    break;
  case CCENTER_EV_CONVERSATION_ENDED:
  case CCENTER_EV_WRAP_UP_ENDED:
    printf(" duration=");
    print_seconds(ev->duration_ms);
    break;
  case CCENTER_EV_CONTACT_ENDED:
    printf(" outcome=%s wait=", outcome_name(ev->outcome));
    print_seconds(ev->wait_ms);
    break;
  default:
    break;
  }
  if (ev->reason)
    printf(" reason=%s", ev->reason);
  putchar('\n');
}

/* ---------------------------------------------------------------------------------- */
/* The event callback: print, count, write down what to do. No state-changing calls.   */

static void on_event(ccenter_engine *engine, const ccenter_event *ev, void *ud)
{
  demo *d = ud;
  queue_stats *qs = stats_of(d, ev->queue);
  const caller *c = ev->contact ? find_caller(ev->contact) : NULL;
  (void)engine; /* queries would be allowed here; this demo needs none */

  print_event(ev);

  switch (ev->type) {
  case CCENTER_EV_CONTACT_QUEUED:
    if (qs)
      qs->arrived++;
    break;
  case CCENTER_EV_CONTACT_OFFERED:
    /* The agent's phone rings; they pick up a few seconds later. */
    schedule(d, ev->time + ANSWER_DELAY, ACT_ACCEPT, ev->contact, ev->agent);
    break;
  case CCENTER_EV_OFFER_WITHDRAWN:
    /* The ringing stopped (the caller hung up, the ring timed out...): nothing to answer. */
    cancel(d, ACT_ACCEPT, ev->contact, ev->agent);
    break;
  case CCENTER_EV_CONTACT_CONNECTED:
    if (qs) {
      qs->answered++;
      qs->wait_total_ms += ev->wait_ms;
      if (ev->wait_ms <= SLA_THRESHOLD)
        qs->answered_in_sla++;
      if (ev->wait_ms > qs->longest_wait_ms)
        qs->longest_wait_ms = ev->wait_ms;
    }
    /* Someone answered: the caller no longer hangs up; the conversation has a length. */
    cancel(d, ACT_ABANDON, ev->contact, NULL);
    if (c)
      schedule(d, ev->time + c->talk, ACT_END, ev->contact, ev->agent);
    break;
  case CCENTER_EV_CONTACT_ENDED:
    if (qs) {
      if (ev->outcome == CCENTER_OUTCOME_HANDLED)
        qs->handled++;
      if (ev->outcome == CCENTER_OUTCOME_ABANDONED) {
        qs->abandoned++;
        /* Never answered: the whole wait counts (answered ones counted at CONNECTED). */
        if (ev->wait_ms > qs->longest_wait_ms)
          qs->longest_wait_ms = ev->wait_ms;
      }
    }
    cancel(d, ACT_ACCEPT, ev->contact, NULL);
    cancel(d, ACT_END, ev->contact, NULL);
    cancel(d, ACT_ABANDON, ev->contact, NULL);
    break;
  default:
    break;
  }
}

/* ---------------------------------------------------------------------------------- */
/* Main                                                                               */

static int check(int rc, const char *what, const char *arg)
{
  if (rc < 0) {
    fprintf(stderr, "ccenter-demo: %s(%s): %s (%s)\n", what, arg ? arg : "",
            ccenter_strerror(rc), ccenter_err_name(rc));
    exit(EXIT_FAILURE);
  }
  return rc;
}

static void carry_out(ccenter_engine *e, const action *a, int64_t now)
{
  switch (a->kind) {
  case ACT_ACCEPT:
    check(ccenter_offer_accept(e, a->agent, a->contact, now), "ccenter_offer_accept",
          a->contact);
    break;
  case ACT_END:
    check(ccenter_contact_end(e, a->contact, now), "ccenter_contact_end", a->contact);
    break;
  case ACT_ABANDON:
    check(ccenter_contact_abandon(e, a->contact, now), "ccenter_contact_abandon", a->contact);
    break;
  }
}

static void print_summary(demo *d, const ccenter_engine *e, int64_t now)
{
  printf("\nqueue   arrived answered abandoned handled  avg-wait  longest  sl-%" PRId64
         "s\n", SLA_THRESHOLD / SEC);
  for (size_t i = 0; i < N_QUEUES; i++) {
    const queue_stats *qs = &d->stats[i];
    int64_t avg = qs->answered ? qs->wait_total_ms / qs->answered : 0;
    unsigned decided = qs->answered + qs->abandoned;
    ccenter_queue_info info;
    memset(&info, 0, sizeof info);
    info.size = sizeof info;
    check(ccenter_queue_info_get(e, queue_names[i], now, &info), "ccenter_queue_info_get",
          queue_names[i]);
    printf("%-7s %7u %8u %9u %7u %8.1fs %7.1fs %5u%%   (waiting now: %u)\n", queue_names[i],
           qs->arrived, qs->answered, qs->abandoned, qs->handled, (double)avg / 1000.0,
           (double)qs->longest_wait_ms / 1000.0,
           decided ? (100u * qs->answered_in_sla + decided / 2) / decided : 100u,
           info.waiting);
  }
  printf("sl-%" PRId64 "s: share of the answered and abandoned contacts answered within %" PRId64
         " s\n", SLA_THRESHOLD / SEC, SLA_THRESHOLD / SEC);
}

int main(void)
{
  static demo d; /* zeroed; static only to keep a few KiB off the stack */
  ccenter_engine *e = NULL;
  int64_t now = T0;

  printf("libccenter %s: a bank's phone line, virtual time\n\n", ccenter_version_string());

  ccenter_options *opts = ccenter_options_new();
  if (!opts) {
    fprintf(stderr, "ccenter-demo: out of memory\n");
    return EXIT_FAILURE;
  }
  check(ccenter_options_set_event_callback(opts, on_event, &d),
        "ccenter_options_set_event_callback", NULL);
  check(ccenter_engine_new(opts, now, &e), "ccenter_engine_new", NULL);
  ccenter_options_free(opts); /* the engine keeps its own copy */

  for (size_t q = 0; q < N_QUEUES; q++) {
    check(ccenter_queue_add(e, queue_names[q], now), "ccenter_queue_add", queue_names[q]);
    check(ccenter_queue_set(e, queue_names[q], CCENTER_QUEUE_WRAP_UP, wrap_up_ms[q], now),
          "ccenter_queue_set", queue_names[q]);
  }
  for (size_t a = 0; a < N_AGENTS; a++) {
    const char *id = agents[a].id;
    check(ccenter_agent_add(e, id, now), "ccenter_agent_add", id);
    for (size_t q = 0; q < N_QUEUES && agents[a].serves[q]; q++)
      check(ccenter_agent_serve(e, id, agents[a].serves[q], now), "ccenter_agent_serve", id);
    check(ccenter_agent_login(e, id, now), "ccenter_agent_login", id);
    check(ccenter_agent_ready(e, id, now), "ccenter_agent_ready", id);
  }

  size_t next_caller = 0;
  for (;;) {
    /* The next thing that happens: a caller arrives, someone acts, or an engine timer. */
    int64_t next = ccenter_engine_next_deadline(e);
    if (next_caller < N_CALLERS && T0 + callers[next_caller].at < next)
      next = T0 + callers[next_caller].at;
    int i = earliest(&d);
    if (i >= 0 && d.actions[i].at < next)
      next = d.actions[i].at;
    if (next == CCENTER_NO_DEADLINE || next > END_OF_DEMO)
      break;
    now = next;

    /* Timers due by now fire first, so everything below sees an up-to-date engine. */
    check(ccenter_engine_advance(e, now), "ccenter_engine_advance", NULL);

    while (next_caller < N_CALLERS && T0 + callers[next_caller].at == now) {
      const caller *c = &callers[next_caller++];
      check(ccenter_contact_enqueue(e, c->id, c->queue, NULL, now), "ccenter_contact_enqueue",
            c->id);
      if (c->patience > 0)
        schedule(&d, now + c->patience, ACT_ABANDON, c->id, NULL);
    }
    /* What the callback wrote down for this moment, in the order it was written. The
     * calls raise events that may write down more (always for later: answering and
     * talking take time). */
    while ((i = earliest(&d)) >= 0 && d.actions[i].at <= now) {
      action a = take(&d, i);
      carry_out(e, &a, now);
    }
    if (d.overflow) {
      fprintf(stderr, "ccenter-demo: more than %d pending actions\n", MAX_ACTIONS);
      return EXIT_FAILURE;
    }
  }

  print_summary(&d, e, now);
  ccenter_engine_free(e);
  return EXIT_SUCCESS;
}
