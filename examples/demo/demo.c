/*
 * ccenter-demo: a few minutes of a bank's phone line, on virtual time.
 *
 * Two queues ("cards" for card problems, "vip" for private-banking customers), three
 * agents, seven callers arriving at set times. Agents pick up an offer 3 seconds after it
 * starts ringing and talk for as long as the script says; one caller gives up before
 * anyone answers. When a conversation ends the agent's desktop files a disposition code
 * at once. Every event the engine raises is printed as one line, then a summary per queue
 * and per agent.
 *
 * Nothing here reads a clock: the program decides what time it is and passes it to every
 * call, so the output is the same on every run and the few minutes take no time at all.
 *
 * Two patterns are worth copying.
 *
 * User data. Every queue, agent and contact is created with a pointer to the demo's own
 * struct for it (queue_rec, agent_rec, call). Events carry those pointers next to the ids
 * (queue_data, agent_data, contact_data), so the handler reaches its own objects without
 * looking ids up and without copying them.
 *
 * Pulled events. The engine keeps its events in a queue (ccenter_options_set_event_queue)
 * and the program takes them one at a time with ccenter_engine_next_event(). Between two
 * pulls every engine function may be called, so the handler acts on an event at once; the
 * events its calls raise queue behind the ones not yet pulled. What takes time in the
 * world outside the engine (a phone rings for 3 s, a conversation lasts 40 s) is part of
 * the demo's own model of each call: the handler notes when the phone will be answered or
 * hung up in the call's struct, and the main loop makes the engine call at that time.
 */
#include <ccenter/engine.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#define SEC INT64_C(1000) /* engine time is in milliseconds */

/* The demo's clock starts here; any value works, the engine only compares times. */
#define T0 (INT64_C(1000000) * SEC)

/* An agent picks up this long after the offer starts ringing (the ring timeout is 15 s). */
#define ANSWER_DELAY (3 * SEC)

/* Service-level threshold of the summary: answered within 20 seconds. */
#define SLA_THRESHOLD (20 * SEC)

/* The demo gives up at this time even if the engine still has timers armed. */
#define END_OF_DEMO (T0 + 30 * 60 * SEC)

/* "Nothing due": later than any time the demo reaches. */
#define NEVER CCENTER_NO_DEADLINE

/* ---------------------------------------------------------------------------------- */
/* The demo's own objects; the engine carries pointers to them as user data            */

typedef struct queue_rec {
  const char *id;
  int64_t wrap_up_ms;      /* after-call work */
  const char *disposition; /* the code the agent's desktop files after each call */
  /* counted from the events */
  unsigned arrived;
  unsigned answered;
  unsigned answered_in_sla;
  unsigned abandoned;
  unsigned handled;
  int64_t wait_total_ms;   /* of the answered contacts */
  int64_t longest_wait_ms; /* of the answered and the abandoned contacts */
} queue_rec;

enum { CARDS, VIP, N_QUEUES };

static queue_rec queues[N_QUEUES] = {
  [CARDS] = {.id = "cards", .wrap_up_ms = 5 * SEC, .disposition = "card-issue"},
  [VIP] = {.id = "vip", .wrap_up_ms = 10 * SEC, .disposition = "private-banking"},
};

typedef struct agent_rec {
  const char *id;
  queue_rec *serves[N_QUEUES]; /* NULL-terminated when shorter */
} agent_rec;

static agent_rec agents[] = {
  {"1001", {&queues[CARDS], NULL}},
  {"1002", {&queues[CARDS], &queues[VIP]}},
  {"1003", {&queues[VIP], NULL}},
};
#define N_AGENTS (sizeof agents / sizeof agents[0])

typedef struct call {
  /* the script */
  int64_t at;       /* arrival, after T0 */
  const char *id;
  queue_rec *queue;
  int64_t patience; /* hangs up after waiting this long unless answered; 0 = never */
  int64_t talk;     /* conversation length once answered */
  /* what the phones are doing: set by the event handler, carried out by the main loop */
  agent_rec *ringing; /* the agent whose phone rings for this call, or NULL */
  int64_t answer_at;  /* ... and when that agent picks up */
  int64_t give_up_at; /* when the waiting caller hangs up; NEVER once answered */
  int64_t hang_up_at; /* when the conversation ends; NEVER unless connected */
} call;

static call calls[] = {
  {.at = 0 * SEC, .id = "c1", .queue = &queues[CARDS], .talk = 40 * SEC},
  {.at = 2 * SEC, .id = "c2", .queue = &queues[VIP], .talk = 35 * SEC},
  {.at = 5 * SEC, .id = "c3", .queue = &queues[CARDS], .talk = 50 * SEC},
  {.at = 9 * SEC, .id = "c4", .queue = &queues[CARDS], .talk = 25 * SEC},
  {.at = 12 * SEC, .id = "c5", .queue = &queues[VIP], .talk = 30 * SEC},
  {.at = 14 * SEC, .id = "c6", .queue = &queues[CARDS], .patience = 20 * SEC,
   .talk = 30 * SEC}, /* gives up after 20 s */
  {.at = 30 * SEC, .id = "c7", .queue = &queues[VIP], .talk = 20 * SEC},
};
#define N_CALLS (sizeof calls / sizeof calls[0])

/* ---------------------------------------------------------------------------------- */
/* Printing                                                                           */

static int check(int rc, const char *what, const char *arg)
{
  if (rc < 0) {
    fprintf(stderr, "ccenter-demo: %s(%s): %s (%s)\n", what, arg ? arg : "",
            ccenter_strerror(rc), ccenter_err_name(rc));
    exit(EXIT_FAILURE);
  }
  return rc;
}

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
  case CCENTER_EV_CONTACT_OFFERED:
    printf(" rings-for=");
    print_seconds(ev->ring_timeout_ms);
    break;
  case CCENTER_EV_CONTACT_CONNECTED:
    printf(" wait=");
    print_seconds(ev->wait_ms);
    break;
  case CCENTER_EV_CONVERSATION_ENDED:
    printf(" by=%s duration=", ev->party == CCENTER_PARTY_CUSTOMER ? "customer"
                               : ev->party == CCENTER_PARTY_AGENT  ? "agent"
                                                                    : "unknown");
    print_seconds(ev->duration_ms);
    break;
  case CCENTER_EV_WRAP_UP_ENDED:
    printf(" duration=");
    print_seconds(ev->duration_ms);
    break;
  case CCENTER_EV_CONTACT_ENDED:
    printf(" outcome=%s wait=", outcome_name(ev->outcome));
    print_seconds(ev->wait_ms);
    break;
  case CCENTER_EV_SLA_WARNING:
  case CCENTER_EV_SLA_BREACH:
    printf(" threshold=");
    print_seconds(ev->threshold_ms);
    break;
  default:
    break;
  }
  /* Why the engine did it (a ring timeout, a login...), and the integrator's own text. */
  if (ev->cause != CCENTER_CAUSE_NONE)
    printf(" cause=%s", ccenter_cause_name(ev->cause));
  if (ev->reason)
    printf(" reason=%s", ev->reason);
  putchar('\n');
}

/* ---------------------------------------------------------------------------------- */
/* The event handler: print, count, and act. Called between two pulls, so it may call */
/* every engine function; `now` is the engine's time.                                  */

static void on_event(ccenter_engine *e, const ccenter_event *ev, int64_t now)
{
  queue_rec *q = ev->queue_data;  /* NULL when the event names no queue */
  agent_rec *a = ev->agent_data;  /* ... no agent */
  call *c = ev->contact_data;     /* ... no contact */

  print_event(ev);

  switch (ev->type) {
  case CCENTER_EV_CONTACT_QUEUED:
    q->arrived++;
    break;
  case CCENTER_EV_CONTACT_OFFERED:
    /* The agent's phone rings; they pick up a few seconds later. */
    c->ringing = a;
    c->answer_at = ev->time + ANSWER_DELAY;
    break;
  case CCENTER_EV_OFFER_WITHDRAWN:
    /* The ringing stopped (ring timeout, the caller hung up...): nothing to answer. */
    c->ringing = NULL;
    c->answer_at = NEVER;
    break;
  case CCENTER_EV_CONTACT_CONNECTED:
    q->answered++;
    q->wait_total_ms += ev->wait_ms;
    if (ev->wait_ms <= SLA_THRESHOLD)
      q->answered_in_sla++;
    if (ev->wait_ms > q->longest_wait_ms)
      q->longest_wait_ms = ev->wait_ms;
    /* Someone answered: the caller no longer gives up; the conversation has a length. */
    c->ringing = NULL;
    c->answer_at = NEVER;
    c->give_up_at = NEVER;
    c->hang_up_at = ev->time + c->talk;
    break;
  case CCENTER_EV_CONVERSATION_ENDED:
    /* Acting on an event at once: the desktop files the call's disposition code. The
     * DISPOSITION event this raises queues behind the events not yet pulled. */
    check(ccenter_contact_disposition(e, ev->contact, q->disposition, now),
          "ccenter_contact_disposition", ev->contact);
    break;
  case CCENTER_EV_CONTACT_ENDED:
    if (ev->outcome == CCENTER_OUTCOME_HANDLED)
      q->handled++;
    if (ev->outcome == CCENTER_OUTCOME_ABANDONED) {
      q->abandoned++;
      /* Never answered: the whole wait counts (answered ones counted at CONNECTED). */
      if (ev->wait_ms > q->longest_wait_ms)
        q->longest_wait_ms = ev->wait_ms;
    }
    c->ringing = NULL;
    c->answer_at = c->give_up_at = c->hang_up_at = NEVER;
    break;
  default:
    break; /* new event types may appear: ignore what the demo does not know */
  }
}

/* Handles every event in the engine's queue, including those the handler's calls raise. */
static void drain(ccenter_engine *e, int64_t now)
{
  const ccenter_event *ev;
  while ((ev = ccenter_engine_next_event(e)) != NULL)
    on_event(e, ev, now);
}

/* ---------------------------------------------------------------------------------- */
/* The world outside the engine: callers and phones                                   */

/* When this call's next outside action is due (NEVER if none). */
static int64_t next_action(const call *c)
{
  int64_t t = c->give_up_at;
  if (c->ringing && c->answer_at < t)
    t = c->answer_at;
  if (c->hang_up_at < t)
    t = c->hang_up_at;
  return t;
}

/* Carries out one action of the call due at `now`; returns 0 when none is. */
static int act(ccenter_engine *e, call *c, int64_t now)
{
  if (c->give_up_at <= now) {
    c->give_up_at = NEVER;
    check(ccenter_contact_abandon(e, c->id, now), "ccenter_contact_abandon", c->id);
  } else if (c->ringing && c->answer_at <= now) {
    agent_rec *a = c->ringing;
    c->ringing = NULL;
    c->answer_at = NEVER;
    check(ccenter_offer_accept(e, a->id, c->id, now), "ccenter_offer_accept", c->id);
  } else if (c->hang_up_at <= now) {
    c->hang_up_at = NEVER;
    check(ccenter_contact_end(e, c->id, CCENTER_PARTY_CUSTOMER, now), "ccenter_contact_end",
          c->id);
  } else {
    return 0;
  }
  return 1;
}

/* ---------------------------------------------------------------------------------- */
/* Main                                                                               */

static void print_summary(const ccenter_engine *e, int64_t now)
{
  printf("\nqueue   arrived answered abandoned handled  avg-wait  longest  sl-%" PRId64
         "s\n", SLA_THRESHOLD / SEC);
  for (size_t i = 0; i < N_QUEUES; i++) {
    const queue_rec *q = &queues[i];
    int64_t avg = q->answered ? q->wait_total_ms / q->answered : 0;
    unsigned decided = q->answered + q->abandoned;
    ccenter_queue_info info = {.size = sizeof info};
    check(ccenter_queue_info_get(e, q->id, now, &info), "ccenter_queue_info_get", q->id);
    printf("%-7s %7u %8u %9u %7u %8.1fs %7.1fs %5u%%   (waiting now: %u)\n", q->id,
           q->arrived, q->answered, q->abandoned, q->handled, (double)avg / 1000.0,
           (double)q->longest_wait_ms / 1000.0,
           decided ? (100u * q->answered_in_sla + decided / 2) / decided : 100u,
           info.waiting);
  }
  printf("sl-%" PRId64 "s: share of the answered and abandoned contacts answered within %" PRId64
         " s\n", SLA_THRESHOLD / SEC, SLA_THRESHOLD / SEC);

  printf("\nagent   handled  state\n");
  for (size_t i = 0; i < N_AGENTS; i++) {
    ccenter_agent_info info = {.size = sizeof info};
    check(ccenter_agent_info_get(e, agents[i].id, now, &info), "ccenter_agent_info_get",
          agents[i].id);
    printf("%-7s %7u  %s for ", agents[i].id, info.handled, presence_name(info.state));
    print_seconds(info.state_ms);
    putchar('\n');
  }
}

int main(void)
{
  ccenter_engine *e = NULL;
  int64_t now = T0;

  printf("libccenter %s: a bank's phone line, virtual time\n\n", ccenter_version_string());

  ccenter_options *opts = ccenter_options_new();
  if (!opts) {
    fprintf(stderr, "ccenter-demo: out of memory\n");
    return EXIT_FAILURE;
  }
  /* Events wait in the engine until pulled: see drain(). */
  check(ccenter_options_set_event_queue(opts, 1), "ccenter_options_set_event_queue", NULL);
  check(ccenter_engine_new(opts, now, &e), "ccenter_engine_new", NULL);
  ccenter_options_free(opts); /* the engine keeps its own copy */

  for (size_t i = 0; i < N_QUEUES; i++) {
    queue_rec *q = &queues[i];
    check(ccenter_queue_add(e, q->id, q, now), "ccenter_queue_add", q->id);
    check(ccenter_queue_set(e, q->id, CCENTER_QUEUE_WRAP_UP, q->wrap_up_ms, now),
          "ccenter_queue_set", q->id);
  }
  for (size_t i = 0; i < N_AGENTS; i++) {
    agent_rec *a = &agents[i];
    check(ccenter_agent_add(e, a->id, a, now), "ccenter_agent_add", a->id);
    for (size_t j = 0; j < N_QUEUES && a->serves[j]; j++)
      check(ccenter_agent_serve(e, a->id, a->serves[j]->id, NULL, now),
            "ccenter_agent_serve", a->id);
    check(ccenter_agent_login(e, a->id, now), "ccenter_agent_login", a->id);
    check(ccenter_agent_ready(e, a->id, now), "ccenter_agent_ready", a->id);
  }
  drain(e, now);

  for (size_t i = 0; i < N_CALLS; i++) {
    calls[i].ringing = NULL;
    calls[i].answer_at = calls[i].give_up_at = calls[i].hang_up_at = NEVER;
  }

  size_t next_call = 0;
  for (;;) {
    /* The next thing that happens: a caller arrives, someone acts, or an engine timer. */
    int64_t next = ccenter_engine_next_deadline(e);
    if (next_call < N_CALLS && T0 + calls[next_call].at < next)
      next = T0 + calls[next_call].at;
    for (size_t i = 0; i < N_CALLS; i++) {
      int64_t t = next_action(&calls[i]);
      if (t < next)
        next = t;
    }
    if (next == CCENTER_NO_DEADLINE || next > END_OF_DEMO)
      break;
    now = next;

    /* Timers due by now fire first, so everything below sees an up-to-date engine. */
    check(ccenter_engine_advance(e, now), "ccenter_engine_advance", NULL);
    drain(e, now);

    while (next_call < N_CALLS && T0 + calls[next_call].at == now) {
      call *c = &calls[next_call++];
      ccenter_contact_params params;
      ccenter_contact_params_init(&params);
      params.user_data = c; /* comes back as contact_data in every event of this call */
      check(ccenter_contact_enqueue(e, c->id, c->queue->id, &params, now),
            "ccenter_contact_enqueue", c->id);
      if (c->patience > 0)
        c->give_up_at = now + c->patience;
      drain(e, now);
    }

    /* The phones: what is due now, call by call. Each engine call's events are handled
     * before the next action, so an action that an event made moot is never tried. */
    for (size_t i = 0; i < N_CALLS; i++)
      while (act(e, &calls[i], now))
        drain(e, now);
  }

  print_summary(e, now);
  ccenter_engine_free(e);
  return EXIT_SUCCESS;
}
