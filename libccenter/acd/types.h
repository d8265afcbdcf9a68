/*
 * Internal: the engine's objects, shared by the engine's files (engine.c lists them; what
 * they share of each other is in acd/engine_priv.h) and route.c (requirement classes,
 * indexes, strategies; acd/route.h).
 */
#ifndef CC_ACD_TYPES_H
#define CC_ACD_TYPES_H

#include "acd/engine_int.h"
#include "acd/req.h"
#include "core/map.h"
#include "core/options.h"
#include "core/ktreap.h"
#include "core/treap.h"
#include "time/timer.h"

#define NCH CCENTER_CHANNEL_COUNT_
#define EWT_MAX_SAMPLES 256
#define MAX_CAPACITY CCENTER_MAX_CAPACITY
#define PRIORITY_LIMIT CCENTER_MAX_PRIORITY
#define DAY_MS ((int64_t)CCENTER_MAX_DURATION_MS)
#define MAX_THRESHOLDS CCENTER_MAX_THRESHOLDS
#define MAX_STEPS CCENTER_MAX_STEPS
#define AGENT_MEM_INLINE 4
#define MAX_CLASSES CCENTER_MAX_REQUIREMENTS /* distinct requirements alive in one queue */
#define QUEUE_HEADS 5 /* classes whose first contact the queue keeps (struct queue) */
#define MAX_PREFERRED CCENTER_MAX_PREFERRED
#define RING_ALL_LIMIT CCENTER_MAX_RING
/* Contact blocks kept for reuse: per padding class, at most CC_CONTACT_SPARE_MAX. */
#define CC_CONTACT_SPARE_CLASSES 4
#define CC_CONTACT_SPARE_MAX 64
#define SL_WINDOW 100 /* outcomes in a queue's recent service level (RESERVE_SL) */
#define SL_MIN 10     /* outcomes before that service level counts */

enum { T_RING = 1, T_WRAP, T_MAXWAIT, T_ANNOUNCE, T_REJECT, T_SLA, T_ROUTE, T_PROGRESS };
enum { W_RINGING = 1, W_CONNECTED, W_WRAP };

typedef struct queue queue;
typedef struct agent agent;
typedef struct contact contact;
typedef struct work work;
typedef struct membership membership;

/* A requirement class: one distinct requirement in use in one queue (a step of the queue,
 * or of a contact's own steps). Slot 0 of every queue is the match-all class that applies
 * after the last step. Each class indexes the available agents that meet it, ordered by
 * the queue's strategy, and the waiting contacts that currently need it. */
typedef struct rclass {
  cc_req *req; /* NULL: matches every member */
  int refs;    /* steps and contacts using it; slot 0 is never released */
  int slot;
  cc_ktreap agents;  /* cnodes */
  cc_treap contacts; /* contacts (cls_node) */
} rclass;

/* One agent in one class's index, inside its membership's block (route.c, member_of).
 * key1/key2 are the strategy's order, computed when the node is inserted (a change of the
 * inputs re-inserts it). There is one per class an agent meets in each queue it serves,
 * the largest share of an agent's memory: hence 32 bytes, a tree node without a parent
 * link or a stored priority (core/ktreap.h), key1 in its spare word and key2 in 51 bits
 * (route.c, strategy_key) next to the node's small fields, where 48 would be the plain
 * layout on core/treap.h. */
#define CNODE_KEY2_MAX ((INT64_C(1) << 50) - 1)
typedef struct cnode {
  cc_knode node;          /* node.aux: key1 */
  int64_t key2 : 51;      /* within +-CNODE_KEY2_MAX */
  uint64_t slot : 6;      /* the class's slot in the queue (< MAX_CLASSES) */
  uint64_t idx : 6;       /* position in the membership's nodes (< MAX_CLASSES) */
  uint64_t in_tree : 1;
} cnode;
_Static_assert(sizeof(cnode) == 32, "cnode: 32 bytes (see above)");
_Static_assert(MAX_CLASSES <= 64, "cnode: slot and idx take 6 bits");

/* key2 as a cnode keeps it: times more than 35,000 years from 0 compare as equal and fall
 * to the agent's order. */
static inline int64_t cnode_key2(int64_t t)
{
  return t > CNODE_KEY2_MAX ? CNODE_KEY2_MAX : t < -CNODE_KEY2_MAX - 1 ? -CNODE_KEY2_MAX - 1 : t;
}

/* One block per agent and queue, with a node for each class of the queue the agent meets;
 * the block moves when that set grows (route.c, member_reserve), so a->mem and q->members
 * are the only places that keep its address. */
struct membership {
  agent *a;
  queue *q;
  int32_t delay;     /* ms (at most a day) contacts must have waited for this agent */
  uint32_t ordinal;  /* order of joining the queue: linear and round-robin */
  uint32_t q_index;  /* index in q->members */
  int16_t priority;  /* -1000..1000, higher first when the agent chooses among its queues */
  uint16_t reserve : 1; /* only for contacts past the queue's reserve threshold */
  uint16_t n_nodes : 7, cap_nodes : 7; /* at most MAX_CLASSES */
  cnode nodes[];
};

typedef struct step {
  rclass *k;
  int64_t duration; /* ms the step applies before the next one */
} step;

/* An immutable list of steps shared by the contacts that entered with it; it holds a
 * reference on each step's class. */
typedef struct stepset {
  int refs;
  uint32_t cap; /* steps allocated (n may be fewer while it is being built) */
  size_t n;
  step s[];
} stepset;

typedef struct delay_count {
  int64_t delay;
  unsigned n;
} delay_count;

/* Agents, queues and contacts are allocated with their id string in front of the struct,
 * in one block (objects.c, cc_obj_new), and begin with CC_OBJ_HEAD (acd/observer.h). */
struct queue {
  CC_OBJ_HEAD;
  uint32_t seq;
  int refs; /* contacts and works pointing here; a removed queue lives until 0 */
  int removed;
  int removing; /* being removed: its members are gone, its contacts are moving out */
  int64_t max_length, join_empty, leave_empty, max_wait, max_wait_action, ring_timeout,
      wrap_up, announce_every;
  int64_t sl_threshold, sl_target, sl_warning, callback_ewt;
  int64_t strategy, progressive_every, preferred_timeout, sticky_window, ageing, reserve_wait,
      reserve_ewt, reserve_sl;
  int64_t thresholds[MAX_THRESHOLDS];
  size_t n_thresholds;
  queue *overflow;
  cc_treap waiting; /* every waiting contact, in queue order (positions) */
  unsigned n_waiting, n_offered;
  unsigned n_emergency; /* waiting contacts of the emergency class */
  /* The first waiting contact of each of the first classes (classes[s]->contacts' first
   * node), beside the counts: an agent choosing a contact reads them from the queue's
   * line without a cache miss on each class (route.c, best_indexed). */
  cc_tnode *heads[QUEUE_HEADS];
  rclass *classes[MAX_CLASSES];
  size_t n_class_slots; /* slots in use are below this */
  stepset *steps;       /* the queue's own steps, or NULL */
  int reserve_open;     /* reserve members currently take contacts (EWT rule) */
  membership **members;
  size_t n_members, cap_members;
  unsigned n_logged_in, n_ready;
  uint32_t next_ordinal, rr_last;
  delay_count *delays; /* distinct positive member delays and reserve threshold users */
  size_t n_delays, cap_delays;
  int32_t ewt_samples[EWT_MAX_SAMPLES];
  unsigned ewt_n, ewt_pos;
  int32_t deq_gap[EWT_MAX_SAMPLES];
  unsigned deq_n, deq_pos;
  int64_t last_deq;
  int backlog;
  uint64_t sl_bits[(SL_WINDOW + 63) / 64]; /* ring of outcomes: 1 answered within threshold */
  unsigned sl_n, sl_pos, sl_met;
};

/* Laid out by size, arrays sized exactly (cc_grow_exact): memory per agent is a goal of
 * the design (docs/performance.md). */
struct agent {
  CC_OBJ_HEAD;
  const char *reason;  /* interned integrator's text, or NULL */
  const char *pending; /* interned NOT_READY reason, or NULL (see pending_nr) */
  int64_t state_since, idle_since, login_at;
  int64_t talk_since_login;
  work *works;
  membership **mem; /* by descending routing-profile priority; mem_in up to its size */
  /* Most agents serve a few queues: their memberships are listed in the agent's own
   * block, one cache miss fewer when it frees up and looks for a contact. */
  membership *mem_in[AGENT_MEM_INLINE];
  /* Skill names, interned, sorted by pointer; their levels follow in the same block, after
   * cap_skills names (agent_levels). */
  const char **skills;
  cc_attr_kv *attrs;    /* sorted by interned key pointer */
  contact **preferring; /* contacts in their preferred phase naming this agent */
  uint32_t seq;
  int32_t wrap_override; /* -2 none, -1 unlimited, >= 0 ms (at most a day) */
  unsigned missed_in_row, handled, handled_since_login;
  unsigned n_offered, n_connected, n_wrap;
  unsigned n_indexed; /* index nodes in their class trees (cc_route_refresh) */
  uint32_t n_mem, cap_mem, n_preferring, cap_preferring;
  uint16_t n[NCH];
  uint8_t cap[NCH];
  uint8_t overlap[NCH]; /* bit i of overlap[b]: channel i may be offered while busy on b */
  uint8_t n_skills, cap_skills, n_attrs, cap_attrs; /* at most 64 and 32 (agent.c) */
  /* Flags as bits: with a byte each, the struct took 8 bytes more. */
  unsigned pending_logout : 1;
  unsigned pending_nr : 1; /* a NOT_READY is pending (reason `pending`, cause pending_cause) */
  uint8_t state;         /* ccenter_agent_state */
  uint8_t cause;         /* ccenter_cause of an engine-made NOT_READY */
  uint8_t pending_cause; /* ccenter_cause of the pending NOT_READY */
};

/* A skill's level and its name take a byte and a pointer, where a struct of both would
 * take 16 bytes. */
#define SKILL_BYTES (sizeof(const char *) + 1)

static inline uint8_t *agent_levels(const agent *a)
{
  /* An agent without skills has no block: NULL + 0 is undefined in C. */
  return a->skills ? (uint8_t *)(a->skills + a->cap_skills) : NULL;
}

struct work {
  agent *a;
  contact *c;
  queue *q; /* the queue the work counts for (ref held) */
  int state;
  int consult;
  int direct; /* offer made by a transfer to this agent, not by routing */
  ccenter_channel channel;
  int64_t since, connected_at;
  cc_timer_id timer;
  int64_t wrap_deadline; /* -1 unlimited */
  work *prev, *next;     /* in a->works */
  work *onext;           /* in c->offers */
};

typedef struct rejection {
  uint32_t agent_seq;
  int64_t until;
  cc_timer_id timer;
} rejection;

/* Laid out by size, flags as bits: a waiting contact's footprint is a goal of the design
 * (docs/performance.md). The first 120 bytes hold what a routing decision reads of the
 * contacts it compares (its class-index node, order, offers, rejections, channel) and what
 * every event about it copies, so that with the id in front of it a contact costs about
 * two cache lines to look at. */
struct contact {
  CC_OBJ_HEAD;
  queue *q;
  char *customer;
  cc_tnode cls_node; /* in cls->contacts */
  int64_t order_key; /* priority with ageing folded in; higher first */
  int64_t enq_at;
  uint64_t seq;
  work *offers;      /* ringing works (several with ring-all / progressive) */
  int priority;
  int orig_position;
  uint32_t n_rej;
  uint8_t channel;   /* ccenter_channel */
  uint8_t outcome;   /* ccenter_outcome */
  uint8_t sla_stage; /* 1: warning armed, 2: breach armed, 0: none */
  uint8_t n_preferred;
  unsigned emergency : 1;
  unsigned in_queue : 1;
  unsigned pref_phase : 1; /* indexed under its preferred agents, not its class. A flag, not
                            * a clock comparison: the indexes change exactly when the
                            * phase's timer runs, not at another timer of that millisecond */
  unsigned is_callback : 1;
  unsigned callback_offered : 1;
  unsigned callback_due_sent : 1;
  unsigned max_wait_due : 1;
  unsigned on_hold : 1;
  unsigned answered : 1; /* connected at least once in its current queue */
  unsigned dead : 1;     /* ENDED raised: later paths of the same call must not repeat it */
  unsigned buried : 1;   /* handed to the graveyard (after its last wrap-up) */
  unsigned step : 4;     /* index of the current step (at most MAX_STEPS); == steps->n:
                          * final (match-all). In the flags' word: 8 bytes less a contact */
  int16_t survey;
  int exit_position;
  uint32_t n_attrs;
  uint32_t cap_rej; /* cc_grow's doubling through a size_t (add_rejection) */
  ccenter_attr *attrs; /* keys and values in one block after the array */
  rclass *cls;
  stepset *steps;      /* the steps it waits under (its own or its queue's), or NULL */
  char **preferred;    /* agent ids for the preferred phase */
  work *primary;       /* connected work */
  agent *primary_agent; /* primary->a: read without waiting for the work's cache line */
  work *consult;
  rejection *rej;
  int64_t step_started;
  int64_t preferred_until; /* preferred phase ends; -1 none */
  int64_t answered_wait;   /* the wait before its answer in its current queue */
  int64_t hold_since;
  int64_t route_at;
  cc_timer_id max_wait_timer, announce_timer, route_timer, progress_timer, sla_timer;
  cc_tnode_sn node;  /* in q->waiting (ranked: CC_TREAP_SIZES) */
  uint32_t n_offers;
  uint32_t n_wrap;
};

_Static_assert(MAX_STEPS < 16, "contact.step is a 4-bit field");

typedef struct grave {
  void *p;
  int kind;     /* cc_obj_kind */
  uint64_t seq; /* events raised before the burial (ev_seq): the ones that may name it */
} grave;

/* An observer (acd/observer.h). */
typedef struct obs_entry {
  const cc_observer *vt;
  void *ud;
  int slot; /* its slot in the objects, or -1 */
} obs_entry;

typedef struct sticky {
  char *customer;
  char *agent;
  int64_t at;
} sticky;

struct ccenter_engine {
  cc_alloc alloc;
  cc_log log;
  ccenter_event_fn event_fn;
  void *event_ud;
  int event_queue; /* events are kept for ccenter_engine_next_event() */
  uint64_t event_mask; /* the integrator's: types it wants delivered */
  /* The types worth building: every type while an observer listens (the statistics and
   * the queue_log sink read them all), else the integrator's mask, or none when nobody
   * receives events at all. */
  uint64_t ev_want;
  int64_t now;
  int64_t call_now; /* the time of the call whose due timers are firing (timers.c) */
  int in_callback;
  int in_exec;
  /* The id arguments of the call being executed and their hashes, taken before its timers
   * fire so that the lookups' map slots are fetched meanwhile (engine.c, prelook); NULL
   * outside cc_engine_exec, where a caller's buffer may hold another id. */
  const char *call_key[2];
  uint64_t call_h[2];
  int reference_routing; /* tests: the plain router that walks everything */
  cc_timers timers;
  cc_map agents, queues, contacts, strings, customers;
  uint32_t agent_seq, queue_seq;
  uint64_t contact_seq;
  uint64_t rng;
  uint64_t sla_version;
  work *spare_works; /* kept so that an ordinary call's offers cannot fail for memory */
  size_t n_spare_works;
  /* Freed contact blocks kept for the next contacts, by id padding (8, 16, 24, 32 bytes),
   * linked through their first word; counted in bytes at their full size. */
  void *spare_contacts[CC_CONTACT_SPARE_CLASSES];
  uint32_t n_spare_contacts[CC_CONTACT_SPARE_CLASSES];
  queue **kicks; /* queues whose reserve members must be routed at the end of the call */
  size_t n_kicks, cap_kicks;
  int64_t sticky_max;      /* longest sticky window of any queue; 0: nothing recorded */
  size_t sticky_prune_at;  /* prune the customer map when it grows past this */
  int64_t max_no_answer, reject_delay, ewt_samples;
  /* Events of the current call from n_delivered on; with the event queue, also those not
   * yet pulled from ev_head on. events[0] is the ev_base-th event the engine raised. */
  cc_obs_event *events;
  size_t n_events, cap_events, ev_head, n_delivered;
  uint64_t ev_base;
  cc_obs_event pulled; /* the event ccenter_engine_next_event() returned last */
  int have_pulled;
  size_t n_pending; /* delivered to the queue, in the mask, not yet pulled */
  grave *graves;
  size_t n_graves, cap_graves;
  cc_journal_fn journal_fn;
  void *journal_ud;
  cc_wal_fn wal_fn;
  void *wal_ud;
  obs_entry obs[CC_MAX_OBSERVERS];
  size_t n_obs;
  cc_stats_cfg stats_cfg;
  ccenter_deadline_fn deadline_fn;
  void *deadline_ud;
  int64_t last_deadline;
  size_t bytes; /* object bytes, for cc_engine_memory */
};

#endif
