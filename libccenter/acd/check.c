/*
 * Invariant checks (tests call cc_engine_check() after every operation): agents' counts
 * against their works, contacts in exactly one state, queues' counts against their trees
 * and members, then route.c's index checks.
 *
 * Separate because it is test support, read-only, and walks everything.
 */
#include "acd/engine_priv.h"

const char *cc_engine_check(const ccenter_engine *e)
{
  size_t it = 0;
  agent *a;
  while ((a = cc_map_next(&e->agents, &it))) {
    unsigned n[NCH] = {0}, off = 0, con = 0, wr = 0;
    for (work *w = a->works; w; w = w->next) {
      n[w->channel]++;
      if (w->state == W_RINGING)
        off++;
      else if (w->state == W_CONNECTED)
        con++;
      else
        wr++;
      if (w->state != W_WRAP && cc_map_get(&e->contacts, w->c->id) != w->c)
        return "a ringing or connected work refers to a contact that has ended";
      if (w->state == W_WRAP && w->c->dead && w->c->outcome == CCENTER_OUTCOME_HANDLED)
        return "a handled contact ended before its wrap-ups";
      if (w->state == W_CONNECTED && w->c->primary != w && w->c->consult != w)
        return "a connected work is not its contact's current leg";
      if (w->state == W_RINGING && w->c->consult != w) {
        int found = 0;
        for (work *o = w->c->offers; o; o = o->onext)
          found += o == w;
        if (found != 1)
          return "a ringing work is not among its contact's offers";
      }
      if (w->state == W_WRAP && w->wrap_deadline >= 0 && !w->timer)
        return "a timed wrap-up has no timer";
    }
    for (int ch = 0; ch < NCH; ch++)
      if (n[ch] != a->n[ch])
        return "agent channel counts disagree with its works";
    if (off != a->n_offered || con != a->n_connected || wr != a->n_wrap)
      return "agent work counts disagree with its works";
    if (a->state == CCENTER_AGENT_LOGGED_OUT && (off || con || wr))
      return "a logged-out agent holds work";
    if (!cc_agent_work(a) && (a->pending_nr || a->pending_logout))
      return "an idle agent has a pending state change";
  }
  it = 0;
  contact *c;
  while ((c = cc_map_next(&e->contacts, &it))) {
    unsigned k = 0;
    for (work *o = c->offers; o; o = o->onext)
      k++;
    if (k != c->n_offers)
      return "a contact's offer count disagrees with its offers";
    int states = c->in_queue + (c->primary != NULL) + (c->n_offers > 0);
    if (states > 1)
      return "a contact is both waiting and with an agent";
    if (c->outcome != CCENTER_OUTCOME_NONE && (c->in_queue || c->primary || c->n_offers))
      return "a contact with an outcome is still waiting or with an agent";
    if (!states && !c->n_wrap && !c->consult)
      return "a contact is in no state";
    if (c->consult && !connected(c))
      return "a consultation without a connected contact";
    if (c->primary_agent != (c->primary ? c->primary->a : NULL))
      return "a contact's connected agent is not its leg's";
  }
  it = 0;
  queue *q;
  while ((q = cc_map_next(&e->queues, &it))) {
    if (cc_treap_size(&q->waiting) != q->n_waiting)
      return "queue waiting count disagrees with its tree";
    unsigned met = 0;
    for (unsigned i = 0; i < q->sl_n; i++)
      met += (q->sl_bits[i / 64] >> (i % 64)) & 1u;
    if (met != q->sl_met || q->sl_n > SL_WINDOW || q->sl_pos >= SL_WINDOW)
      return "a queue's recent service level disagrees with its outcomes";
    unsigned li = 0, rd = 0;
    for (size_t i = 0; i < q->n_members; i++) {
      li += q->members[i]->a->state != CCENTER_AGENT_LOGGED_OUT;
      rd += q->members[i]->a->state == CCENTER_AGENT_READY;
    }
    if (li != q->n_logged_in || rd != q->n_ready)
      return "queue member counts out of date";
  }
  return cc_route_check(e);
}
