/*
 * Statistics computed from the engine's event stream (docs/statistics.md).
 *
 * An observer sees every event. Per queue and per agent it keeps a sorted list of interval
 * records (index = floor(time / interval)), the last `keep` of them, created on demand.
 * Contacts are counted in the interval in which they arrived in the queue; the per-contact
 * record remembers that arrival (its "visit") until CONTACT_ENDED. Agent work on a contact
 * is a "leg" (CONNECTED or CONSULT_CONNECTED to WRAP_UP_ENDED or CONSULT_ENDED), kept in
 * the agent's record with the visit it is attributed to.
 *
 * Nothing here reads a clock: times come from the events, and queries take `now`.
 */
#include "sla/stats.h"

#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "acd/engine_int.h"
#include "ccenter/stats.h"
#include "core/map.h"
#include "core/options.h"
#include "core/util.h"

#define NX CCENTER_STATS_MAX_THRESHOLDS
#define NONE_T INT64_MIN

/* ---------------------------------------------------------------------------------- */
/* Records                                                                             */

typedef struct code_count {
  const char *code; /* interned */
  int64_t n;        /* count, or ms for not-ready reasons */
} code_count;

/* Lists below grow to exact size: there is one per record, usually short, and records
 * exist per agent and per queue for every interval kept. */
typedef struct code_list {
  code_count *v;
  uint32_t n, cap;
} code_list;

/* A queue interval's counters (what a query sums; the rest of the struct stays 0). */
#define Q_U64(X)                                                                         \
  X(offered) X(contacts) X(answered) X(answered_within) X(abandoned) X(short_abandoned)  \
  X(abandoned_within) X(timed_out) X(exit_empty) X(removed) X(overflowed_out)            \
  X(overflowed_in) X(moved_out) X(moved_in) X(transferred_out) X(transferred_out_agent)  \
  X(transferred_out_consult) X(transferred_in) X(requeued) X(waiting)                    \
  X(callbacks_offered) X(callbacks_requested) X(callbacks_completed) X(repeat_contacts)  \
  X(handled) X(dispositions) X(surveys)
#define Q_I64(X)                                                                         \
  X(survey_sum) X(wait_answered_ms) X(wait_abandoned_ms) X(talk_ms) X(hold_ms) X(wrap_ms)

typedef struct qiv {
  int64_t idx;
  ccenter_queue_stats c;
  code_list disp;
} qiv;

/* ccenter_agent_stats's durations and counts, in the order of the snapshot format. */
#define A_I64(X)                                                                         \
  X(logged_in_ms) X(ready_ms) X(ready_idle_ms) X(not_ready_ms) X(talk_ms) X(hold_ms)     \
  X(wrap_ms)
#define A_U64(X)                                                                         \
  X(logins) X(logouts) X(offered) X(answered) X(missed) X(rejected) X(handled) X(transfers)

/* An agent's counters for one interval: ccenter_agent_stats without what only a query
 * fills in (size, intervals, from, to), in 72 bytes rather than 120: there is one per
 * agent at least. The durations of legs add up over the legs at once (up to the
 * capacity on every channel) and take 64 bits; a presence state is one stretch at a time,
 * at most the interval (a day at most: CCENTER_ENGINE_STATS_INTERVAL), so 32 bits hold
 * it; counts are 32-bit and stop at UINT32_MAX in one interval (counted as dropped),
 * which takes some 50,000 a second for a day to one agent. */
typedef struct acounts {
  int64_t talk_ms, hold_ms, wrap_ms;
  uint32_t logged_in_ms, ready_ms, ready_idle_ms, not_ready_ms;
  uint32_t logins, logouts, offered, answered, missed, rejected, handled, transfers;
} acounts;

typedef struct aiv {
  int64_t idx;
  acounts c;
  code_list nr;
} aiv;

/* Interval records sorted by idx. */
typedef struct ivent {
  int64_t idx; /* a copy of the record's, so that finding one reads only this array */
  void *rec;
} ivent;

typedef struct ivlist {
  ivent *v; /* every record but the one in emb */
  uint32_t n;
  uint32_t cap;
  void *cur; /* the record found last (NULL: none), checked before the array */
  /* Storage for the newest record inside the owner (agents), or NULL: events reach the
   * current interval's counters without another cache miss. When a newer interval starts,
   * the record moves out to a block of its own and the newest takes its place. It holds
   * the list's newest record whenever the list has one (iv_new_rec); its idx is NONE_T
   * while it holds none (emb_used). It has no entry in v, after every other record: an
   * agent with one interval has no array (iv_count, iv_at). */
  void *emb;
} ivlist;

/* What every event of the queue reads (queue_of's version check, qslot's generation and
 * interval list) comes first, together, where it used to span the record's second and
 * third cache lines behind the settings, which are read when a contact is answered. */
typedef struct stq {
  int have_cfg;
  uint32_t gen;         /* bumped when the history is reset */
  uint64_t cfg_version; /* the engine's SLA version when cfg was read */
  ivlist iv;
  char *id;
  cc_sla_cfg cfg;
} stq;

/* Where a contact's figures go: a queue, the arrival time there, the history generation.
 * The bytes after `ok` are the padding of every visit; the contact record's own visit
 * keeps its flags there (stc). */
typedef struct visit {
  stq *q;
  int64_t arr;
  uint32_t gen;
  uint8_t ok;   /* the arrival was counted */
  uint8_t open; /* stc.v only: waiting or ringing in v */
  uint8_t cb;   /* stc.v only: a callback */
  uint8_t form; /* stc.v only: STC_* */
} visit;

typedef struct span {
  int64_t a, b;
} span;

#define LEG_ID_INLINE 24

/* What leg_find compares (id, end of talk, consultation) comes first. */
typedef struct leg {
  char id_inline[LEG_ID_INLINE]; /* the contact's id when it fits: no extra cache miss */
  char *id_long;                 /* otherwise a copy */
  int64_t talk_end;     /* NONE_T while connected; then the start of wrap-up */
  int consult;          /* a consultation not (yet) completed */
  uint32_t n_holds;
  int64_t connected_at;
  int64_t hold_since;   /* NONE_T when not on hold */
  visit v;
  int64_t hold_ms;      /* closed holds during the conversation */
  span *holds;
  uint32_t cap_holds;
} leg;

/* One block per agent, in the order events read it: state, the interval list (its cur
 * usually leads to newest), the newest interval's counters. The legs are a block of their
 * own, there only while the agent works on a contact: most agents at any moment do not,
 * and a leg is 112 bytes. */
typedef struct sta {
  /* First: the engine's prefetch of a record fetches its first line (ev_contact), and
   * these lead to the block that an end of talk or of wrap-up reads next (warm). */
  leg *legs;          /* NULL exactly when n_legs is 0 */
  uint32_t n_legs;
  uint32_t cap_legs;  /* exact: rarely more than one */
  ccenter_agent_state state;
  unsigned ringing;
  int64_t since;
  int64_t idle_since; /* NONE_T unless READY with nothing in progress */
  ivlist iv;
  aiv newest;         /* iv.emb */
  const char *reason; /* interned NOT_READY reason */
  char id[];          /* in the record: a pointer and a block fewer than a copy of its own */
} sta;

/* Reached through the engine contact's slot only (the engine keeps ids unique among live
 * contacts, and a contact ends before it is freed); one that has not ended when the engine
 * is freed comes back through contact_gone. No list links the records: an end would write
 * two unrelated contacts' records.
 *
 * A waiting contact needs its visit and two flags: 24 bytes. What a record says besides
 * (stc_more: the visit of the last answer, for dispositions, and the survey) takes a
 * larger block (stcx) only when the small one cannot say it: while the contact has not
 * been answered (v.form STC_NONE) or was answered in its current visit (STC_ANS_V) it is
 * small. The form follows from the contents alone (stc_set_more), so a snapshot brings a
 * record back in the same form and memory. */
enum { STC_NONE = 0, STC_ANS_V, STC_BIG };

typedef struct stc {
  visit v; /* current (or last) visit, with the flags */
} stc;

typedef struct stc_more {
  visit answered; /* the visit of the last answer (zero: none) */
  visit sv;       /* the visit the last survey score counts in */
  int64_t score;
  int has_survey;
} stc_more;

typedef struct stcx {
  stc c;
  stc_more m;
} stcx;

typedef struct stcust {
  char *id;
  int64_t last;
} stcust;

/* Freed blocks of one size kept for the next ones, linked through their first word;
 * counted in the memory like live ones. */
typedef struct spares {
  void *head;
  size_t n;
} spares;

/* Contact records kept for reuse when they are freed. */
#define STATS_SPARE_CONTACTS 64
/* Blocks of one leg kept for reuse: an agent's legs block is made when it answers and
 * freed when its last wrap-up ends, a malloc and a free per contact otherwise. */
#define STATS_SPARE_LEGS 64

typedef struct cc_stats {
  ccenter_engine *e;
  const cc_alloc *al;
  const cc_stats_cfg *cfg;     /* the engine's, read in place (cc_engine_stats_cfg) */
  const uint64_t *sla_version; /* likewise (cc_engine_sla_version) */
  int64_t interval_ms, keep;
  int64_t newest; /* newest interval index seen; NONE_T before the first event */
  int64_t reset_at;
  uint64_t dropped;
  cc_map queues, agents, customers, strings;
  size_t n_contacts; /* contact records */
  size_t n_big;      /* of which in the larger block (stcx) */
  spares spare;      /* freed contact records (small blocks, stc) */
  spares spare_legs; /* freed blocks of one leg */
  size_t sweep_at;
  int slot; /* our slot in the engine's objects (acd/observer.h) */
  /* The interval index last computed (iv_index): ix_idx for times from ix_lo on, while
   * interval_ms is still ix_ms (0: none yet). */
  int64_t ix_ms, ix_lo, ix_idx;
} cc_stats;

/* ---------------------------------------------------------------------------------- */
/* Small helpers                                                                       */

static int64_t max64(int64_t a, int64_t b)
{
  return a > b ? a : b;
}

static int64_t min64(int64_t a, int64_t b)
{
  return a < b ? a : b;
}

static const char *intern(cc_stats *st, const char *s)
{
  if (!s)
    return NULL;
  char *k = cc_map_get(&st->strings, s);
  if (k)
    return k;
  k = cc_strdup(st->al, s);
  if (!k)
    return NULL;
  if (cc_map_put(&st->strings, st->al, k, k)) {
    cc_free(st->al, k);
    return NULL;
  }
  return k;
}

static int code_add(cc_stats *st, code_list *l, const char *code, int64_t n)
{
  for (size_t i = 0; i < l->n; i++)
    if (l->v[i].code == code) {
      l->v[i].n += n;
      return 0;
    }
  if (cc_grow_exact(st->al, (void **)&l->v, &l->cap, l->n + 1, sizeof *l->v))
    return CCENTER_ENOMEM;
  l->v[l->n].code = code;
  l->v[l->n].n = n;
  l->n++;
  return 0;
}

/* Whether t is in the interval last computed (iv_index). The unsigned difference is
 * exact for any two times. */
static int ix_holds(const cc_stats *st, int64_t t)
{
  return st->ix_ms == st->interval_ms &&
         (uint64_t)t - (uint64_t)st->ix_lo < (uint64_t)st->interval_ms;
}

/* cc_fdiv(t, interval_ms). An event asks for its interval several times and events come
 * in time order, so the last answer nearly always holds: a compare instead of a 64-bit
 * division (about 5 per event). */
static int64_t iv_index(cc_stats *st, int64_t t)
{
  if (ix_holds(st, t))
    return st->ix_idx;
  int64_t idx = cc_fdiv(t, st->interval_ms);
  st->ix_ms = st->interval_ms;
  st->ix_lo = idx * st->interval_ms;
  st->ix_idx = idx;
  return idx;
}

/* Lowest interval index inside the kept window. */
static int64_t window_lo(const cc_stats *st, int64_t newest)
{
  if (newest == NONE_T)
    return NONE_T;
  return newest - st->keep + 1;
}

/* What a record owns besides itself. */
static void qiv_free(cc_stats *st, void *p)
{
  qiv *v = p;
  cc_free(st->al, v->disp.v);
}

static void aiv_free(cc_stats *st, void *p)
{
  aiv *v = p;
  cc_free(st->al, v->nr.v);
}

static int emb_used(const ivlist *l)
{
  return l->emb && *(const int64_t *)l->emb != NONE_T;
}

/* The records in the list, and the one at position i (< iv_count), in idx order. */
static size_t iv_count(const ivlist *l)
{
  return l->n + (size_t)emb_used(l);
}

static ivent iv_at(const ivlist *l, size_t i)
{
  if (i < l->n)
    return l->v[i];
  ivent e = {*(const int64_t *)l->emb, l->emb};
  return e;
}

static void iv_release(cc_stats *st, ivlist *l, void *rec, void (*fr)(cc_stats *, void *))
{
  fr(st, rec);
  if (rec != l->emb)
    cc_free(st->al, rec);
  else
    *(int64_t *)rec = NONE_T;
}

static void ivlist_clear(cc_stats *st, ivlist *l, void (*fr)(cc_stats *, void *))
{
  for (size_t i = 0; i < l->n; i++)
    iv_release(st, l, l->v[i].rec, fr);
  if (emb_used(l))
    iv_release(st, l, l->emb, fr);
  cc_free(st->al, l->v);
  l->v = NULL;
  l->cur = NULL;
  l->n = l->cap = 0;
}

/* First position whose idx >= idx. */
static size_t iv_lower(const ivlist *l, int64_t idx)
{
  size_t lo = 0, hi = iv_count(l);
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (iv_at(l, mid).idx < idx)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* A zeroed block for a new record of interval idx: the embedded one when it is free or
 * holds an older interval (which then moves out, to the end of the array: room for it is
 * the caller's), else one of its own. */
static void *iv_new_rec(cc_stats *st, ivlist *l, int64_t idx, size_t size)
{
  int used = emb_used(l);
  if (!l->emb || (used && *(int64_t *)l->emb >= idx))
    return cc_calloc(st->al, 1, size);
  if (used) {
    void *moved = cc_malloc(st->al, size);
    if (!moved)
      return NULL;
    memcpy(moved, l->emb, size);
    l->v[l->n].idx = *(int64_t *)moved;
    l->v[l->n].rec = moved;
    l->n++;
    if (l->cur == l->emb)
      l->cur = moved;
  }
  memset(l->emb, 0, size);
  return l->emb;
}

/* The record of interval idx, created if it is inside the kept window; NULL outside it
 * or when out of memory (counted as dropped). */
/* Room for one more entry in the array. Exact while a list is short (most hold one or
 * two), then by half again: a list can gain an interval per interval for as long as the
 * window keeps (STATS_KEEP), and a copying realloc each time would make that quadratic.
 * Never past the window (less the embedded record's place: the snapshot format counts
 * it in the capacity, sw_ivlist). */
static int iv_room(cc_stats *st, ivlist *l)
{
  if (l->n < l->cap)
    return 0;
  size_t want = (size_t)l->n + 1;
  if (l->n >= 4) {
    size_t grown = (size_t)l->cap + l->cap / 2,
           window = (size_t)st->keep + 1 - (l->emb != NULL);
    want = grown < window ? grown : window;
    if (want < (size_t)l->n + 1)
      want = (size_t)l->n + 1;
  }
  return cc_grow_exact(st->al, (void **)&l->v, &l->cap, want, sizeof *l->v);
}

/* iv_get past its common case: records out of the window dropped, then the record found
 * or made. */
static CC_NOINLINE void *iv_find(cc_stats *st, ivlist *l, int64_t idx, int64_t lo, size_t size,
                                 void (*fr)(cc_stats *, void *))
{
  size_t old = 0;
  while (old < iv_count(l) && iv_at(l, old).idx < lo) {
    void *rec = iv_at(l, old++).rec;
    if (rec == l->cur)
      l->cur = NULL;
    iv_release(st, l, rec, fr);
  }
  if (old > l->n) /* the embedded record too, after all the others */
    old = l->n;
  if (old) {
    memmove(l->v, l->v + old, (l->n - old) * sizeof *l->v);
    l->n -= (uint32_t)old;
  }
  size_t pos = iv_lower(l, idx);
  if (pos < iv_count(l) && iv_at(l, pos).idx == idx) {
    l->cur = iv_at(l, pos).rec;
    return l->cur;
  }
  /* The array gains an entry unless the new record goes to a free embedded block. */
  if ((!l->emb || emb_used(l)) && iv_room(st, l)) {
    st->dropped++;
    return NULL;
  }
  void *rec = iv_new_rec(st, l, idx, size);
  if (!rec) {
    st->dropped++;
    return NULL;
  }
  *(int64_t *)rec = idx;
  l->cur = rec;
  if (rec == l->emb) /* the newest: no entry */
    return rec;
  memmove(l->v + pos + 1, l->v + pos, (l->n - pos) * sizeof *l->v);
  l->v[pos].idx = idx;
  l->v[pos].rec = rec;
  l->n++;
  return rec;
}

/* The record of interval idx (created if need be), or NULL: out of the window, or no
 * memory (counted as dropped). */
static inline void *iv_get(cc_stats *st, ivlist *l, int64_t idx, size_t size,
                           void (*fr)(cc_stats *, void *))
{
  int64_t lo = window_lo(st, st->newest);
  if (lo == NONE_T || idx < lo || idx > st->newest)
    return NULL;
  if (l->cur && *(int64_t *)l->cur == idx) /* nearly always: the current interval */
    return l->cur;
  return iv_find(st, l, idx, lo, size, fr);
}

/* ---------------------------------------------------------------------------------- */
/* Queues                                                                              */

static int sla_same(const cc_sla_cfg *a, const cc_sla_cfg *b)
{
  if (a->threshold_ms != b->threshold_ms || a->n_extra != b->n_extra)
    return 0;
  for (size_t i = 0; i < a->n_extra && i < NX; i++)
    if (a->extra_ms[i] != b->extra_ms[i])
      return 0;
  return 1;
}

static void queue_reset(cc_stats *st, stq *q)
{
  ivlist_clear(st, &q->iv, qiv_free);
  q->gen++;
}

/* queue_of past its common case: the record found or created, its settings read again. */
static CC_NOINLINE stq *queue_load(cc_stats *st, cc_obj *o)
{
  const char *id = o->id;
  void **slot = cc_obj_slot(o, st->slot);
  stq *q = *slot ? *slot : cc_map_get(&st->queues, id);
  if (!q) {
    q = cc_calloc(st->al, 1, sizeof *q);
    if (!q || !(q->id = cc_strdup(st->al, id)) || cc_map_put(&st->queues, st->al, q->id, q)) {
      if (q)
        cc_free(st->al, q->id);
      cc_free(st->al, q);
      st->dropped++;
      return NULL;
    }
    q->cfg.threshold_ms = 20000;
    q->cfg.target_bp = 8000;
    q->cfg.warning_pct = 75;
  }
  *slot = q;
  uint64_t version = *st->sla_version;
  if (q->have_cfg && q->cfg_version == version)
    return q;
  cc_sla_cfg cfg;
  memset(&cfg, 0, sizeof cfg);
  if (cc_engine_queue_sla(st->e, id, &cfg) == 0) {
    q->cfg_version = version;
    if (cfg.n_extra > NX)
      cfg.n_extra = NX;
    if (q->have_cfg && !sla_same(&q->cfg, &cfg))
      queue_reset(st, q);
    q->cfg = cfg;
    q->have_cfg = 1;
  }
  return q;
}

/* The queue's record (created on first sight), with its service-level settings brought
 * up to date: a changed threshold resets its history. A removed queue keeps the last
 * settings seen. */
static inline stq *queue_of(cc_stats *st, cc_obj *o)
{
  if (!o)
    return NULL;
  stq *q = *cc_obj_slot(o, st->slot);
  if (q && q->have_cfg && q->cfg_version == *st->sla_version)
    return q;
  return queue_load(st, o);
}

static qiv *qslot(cc_stats *st, const visit *v)
{
  if (!v->q || !v->ok || v->gen != v->q->gen)
    return NULL;
  return iv_get(st, &v->q->iv, iv_index(st, v->arr), sizeof(qiv), qiv_free);
}

static qiv *qnow(cc_stats *st, stq *q, int64_t t)
{
  visit v = {q, t, q ? q->gen : 0, 1, 0, 0, 0};
  return qslot(st, &v);
}

/* ---------------------------------------------------------------------------------- */
/* Agents                                                                              */

/* The agent's record if it has one (the agent named by an event). */
static sta *agent_find(cc_stats *st, cc_obj *o)
{
  if (!o)
    return NULL;
  void **slot = cc_obj_slot(o, st->slot);
  if (!*slot)
    *slot = cc_map_get(&st->agents, o->id);
  return *slot;
}

/* agent_of past its common case: the record found by id or created. */
static CC_NOINLINE sta *agent_new(cc_stats *st, cc_obj *o, int64_t t)
{
  sta *a = agent_find(st, o);
  if (a)
    return a;
  size_t len = strlen(o->id);
  a = cc_calloc(st->al, 1, sizeof *a + len + 1);
  if (a)
    memcpy(a->id, o->id, len + 1);
  if (!a || cc_map_put(&st->agents, st->al, a->id, a)) {
    cc_free(st->al, a);
    st->dropped++;
    return NULL;
  }
  a->state = CCENTER_AGENT_LOGGED_OUT;
  a->since = t;
  a->idle_since = NONE_T;
  a->iv.emb = &a->newest;
  a->newest.idx = NONE_T; /* holds no record yet (emb_used) */
  *cc_obj_slot(o, st->slot) = a;
  return a;
}

/* The agent's record, created on first sight (the agent named by an event). */
static inline sta *agent_of(cc_stats *st, cc_obj *o, int64_t t)
{
  if (!o)
    return NULL;
  sta *a = *cc_obj_slot(o, st->slot);
  return a ? a : agent_new(st, o, t);
}

static aiv *aslot(cc_stats *st, sta *a, int64_t idx)
{
  return iv_get(st, &a->iv, idx, sizeof(aiv), aiv_free);
}

#define AFIELD(name) offsetof(acounts, name)

/* Adds n to the duration at off (AFIELD). */
static void afield_add(aiv *v, size_t off, int64_t n)
{
  char *p = (char *)&v->c + off;
  if (off < AFIELD(logged_in_ms))
    *(int64_t *)(void *)p += n;
  else /* presence: the interval's total fits (acounts); modulo 2^32 on the way */
    *(uint32_t *)(void *)p += (uint32_t)n;
}

/* Adds n to the field at off of the agent's record of interval idx (and to the reason). */
static void span_add(cc_stats *st, sta *ag, int64_t idx, size_t off, const char *reason,
                     int64_t n)
{
  aiv *v = aslot(st, ag, idx);
  if (!v)
    return;
  afield_add(v, off, n);
  if (reason && code_add(st, &v->nr, reason, n))
    st->dropped++;
}

/* Adds sign x the part of [a, b) in each interval to the agent's field (and to a
 * not-ready reason), from the last reset on. */
static void agent_span(cc_stats *st, sta *ag, int64_t a, int64_t b, size_t off,
                       const char *reason, int sign)
{
  /* Nearly always the stretch lies in the interval of the last index computed (iv_index),
   * after the last reset: one record, the whole stretch. Outside the window, aslot finds
   * nothing, as the loop below would not. */
  if (b > a && a >= st->reset_at && ix_holds(st, a) && ix_holds(st, b - 1)) {
    span_add(st, ag, st->ix_idx, off, reason, sign * (b - a));
    return;
  }
  a = max64(a, st->reset_at);
  int64_t lo = window_lo(st, st->newest);
  if (lo == NONE_T)
    return;
  a = max64(a, lo * st->interval_ms);
  if (b <= a)
    return;
  int64_t I = st->interval_ms;
  for (int64_t idx = iv_index(st, a), last = iv_index(st, b - 1); idx <= last; idx++) {
    int64_t part = min64(b, (idx + 1) * I) - max64(a, idx * I);
    span_add(st, ag, idx, off, reason, sign * part);
  }
}

static void agent_count(cc_stats *st, sta *ag, int64_t t, size_t off)
{
  aiv *v = aslot(st, ag, iv_index(st, t));
  if (!v)
    return;
  uint32_t *n = (uint32_t *)(void *)((char *)&v->c + off);
  if (*n == UINT32_MAX)
    st->dropped++;
  else
    (*n)++;
}

static void agent_idle(cc_stats *st, sta *ag, int64_t t)
{
  int idle = ag->state == CCENTER_AGENT_READY && !ag->ringing && !ag->n_legs;
  if (ag->idle_since != NONE_T && !idle) {
    agent_span(st, ag, ag->idle_since, t, AFIELD(ready_idle_ms), NULL, 1);
    ag->idle_since = NONE_T;
  } else if (ag->idle_since == NONE_T && idle) {
    ag->idle_since = t;
  }
}

static const char *leg_contact(const leg *l)
{
  return l->id_long ? l->id_long : l->id_inline;
}

static const leg *leg_at_c(const sta *ag, size_t i)
{
  return &ag->legs[i];
}

static leg *leg_at(sta *ag, size_t i)
{
  return (leg *)(uintptr_t)leg_at_c(ag, i);
}

/* What a leg owns besides itself. */
static void leg_release(cc_stats *st, leg *l)
{
  cc_free(st->al, l->id_long);
  cc_free(st->al, l->holds);
}

static void spare_put(spares *s, void *p)
{
  *(void **)p = s->head;
  s->head = p;
  s->n++;
}

/* A kept block, or NULL when none is. */
static void *spare_take(spares *s)
{
  void *p = s->head;
  if (p) {
    s->head = *(void **)p;
    s->n--;
  }
  return p;
}

/* p is kept while fewer than max are, else given back to the allocator. */
static void spare_keep(cc_stats *st, spares *s, void *p, size_t max)
{
  if (s->n < max)
    spare_put(s, p);
  else
    cc_free(st->al, p);
}

static void spares_free(cc_stats *st, spares *s)
{
  void *x;
  while ((x = spare_take(s)))
    cc_free(st->al, x);
}

/* An agent without legs holds no block for them (the snapshot's capacity relies on it). */
static void legs_drop_empty(cc_stats *st, sta *ag)
{
  if (ag->n_legs)
    return;
  if (ag->cap_legs == 1)
    spare_keep(st, &st->spare_legs, ag->legs, STATS_SPARE_LEGS);
  else
    cc_free(st->al, ag->legs);
  ag->legs = NULL;
  ag->cap_legs = 0;
}

/* Room for one more leg: a kept block for an agent's first, else the allocator. */
static int legs_room(cc_stats *st, sta *ag)
{
  if (!ag->cap_legs && (ag->legs = spare_take(&st->spare_legs))) {
    ag->cap_legs = 1;
    return 0;
  }
  return cc_grow_exact(st->al, (void **)&ag->legs, &ag->cap_legs, ag->n_legs + 1,
                       sizeof *ag->legs);
}

static leg *leg_new(cc_stats *st, sta *ag, const char *contact, const visit *v, int consult,
                    int64_t t)
{
  if (legs_room(st, ag))
    return NULL;
  leg *l = leg_at(ag, ag->n_legs);
  memset(l, 0, sizeof *l);
  size_t len = strlen(contact);
  if (len < LEG_ID_INLINE) {
    memcpy(l->id_inline, contact, len + 1);
  } else if (!(l->id_long = cc_strdup(st->al, contact))) {
    legs_drop_empty(st, ag);
    return NULL;
  }
  ag->n_legs++;
  l->v = *v;
  l->consult = consult;
  l->connected_at = t;
  l->talk_end = NONE_T;
  l->hold_since = NONE_T;
  return l;
}

static void leg_del(cc_stats *st, sta *ag, leg *l)
{
  leg_release(st, l);
  *l = *leg_at(ag, --ag->n_legs);
  legs_drop_empty(st, ag);
}

/* mode 0: the connected leg (not a consultation); 1: the connected consultation;
 * 2: a leg in wrap-up, preferring the one whose wrap-up started at `t`. */
static leg *leg_find(sta *ag, const char *contact, int mode, int64_t t)
{
  if (!ag || !contact)
    return NULL;
  leg *any = NULL;
  for (size_t i = 0; i < ag->n_legs; i++) {
    leg *l = leg_at(ag, i);
    if (strcmp(leg_contact(l), contact) != 0)
      continue;
    if (mode == 0 && l->talk_end == NONE_T && !l->consult)
      return l;
    if (mode == 1 && l->consult)
      return l;
    if (mode == 2 && l->talk_end != NONE_T) {
      if (l->talk_end == t)
        return l;
      if (!any)
        any = l;
    }
  }
  return any;
}

/* The conversation of a leg ends at t: talk = connected time minus hold. */
static void leg_end_talk(cc_stats *st, sta *ag, leg *l, int64_t t, int count_queue)
{
  if (l->talk_end != NONE_T)
    return;
  int64_t hold = l->hold_ms;
  agent_span(st, ag, l->connected_at, t, AFIELD(talk_ms), NULL, 1);
  for (size_t i = 0; i < l->n_holds; i++)
    agent_span(st, ag, l->holds[i].a, l->holds[i].b, AFIELD(talk_ms), NULL, -1);
  if (l->hold_since != NONE_T) {
    agent_span(st, ag, l->hold_since, t, AFIELD(talk_ms), NULL, -1);
    hold += t - l->hold_since;
  }
  if (count_queue) {
    qiv *v = qslot(st, &l->v);
    if (v)
      v->c.talk_ms += t - l->connected_at - hold;
  }
  l->talk_end = t;
  cc_free(st->al, l->holds);
  l->holds = NULL;
  l->n_holds = l->cap_holds = 0;
}

/* ---------------------------------------------------------------------------------- */
/* Contacts and customers                                                              */

/* Contact records live from CONTACT_QUEUED to CONTACT_ENDED (ids from events). */
static stc *contact_get(cc_stats *st, cc_obj *o)
{
  return o ? *cc_obj_slot(o, st->slot) : NULL;
}

static stc *contact_new(cc_stats *st, cc_obj *o)
{
  stc *c = spare_take(&st->spare);
  if (c) {
    memset(c, 0, sizeof *c);
  } else {
    c = cc_calloc(st->al, 1, sizeof *c);
  }
  if (!c) {
    st->dropped++;
    return NULL;
  }
  st->n_contacts++;
  *cc_obj_slot(o, st->slot) = c;
  return c;
}

/* A small block back to the spares, or to the allocator. */
static void small_free(cc_stats *st, stc *c)
{
  spare_keep(st, &st->spare, c, STATS_SPARE_CONTACTS);
}

static void contact_free(cc_stats *st, stc *c)
{
  st->n_contacts--;
  if (c->v.form == STC_BIG) {
    st->n_big--;
    cc_free(st->al, c);
  } else {
    small_free(st, c);
  }
}

static const visit zero_visit;

static int visit_same(const visit *a, const visit *b)
{
  return a->q == b->q && a->arr == b->arr && a->gen == b->gen && a->ok == b->ok;
}

static stc_more stc_get_more(const stc *c)
{
  stc_more m;
  if (c->v.form == STC_BIG)
    return ((const stcx *)(const void *)c)->m;
  memset(&m, 0, sizeof m);
  if (c->v.form == STC_ANS_V) {
    m.answered = c->v;
    m.answered.open = m.answered.cb = m.answered.form = 0;
  }
  return m;
}

/* The smallest form that holds m next to the visit v. */
static uint8_t stc_form(const visit *v, const stc_more *m)
{
  if (m->has_survey)
    return STC_BIG;
  if (visit_same(&m->answered, &zero_visit))
    return STC_NONE;
  return visit_same(&m->answered, v) ? STC_ANS_V : STC_BIG;
}

/* Gives the record *slot the contents m in the smallest form that holds them, moving it
 * to a block of the other size when the form changes. 0, or CCENTER_ENOMEM with the
 * record left as it was (when m needs the larger block). */
static int stc_set_more(cc_stats *st, void **slot, const stc_more *m)
{
  stc *c = *slot;
  uint8_t form = stc_form(&c->v, m);
  if (form == STC_BIG) {
    stcx *x = (stcx *)(void *)c;
    if (c->v.form != STC_BIG) {
      if (!(x = cc_malloc(st->al, sizeof *x)))
        return CCENTER_ENOMEM;
      x->c = *c;
      small_free(st, c);
      st->n_big++;
      *slot = x;
    }
    x->c.v.form = STC_BIG;
    x->m = *m;
    return 0;
  }
  if (c->v.form == STC_BIG) {
    stc *n = spare_take(&st->spare);
    if (!n && !(n = cc_malloc(st->al, sizeof *n))) {
      /* Kept large, right if not in its smallest form (a restored engine may then
       * count it smaller): nothing is lost. */
      ((stcx *)(void *)c)->m = *m;
      return 0;
    }
    *n = *c;
    cc_free(st->al, c);
    st->n_big--;
    *slot = c = n;
  }
  c->v.form = form;
  return 0;
}

/* As stc_set_more for a contact's record during an event: out of memory, what does not
 * fit is lost (counted as dropped; the answer's visit of a record left small becomes
 * none). The record, maybe moved. */
static stc *contact_set_more(cc_stats *st, cc_obj *o, stc *c, const stc_more *m)
{
  void **slot = cc_obj_slot(o, st->slot);
  if (stc_set_more(st, slot, m)) {
    st->dropped++;
    if (c->v.form == STC_ANS_V && !visit_same(&m->answered, &c->v))
      c->v.form = STC_NONE;
  }
  return *slot;
}

/* Drops customers whose last contact is older than the repeat window, when the map has
 * doubled since the last sweep (amortised O(1) per contact). */
static void customers_sweep(cc_stats *st, int64_t t, int64_t window)
{
  if (st->customers.len < st->sweep_at)
    return;
  size_t n = 0, it = 0;
  stcust **old = cc_malloc(st->al, st->customers.len * sizeof *old);
  if (old) {
    stcust *cu;
    while ((cu = cc_map_next(&st->customers, &it)))
      if (t - cu->last > window)
        old[n++] = cu;
    for (size_t i = 0; i < n; i++) {
      cc_map_del(&st->customers, old[i]->id);
      cc_free(st->al, old[i]->id);
      cc_free(st->al, old[i]);
    }
    cc_free(st->al, old);
  }
  st->sweep_at = st->customers.len * 2 > 1024 ? st->customers.len * 2 : 1024;
}

/* A new contact of `customer` at t: 1 if it repeats one within the window. */
static int customer_seen(cc_stats *st, const char *customer, int64_t t)
{
  if (!customer)
    return 0;
  int64_t window = st->cfg->repeat_window_ms;
  stcust *cu = cc_map_get(&st->customers, customer);
  if (cu) {
    int rep = window > 0 && t - cu->last <= window;
    cu->last = t;
    return rep;
  }
  customers_sweep(st, t, window);
  cu = cc_calloc(st->al, 1, sizeof *cu);
  if (!cu || !(cu->id = cc_strdup(st->al, customer)) ||
      cc_map_put(&st->customers, st->al, cu->id, cu)) {
    if (cu)
      cc_free(st->al, cu->id);
    cc_free(st->al, cu);
    st->dropped++;
    return 0;
  }
  cu->last = t;
  return 0;
}

/* The contact arrives in q at arr (a new visit); *cp may move (the answered visit, kept
 * apart from v from now on). */
static qiv *visit_open(cc_stats *st, cc_obj *o, stc **cp, stq *q, int64_t arr)
{
  stc *c = *cp;
  stc_more m = stc_get_more(c);
  c->v.q = q;
  c->v.arr = arr;
  c->v.gen = q->gen;
  c->v.ok = 1;
  c->v.open = 1;
  qiv *v = qslot(st, &c->v);
  c->v.ok = v != NULL;
  *cp = c = contact_set_more(st, o, c, &m);
  if (v) {
    v->c.offered++;
    v->c.waiting++;
  }
  return v;
}

/* The visit ends; returns its interval record to count the way it ended (or NULL). */
static qiv *visit_close(cc_stats *st, stc *c)
{
  if (!c->v.open)
    return NULL;
  c->v.open = 0;
  qiv *v = qslot(st, &c->v);
  if (v)
    v->c.waiting--;
  return v;
}

static void count_thresholds(const stq *q, int64_t wait, uint64_t *within, uint64_t *extra)
{
  if (wait <= q->cfg.threshold_ms)
    (*within)++;
  for (size_t i = 0; i < q->cfg.n_extra; i++)
    if (wait <= q->cfg.extra_ms[i])
      extra[i]++;
}

/* ---------------------------------------------------------------------------------- */
/* Configuration                                                                       */

static void reset_all(cc_stats *st, int64_t t)
{
  size_t it = 0;
  stq *q;
  while ((q = cc_map_next(&st->queues, &it)))
    queue_reset(st, q);
  it = 0;
  sta *a;
  while ((a = cc_map_next(&st->agents, &it)))
    ivlist_clear(st, &a->iv, aiv_free);
  st->newest = NONE_T;
  st->reset_at = t;
}

static void sync_cfg(cc_stats *st, int64_t t)
{
  const cc_stats_cfg *cfg = st->cfg;
  if (cfg->interval_ms == st->interval_ms && cfg->keep == st->keep)
    return;
  reset_all(st, t);
  st->interval_ms = cfg->interval_ms > 0 ? cfg->interval_ms : 1;
  st->keep = cfg->keep > 0 ? cfg->keep : 1;
}

/* ---------------------------------------------------------------------------------- */
/* The observer                                                                        */

static void on_agent_state(cc_stats *st, const cc_obs_event *oe)
{
  const ccenter_event *ev = &oe->pub;
  int64_t t = ev->time;
  sta *ag = agent_of(st, oe->agent, t - ev->duration_ms);
  if (!ag)
    return;
  /* Our own clock of the stretch: the engine's duration_ms counts from the last change
   * of state, which a change of not-ready reason alone does not reset. */
  if (ag->state != CCENTER_AGENT_LOGGED_OUT) {
    agent_span(st, ag, ag->since, t, AFIELD(logged_in_ms), NULL, 1);
    if (ag->state == CCENTER_AGENT_READY)
      agent_span(st, ag, ag->since, t, AFIELD(ready_ms), NULL, 1);
    else
      agent_span(st, ag, ag->since, t, AFIELD(not_ready_ms),
                 ag->reason ? ag->reason : intern(st, "unspecified"), 1);
  }
  if (ev->prev_state == CCENTER_AGENT_LOGGED_OUT && ev->state != CCENTER_AGENT_LOGGED_OUT)
    agent_count(st, ag, t, AFIELD(logins));
  if (ev->prev_state != CCENTER_AGENT_LOGGED_OUT && ev->state == CCENTER_AGENT_LOGGED_OUT)
    agent_count(st, ag, t, AFIELD(logouts));
  agent_idle(st, ag, t);
  ag->state = ev->state;
  ag->since = t;
  ag->reason = NULL;
  if (ev->state == CCENTER_AGENT_NOT_READY) {
    /* Reports group not-ready time by reason: the integrator's, else the engine's cause. */
    ag->reason = intern(st, ev->reason  ? ev->reason
                            : ev->cause ? ccenter_cause_name(ev->cause)
                                        : "unspecified");
    if (!ag->reason)
      st->dropped++;
  }
  agent_idle(st, ag, t);
}

static void on_connected(cc_stats *st, const cc_obs_event *oe, stc *c)
{
  const ccenter_event *ev = &oe->pub;
  int64_t t = ev->time;
  sta *ag = agent_of(st, oe->agent, t);
  if (ag) {
    if (ag->ringing)
      ag->ringing--;
    agent_count(st, ag, t, AFIELD(answered));
  }
  if (!c) {
    st->dropped++;
    return;
  }
  if (c->v.open) {
    qiv *v = visit_close(st, c);
    if (v) {
      int64_t w = ev->wait_ms;
      v->c.answered++;
      v->c.wait_answered_ms += w;
      if (w > v->c.max_wait_answered_ms)
        v->c.max_wait_answered_ms = w;
      count_thresholds(c->v.q, w, &v->c.answered_within, v->c.answered_within_extra);
      if (c->v.cb)
        v->c.callbacks_completed++;
    }
  }
  stc_more m = stc_get_more(c);
  m.answered = c->v;
  m.answered.open = m.answered.cb = m.answered.form = 0;
  c = contact_set_more(st, oe->contact, c, &m);
  if (ag) {
    if (!leg_new(st, ag, ev->contact, &c->v, 0, t))
      st->dropped++;
    agent_idle(st, ag, t);
  }
}

static void on_ended(cc_stats *st, const cc_obs_event *oe, stc *c)
{
  const ccenter_event *ev = &oe->pub;
  if (!c) {
    st->dropped++;
    return;
  }
  if (c->v.open) {
    stq *q = c->v.q;
    qiv *v = visit_close(st, c);
    int64_t w = ev->wait_ms;
    if (v) {
      switch (ev->outcome) {
      case CCENTER_OUTCOME_ABANDONED:
        v->c.abandoned++;
        v->c.wait_abandoned_ms += w;
        if (w > v->c.max_wait_abandoned_ms)
          v->c.max_wait_abandoned_ms = w;
        if (w < st->cfg->short_abandon_ms)
          v->c.short_abandoned++;
        else
          count_thresholds(q, w, &v->c.abandoned_within, v->c.abandoned_within_extra);
        break;
      case CCENTER_OUTCOME_TIMED_OUT:
        v->c.timed_out++;
        break;
      case CCENTER_OUTCOME_EXIT_EMPTY:
        v->c.exit_empty++;
        break;
      case CCENTER_OUTCOME_REMOVED:
        v->c.removed++;
        break;
      default:
        /* HANDLED is never open; an unknown outcome keeps the contact "waiting" in the
         * identity rather than inventing a category. */
        v->c.waiting++;
        st->dropped++;
        break;
      }
    }
  }
  *cc_obj_slot(oe->contact, st->slot) = NULL;
  contact_free(st, c);
}

static void on_disposition(cc_stats *st, const cc_obs_event *oe, stc *c)
{
  const ccenter_event *ev = &oe->pub;
  if (!c) {
    st->dropped++;
    return;
  }
  sta *ag = agent_find(st, oe->agent);
  leg *l = leg_find(ag, ev->contact, 0, 0);
  stc_more m = stc_get_more(c);
  visit at = l ? l->v : m.answered;
  if (ev->reason) {
    qiv *v = qslot(st, &at);
    const char *code = intern(st, ev->reason);
    if (v) {
      v->c.dispositions++;
      if (!code || code_add(st, &v->disp, code, 1))
        st->dropped++;
    }
    return;
  }
  if (ev->score < 0)
    return;
  if (m.has_survey) { /* the last score wins: take the previous one back */
    qiv *old = qslot(st, &m.sv);
    if (old) {
      old->c.surveys--;
      old->c.survey_sum -= m.score;
      old->c.survey_hist[m.score >= 100 ? 10 : m.score / 10]--;
    }
  }
  int64_t s = ev->score > 100 ? 100 : ev->score;
  qiv *v = qslot(st, &at);
  if (v) {
    v->c.surveys++;
    v->c.survey_sum += s;
    v->c.survey_hist[s / 10]++;
  }
  m.has_survey = 1;
  m.sv = at;
  m.sv.open = m.sv.cb = m.sv.form = 0;
  m.score = s;
  contact_set_more(st, oe->contact, c, &m);
}

/* An agent's end of talk or of wrap-up finds its leg by contact id: the legs block is a
 * cache miss of its own at scale, the only one left in such an event once the engine has
 * fetched the record. */
static void warm(void *ud, cc_obj_kind kind, const void *value)
{
  (void)ud;
  if (kind != CC_OBJ_AGENT)
    return;
  const sta *a = value;
  for (uint32_t i = 0; i < a->n_legs && i < 2; i++) {
    const char *l = (const char *)&a->legs[i];
    CC_PREFETCH(l);
    CC_PREFETCH(l + 64);
    CC_PREFETCH(l + sizeof(leg) - 1);
  }
}

static void observe(void *ud, ccenter_engine *e, const cc_obs_event *oe)
{
  (void)e;
  const ccenter_event *ev = &oe->pub;
  cc_stats *st = ud;
  int64_t t = ev->time;
  sync_cfg(st, t);
  int64_t idx = iv_index(st, t);
  if (st->newest == NONE_T || idx > st->newest)
    st->newest = idx;
  stq *q = queue_of(st, oe->queue);
  stc *c = contact_get(st, oe->contact);
  sta *ag;
  leg *l;
  qiv *v;
  switch (ev->type) {
  case CCENTER_EV_AGENT_STATE:
    on_agent_state(st, oe);
    break;
  case CCENTER_EV_CONTACT_QUEUED: {
    if (!q)
      break;
    int fresh = !c;
    if (fresh && !(c = contact_new(st, oe->contact)))
      break;
    if (c->v.open) { /* cannot happen with this engine: keep the old visit counted waiting */
      st->dropped++;
      c->v.open = 0;
    }
    v = visit_open(st, oe->contact, &c, q, t - ev->wait_ms);
    if (fresh) {
      int rep = customer_seen(st, ev->customer, t);
      if (v) {
        v->c.contacts++;
        v->c.repeat_contacts += (uint64_t)rep;
      }
    }
    break;
  }
  case CCENTER_EV_CONTACT_REQUEUED:
    if (!c || !q) {
      st->dropped++;
      break;
    }
    ag = agent_find(st, oe->agent);
    if ((l = leg_find(ag, ev->contact, 0, 0)))
      leg_end_talk(st, ag, l, t, 1);
    if (c->v.open)
      st->dropped++;
    if ((v = visit_open(st, oe->contact, &c, q, t - ev->wait_ms)))
      v->c.requeued++;
    break;
  case CCENTER_EV_QUEUE_MOVED: {
    stq *to = queue_of(st, oe->queue_to);
    if (!c || !to) {
      st->dropped++;
      break;
    }
    if (c->v.open && (v = visit_close(st, c)))
      v->c.moved_out++;
    if ((v = visit_open(st, oe->contact, &c, to, t - ev->wait_ms)))
      v->c.moved_in++;
    break;
  }
  case CCENTER_EV_CONTACT_OVERFLOWED: {
    stq *to = queue_of(st, oe->queue_to);
    if (!c) {
      st->dropped++;
      break;
    }
    if (c->v.open && (v = visit_close(st, c)))
      v->c.overflowed_out++;
    if (to && (v = qnow(st, to, t)))
      v->c.overflowed_in++;
    break;
  }
  case CCENTER_EV_CONTACT_TRANSFERRED: {
    ag = agent_of(st, oe->agent, t);
    if (!c) {
      st->dropped++;
      break;
    }
    l = leg_find(ag, ev->contact, 0, 0);
    visit at = l ? l->v : stc_get_more(c).answered;
    int consult = 0;
    if (ev->agent_to) {
      sta *b = agent_find(st, oe->agent_to);
      leg *bl = leg_find(b, ev->contact, 1, 0);
      if (bl) {
        bl->consult = 0;
        consult = 1;
      }
    }
    if ((v = qslot(st, &at))) {
      v->c.transferred_out++;
      if (consult)
        v->c.transferred_out_consult++;
      else if (ev->agent_to)
        v->c.transferred_out_agent++;
    }
    if (ev->queue_to) {
      stq *to = queue_of(st, oe->queue_to);
      if (to && (v = qnow(st, to, t)))
        v->c.transferred_in++;
    }
    if (ag) {
      agent_count(st, ag, t, AFIELD(transfers));
      if (l)
        leg_end_talk(st, ag, l, t, 1);
    }
    break;
  }
  case CCENTER_EV_CONTACT_OFFERED:
    if ((ag = agent_of(st, oe->agent, t))) {
      ag->ringing++;
      agent_count(st, ag, t, AFIELD(offered));
      agent_idle(st, ag, t);
    }
    break;
  case CCENTER_EV_OFFER_WITHDRAWN:
    if ((ag = agent_of(st, oe->agent, t))) {
      if (ag->ringing)
        ag->ringing--;
      if (ev->cause == CCENTER_CAUSE_RING_TIMEOUT || ev->cause == CCENTER_CAUSE_MISSED)
        agent_count(st, ag, t, AFIELD(missed));
      else if (ev->cause == CCENTER_CAUSE_REJECTED)
        agent_count(st, ag, t, AFIELD(rejected));
      agent_idle(st, ag, t);
    }
    break;
  case CCENTER_EV_CONTACT_CONNECTED:
    on_connected(st, oe, c);
    break;
  case CCENTER_EV_CONSULT_OFFERED:
    if ((ag = agent_of(st, oe->agent_to, t))) {
      ag->ringing++;
      agent_idle(st, ag, t);
    }
    break;
  case CCENTER_EV_CONSULT_CONNECTED:
    if ((ag = agent_of(st, oe->agent_to, t))) {
      if (ag->ringing)
        ag->ringing--;
      if (!c || !leg_new(st, ag, ev->contact, &c->v, 1, t))
        st->dropped++;
      agent_idle(st, ag, t);
    }
    break;
  case CCENTER_EV_CONSULT_ENDED:
    if ((ag = agent_of(st, oe->agent_to, t))) {
      if (c && (l = leg_find(ag, ev->contact, 1, 0))) {
        leg_end_talk(st, ag, l, t, 0);
        leg_del(st, ag, l);
      } else if (ag->ringing) {
        ag->ringing--;
      }
      agent_idle(st, ag, t);
    }
    break;
  case CCENTER_EV_CONTACT_HELD:
    ag = agent_find(st, oe->agent);
    if (c && (l = leg_find(ag, ev->contact, 0, 0)))
      l->hold_since = t;
    break;
  case CCENTER_EV_CONTACT_RESUMED: {
    ag = agent_find(st, oe->agent);
    if (!ag || !c) {
      st->dropped++;
      break;
    }
    l = NULL;
    for (size_t i = 0; i < ag->n_legs && !l; i++) {
      leg *x = leg_at(ag, i);
      if (x->hold_since != NONE_T && !strcmp(leg_contact(x), ev->contact))
        l = x;
    }
    int64_t a = t - ev->duration_ms;
    agent_span(st, ag, a, t, AFIELD(hold_ms), NULL, 1);
    if (!l) {
      st->dropped++;
      break;
    }
    if ((v = qslot(st, &l->v)))
      v->c.hold_ms += ev->duration_ms;
    if (l->talk_end == NONE_T) {
      l->hold_ms += t - a;
      if (!cc_grow_exact(st->al, (void **)&l->holds, &l->cap_holds, l->n_holds + 1,
                         sizeof *l->holds)) {
        l->holds[l->n_holds].a = a;
        l->holds[l->n_holds].b = t;
        l->n_holds++;
      } else {
        st->dropped++;
      }
    }
    l->hold_since = NONE_T;
    break;
  }
  case CCENTER_EV_CONVERSATION_ENDED:
    ag = agent_find(st, oe->agent);
    if (c && (l = leg_find(ag, ev->contact, 0, 0)))
      leg_end_talk(st, ag, l, t, 1);
    else
      st->dropped++;
    break;
  case CCENTER_EV_WRAP_UP_ENDED: {
    if (!(ag = agent_of(st, oe->agent, t)))
      break;
    int64_t a = t - ev->duration_ms;
    /* By id: the contact may have ended already (abandoned or timed out in another queue
     * while this agent of an earlier leg wraps up). */
    l = ev->contact ? leg_find(ag, ev->contact, 2, a) : NULL;
    if (!l && ev->contact && (l = leg_find(ag, ev->contact, 0, 0)))
      leg_end_talk(st, ag, l, a, 1); /* a leg whose talk end was not seen */
    agent_span(st, ag, a, t, AFIELD(wrap_ms), NULL, 1);
    agent_count(st, ag, t, AFIELD(handled));
    if (!l) {
      st->dropped++;
      break;
    }
    if ((v = qslot(st, &l->v))) {
      v->c.wrap_ms += ev->duration_ms;
      v->c.handled++;
    }
    leg_del(st, ag, l);
    agent_idle(st, ag, t);
    break;
  }
  case CCENTER_EV_CONTACT_ENDED:
    on_ended(st, oe, c);
    break;
  case CCENTER_EV_CONTACT_CALLBACK_OFFER:
    if (c && (v = qslot(st, &c->v)))
      v->c.callbacks_offered++;
    break;
  case CCENTER_EV_CONTACT_CALLBACK_QUEUED:
    if (!c) {
      st->dropped++;
      break;
    }
    c->v.cb = 1;
    if ((v = qslot(st, &c->v)))
      v->c.callbacks_requested++;
    break;
  case CCENTER_EV_DISPOSITION:
    on_disposition(st, oe, c);
    break;
  default:
    break; /* AGENT_PENDING, ANNOUNCE, CALLBACK_DUE, SLA_*, AGENT_SERVE, STEP, newer */
  }
}

/* ---------------------------------------------------------------------------------- */
/* Life cycle                                                                          */

/* The engine frees a contact whose record is still here: it is being freed itself. Agent
 * and queue records are kept in our own maps and freed with us. */
static void object_gone(void *ud, cc_obj_kind kind, void *record)
{
  if (kind == CC_OBJ_CONTACT)
    contact_free(ud, record);
}

static void stats_free(void *p)
{
  cc_stats *st = p;
  if (!st)
    return;
  size_t it = 0;
  void *x;
  while ((x = cc_map_next(&st->queues, &it))) {
    stq *q = x;
    ivlist_clear(st, &q->iv, qiv_free);
    cc_free(st->al, q->id);
    cc_free(st->al, q);
  }
  it = 0;
  while ((x = cc_map_next(&st->agents, &it))) {
    sta *a = x;
    ivlist_clear(st, &a->iv, aiv_free);
    for (size_t i = 0; i < a->n_legs; i++)
      leg_release(st, leg_at(a, i));
    cc_free(st->al, a->legs);
    cc_free(st->al, a);
  }
  it = 0;
  while ((x = cc_map_next(&st->customers, &it))) {
    stcust *cu = x;
    cc_free(st->al, cu->id);
    cc_free(st->al, cu);
  }
  it = 0;
  while ((x = cc_map_next(&st->strings, &it)))
    cc_free(st->al, x);
  spares_free(st, &st->spare);
  spares_free(st, &st->spare_legs);
  cc_map_destroy(&st->queues, st->al);
  cc_map_destroy(&st->agents, st->al);
  cc_map_destroy(&st->customers, st->al);
  cc_map_destroy(&st->strings, st->al);
  cc_free(st->al, st);
}

/* ---------------------------------------------------------------------------------- */
/* Snapshots (acd/observer.h, core/snap.h)                                             */

/* Everything is saved as it is, maps slot for slot and interval lists with their
 * capacity and last-found record, so that a restored engine answers every query, counts
 * its memory and grows its lists exactly as the saved one, and saves the same bytes.
 * Pointers between records are written as keys: a queue record by its id, an interned
 * string by its text. Agent and queue records live in our maps (they outlive their
 * objects), so an object's slot is written as "set or not" and found again by id;
 * contact records live in the slots only. */

enum {
  T_STATS = 0x7374, /* "st" */
  T_STRINGS,
  T_QUEUES,
  T_AGENTS,
  T_CUSTOMERS,
  T_END,
  /* After the others, so that theirs keep their values. Written before T_END, only when
   * there are spare leg blocks: a snapshot without them is as before. */
  T_SPARE_LEGS,
};

/* Bounds for counts that nothing else in the blob bounds, so that a corrupt one asks for
 * no absurd allocation: map capacities (a map never shrinks, so its capacity is not
 * bounded by its length), an agent's array of legs. */
#define SNAP_MAX_MAP_CAP ((uint64_t)1 << 26)
#define SNAP_MAX_LEGS ((uint64_t)1 << 16)

/* An unsigned value at most max. */
static uint64_t rd_u(cc_snap_r *r, uint64_t max)
{
  uint64_t v = cc_sr_u64(r);
  if (v > max) {
    cc_sr_fail(r);
    return 0;
  }
  return v;
}

/* A count of items that follow, each at least one byte. */
static uint64_t rd_n(cc_snap_r *r, uint64_t max)
{
  uint64_t left = r->len - r->off;
  return rd_u(r, max < left ? max : left);
}

/* Room for n elements in an array that grows to exact size, once what was read so far is
 * well formed. */
static int rd_room(cc_stats *st, cc_snap_r *r, void **arr, uint32_t *cap, uint64_t n,
                   size_t elem)
{
  if (r->err)
    return r->err;
  if (n && cc_grow_exact(st->al, arr, cap, n, elem))
    return CCENTER_ENOMEM;
  return 0;
}

/* An interned string written by its text (NULL stays NULL). */
static const char *rd_interned(cc_stats *st, cc_snap_r *r)
{
  const char *s = cc_sr_str(r, NULL);
  if (!s)
    return NULL;
  const char *k = cc_map_get(&st->strings, s);
  if (!k)
    cc_sr_fail(r);
  return k;
}

static void sw_visit(cc_snap_w *w, const visit *v)
{
  cc_sw_str(w, v->q ? v->q->id : NULL);
  cc_sw_i64(w, v->arr);
  cc_sw_u64(w, v->gen);
  cc_sw_u64(w, (uint64_t)v->ok);
}

static void rd_visit(cc_stats *st, cc_snap_r *r, visit *v)
{
  const char *q = cc_sr_str(r, NULL);
  v->q = q ? cc_map_get(&st->queues, q) : NULL;
  if (q && !v->q)
    cc_sr_fail(r);
  v->arr = cc_sr_i64(r);
  v->gen = (uint32_t)rd_u(r, UINT32_MAX);
  v->ok = (int)rd_u(r, 1);
}

static void sw_codes(cc_snap_w *w, const code_list *l)
{
  cc_sw_u64(w, l->n);
  for (uint32_t i = 0; i < l->n; i++) {
    cc_sw_str(w, l->v[i].code);
    cc_sw_i64(w, l->v[i].n);
  }
}

/* Lists grow to exact size (code_add), so the capacity is the length. */
static int rd_codes(cc_stats *st, cc_snap_r *r, code_list *l)
{
  uint64_t n = rd_n(r, UINT32_MAX);
  int rc = rd_room(st, r, (void **)&l->v, &l->cap, n, sizeof *l->v);
  for (uint64_t i = 0; i < n && !rc && !r->err; i++) {
    code_count *c = &l->v[l->n++];
    c->code = rd_interned(st, r);
    c->n = cc_sr_i64(r);
    if (!c->code)
      cc_sr_fail(r);
  }
  return rc ? rc : r->err;
}

static void sw_qiv(cc_snap_w *w, const void *p)
{
  const qiv *v = p;
  const ccenter_queue_stats *c = &v->c;
#define W_(f) cc_sw_u64(w, c->f);
  Q_U64(W_)
#undef W_
#define W_(f) cc_sw_i64(w, c->f);
  Q_I64(W_)
#undef W_
  for (size_t i = 0; i < CCENTER_STATS_SURVEY_BUCKETS; i++)
    cc_sw_u64(w, c->survey_hist[i]);
  for (size_t i = 0; i < NX; i++) {
    cc_sw_u64(w, c->answered_within_extra[i]);
    cc_sw_u64(w, c->abandoned_within_extra[i]);
  }
  cc_sw_i64(w, c->max_wait_answered_ms);
  cc_sw_i64(w, c->max_wait_abandoned_ms);
  sw_codes(w, &v->disp);
}

static int rd_qiv(cc_stats *st, cc_snap_r *r, void *p)
{
  qiv *v = p;
  ccenter_queue_stats *c = &v->c;
#define R_(f) c->f = cc_sr_u64(r);
  Q_U64(R_)
#undef R_
#define R_(f) c->f = cc_sr_i64(r);
  Q_I64(R_)
#undef R_
  for (size_t i = 0; i < CCENTER_STATS_SURVEY_BUCKETS; i++)
    c->survey_hist[i] = cc_sr_u64(r);
  for (size_t i = 0; i < NX; i++) {
    c->answered_within_extra[i] = cc_sr_u64(r);
    c->abandoned_within_extra[i] = cc_sr_u64(r);
  }
  c->max_wait_answered_ms = cc_sr_i64(r);
  c->max_wait_abandoned_ms = cc_sr_i64(r);
  return rd_codes(st, r, &v->disp);
}

static void sw_aiv(cc_snap_w *w, const void *p)
{
  const aiv *v = p;
#define W_(f) cc_sw_i64(w, v->c.f);
  A_I64(W_)
#undef W_
#define W_(f) cc_sw_u64(w, v->c.f);
  A_U64(W_)
#undef W_
  sw_codes(w, &v->nr);
}

static int rd_aiv(cc_stats *st, cc_snap_r *r, void *p)
{
  aiv *v = p;
  /* Each into its field's type (acounts), refused when it does not fit. */
#define R_(f)                                                                            \
  v->c.f = _Generic(v->c.f, int64_t: cc_sr_i64(r),                                       \
                    uint32_t: (uint32_t)cc_sr_range(r, 0, UINT32_MAX));
  A_I64(R_)
#undef R_
#define R_(f) v->c.f = (uint32_t)rd_u(r, UINT32_MAX);
  A_U64(R_)
#undef R_
  return rd_codes(st, r, &v->nr);
}

/* The capacity written counts a place for the embedded record, as when the array held an
 * entry for it: snapshots keep their format both ways. */
static void sw_ivlist(cc_snap_w *w, const ivlist *l, void (*rec)(cc_snap_w *, const void *))
{
  size_t cur = 0, n = iv_count(l);
  for (size_t i = 0; i < n && l->cur; i++)
    if (iv_at(l, i).rec == l->cur)
      cur = i + 1;
  cc_sw_u64(w, l->cap + (uint64_t)emb_used(l));
  cc_sw_u64(w, n);
  cc_sw_u64(w, cur);
  for (size_t i = 0; i < n; i++) {
    ivent e = iv_at(l, i);
    cc_sw_i64(w, e.idx);
    cc_sw_u64(w, e.rec == l->emb);
    rec(w, e.rec);
  }
}

/* Into an empty list. A list never holds more than the window (iv_room), and a record is
 * counted in the list as soon as it is allocated (the embedded one by its idx), so a
 * failed load leaves a list that ivlist_clear frees. */
static int rd_ivlist(cc_stats *st, cc_snap_r *r, ivlist *l, size_t size,
                     int (*rec)(cc_stats *, cc_snap_r *, void *))
{
  uint64_t window = (uint64_t)st->keep + 1;
  uint64_t cap = rd_u(r, window < UINT32_MAX ? window : UINT32_MAX);
  uint64_t n = rd_n(r, cap);
  uint64_t cur = rd_u(r, n);
  int rc = rd_room(st, r, (void **)&l->v, &l->cap, cap - (l->emb && n), sizeof *l->v);
  int64_t prev = NONE_T;
  for (uint64_t i = 0; i < n && !rc; i++) {
    int64_t idx = cc_sr_i64(r);
    int in_emb = (int)rd_u(r, 1);
    if (!r->err && (idx == NONE_T || (i && idx <= prev)))
      cc_sr_fail(r); /* sorted, each interval once (iv_lower) */
    if (in_emb != (l->emb && i + 1 == n))
      cc_sr_fail(r); /* the owner's block holds the newest record, and only it */
    if (r->err)
      return r->err;
    void *p = in_emb ? l->emb : cc_calloc(st->al, 1, size);
    if (!p)
      return CCENTER_ENOMEM;
    if (in_emb)
      memset(p, 0, size);
    *(int64_t *)p = idx;
    prev = idx;
    if (!in_emb) {
      l->v[l->n].idx = idx;
      l->v[l->n].rec = p;
      l->n++;
    }
    if (cur == i + 1)
      l->cur = p;
    rc = rec(st, r, p);
  }
  return rc;
}

static void sw_leg(cc_snap_w *w, const leg *l)
{
  cc_sw_str(w, leg_contact(l));
  cc_sw_i64(w, l->talk_end);
  cc_sw_u64(w, (uint64_t)l->consult);
  cc_sw_i64(w, l->connected_at);
  cc_sw_i64(w, l->hold_since);
  sw_visit(w, &l->v);
  cc_sw_i64(w, l->hold_ms);
  cc_sw_u64(w, l->n_holds); /* holds grow to exact size: the capacity is the count */
  for (uint32_t i = 0; i < l->n_holds; i++) {
    cc_sw_i64(w, l->holds[i].a);
    cc_sw_i64(w, l->holds[i].b);
  }
}

/* Into a zeroed leg already counted in the agent's n_legs (freeable as it is). */
static int rd_leg(cc_stats *st, cc_snap_r *r, leg *l)
{
  size_t len;
  const char *id = cc_sr_str_nn(r, &len);
  if (r->err)
    return r->err;
  if (len < LEG_ID_INLINE)
    memcpy(l->id_inline, id, len + 1);
  else if (!(l->id_long = cc_strdup(st->al, id)))
    return CCENTER_ENOMEM;
  l->talk_end = cc_sr_i64(r);
  l->consult = (int)rd_u(r, 1);
  l->connected_at = cc_sr_i64(r);
  l->hold_since = cc_sr_i64(r);
  rd_visit(st, r, &l->v);
  l->hold_ms = cc_sr_i64(r);
  uint64_t n = rd_n(r, UINT32_MAX);
  int rc = rd_room(st, r, (void **)&l->holds, &l->cap_holds, n, sizeof *l->holds);
  if (rc)
    return rc;
  for (uint64_t i = 0; i < n; i++) {
    l->holds[i].a = cc_sr_i64(r);
    l->holds[i].b = cc_sr_i64(r);
  }
  l->n_holds = (uint32_t)n;
  return r->err;
}

static void sw_string(cc_snap_w *w, const void *s)
{
  cc_sw_str(w, s);
}

static void sw_queue(cc_snap_w *w, const void *p)
{
  const stq *q = p;
  cc_sw_str(w, q->id);
  cc_sw_i64(w, q->cfg.threshold_ms);
  cc_sw_i64(w, q->cfg.target_bp);
  cc_sw_i64(w, q->cfg.warning_pct);
  cc_sw_u64(w, q->cfg.n_extra);
  for (size_t i = 0; i < q->cfg.n_extra; i++)
    cc_sw_i64(w, q->cfg.extra_ms[i]);
  cc_sw_u64(w, (uint64_t)q->have_cfg);
  cc_sw_u64(w, q->cfg_version);
  cc_sw_u64(w, q->gen);
  sw_ivlist(w, &q->iv, sw_qiv);
}

static void sw_agent(cc_snap_w *w, const void *p)
{
  const sta *a = p;
  cc_sw_str(w, a->id);
  cc_sw_u64(w, (uint64_t)a->state);
  cc_sw_u64(w, a->ringing);
  cc_sw_i64(w, a->since);
  cc_sw_i64(w, a->idle_since);
  cc_sw_str(w, a->reason);
  sw_ivlist(w, &a->iv, sw_aiv);
  /* Written as the capacity after a first leg, as when the first was inside the record. */
  cc_sw_u64(w, a->cap_legs ? a->cap_legs - 1 : 0);
  cc_sw_u64(w, a->n_legs);
  for (size_t i = 0; i < a->n_legs; i++)
    sw_leg(w, leg_at_c(a, i));
}

static void sw_customer(cc_snap_w *w, const void *p)
{
  const stcust *cu = p;
  cc_sw_str(w, cu->id);
  cc_sw_i64(w, cu->last);
}

static void sw_map(cc_snap_w *w, uint64_t tag, const cc_map *m,
                   void (*item)(cc_snap_w *, const void *))
{
  cc_sw_tag(w, tag);
  cc_sw_u64(w, m->cap);
  cc_sw_u64(w, m->len);
  size_t it = 0;
  void *x;
  while ((x = cc_map_next(m, &it))) {
    cc_sw_u64(w, it - 1);
    item(w, x);
  }
}

/* A record of `size` bytes whose id (at id_off: a copy it owns, or its characters when m
 * keeps keys in the records) is its key in m, put in slot idx. Once placed it is the
 * map's: stats_free frees it with what it holds, so the caller fills it in place. NULL
 * with *rc set on failure (nothing left allocated). */
static void *rd_keyed(cc_stats *st, cc_snap_r *r, cc_map *m, size_t idx, size_t size,
                      size_t id_off, int *rc)
{
  const char *id = cc_sr_str_nn(r, NULL);
  if ((*rc = r->err))
    return NULL;
  size_t len = strlen(id);
  if (!m->key_ptr && id_off + len + 1 > size)
    size = id_off + len + 1;
  char *rec = cc_calloc(st->al, 1, size), *k = NULL;
  if (rec && !m->key_ptr)
    k = memcpy(rec + id_off, id, len + 1);
  else if (rec && (k = cc_strdup(st->al, id)))
    memcpy(rec + id_off, &k, sizeof k);
  if (!k) {
    cc_free(st->al, rec);
    *rc = CCENTER_ENOMEM;
    return NULL;
  }
  if ((*rc = cc_map_place(m, idx, k, rec))) {
    if (m->key_ptr)
      cc_free(st->al, k);
    cc_free(st->al, rec);
    return NULL;
  }
  return rec;
}

static int rd_string(cc_stats *st, cc_snap_r *r, cc_map *m, size_t idx)
{
  const char *s = cc_sr_str_nn(r, NULL);
  if (r->err)
    return r->err;
  char *k = cc_strdup(st->al, s);
  if (!k)
    return CCENTER_ENOMEM;
  int rc = cc_map_place(m, idx, k, k);
  if (rc)
    cc_free(st->al, k);
  return rc;
}

static int rd_queue(cc_stats *st, cc_snap_r *r, cc_map *m, size_t idx)
{
  int rc;
  stq *q = rd_keyed(st, r, m, idx, sizeof *q, offsetof(stq, id), &rc);
  if (!q)
    return rc;
  q->cfg.threshold_ms = cc_sr_i64(r);
  q->cfg.target_bp = cc_sr_i64(r);
  q->cfg.warning_pct = cc_sr_i64(r);
  q->cfg.n_extra = (size_t)rd_u(r, NX);
  for (size_t i = 0; i < q->cfg.n_extra; i++)
    q->cfg.extra_ms[i] = cc_sr_i64(r);
  q->have_cfg = (int)rd_u(r, 1);
  q->cfg_version = cc_sr_u64(r);
  q->gen = (uint32_t)rd_u(r, UINT32_MAX);
  if (r->err)
    return r->err;
  return rd_ivlist(st, r, &q->iv, sizeof(qiv), rd_qiv);
}

static int rd_agent(cc_stats *st, cc_snap_r *r, cc_map *m, size_t idx)
{
  int rc;
  sta *a = rd_keyed(st, r, m, idx, sizeof *a, offsetof(sta, id), &rc);
  if (!a)
    return rc;
  a->iv.emb = &a->newest;
  a->newest.idx = NONE_T;
  a->state = (ccenter_agent_state)rd_u(r, CCENTER_AGENT_READY);
  a->ringing = (unsigned)rd_u(r, UINT_MAX);
  a->since = cc_sr_i64(r);
  a->idle_since = cc_sr_i64(r);
  a->reason = rd_interned(st, r);
  if (r->err)
    return r->err;
  if ((rc = rd_ivlist(st, r, &a->iv, sizeof(aiv), rd_aiv)))
    return rc;
  /* A capacity with no legs comes from before the legs had a block of their own (their
   * first was in the record): an agent without legs now holds none. */
  uint64_t cap = rd_u(r, SNAP_MAX_LEGS);
  uint64_t n = rd_n(r, cap + 1);
  if ((rc = rd_room(st, r, (void **)&a->legs, &a->cap_legs, n ? cap + 1 : 0, sizeof *a->legs)))
    return rc;
  for (uint64_t i = 0; i < n; i++) {
    leg *l = leg_at(a, a->n_legs++);
    memset(l, 0, sizeof *l);
    if ((rc = rd_leg(st, r, l)))
      return rc;
  }
  return 0;
}

static int rd_customer(cc_stats *st, cc_snap_r *r, cc_map *m, size_t idx)
{
  int rc;
  stcust *cu = rd_keyed(st, r, m, idx, sizeof *cu, offsetof(stcust, id), &rc);
  if (!cu)
    return rc;
  cu->last = cc_sr_i64(r);
  return r->err;
}

/* Into an empty map, slot for slot; then checks it is one lookups can use, since later
 * sections find their references in it. */
static int rd_map(cc_stats *st, cc_snap_r *r, uint64_t tag, cc_map *m,
                  int (*item)(cc_stats *, cc_snap_r *, cc_map *, size_t))
{
  cc_sr_tag(r, tag);
  uint64_t cap = rd_u(r, SNAP_MAX_MAP_CAP);
  uint64_t n = rd_n(r, cap / 2);
  if (r->err)
    return r->err;
  int rc = cc_map_init_cap(m, st->al, (size_t)cap);
  uint64_t next = 0;
  for (uint64_t i = 0; i < n && !rc; i++) {
    uint64_t idx = rd_u(r, cap);
    cc_sr_ascending(r, idx, &next); /* written in slot order */
    rc = r->err ? r->err : item(st, r, m, (size_t)idx);
  }
  return rc ? rc : cc_map_placed_ok(m);
}

static void stats_save(void *ud, const ccenter_engine *e, cc_snap_w *w)
{
  (void)e;
  const cc_stats *st = ud;
  cc_sw_tag(w, T_STATS);
  cc_sw_i64(w, st->interval_ms);
  cc_sw_i64(w, st->keep);
  cc_sw_i64(w, st->newest);
  cc_sw_i64(w, st->reset_at);
  cc_sw_u64(w, st->dropped);
  cc_sw_u64(w, st->sweep_at);
  cc_sw_u64(w, st->spare.n);
  sw_map(w, T_STRINGS, &st->strings, sw_string);
  sw_map(w, T_QUEUES, &st->queues, sw_queue);
  sw_map(w, T_AGENTS, &st->agents, sw_agent);
  sw_map(w, T_CUSTOMERS, &st->customers, sw_customer);
  if (st->spare_legs.n) {
    cc_sw_tag(w, T_SPARE_LEGS);
    cc_sw_u64(w, st->spare_legs.n);
  }
  cc_sw_tag(w, T_END);
}

/* The blocks kept for reuse count in the memory: a restored engine makes as many as the
 * saved one had, to match it (their contents do not matter). */
static int spares_make(cc_stats *st, spares *s, uint64_t want, size_t size)
{
  while (s->n < want) {
    void *b = cc_calloc(st->al, 1, size);
    if (!b)
      return CCENTER_ENOMEM;
    spare_put(s, b);
  }
  return 0;
}

/* Into the statistics just attached to a restored engine (empty maps, no records). */
static int stats_load(void *ud, ccenter_engine *e, cc_snap_r *r)
{
  (void)e;
  cc_stats *st = ud;
  cc_sr_tag(r, T_STATS);
  st->interval_ms = cc_sr_range(r, 1, CCENTER_MAX_DURATION_MS); /* acounts relies on it */
  st->keep = cc_sr_range(r, 1, INT64_MAX);
  st->newest = cc_sr_i64(r);
  st->reset_at = cc_sr_i64(r);
  st->dropped = cc_sr_u64(r);
  st->sweep_at = (size_t)rd_u(r, SIZE_MAX);
  uint64_t spare = rd_u(r, STATS_SPARE_CONTACTS);
  if (r->err)
    return r->err;
  int rc;
  if ((rc = spares_make(st, &st->spare, spare, sizeof(stc))) ||
      (rc = rd_map(st, r, T_STRINGS, &st->strings, rd_string)) ||
      (rc = rd_map(st, r, T_QUEUES, &st->queues, rd_queue)) ||
      (rc = rd_map(st, r, T_AGENTS, &st->agents, rd_agent)) ||
      (rc = rd_map(st, r, T_CUSTOMERS, &st->customers, rd_customer)))
    return rc;
  uint64_t tag = cc_sr_u64(r);
  if (tag == T_SPARE_LEGS) {
    /* Written only when there are some: a count of 0 is not what a writer makes. */
    uint64_t legs = rd_u(r, STATS_SPARE_LEGS);
    if (!legs)
      cc_sr_fail(r);
    if (r->err)
      return r->err;
    if ((rc = spares_make(st, &st->spare_legs, legs, sizeof(leg))))
      return rc;
    tag = cc_sr_u64(r);
  }
  if (tag != T_END)
    cc_sr_fail(r);
  return r->err;
}

static void stats_save_obj(void *ud, cc_obj_kind kind, const cc_obj *o, const void *value,
                           cc_snap_w *w)
{
  (void)ud;
  (void)o;
  cc_sw_u64(w, value != NULL);
  if (!value || kind != CC_OBJ_CONTACT)
    return;
  const stc *c = value;
  stc_more m = stc_get_more(c);
  sw_visit(w, &c->v);
  cc_sw_u64(w, (uint64_t)c->v.open);
  cc_sw_u64(w, (uint64_t)c->v.cb);
  sw_visit(w, &m.answered);
  cc_sw_u64(w, (uint64_t)m.has_survey);
  sw_visit(w, &m.sv);
  cc_sw_i64(w, m.score);
}

static int stats_load_obj(void *ud, ccenter_engine *e, cc_obj_kind kind, cc_obj *o,
                          cc_snap_r *r, void **value)
{
  (void)e;
  cc_stats *st = ud;
  *value = NULL;
  if (!rd_u(r, 1))
    return r->err;
  if (kind == CC_OBJ_AGENT || kind == CC_OBJ_QUEUE) {
    /* The slot held the record of the object's id (agent_find, queue_of). */
    *value = cc_map_get(kind == CC_OBJ_AGENT ? &st->agents : &st->queues, o->id);
    return *value ? 0 : CCENTER_ECORRUPT;
  }
  if (kind != CC_OBJ_CONTACT)
    return CCENTER_ECORRUPT;
  stc c;
  stc_more m;
  memset(&c, 0, sizeof c);
  memset(&m, 0, sizeof m);
  rd_visit(st, r, &c.v);
  c.v.open = (uint8_t)rd_u(r, 1);
  c.v.cb = (uint8_t)rd_u(r, 1);
  rd_visit(st, r, &m.answered);
  m.has_survey = (int)rd_u(r, 1);
  rd_visit(st, r, &m.sv);
  m.score = cc_sr_range(r, 0, 100); /* a survey bucket's index comes from it */
  /* Only a survey sets these (on_disposition): a record saying otherwise is not one. */
  if (!r->err && !m.has_survey && (m.score || !visit_same(&m.sv, &zero_visit)))
    cc_sr_fail(r);
  if (r->err)
    return r->err;
  c.v.form = stc_form(&c.v, &m);
  int big = c.v.form == STC_BIG;
  void *p = cc_malloc(st->al, big ? sizeof(stcx) : sizeof(stc));
  if (!p)
    return CCENTER_ENOMEM;
  *(stc *)p = c;
  if (big) {
    ((stcx *)p)->m = m;
    st->n_big++;
  }
  st->n_contacts++;
  *value = p;
  return 0;
}

static const cc_observer stats_observer = {.on_event = observe,
                                           .on_free = object_gone,
                                           .destroy = stats_free,
                                           .warm = warm,
                                           .name = "stats",
                                           .save = stats_save,
                                           .save_obj = stats_save_obj,
                                           .load = stats_load,
                                           .load_obj = stats_load_obj};

const cc_observer *cc_stats_observer(void)
{
  return &stats_observer;
}

static const cc_stats *stats_of(const ccenter_engine *e)
{
  return cc_engine_observer(e, &stats_observer);
}

int cc_stats_attach(ccenter_engine *e)
{
  const cc_alloc *al = cc_engine_alloc(e);
  cc_stats *st = cc_calloc(al, 1, sizeof *st);
  if (!st)
    return CCENTER_ENOMEM;
  st->e = e;
  st->al = al;
  st->cfg = cc_engine_stats_cfg(e);
  st->sla_version = cc_engine_sla_version(e);
  const cc_stats_cfg *cfg = st->cfg;
  st->interval_ms = cfg->interval_ms > 0 ? cfg->interval_ms : 1;
  st->keep = cfg->keep > 0 ? cfg->keep : 1;
  st->newest = NONE_T;
  st->reset_at = INT64_MIN;
  st->sweep_at = 1024;
  /* Each record's id is its key (core/map.h), wherever the struct keeps it. */
  cc_map_init_key(&st->queues, offsetof(stq, id), 1);
  cc_map_init_key(&st->agents, offsetof(sta, id), 0);
  cc_map_init_key(&st->customers, offsetof(stcust, id), 1);
  cc_map_init_key(&st->strings, 0, 0);
  int rc = cc_engine_add_observer(e, &stats_observer, st, 1, &st->slot);
  if (rc) {
    cc_free(al, st);
    return rc;
  }
  return 0;
}

size_t cc_stats_tracked_contacts(const ccenter_engine *e)
{
  const cc_stats *st = stats_of(e);
  return st ? st->n_contacts : 0;
}

static size_t ivlist_memory(const ivlist *l, size_t rec_size, size_t code_list_offset)
{
  size_t n = l->cap * sizeof *l->v;
  for (size_t i = 0; i < iv_count(l); i++) {
    const void *rec = iv_at(l, i).rec;
    const code_list *cl = (const code_list *)(const void *)((const char *)rec +
                                                            code_list_offset);
    n += (rec == l->emb ? 0 : rec_size) + cl->cap * sizeof *cl->v;
  }
  return n;
}

size_t cc_stats_memory(const ccenter_engine *e)
{
  const cc_stats *st = stats_of(e);
  if (!st)
    return 0;
  size_t n = sizeof *st + cc_map_memory(&st->queues) + cc_map_memory(&st->agents) +
             cc_map_memory(&st->customers) + cc_map_memory(&st->strings);
  size_t it = 0;
  void *x;
  while ((x = cc_map_next(&st->queues, &it))) {
    const stq *q = x;
    n += sizeof *q + strlen(q->id) + 1 + ivlist_memory(&q->iv, sizeof(qiv), offsetof(qiv, disp));
  }
  it = 0;
  while ((x = cc_map_next(&st->agents, &it))) {
    const sta *a = x;
    n += sizeof *a + strlen(a->id) + 1 + ivlist_memory(&a->iv, sizeof(aiv), offsetof(aiv, nr));
    n += a->cap_legs * sizeof *a->legs;
    for (size_t i = 0; i < a->n_legs; i++) {
      const leg *l = leg_at_c(a, i);
      n += (l->id_long ? strlen(l->id_long) + 1 : 0) + l->cap_holds * sizeof *l->holds;
    }
  }
  n += (st->n_contacts + st->spare.n) * sizeof(stc) + st->n_big * (sizeof(stcx) - sizeof(stc));
  n += st->spare_legs.n * sizeof(leg);
  it = 0;
  while ((x = cc_map_next(&st->customers, &it)))
    n += sizeof(stcust) + strlen(((const stcust *)x)->id) + 1;
  it = 0;
  while ((x = cc_map_next(&st->strings, &it)))
    n += strlen(x) + 1;
  return n;
}

size_t cc_stats_tracked_customers(const ccenter_engine *e)
{
  const cc_stats *st = stats_of(e);
  return st ? st->customers.len : 0;
}

/* ---------------------------------------------------------------------------------- */
/* Queries                                                                             */

static void qsum(ccenter_queue_stats *s, const ccenter_queue_stats *x)
{
#define ADD_(f) s->f += x->f;
  Q_U64(ADD_)
  Q_I64(ADD_)
#undef ADD_
  for (size_t i = 0; i < CCENTER_STATS_SURVEY_BUCKETS; i++)
    s->survey_hist[i] += x->survey_hist[i];
  for (size_t i = 0; i < NX; i++) {
    s->answered_within_extra[i] += x->answered_within_extra[i];
    s->abandoned_within_extra[i] += x->abandoned_within_extra[i];
  }
  s->max_wait_answered_ms = max64(s->max_wait_answered_ms, x->max_wait_answered_ms);
  s->max_wait_abandoned_ms = max64(s->max_wait_abandoned_ms, x->max_wait_abandoned_ms);
}

static void asum(ccenter_agent_stats *s, const acounts *x)
{
#define ADD_(f) s->f += x->f;
  A_I64(ADD_)
  A_U64(ADD_)
#undef ADD_
}

/* Fills out (up to its size) from a complete struct, never writing size. */
/* The interval indexes [*lo, *hi] overlapping [from, to) inside the window. */
static int range_of(const cc_stats *st, int64_t from, int64_t to, int64_t newest, int64_t *lo,
                    int64_t *hi)
{
  if (newest == NONE_T)
    return 0;
  *lo = max64(cc_fdiv(from, st->interval_ms), window_lo(st, newest));
  *hi = min64(cc_fdiv(to - 1, st->interval_ms), newest);
  return *lo <= *hi;
}

/* The 0.1 statistics structs: callers built against them keep working (docs/ABI.md). */
#define QSTATS_MIN CC_END_OF(ccenter_queue_stats, wrap_ms)
#define ASTATS_MIN CC_END_OF(ccenter_agent_stats, transfers)

static int check_query(const ccenter_engine *engine, const char *id, int64_t from, int64_t to,
                       const void *out, size_t min_size)
{
  if (!engine || !id || from >= to)
    return CCENTER_EINVAL;
  if (out && *(const size_t *)out < min_size)
    return CCENTER_EINVAL;
  if (!stats_of(engine))
    return CCENTER_ENOTSUP; /* created with ccenter_options_set_statistics(opts, 0) */
  return 0;
}

int64_t ccenter_stats_interval_start(const ccenter_engine *engine, int64_t t)
{
  if (!engine)
    return 0;
  int64_t I = cc_engine_stats_cfg(engine)->interval_ms;
  if (I <= 0)
    return t;
  if (t < INT64_MIN + I)
    return INT64_MIN; /* the interval would start before the clock's range */
  return cc_fdiv(t, I) * I;
}

int ccenter_stats_queue(const ccenter_engine *engine, const char *queue, int64_t from,
                        int64_t to, ccenter_queue_stats *out)
{
  if (!out)
    return CCENTER_EINVAL;
  int rc = check_query(engine, queue, from, to, out, QSTATS_MIN);
  if (rc)
    return rc;
  const cc_stats *st = stats_of(engine);
  const stq *q = cc_map_get(&st->queues, queue);
  if (!q)
    return CCENTER_ENOENT;
  ccenter_queue_stats s;
  memset(&s, 0, sizeof s);
  s.size = sizeof s;
  s.threshold_ms = q->cfg.threshold_ms;
  s.n_extra = q->cfg.n_extra;
  for (size_t i = 0; i < q->cfg.n_extra; i++)
    s.extra_ms[i] = q->cfg.extra_ms[i];
  int64_t lo, hi;
  if (range_of(st, from, to, st->newest, &lo, &hi)) {
    s.intervals = (unsigned)(hi - lo + 1);
    s.from = lo * st->interval_ms;
    s.to = (hi + 1) * st->interval_ms;
    for (size_t i = iv_lower(&q->iv, lo); i < iv_count(&q->iv) && iv_at(&q->iv, i).idx <= hi; i++)
      qsum(&s, &((const qiv *)iv_at(&q->iv, i).rec)->c);
  }
  return cc_struct_out(out, &s, QSTATS_MIN) ? CCENTER_EINVAL : 0;
}

/* Length of [a, b) inside [lo, hi). */
static int64_t overlap(int64_t a, int64_t b, int64_t lo, int64_t hi)
{
  a = max64(a, lo);
  b = min64(b, hi);
  return b > a ? b - a : 0;
}

/* The agent's time still accruing at now, inside [lo, hi). */
static void agent_open(const cc_stats *st, const sta *ag, int64_t lo, int64_t hi,
                       ccenter_agent_stats *s)
{
  lo = max64(lo, st->reset_at);
  if (ag->state != CCENTER_AGENT_LOGGED_OUT) {
    int64_t d = overlap(ag->since, hi, lo, hi);
    s->logged_in_ms += d;
    if (ag->state == CCENTER_AGENT_READY)
      s->ready_ms += d;
    else
      s->not_ready_ms += d;
  }
  if (ag->idle_since != NONE_T)
    s->ready_idle_ms += overlap(ag->idle_since, hi, lo, hi);
  for (size_t i = 0; i < ag->n_legs; i++) {
    const leg *l = leg_at_c(ag, i);
    if (l->talk_end == NONE_T) {
      int64_t talk = overlap(l->connected_at, hi, lo, hi);
      for (size_t k = 0; k < l->n_holds; k++)
        talk -= overlap(l->holds[k].a, l->holds[k].b, lo, hi);
      if (l->hold_since != NONE_T) {
        int64_t h = overlap(l->hold_since, hi, lo, hi);
        talk -= h;
        s->hold_ms += h;
      }
      s->talk_ms += talk;
    } else {
      s->wrap_ms += overlap(l->talk_end, hi, lo, hi);
      if (l->hold_since != NONE_T)
        s->hold_ms += overlap(l->hold_since, hi, lo, hi);
    }
  }
}

/* Common part of the agent queries: the record and the index range. */
static int agent_query(const ccenter_engine *engine, const char *agent, int64_t from,
                       int64_t to, int64_t now, const cc_stats **pst, const sta **pag,
                       int64_t *lo, int64_t *hi, int *any)
{
  if (now > CCENTER_TIME_MAX)
    return CCENTER_ERANGE; /* the engine's own time range: now - 1 and spans stay exact */
  if (now < ccenter_engine_now(engine))
    return CCENTER_ETIME;
  const cc_stats *st = stats_of(engine);
  const sta *ag = cc_map_get(&st->agents, agent);
  if (!ag)
    return CCENTER_ENOENT;
  int64_t newest = st->newest;
  if (newest != NONE_T)
    newest = max64(newest, cc_fdiv(now - 1, st->interval_ms));
  *any = range_of(st, from, to, newest, lo, hi);
  *pst = st;
  *pag = ag;
  return 0;
}

int ccenter_stats_agent(const ccenter_engine *engine, const char *agent, int64_t from,
                        int64_t to, int64_t now, ccenter_agent_stats *out)
{
  if (!out)
    return CCENTER_EINVAL;
  int rc = check_query(engine, agent, from, to, out, ASTATS_MIN);
  if (rc)
    return rc;
  const cc_stats *st;
  const sta *ag;
  int64_t lo, hi;
  int any;
  if ((rc = agent_query(engine, agent, from, to, now, &st, &ag, &lo, &hi, &any)))
    return rc;
  ccenter_agent_stats s;
  memset(&s, 0, sizeof s);
  s.size = sizeof s;
  if (any) {
    s.intervals = (unsigned)(hi - lo + 1);
    s.from = lo * st->interval_ms;
    s.to = (hi + 1) * st->interval_ms;
    for (size_t i = iv_lower(&ag->iv, lo); i < iv_count(&ag->iv) && iv_at(&ag->iv, i).idx <= hi;
         i++)
      asum(&s, &((const aiv *)iv_at(&ag->iv, i).rec)->c);
    agent_open(st, ag, s.from, min64(s.to, now), &s);
  }
  return cc_struct_out(out, &s, ASTATS_MIN) ? CCENTER_EINVAL : 0;
}

static int code_cmp(const void *a, const void *b)
{
  return strcmp(((const code_count *)a)->code, ((const code_count *)b)->code);
}

/* Merges lists into one sorted list and hands it to the callback. */
static int code_report(const cc_stats *st, code_list *acc, const code_list *add)
{
  for (size_t k = 0; k < add->n; k++)
    if (code_add((cc_stats *)st, acc, add->v[k].code, add->v[k].n))
      return CCENTER_ENOMEM;
  return 0;
}

int ccenter_stats_queue_dispositions(const ccenter_engine *engine, const char *queue,
                                     int64_t from, int64_t to, ccenter_stats_code_fn fn,
                                     void *ud)
{
  if (!fn)
    return CCENTER_EINVAL;
  int rc = check_query(engine, queue, from, to, NULL, 0);
  if (rc)
    return rc;
  const cc_stats *st = stats_of(engine);
  const stq *q = cc_map_get(&st->queues, queue);
  if (!q)
    return CCENTER_ENOENT;
  code_list acc = {NULL, 0, 0};
  int64_t lo, hi;
  if (range_of(st, from, to, st->newest, &lo, &hi))
    for (size_t i = iv_lower(&q->iv, lo); i < iv_count(&q->iv) && iv_at(&q->iv, i).idx <= hi; i++)
      if ((rc = code_report(st, &acc, &((const qiv *)iv_at(&q->iv, i).rec)->disp))) {
        cc_free(st->al, acc.v);
        return rc;
      }
  if (acc.n)
    qsort(acc.v, acc.n, sizeof *acc.v, code_cmp);
  for (size_t i = 0; i < acc.n; i++)
    fn(ud, acc.v[i].code, (uint64_t)acc.v[i].n);
  rc = (int)acc.n;
  cc_free(st->al, acc.v);
  return rc;
}

int ccenter_stats_agent_not_ready(const ccenter_engine *engine, const char *agent, int64_t from,
                                  int64_t to, int64_t now, ccenter_stats_reason_fn fn, void *ud)
{
  if (!fn)
    return CCENTER_EINVAL;
  int rc = check_query(engine, agent, from, to, NULL, 0);
  if (rc)
    return rc;
  const cc_stats *st;
  const sta *ag;
  int64_t lo, hi;
  int any;
  if ((rc = agent_query(engine, agent, from, to, now, &st, &ag, &lo, &hi, &any)))
    return rc;
  code_list acc = {NULL, 0, 0};
  if (any) {
    for (size_t i = iv_lower(&ag->iv, lo); i < iv_count(&ag->iv) && iv_at(&ag->iv, i).idx <= hi;
         i++)
      if ((rc = code_report(st, &acc, &((const aiv *)iv_at(&ag->iv, i).rec)->nr))) {
        cc_free(st->al, acc.v);
        return rc;
      }
    if (ag->state == CCENTER_AGENT_NOT_READY && ag->reason) {
      int64_t a = max64(lo * st->interval_ms, st->reset_at);
      int64_t d = overlap(ag->since, now, a, min64((hi + 1) * st->interval_ms, now));
      if (d && code_add((cc_stats *)st, &acc, ag->reason, d)) {
        cc_free(st->al, acc.v);
        return CCENTER_ENOMEM;
      }
    }
  }
  size_t n = 0;
  for (size_t i = 0; i < acc.n; i++)
    if (acc.v[i].n)
      acc.v[n++] = acc.v[i];
  if (n)
    qsort(acc.v, n, sizeof *acc.v, code_cmp);
  for (size_t i = 0; i < n; i++)
    fn(ud, acc.v[i].code, acc.v[i].n);
  cc_free(st->al, acc.v);
  return (int)n;
}

uint64_t ccenter_stats_dropped(const ccenter_engine *engine)
{
  const cc_stats *st = engine ? stats_of(engine) : NULL;
  return st ? st->dropped : 0;
}

/* ---------------------------------------------------------------------------------- */
/* KPIs                                                                                */

static int ratio(double num, double den, double *out)
{
  if (den == 0)
    return CCENTER_ERANGE;
  *out = num / den;
  return 0;
}

static int sl_formula(const ccenter_queue_stats *s, ccenter_sl_variant v, uint64_t aw,
                      uint64_t abw, double *out)
{
  double offered = (double)s->offered - (double)s->short_abandoned;
  switch (v) {
  case CCENTER_SL_ABANDONS_IGNORED:
    return ratio((double)aw, offered - (double)abw, out);
  case CCENTER_SL_ABANDONS_AGAINST:
    return ratio((double)aw, offered, out);
  case CCENTER_SL_ABANDONS_FOR:
    return ratio((double)aw + (double)abw, offered, out);
  case CCENTER_SL_ASTERISK:
    return ratio((double)aw, (double)s->answered, out);
  case CCENTER_SL_ASTERISK_2:
    return ratio((double)aw + (double)abw,
                 (double)s->answered + (double)s->abandoned - (double)s->short_abandoned, out);
  default:
    return CCENTER_EINVAL;
  }
}

int ccenter_kpi_service_level(const ccenter_queue_stats *caller, ccenter_sl_variant v, double *out)
{
  ccenter_queue_stats s_;
  if (!caller || !out || cc_struct_read(&s_, sizeof s_, caller, QSTATS_MIN))
    return CCENTER_EINVAL;
  const ccenter_queue_stats *s = &s_;
  return sl_formula(s, v, s->answered_within, s->abandoned_within, out);
}

int ccenter_kpi_service_level_extra(const ccenter_queue_stats *caller, ccenter_sl_variant v,
                                    size_t index, double *out)
{
  ccenter_queue_stats s_;
  if (!caller || !out || cc_struct_read(&s_, sizeof s_, caller, QSTATS_MIN))
    return CCENTER_EINVAL;
  const ccenter_queue_stats *s = &s_;
  if (index >= s->n_extra || index >= NX)
    return CCENTER_EINVAL;
  return sl_formula(s, v, s->answered_within_extra[index], s->abandoned_within_extra[index],
                    out);
}

int ccenter_kpi_asa(const ccenter_queue_stats *caller, double *out)
{
  ccenter_queue_stats s_;
  if (!caller || !out || cc_struct_read(&s_, sizeof s_, caller, QSTATS_MIN))
    return CCENTER_EINVAL;
  const ccenter_queue_stats *s = &s_;
  return ratio((double)s->wait_answered_ms, (double)s->answered, out);
}

int ccenter_kpi_aht(const ccenter_queue_stats *caller, double *out)
{
  ccenter_queue_stats s_;
  if (!caller || !out || cc_struct_read(&s_, sizeof s_, caller, QSTATS_MIN))
    return CCENTER_EINVAL;
  const ccenter_queue_stats *s = &s_;
  return ratio((double)s->talk_ms + (double)s->hold_ms + (double)s->wrap_ms, (double)s->handled,
               out);
}

int ccenter_kpi_abandon_rate(const ccenter_queue_stats *caller, int exclude_short, double *out)
{
  ccenter_queue_stats s_;
  if (!caller || !out || cc_struct_read(&s_, sizeof s_, caller, QSTATS_MIN))
    return CCENTER_EINVAL;
  const ccenter_queue_stats *s = &s_;
  double sh = exclude_short ? (double)s->short_abandoned : 0;
  return ratio((double)s->abandoned - sh, (double)s->offered - sh, out);
}

int ccenter_kpi_transfer_rate(const ccenter_queue_stats *caller, double *out)
{
  ccenter_queue_stats s_;
  if (!caller || !out || cc_struct_read(&s_, sizeof s_, caller, QSTATS_MIN))
    return CCENTER_EINVAL;
  const ccenter_queue_stats *s = &s_;
  return ratio((double)s->transferred_out, (double)s->handled, out);
}

int ccenter_kpi_repeat_rate(const ccenter_queue_stats *caller, double *out)
{
  ccenter_queue_stats s_;
  if (!caller || !out || cc_struct_read(&s_, sizeof s_, caller, QSTATS_MIN))
    return CCENTER_EINVAL;
  const ccenter_queue_stats *s = &s_;
  return ratio((double)s->repeat_contacts, (double)s->contacts, out);
}

int ccenter_kpi_occupancy(const ccenter_agent_stats *caller, double *out)
{
  ccenter_agent_stats s_;
  if (!caller || !out || cc_struct_read(&s_, sizeof s_, caller, ASTATS_MIN))
    return CCENTER_EINVAL;
  const ccenter_agent_stats *s = &s_;
  double busy = (double)s->talk_ms + (double)s->hold_ms + (double)s->wrap_ms;
  return ratio(busy, busy + (double)s->ready_idle_ms, out);
}

int ccenter_kpi_utilisation(const ccenter_agent_stats *caller, double *out)
{
  ccenter_agent_stats s_;
  if (!caller || !out || cc_struct_read(&s_, sizeof s_, caller, ASTATS_MIN))
    return CCENTER_EINVAL;
  const ccenter_agent_stats *s = &s_;
  return ratio((double)s->talk_ms + (double)s->hold_ms + (double)s->wrap_ms,
               (double)s->logged_in_ms, out);
}
