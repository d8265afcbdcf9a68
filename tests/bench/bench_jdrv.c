/*
 * The workload of the journal scenarios (journal, recover): a routing engine taking calls,
 * reduced to the inputs a store sees most. 500 agents serve 20 queues (each agent two of
 * them), all logged in and ready; a contact arrives with parameters (priority, customer,
 * one attribute: the `extra` column of every third record), the agent offered it accepts
 * at once, and once 400 conversations are under way the oldest ends (the agent is free
 * again, wrap-up 0). So each contact is three inputs: CONTACT_ENQUEUE, OFFER_ACCEPT,
 * CONTACT_END. Engine time moves 1 ms every 16 contacts (about 48 inputs per ms), so
 * nothing waits for a timer and no timer fires. Every call must succeed.
 */
#include <stdio.h>
#include <string.h>

#include "bench.h"

#define N_QUEUES 20
#define N_AGENTS 500
#define MAX_TALKING 400

void bench_jdrv_init(bench_jdrv *d, uint64_t seed, int64_t now)
{
  memset(d, 0, sizeof *d);
  d->rng = seed;
  d->now = now;
}

void bench_jdrv_on_event(ccenter_engine *e, const ccenter_event *ev, void *ud)
{
  bench_jdrv *d = ud;
  (void)e;
  d->events++;
  if (ev->type != CCENTER_EV_CONTACT_OFFERED)
    return;
  if (d->n_offers == BENCH_JDRV_OFFERS) {
    d->overflow = 1;
    return;
  }
  d->offer_agent[d->n_offers] = bench_id_num(ev->agent);
  d->offer_contact[d->n_offers] = bench_id_num(ev->contact);
  d->n_offers++;
}

static void call(bench_jdrv *d, int rc, const char *what)
{
  d->inputs++;
  if (rc != 0 && !d->failed_call) {
    d->failed_call = what;
    d->failed_rc = rc;
  }
}

/* One call; with d->lat set, one in BENCH_JDRV_SAMPLE_EVERY is timed (a group's commit
 * runs inside the call that fills it, so its cost shows in the high percentiles). */
#define CALL(d, what, expr)                                                         \
  do {                                                                              \
    uint64_t t_ = (d)->lat && ((d)->inputs & (BENCH_JDRV_SAMPLE_EVERY - 1)) == 0    \
                      ? bench_now_ns()                                              \
                      : 0;                                                          \
    int rc_ = (expr);                                                               \
    if (t_)                                                                         \
      bench_samples_add((d)->lat, t_, bench_now_ns());                              \
    call((d), rc_, (what));                                                         \
  } while (0)

int bench_jdrv_setup(bench_jdrv *d, ccenter_engine *e)
{
  char id[16], q[16];
  d->e = e;
  for (uint32_t k = 0; k < N_QUEUES; k++) {
    bench_id(q, 'q', k);
    CALL(d, "queue_add", ccenter_queue_add(e, q, NULL, d->now));
  }
  for (uint32_t a = 0; a < N_AGENTS; a++) {
    bench_id(id, 'a', a);
    CALL(d, "agent_add", ccenter_agent_add(e, id, NULL, d->now));
    bench_id(q, 'q', a % N_QUEUES);
    CALL(d, "agent_serve", ccenter_agent_serve(e, id, q, NULL, d->now));
    bench_id(q, 'q', (a * 7 + 3) % N_QUEUES);
    CALL(d, "agent_serve", ccenter_agent_serve(e, id, q, NULL, d->now));
    CALL(d, "agent_login", ccenter_agent_login(e, id, d->now));
    CALL(d, "agent_ready", ccenter_agent_ready(e, id, d->now));
  }
  return d->failed_call ? -1 : 0;
}

/* Accepts every offer made so far; accepting raises no new offer. */
static void accept_offers(bench_jdrv *d)
{
  char a[16], c[16];
  for (size_t k = 0; k < d->n_offers; k++) {
    bench_id(a, 'a', (uint32_t)d->offer_agent[k]);
    bench_id(c, 'c', (uint32_t)d->offer_contact[k]);
    CALL(d, "offer_accept", ccenter_offer_accept(d->e, a, c, d->now));
    d->talking[(d->talk_head + d->n_talking) % BENCH_JDRV_TALKING] =
        (uint32_t)d->offer_contact[k];
    d->n_talking++;
  }
  d->n_offers = 0;
}

int bench_jdrv_run(bench_jdrv *d, uint64_t inputs)
{
  static const char *const langs[] = {"en", "fr", "de", "zh"};
  char c[16], q[16], cust[16];
  while (d->inputs < inputs && !d->failed_call && !d->overflow) {
    uint32_t n = (uint32_t)d->contacts++;
    bench_id(c, 'c', n);
    bench_id(q, 'q', (uint32_t)(bench_rand(&d->rng) % N_QUEUES));
    bench_id(cust, 'k', (uint32_t)(bench_rand(&d->rng) % 100000));
    ccenter_attr attr = {"lang", langs[bench_rand(&d->rng) % 4]};
    ccenter_contact_params p;
    ccenter_contact_params_init(&p);
    p.priority = (int)(bench_rand(&d->rng) % 10);
    p.customer = cust;
    p.attrs = &attr;
    p.n_attrs = 1;
    CALL(d, "contact_enqueue", ccenter_contact_enqueue(d->e, c, q, &p, d->now));
    accept_offers(d);
    while (d->n_talking > MAX_TALKING && !d->failed_call) {
      bench_id(c, 'c', d->talking[d->talk_head]);
      d->talk_head = (d->talk_head + 1) % BENCH_JDRV_TALKING;
      d->n_talking--;
      CALL(d, "contact_end", ccenter_contact_end(d->e, c, CCENTER_PARTY_CUSTOMER, d->now));
      accept_offers(d);
    }
    if ((n & 15) == 15)
      d->now++;
  }
  if (d->overflow) {
    fprintf(stderr, "journal workload: more offers in one call than expected\n");
    return -1;
  }
  if (d->failed_call) {
    fprintf(stderr, "journal workload: %s failed: %s\n", d->failed_call,
            ccenter_strerror(d->failed_rc));
    return -1;
  }
  return 0;
}
