/*
 * Internal: route.c, the router: requirement classes, the indexes of available agents and
 * waiting contacts, the strategies, and the two routing moments (a contact to route, an
 * agent to route). The engine's files call it; it calls back the services declared at the
 * top of acd/engine_priv.h.
 */
#ifndef CC_ACD_ROUTE_H
#define CC_ACD_ROUTE_H

#include "acd/types.h"

/* Checks the routing indexes and the routing invariant; NULL or the first breach. */
const char *cc_route_check(const ccenter_engine *e);
int cc_cmp_contact(const cc_tnode *x, const cc_tnode *y);
/* Queue classes and steps. */
int cc_queue_init_classes(ccenter_engine *e, queue *q);
void cc_queue_free_classes(ccenter_engine *e, queue *q);
/* The queue's strategy is set or changed: its class indexes take the form that suits it
 * (runs on or off, core/ktreap.h; the order is the same either way). */
void cc_route_strategy_set(queue *q);
/* Finds or creates the class for a requirement text in q (refs + 1). */
int cc_class_get(ccenter_engine *e, queue *q, const char *text, rclass **out,
                 cc_req_error *err);
void cc_class_put(ccenter_engine *e, queue *q, rclass *k);
/* Compiles a requirement only to see that it would compile as a step (0, CCENTER_ESYNTAX,
 * CCENTER_ERANGE, CCENTER_ENOMEM), so that a bad one is refused before timers fire; its
 * names are interned, as the step's will be. */
int cc_requirement_check(ccenter_engine *e, const char *text);
/* A membership block with a node for each class of q that a meets (not yet in a->mem or
 * q->members); NULL when out of memory. Freeing takes its nodes out of the trees. */
membership *cc_member_new(ccenter_engine *e, agent *a, queue *q);
void cc_member_free(ccenter_engine *e, membership *m);
int cc_queue_delay_add(ccenter_engine *e, queue *q, int64_t delay);
void cc_queue_delay_del(queue *q, int64_t delay);
/* Re-evaluates which class indexes the agent is in, with fresh strategy keys. */
void cc_route_refresh(ccenter_engine *e, agent *a);
/* Re-evaluates the agent's requirement matches (skills or attributes changed). CCENTER_ENOMEM
 * leaves the indexes as they were, apart from nodes out of the trees: the caller restores
 * what it changed and calls cc_route_refresh. */
int cc_route_rematch(ccenter_engine *e, agent *a);
/* A waiting contact in (in != 0) or out of its class's index (c->cls), keeping the
 * queue's copy of the class's first contact (queue.heads). */
void cc_route_cls_link(contact *c, int in);
/* Contacts entering / leaving the waiting line of their queue. */
void cc_route_enter(ccenter_engine *e, contact *c);
void cc_route_leave(ccenter_engine *e, contact *c);
/* Sets up the contact's steps and timers for a fresh queue entry. */
void cc_route_start(ccenter_engine *e, contact *c, int64_t enq_at);
void cc_route_stop(ccenter_engine *e, contact *c);
/* The queue's delays or reserve wait changed: its waiting contacts' routing timers follow.
 * Walks the waiting line: administration only. */
void cc_route_rearm_queue(ccenter_engine *e, queue *q);
/* The contact's routing timer, set for its next routing moment under the queue's settings
 * as they are now (step end, member delays, reserve wait, preferred phase); left alone when
 * that moment has not changed. Also for a contact back in its waiting line after an offer,
 * which cc_route_rearm_queue did not see. */
void cc_route_rearm(ccenter_engine *e, contact *c);
/* Would a voice contact joining q now be offered at once? Only if one of the first few
 * available members of the first step's class needs no wait (no routing-profile delay),
 * is not a reserve member while the reserve is closed, has free voice capacity (nothing
 * blocks it), and is not due to the best waiting contact of that class instead. An idle
 * member who meets the step but cannot take the contact does not count (the queue's
 * expected wait, ccenter_queue_info.ewt_ms). */
int cc_route_offers_at_once(const ccenter_engine *e, const queue *q, int64_t now);
void cc_route_timer(ccenter_engine *e, contact *c, int kind);
/* The two routing moments. */
void cc_route_contact(ccenter_engine *e, contact *c);
/* Offers the agent what it may take now, then brings its index nodes up to date. */
void cc_route_agent(ccenter_engine *e, agent *a);
int64_t cc_contact_order_key(const queue *q, const contact *c);
/* Does the contact's current step require the (interned) skill? */
int cc_route_requires_skill(const contact *c, const char *skill);

#endif
