/*
 * ccenter-sim — KPIs, the Erlang model's predictions, and the outputs (text tables, the
 * JSON line, the per-interval file). docs/simulator.md gives every formula used here.
 */
#include "sim.h"

#include <ccenter/staffing.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------- */
/* KPIs                                                                                */

static double ratio(double x, double y)
{
  return y > 0 ? x / y : NAN;
}

/* Contacts that count in the service level's denominator. */
static double sl_base(const sim_counts *c)
{
  return (double)c->answered + (double)c->abandoned + (double)c->timed_out -
         (double)c->short_abandoned;
}

sim_kpi sim_kpi_of(const sim_counts *c, const sim_occ *o)
{
  sim_kpi k;
  k.service_level = ratio((double)c->answered_within, sl_base(c));
  k.asa_s = ratio(c->wait_sum_s, (double)c->answered);
  k.p_wait = ratio((double)c->waited, (double)c->answered);
  k.abandon_rate = ratio((double)c->abandoned, (double)c->offered);
  k.occupancy = o ? ratio(o->busy_ms, o->avail_ms) : NAN;
  k.aht_s = ratio(c->talk_sum_s, (double)c->handled);
  return k;
}

/* ---------------------------------------------------------------------------------- */
/* Erlang predictions in the simulator's conventions                                  */

typedef struct point {
  int valid;
  double p_wait, sl, asa, p_ab, occ;
} point;

static point predict_int(double load, unsigned n, double h, double patience, double thr,
                         double short_s)
{
  point p = {0, NAN, NAN, NAN, NAN, NAN};
  ccenter_erlang_metrics m = {.size = sizeof m};
  if (!isfinite(patience)) {
    if (ccenter_erlang_c_metrics(load, n, h, thr, &m) != 0)
      return p;
    p.valid = 1;
    p.p_wait = m.p_wait;
    p.sl = m.service_level;
    p.asa = m.asa_s;
    p.p_ab = 0;
    p.occ = m.occupancy;
    return p;
  }
  ccenter_erlang_metrics s = {.size = sizeof s};
  if (ccenter_erlang_a_metrics(load, n, h, patience, thr, &m) != 0 ||
      ccenter_erlang_a_metrics(load, n, h, patience, short_s, &s) != 0)
    return p;
  p.valid = 1;
  p.p_ab = m.p_abandon;
  /* Every contact that abandons has waited, so among the answered ones: */
  p.p_wait = m.p_abandon < 1 ? (m.p_wait - m.p_abandon) / (1 - m.p_abandon) : 0;
  if (p.p_wait < 0)
    p.p_wait = 0;
  /* Short abandons are left out of the denominator, as the simulator counts. */
  p.sl = s.abandon_within < 1 ? m.service_level / (1 - s.abandon_within) : 0;
  p.asa = m.asa_s;
  p.occ = m.occupancy;
  return p;
}

sim_prediction sim_predict(double load, double agents, double handle_s, double patience_s,
                           double threshold_s, double short_abandon_s)
{
  sim_prediction r;
  memset(&r, 0, sizeof r);
  r.model = isfinite(patience_s) ? 'A' : 'C';
  r.load = load;
  r.p_wait = r.service_level = r.asa_s = r.p_abandon = r.occupancy = NAN;
  if (!(agents >= 0) || !(handle_s > 0) || !(load >= 0))
    return r;
  double lo = floor(agents), f = agents - lo;
  if (lo > 4e9)
    return r;
  point a = predict_int(load, (unsigned)lo, handle_s, patience_s, threshold_s, short_abandon_s);
  point b = a;
  if (f > 1e-9)
    b = predict_int(load, (unsigned)lo + 1, handle_s, patience_s, threshold_s, short_abandon_s);
  if (!a.valid || !b.valid)
    return r;
  r.valid = 1;
  r.p_wait = a.p_wait + f * (b.p_wait - a.p_wait);
  r.service_level = a.sl + f * (b.sl - a.sl);
  r.asa_s = a.asa + f * (b.asa - a.asa);
  r.p_abandon = a.p_ab + f * (b.p_ab - a.p_ab);
  r.occupancy = agents > 0 ? load * (1 - r.p_abandon) / agents : NAN;
  return r;
}

/* ---------------------------------------------------------------------------------- */
/* The model's inputs per queue and interval                                          */

static double overlap(int64_t a0, int64_t a1, int64_t b0, int64_t b1)
{
  int64_t f = a0 > b0 ? a0 : b0, t = a1 < b1 ? a1 : b1;
  return t > f ? (double)(t - f) : 0.0;
}

static double queue_wrap_s(const sc_queue *q)
{
  return q->wrap_up_ms > 0 ? (double)q->wrap_up_ms / SIM_MS_PER_S : 0.0;
}

static double queue_threshold(const scenario *sc, size_t q)
{
  return sc->queues[q].threshold_s >= 0 ? sc->queues[q].threshold_s : sc->threshold_s;
}

/* Expected arrivals of a stream in [a, b) (arrivals stop at the end of the period). */
static double stream_arrivals(const scenario *sc, const sc_stream *st, int64_t a, int64_t b)
{
  int64_t stop = sc->continue_arrivals ? SIM_INF_TIME : sc->end_ms;
  double n = 0;
  for (size_t k = 0; k < st->n_seg; k++) {
    const sc_segment *g = &st->seg[k];
    n += g->rate_per_s * overlap(g->from, g->to < stop ? g->to : stop, a, b) / SIM_MS_PER_S;
  }
  return n;
}

/* Fraction of [a, b) in which the agent is scheduled on the phones (shift minus breaks). */
static double agent_on(const sc_agent *ag, int64_t a, int64_t b)
{
  double on = 0;
  for (size_t k = 0; k < ag->n_shifts; k++)
    on += overlap(ag->shifts[k].from, ag->shifts[k].to, a, b);
  for (size_t k = 0; k < ag->n_breaks; k++)
    on -= overlap(ag->breaks[k].from, ag->breaks[k].to, a, b);
  return on > 0 ? on / (double)(b - a) : 0.0;
}

/*
 * Shares the scheduled agents among the queues for one interval [a, b): agents[q] is the
 * number of agents the model gives queue q. An agent who serves one queue counts there in
 * full. An agent who serves several splits its time among them so that the load per agent
 * (pressure = load / agents) is equal across the queues it actually works for, and no
 * higher in the ones it leaves (a Wardrop equilibrium: with longest-waiting-first routing
 * across its queues, a shared agent goes where the work piles up). Found by a
 * multiplicative update, w_k <- w_k * p_k / sum_j w_j * p_j, repeated until it settles.
 * Contact priorities make the real split uneven; the report says so.
 * w holds one weight per membership (agent, queue); on one value per agent.
 */
/* The queues an agent serves as a regular member (reserve members take a queue's contacts
 * only past its reserve thresholds: the model leaves them out). */
static size_t regular_queues(const sc_agent *ag)
{
  size_t n = 0;
  for (size_t k = 0; k < ag->n_queues; k++)
    n += !ag->profile[k].reserve;
  return n;
}

static void apportion(const scenario *sc, const double *load, int64_t a, int64_t b, double *on,
                      double *w, size_t nq, double *agents)
{
  size_t m = 0;
  int shared = 0;
  for (size_t g = 0; g < sc->n_agents; g++) {
    const sc_agent *ag = &sc->agents[g];
    on[g] = agent_on(ag, a, b);
    size_t regular = regular_queues(ag);
    for (size_t k = 0; k < ag->n_queues; k++)
      w[m++] = ag->profile[k].reserve ? 0.0 : 1.0 / (double)regular;
    if (regular > 1)
      shared = 1;
  }
  for (int it = 0; it < 2000; it++) {
    for (size_t q = 0; q < nq; q++)
      agents[q] = 0;
    m = 0;
    for (size_t g = 0; g < sc->n_agents; g++) {
      const sc_agent *ag = &sc->agents[g];
      for (size_t k = 0; k < ag->n_queues; k++, m++)
        agents[ag->queues[k]] += on[g] * w[m];
    }
    if (!shared)
      break;
    double change = 0;
    m = 0;
    for (size_t g = 0; g < sc->n_agents; g++) {
      const sc_agent *ag = &sc->agents[g];
      size_t m0 = m;
      double tot = 0;
      for (size_t k = 0; k < ag->n_queues; k++, m++) {
        size_t q = ag->queues[k];
        tot += w[m] * load[q] / (agents[q] > 1e-9 ? agents[q] : 1e-9);
      }
      if (regular_queues(ag) <= 1 || !(tot > 0))
        continue;
      m = m0;
      for (size_t k = 0; k < ag->n_queues; k++, m++) {
        size_t q = ag->queues[k];
        if (ag->profile[k].reserve)
          continue;
        double nw = w[m] * (load[q] / (agents[q] > 1e-9 ? agents[q] : 1e-9)) / tot;
        change += fabs(nw - w[m]);
        w[m] = nw;
      }
    }
    if (change < 1e-9)
      break;
  }
}

static void fill_model(const scenario *sc, sim_results *r)
{
  size_t nq = r->n_queues, ni = r->n_intervals;
  size_t nm = 0;
  for (size_t g = 0; g < sc->n_agents; g++)
    nm += sc->agents[g].n_queues;
  double *load = sim_xcalloc(nq, sizeof *load);
  double *agents = sim_xcalloc(nq, sizeof *agents);
  double *on = sim_xcalloc(sc->n_agents, sizeof *on);
  double *w = sim_xcalloc(nm, sizeof *w);
  for (size_t i = 0; i < ni; i++) {
    int64_t a = r->interval_origin_ms + (int64_t)i * r->interval_ms;
    int64_t b = a + r->interval_ms;
    double secs = (double)(b - a) / SIM_MS_PER_S;
    for (size_t q = 0; q < nq; q++) {
      sim_model_cell *m = &r->model[q * ni + i];
      double arr = 0, work = 0, pat = 0;
      int all_patient = 1;
      for (size_t s = 0; s < sc->n_streams; s++) {
        const sc_stream *st = &sc->streams[s];
        if (st->queue != q)
          continue;
        double n = stream_arrivals(sc, st, a, b);
        if (n <= 0)
          continue;
        arr += n;
        work += n * (st->handle.mean + queue_wrap_s(&sc->queues[q]) +
                     (double)sc->ring_delay_ms / SIM_MS_PER_S);
        if (st->patience.kind == SIM_DIST_NONE)
          all_patient = 0;
        else
          pat += n * st->patience.mean;
      }
      m->arrivals = arr;
      m->load = work / secs;
      m->handle_s = arr > 0 ? work / arr : NAN;
      m->patience_s = all_patient && arr > 0 ? pat / arr : INFINITY;
      m->agents = 0;
      load[q] = m->load;
    }
    apportion(sc, load, a, b, on, w, nq, agents);
    for (size_t q = 0; q < nq; q++)
      r->model[q * ni + i].agents = agents[q];
  }
  free(load);
  free(on);
  free(w);
  free(agents);
}

/* A queue's prediction over the measured period: interval predictions weighted by the
 * interval's expected arrivals in the period (answered ones for ASA and P(wait)). */
typedef struct agg {
  double arrivals, answered, sl, asa, p_wait, p_ab, carried_ms, agent_ms, load_ms;
  int bad; /* intervals with arrivals where the model is undefined (Erlang C: N <= A) */
} agg;

static void agg_add(agg *g, const sim_prediction *p, double w, double dur_ms,
                    const sim_model_cell *m)
{
  g->arrivals += w;
  g->agent_ms += m->agents * dur_ms;
  g->load_ms += m->load * dur_ms;
  if (!p->valid) {
    if (w > 0)
      g->bad++;
    return;
  }
  double ans = w * (1 - p->p_abandon);
  g->answered += ans;
  g->sl += w * p->service_level;
  g->asa += ans * p->asa_s;
  g->p_wait += ans * p->p_wait;
  g->p_ab += w * p->p_abandon;
  g->carried_ms += m->load * (1 - p->p_abandon) * dur_ms;
}

typedef struct queue_pred {
  sim_prediction c, a, best; /* Erlang C, Erlang A, the one matching the inputs */
  double agents, load;       /* time averages over the measured period */
  int bad_c, bad_a;
  int has_a;
} queue_pred;

static void agg_done(const agg *g, sim_prediction *p, char model)
{
  memset(p, 0, sizeof *p);
  p->model = model;
  p->valid = g->bad == 0 && g->arrivals > 0;
  p->service_level = g->arrivals > 0 ? g->sl / g->arrivals : NAN;
  p->p_abandon = g->arrivals > 0 ? g->p_ab / g->arrivals : NAN;
  p->asa_s = g->bad == 0 && g->answered > 0 ? g->asa / g->answered : NAN;
  p->p_wait = g->bad == 0 && g->answered > 0 ? g->p_wait / g->answered : NAN;
  p->occupancy = g->bad == 0 && g->agent_ms > 0 ? g->carried_ms / g->agent_ms : NAN;
  if (g->bad) /* some intervals had no stable Erlang C solution: SL counted 0 there */
    p->asa_s = p->p_wait = p->occupancy = NAN;
}

/* Predictions for queue q (q == n_queues: the whole centre) over the measured period. */
static queue_pred predict_queue(const scenario *sc, const sim_results *r, size_t q)
{
  queue_pred out;
  memset(&out, 0, sizeof out);
  agg gc, ga, gb;
  memset(&gc, 0, sizeof gc);
  memset(&ga, 0, sizeof ga);
  memset(&gb, 0, sizeof gb);
  int64_t m0 = sc->start_ms + sc->warmup_ms, m1 = sc->end_ms;
  size_t q0 = q == r->n_queues ? 0 : q, q1 = q == r->n_queues ? r->n_queues : q + 1;
  int all_a = 1;
  double dur_tot = 0;
  for (size_t i = 0; i < r->n_intervals; i++) {
    int64_t a = r->interval_origin_ms + (int64_t)i * r->interval_ms, b = a + r->interval_ms;
    double dur = overlap(a, b, m0, m1);
    if (dur <= 0)
      continue;
    dur_tot += dur;
    for (size_t k = q0; k < q1; k++) {
      const sim_model_cell *m = &r->model[k * r->n_intervals + i];
      double w = m->arrivals * dur / (double)(b - a);
      if (m->arrivals <= 0 && m->agents <= 0)
        continue;
      double thr = queue_threshold(sc, k);
      double h = m->handle_s;
      if (!(h > 0)) {
        /* No arrivals here: any handle time gives an empty queue. */
        h = 1.0;
      }
      sim_prediction pc = sim_predict(m->load, m->agents, h, INFINITY, thr, sc->short_abandon_s);
      agg_add(&gc, &pc, w, dur, m);
      int pat = isfinite(m->patience_s);
      if (!pat && m->arrivals > 0)
        all_a = 0;
      sim_prediction pa = pat ? sim_predict(m->load, m->agents, h, m->patience_s, thr,
                                            sc->short_abandon_s)
                              : pc;
      agg_add(&ga, &pa, w, dur, m);
      agg_add(&gb, pat ? &pa : &pc, w, dur, m);
    }
  }
  agg_done(&gc, &out.c, 'C');
  agg_done(&ga, &out.a, 'A');
  agg_done(&gb, &out.best, all_a ? 'A' : 'C');
  out.bad_c = gc.bad;
  out.bad_a = ga.bad;
  out.has_a = all_a && ga.arrivals > 0;
  out.agents = dur_tot > 0 ? gc.agent_ms / dur_tot : NAN;
  out.load = dur_tot > 0 ? gc.load_ms / dur_tot : NAN;
  return out;
}

/* ---------------------------------------------------------------------------------- */
/* Batch means                                                                          */

typedef struct batch_se {
  double se, lag1;
} batch_se;

/* Standard error of the ratio sum(x)/sum(y) from K batches: the batch residuals
 * d_i = x_i - R*y_i have mean 0; SE = sqrt(sum d_i^2 / (K (K-1))) / mean(y). lag1 is the
 * lag-1 autocorrelation of the residuals (near 0 when batches are long enough). */
static batch_se ratio_se(const double *x, const double *y, unsigned k)
{
  batch_se r = {NAN, NAN};
  if (k < 2)
    return r;
  double sx = 0, sy = 0;
  for (unsigned i = 0; i < k; i++) {
    sx += x[i];
    sy += y[i];
  }
  if (!(sy > 0))
    return r;
  double R = sx / sy, ss = 0, sl = 0;
  for (unsigned i = 0; i < k; i++) {
    double d = x[i] - R * y[i];
    ss += d * d;
    if (i + 1 < k)
      sl += d * (x[i + 1] - R * y[i + 1]);
  }
  r.se = sqrt(ss / ((double)k * (double)(k - 1))) / (sy / (double)k);
  r.lag1 = ss > 0 ? sl / ss : 0.0;
  return r;
}

typedef enum { M_SL, M_PWAIT, M_ASA, M_ABANDON, M_OCC, M_COUNT_ } metric;
static const char *const metric_name[M_COUNT_] = {"service_level", "p_wait", "asa",
                                                  "abandon_rate", "occupancy"};

static void batch_stats(const sim_results *r, batch_se *out)
{
  unsigned k = r->n_batches;
  double *x = sim_xcalloc(k, sizeof *x), *y = sim_xcalloc(k, sizeof *y);
  for (int m = 0; m < M_COUNT_; m++) {
    for (unsigned i = 0; i < k; i++) {
      const sim_counts *c = &r->b_counts[i];
      const sim_occ *o = &r->b_occ[i];
      switch ((metric)m) {
      case M_SL:
        x[i] = (double)c->answered_within;
        y[i] = sl_base(c);
        break;
      case M_PWAIT:
        x[i] = (double)c->waited;
        y[i] = (double)c->answered;
        break;
      case M_ASA:
        x[i] = c->wait_sum_s;
        y[i] = (double)c->answered;
        break;
      case M_ABANDON:
        x[i] = (double)c->abandoned;
        y[i] = (double)c->offered;
        break;
      default:
        x[i] = o->busy_ms;
        y[i] = o->avail_ms;
        break;
      }
    }
    out[m] = ratio_se(x, y, k);
  }
  free(x);
  free(y);
}

/* Batch-means SE of the EWT bias (mean of EWT - wait over the answered, per batch). */
static batch_se ewt_bias_se(const sim_results *r)
{
  unsigned k = r->n_batches;
  double *x = sim_xcalloc(k, sizeof *x), *y = sim_xcalloc(k, sizeof *y);
  for (unsigned i = 0; i < k; i++) {
    x[i] = r->b_ewt[i].err_sum_s;
    y[i] = (double)r->b_ewt[i].n;
  }
  batch_se out = ratio_se(x, y, k);
  free(x);
  free(y);
  return out;
}

/* ---------------------------------------------------------------------------------- */
/* Golden-window attainment of fraud cases                                              */

#define Z95 1.959963985

/* Student's t quantile for a two-sided 95 % interval with nu degrees of freedom (the
 * Cornish-Fisher expansion around the normal's; within 0.001 of the table for nu >= 5). */
static double t95(double nu)
{
  double z = Z95, z2 = z * z;
  double z3 = z2 * z, z5 = z3 * z2, z7 = z5 * z2, z9 = z7 * z2;
  return z + (z3 + z) / (4 * nu) + (5 * z5 + 16 * z3 + 3 * z) / (96 * nu * nu) +
         (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * nu * nu * nu) +
         (79 * z9 + 776 * z7 + 1482 * z5 - 1920 * z3 - 945 * z) / (92160 * nu * nu * nu * nu);
}

sim_attainment sim_attainment_of(const sim_case_results *c, unsigned n_batches)
{
  sim_attainment a = {NAN, NAN, NAN, "wilson"};
  double met = (double)c->st.golden_met, n = met + (double)c->st.golden_missed;
  if (!(n > 0))
    return a;
  double p = met / n;
  a.value = p;
  /* Wilson's score interval: binomial, as if the cases were independent. */
  double d = 1 + Z95 * Z95 / n;
  double mid = (p + Z95 * Z95 / (2 * n)) / d;
  double half = Z95 * sqrt(p * (1 - p) / n + Z95 * Z95 / (4 * n * n)) / d;
  a.low = mid - half;
  a.high = mid + half;
  if (n_batches < 2)
    return a;
  /* Cases of one busy hour miss together, so batch means are the honest width; never
   * narrower than Wilson's, which it would be when every batch met every window (SE 0). */
  double *x = sim_xcalloc(n_batches, sizeof *x), *y = sim_xcalloc(n_batches, sizeof *y);
  for (unsigned i = 0; i < n_batches; i++) {
    x[i] = (double)c->b_met[i];
    y[i] = (double)(c->b_met[i] + c->b_missed[i]);
  }
  batch_se se = ratio_se(x, y, n_batches);
  free(x);
  free(y);
  if (isfinite(se.se)) {
    double w = t95((double)n_batches - 1) * se.se;
    a.low = fmin(a.low, p - w);
    a.high = fmax(a.high, p + w);
    a.method = "batch-means";
  }
  a.low = fmax(a.low, 0.0);
  a.high = fmin(a.high, 1.0);
  return a;
}

/* ---------------------------------------------------------------------------------- */
/* Output helpers                                                                      */

static void jnum(FILE *f, const char *key, double v, int first)
{
  fprintf(f, "%s\"%s\":", first ? "" : ",", key);
  if (isfinite(v))
    fprintf(f, "%.10g", v);
  else
    fputs("null", f);
}

static void jint(FILE *f, const char *key, uint64_t v)
{
  fprintf(f, ",\"%s\":%llu", key, (unsigned long long)v);
}

static void jstr(FILE *f, const char *key, const char *v)
{
  fprintf(f, ",\"%s\":\"", key);
  for (const char *p = v; *p; p++) {
    if (*p == '"' || *p == '\\')
      fprintf(f, "\\%c", *p);
    else if ((unsigned char)*p < 0x20)
      fprintf(f, "\\u%04x", *p);
    else
      fputc(*p, f);
  }
  fputc('"', f);
}

static void jcounts(FILE *f, const sim_counts *c, const sim_occ *o)
{
  sim_kpi k = sim_kpi_of(c, o);
  jint(f, "offered", c->offered);
  jint(f, "answered", c->answered);
  jint(f, "abandoned", c->abandoned);
  jint(f, "short_abandoned", c->short_abandoned);
  jint(f, "timed_out", c->timed_out);
  jint(f, "refused", c->refused);
  jint(f, "overflowed", c->overflowed);
  jint(f, "other_exit", c->other_exit);
  jint(f, "answered_within", c->answered_within);
  jint(f, "waited", c->waited);
  jnum(f, "service_level", k.service_level, 0);
  jnum(f, "asa", k.asa_s, 0);
  jnum(f, "p_wait", k.p_wait, 0);
  jnum(f, "abandon_rate", k.abandon_rate, 0);
  jnum(f, "occupancy", k.occupancy, 0);
  jnum(f, "aht", k.aht_s, 0);
  jnum(f, "max_wait", c->offered ? c->wait_max_s : NAN, 0);
}

static void jpred(FILE *f, const char *prefix, const sim_prediction *p, int with_abandon)
{
  char key[64];
  snprintf(key, sizeof key, "%sp_wait", prefix);
  jnum(f, key, p->p_wait, 0);
  snprintf(key, sizeof key, "%sservice_level", prefix);
  jnum(f, key, p->service_level, 0);
  snprintf(key, sizeof key, "%sasa", prefix);
  jnum(f, key, p->asa_s, 0);
  snprintf(key, sizeof key, "%soccupancy", prefix);
  jnum(f, key, p->occupancy, 0);
  if (with_abandon) {
    snprintf(key, sizeof key, "%sp_abandon", prefix);
    jnum(f, key, p->p_abandon, 0);
  }
}

/* The EWT accuracy figures (docs/simulator.md, "EWT accuracy"). */
typedef struct ewt_fig {
  double n, unknown, bias, mae, rmse, within_30s, within_20pct;
  double q_n, q_bias, q_mae, q_within_30s, q_within_20pct;
} ewt_fig;

static ewt_fig ewt_of(const sim_ewt *e)
{
  ewt_fig f;
  double n = (double)e->n, qn = (double)e->q_n;
  f.n = n;
  f.unknown = (double)e->unknown;
  f.bias = ratio(e->err_sum_s, n);
  f.mae = ratio(e->abs_sum_s, n);
  f.rmse = n > 0 ? sqrt(e->sq_sum_s / n) : NAN;
  f.within_30s = ratio((double)e->within_30s, n);
  f.within_20pct = ratio((double)e->within_20pct, n);
  f.q_n = qn;
  f.q_bias = ratio(e->q_err_sum_s, qn);
  f.q_mae = ratio(e->q_abs_sum_s, qn);
  f.q_within_30s = ratio((double)e->q_within_30s, qn);
  f.q_within_20pct = ratio((double)e->q_within_20pct, qn);
  return f;
}

static void jewt(FILE *f, const sim_ewt *e)
{
  ewt_fig g = ewt_of(e);
  jint(f, "ewt_n", e->n);
  jint(f, "ewt_unknown", e->unknown);
  jnum(f, "ewt_bias_s", g.bias, 0);
  jnum(f, "ewt_mae_s", g.mae, 0);
  jnum(f, "ewt_rmse_s", g.rmse, 0);
  jnum(f, "ewt_within_30s", g.within_30s, 0);
  jnum(f, "ewt_within_20pct", g.within_20pct, 0);
  jint(f, "ewt_queued_n", e->q_n);
  jnum(f, "ewt_queued_bias_s", g.q_bias, 0);
  jnum(f, "ewt_queued_mae_s", g.q_mae, 0);
  jnum(f, "ewt_queued_within_30s", g.q_within_30s, 0);
  jnum(f, "ewt_queued_within_20pct", g.q_within_20pct, 0);
  jint(f, "ewt_queued_zero", e->q_zero);
}

static void jrouting(FILE *f, const sim_results *r)
{
  fprintf(f, ",\"routing_checked\":%s", r->routing_checked ? "true" : "false");
  jint(f, "routing_checks", r->routing_checks);
  jint(f, "idle_while_waiting", r->idle_while_waiting);
  jint(f, "offers_unqualified", r->offers_unqualified);
}

/* The keys every JSON summary ends with: the routing check, the run's size and speed. */
static void jtail(FILE *f, const sim_results *r, double speed)
{
  jrouting(f, r);
  jint(f, "contacts_simulated", r->contacts);
  jint(f, "engine_calls", r->engine_calls);
  jint(f, "engine_events", r->engine_events);
  jint(f, "ring_timeouts", r->ring_timeouts);
  jint(f, "no_answer_not_ready", r->no_answer_not_ready);
  jint(f, "wait_mismatches", r->wait_mismatches);
  jnum(f, "wall_s", r->wall_s, 0);
  jnum(f, "sim_contacts_per_s", speed, 0);
  fputs("}\n", f);
}

/* The fraud cases of a queue: the "cases" object of its JSON entry. */
static void jcases(FILE *f, const sim_case_results *c, unsigned n_batches)
{
  sim_attainment a = sim_attainment_of(c, n_batches);
  int known = c->golden_ms > 0;
  uint64_t ended = c->st.golden_met + c->st.golden_missed;
  fputs(",\"cases\":{", f);
  jnum(f, "golden_window_s", known ? (double)c->golden_ms / SIM_MS_PER_S : NAN, 1);
  jstr(f, "workflow", c->workflow);
  jint(f, "opened", c->opened);
  jint(f, "contained", c->contained);
  jnum(f, "contained_within", known ? (double)c->contained_within : NAN, 0);
  jint(f, "closed", c->closed);
  jint(f, "golden_met", c->st.golden_met);
  jint(f, "golden_missed", c->st.golden_missed);
  jint(f, "golden_pending", c->opened > ended ? c->opened - ended : 0);
  jnum(f, "golden_attainment", a.value, 0);
  jnum(f, "golden_ci_low", a.low, 0);
  jnum(f, "golden_ci_high", a.high, 0);
  jstr(f, "golden_ci_method", a.method);
  jint(f, "engine_opened", c->st.opened);
  jint(f, "engine_closed", c->st.closed);
  jint(f, "engine_open", c->st.open);
  jint(f, "events_golden_met", c->ev_met);
  jint(f, "events_golden_missed", c->ev_missed);
  fprintf(f, ",\"windows_ended\":%s}", c->windows_ended ? "true" : "false");
}

/* "12.3" or "-" */
static const char *fmt(char *buf, size_t n, const char *f, double v)
{
  if (isfinite(v))
    snprintf(buf, n, f, v);
  else
    snprintf(buf, n, "-");
  return buf;
}

/* ---------------------------------------------------------------------------------- */
/* Interval file                                                                       */

static int ends_with(const char *s, const char *suffix)
{
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int write_intervals(const scenario *sc, const sim_results *r, const char *path)
{
  int json = ends_with(path, ".jsonl") || ends_with(path, ".json");
  FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
  if (!f) {
    perror(path);
    return -1;
  }
  if (!json)
    fprintf(f, "start,start_s,queue,measured,offered,answered,abandoned,short_abandoned,"
               "timed_out,answered_within,service_level,asa_s,p_wait,abandon_rate,occupancy,"
               "erlang_load,erlang_agents,erlang_model,erlang_service_level,erlang_asa,"
               "erlang_p_abandon\n");
  int64_t m0 = sc->start_ms + sc->warmup_ms, m1 = sc->end_ms;
  for (size_t i = 0; i < r->n_intervals; i++) {
    int64_t a = r->interval_origin_ms + (int64_t)i * r->interval_ms;
    int measured = a >= m0 && a + r->interval_ms <= m1;
    char clock[32];
    sim_clock_str(a, clock, sizeof clock);
    for (size_t q = 0; q < r->n_queues; q++) {
      const sim_counts *c = &r->q_int[q * r->n_intervals + i];
      const sim_occ *o = &r->q_int_occ[q * r->n_intervals + i];
      const sim_model_cell *m = &r->model[q * r->n_intervals + i];
      sim_kpi k = sim_kpi_of(c, o);
      double h = m->handle_s > 0 ? m->handle_s : 1.0;
      sim_prediction p = sim_predict(m->load, m->agents, h, m->patience_s,
                                     queue_threshold(sc, q), sc->short_abandon_s);
      if (json) {
        fprintf(f, "{\"start\":\"%s\"", clock);
        fprintf(f, ",\"start_s\":%.3f", (double)a / SIM_MS_PER_S);
        jstr(f, "queue", sc->queues[q].name);
        fprintf(f, ",\"measured\":%s", measured ? "true" : "false");
        jcounts(f, c, o);
        jnum(f, "erlang_load", m->load, 0);
        jnum(f, "erlang_agents", m->agents, 0);
        fprintf(f, ",\"erlang_model\":\"%c\"", p.model);
        jpred(f, "erlang_", &p, 1);
        fputs("}\n", f);
      } else {
        char b[10][32];
        fprintf(f, "%s,%.3f,%s,%d,%llu,%llu,%llu,%llu,%llu,%llu,%s,%s,%s,%s,%s,%s,%s,%c,%s,%s,%s\n",
                clock, (double)a / SIM_MS_PER_S, sc->queues[q].name, measured,
                (unsigned long long)c->offered, (unsigned long long)c->answered,
                (unsigned long long)c->abandoned, (unsigned long long)c->short_abandoned,
                (unsigned long long)c->timed_out, (unsigned long long)c->answered_within,
                isfinite(k.service_level) ? fmt(b[0], 32, "%.4f", k.service_level) : "",
                isfinite(k.asa_s) ? fmt(b[1], 32, "%.3f", k.asa_s) : "",
                isfinite(k.p_wait) ? fmt(b[2], 32, "%.4f", k.p_wait) : "",
                isfinite(k.abandon_rate) ? fmt(b[3], 32, "%.4f", k.abandon_rate) : "",
                isfinite(k.occupancy) ? fmt(b[4], 32, "%.4f", k.occupancy) : "",
                fmt(b[5], 32, "%.3f", m->load), fmt(b[6], 32, "%.3f", m->agents), p.model,
                isfinite(p.service_level) ? fmt(b[7], 32, "%.4f", p.service_level) : "",
                isfinite(p.asa_s) ? fmt(b[8], 32, "%.3f", p.asa_s) : "",
                isfinite(p.p_abandon) && p.model == 'A' ? fmt(b[9], 32, "%.4f", p.p_abandon)
                                                        : "");
      }
    }
  }
  if (f != stdout) {
    if (fclose(f)) {
      perror(path);
      return -1;
    }
  }
  return 0;
}

/* ---------------------------------------------------------------------------------- */
/* EWT accuracy and routing-check lines, both modes                                     */

static void print_ewt_row(const char *name, const sim_ewt *e)
{
  ewt_fig g = ewt_of(e);
  char b[10][32];
  printf("%-12.12s %8llu %7llu %6s %6s %5s %5s | %7llu %6llu %6s %6s %5s %5s\n", name,
         (unsigned long long)e->n, (unsigned long long)e->unknown,
         fmt(b[0], 32, "%+.1f", g.bias), fmt(b[1], 32, "%.1f", g.mae),
         fmt(b[2], 32, "%.1f", 100 * g.within_30s), fmt(b[3], 32, "%.1f", 100 * g.within_20pct),
         (unsigned long long)e->q_n, (unsigned long long)e->q_zero,
         fmt(b[4], 32, "%+.1f", g.q_bias),
         fmt(b[5], 32, "%.1f", g.q_mae), fmt(b[6], 32, "%.1f", 100 * g.q_within_30s),
         fmt(b[7], 32, "%.1f", 100 * g.q_within_20pct));
}

static void print_ewt(const scenario *sc, const sim_results *r, int per_queue)
{
  printf("\nEWT accuracy: the engine's expected wait when each answered contact joined "
         "(CONTACT_QUEUED ewt_ms)\nagainst the wait it then had. error = EWT - wait (s); "
         "in30s, in20%% = %% with |error| <= 30 s,\n<= 20 %% of the wait. Queued: answered by "
         "an offer made after the arrival; EWT 0: told 0.\n");
  printf("%-12s %-42s | %s\n", "", "          all answered contacts",
         "          those that queued");
  printf("%-12s %8s %7s %6s %6s %5s %5s | %7s %6s %6s %6s %5s %5s\n", "queue", "with EWT",
         "unknown", "bias", "MAE", "in30s", "in20%", "n", "EWT 0", "bias", "MAE", "in30s",
         "in20%");
  if (per_queue)
    for (size_t q = 0; q < r->n_queues; q++)
      print_ewt_row(sc->queues[q].name, &r->q_ewt[q]);
  print_ewt_row(per_queue ? "all" : sc->queues[0].name, &r->ewt);
}

static void print_routing_check(const sim_results *r)
{
  if (!r->routing_checked)
    return;
  int bad = r->idle_while_waiting || r->offers_unqualified;
  printf("\nrouting check (%llu checks): %llu callers waited while a qualified agent idled, "
         "%llu offers\nto agents who did not qualify: %s\n",
         (unsigned long long)r->routing_checks, (unsigned long long)r->idle_while_waiting,
         (unsigned long long)r->offers_unqualified,
         bad ? "ENGINE PROBLEM (details on stderr)" : "the engine routed by its rules");
}

/* ---------------------------------------------------------------------------------- */
/* Flag mode: one queue, N agents, stationary inputs                                   */

static int report_flags(const scenario *sc, const sim_results *r, const sim_report_opts *o)
{
  const sc_stream *st = &sc->streams[0];
  /* The agent is held for ring delay + talk + wrap-up. */
  double h = st->handle.mean + queue_wrap_s(&sc->queues[0]) + (double)sc->ring_delay_ms / SIM_MS_PER_S;
  double lambda = o->calls_per_hour / 3600.0;
  double load = lambda * h;
  double patience = st->patience.kind == SIM_DIST_NONE ? INFINITY : st->patience.mean;
  sim_prediction p = sim_predict(load, (double)o->agents, h, patience, sc->threshold_s,
                                 sc->short_abandon_s);
  sim_kpi k = sim_kpi_of(&r->total, &r->occ);
  batch_se se[M_COUNT_];
  for (int m = 0; m < M_COUNT_; m++)
    se[m] = (batch_se){NAN, NAN};
  if (r->n_batches >= 2)
    batch_stats(r, se);
  double speed = r->wall_s > 0 ? (double)r->contacts / r->wall_s : NAN;

  if (o->json) {
    FILE *f = stdout;
    fputs("{\"mode\":\"flags\"", f);
    fprintf(f, ",\"agents\":%u", o->agents);
    jnum(f, "calls_per_hour", o->calls_per_hour, 0);
    jnum(f, "aht_s", st->handle.mean, 0);
    jnum(f, "wrap_up_s", queue_wrap_s(&sc->queues[0]), 0);
    jnum(f, "patience_s", patience, 0);
    jnum(f, "hours", o->hours, 0);
    jnum(f, "warmup_s", (double)sc->warmup_ms / SIM_MS_PER_S, 0);
    jnum(f, "threshold_s", sc->threshold_s, 0);
    jnum(f, "short_abandon_s", sc->short_abandon_s, 0);
    fprintf(f, ",\"seed\":%llu", (unsigned long long)sc->seed);
    jcounts(f, &r->total, &r->occ);
    jint(f, "in_progress", r->in_progress);
    fprintf(f, ",\"erlang_model\":\"%c\"", p.model);
    jnum(f, "erlang_load", load, 0);
    jpred(f, "erlang_", &p, 0);
    if (p.model == 'A')
      jnum(f, "erlang_a_p_abandon", p.p_abandon, 0);
    fprintf(f, ",\"batches\":%u", r->n_batches);
    for (int m = 0; m < M_COUNT_; m++) {
      char key[64];
      snprintf(key, sizeof key, "se_%s", metric_name[m]);
      jnum(f, key, se[m].se, 0);
    }
    for (int m = 0; m < M_COUNT_; m++) {
      char key[64];
      snprintf(key, sizeof key, "lag1_%s", metric_name[m]);
      jnum(f, key, se[m].lag1, 0);
    }
    jewt(f, &r->ewt);
    jnum(f, "se_ewt_bias_s", r->n_batches >= 2 ? ewt_bias_se(r).se : NAN, 0);
    jtail(f, r, speed);
    return 0;
  }

  char d[64], b1[32], b2[32], b3[32];
  printf("ccenter-sim: %u agents, %g calls/h, handle %s", o->agents, o->calls_per_hour,
         sim_dist_describe(&st->handle, d, sizeof d));
  if (queue_wrap_s(&sc->queues[0]) > 0)
    printf(" + wrap-up %gs", queue_wrap_s(&sc->queues[0]));
  printf(", patience %s\n", sim_dist_describe(&st->patience, d, sizeof d));
  printf("load %.3f erlangs on %u agents; measured %g h after a %g s warm-up; seed %llu; "
         "%u batches\n\n",
         load, o->agents, o->hours, (double)sc->warmup_ms / SIM_MS_PER_S,
         (unsigned long long)sc->seed, r->n_batches);
  printf("%-26s %12s %10s %12s\n", "", "simulated", "±SE", p.model == 'A' ? "Erlang A" : "Erlang C");
  printf("%-26s %12llu\n", "offered", (unsigned long long)r->total.offered);
  printf("%-26s %12llu\n", "answered", (unsigned long long)r->total.answered);
  printf("%-26s %12llu\n", "abandoned", (unsigned long long)r->total.abandoned);
  printf("%-26s %12llu\n", "  of which short", (unsigned long long)r->total.short_abandoned);
  char label[64];
  snprintf(label, sizeof label, "service level (%g s)", sc->threshold_s);
  printf("%-26s %12s %10s %12s\n", label, fmt(b1, 32, "%.4f", k.service_level),
         fmt(b2, 32, "%.4f", se[M_SL].se), fmt(b3, 32, "%.4f", p.service_level));
  printf("%-26s %12s %10s %12s\n", "ASA (s)", fmt(b1, 32, "%.2f", k.asa_s),
         fmt(b2, 32, "%.2f", se[M_ASA].se), fmt(b3, 32, "%.2f", p.asa_s));
  printf("%-26s %12s %10s %12s\n", "P(wait) of answered", fmt(b1, 32, "%.4f", k.p_wait),
         fmt(b2, 32, "%.4f", se[M_PWAIT].se), fmt(b3, 32, "%.4f", p.p_wait));
  printf("%-26s %12s %10s %12s\n", "abandonment rate", fmt(b1, 32, "%.4f", k.abandon_rate),
         fmt(b2, 32, "%.4f", se[M_ABANDON].se),
         fmt(b3, 32, "%.4f", p.model == 'A' ? p.p_abandon : 0.0));
  printf("%-26s %12s %10s %12s\n", "occupancy", fmt(b1, 32, "%.4f", k.occupancy),
         fmt(b2, 32, "%.4f", se[M_OCC].se), fmt(b3, 32, "%.4f", p.occupancy));
  if (!p.valid)
    printf("\nErlang C has no steady state: %u agents <= %.3f erlangs (the queue grows "
           "without bound; give --patience for Erlang A)\n",
           o->agents, load);
  if (r->in_progress)
    printf("\n%llu contacts (warm-up included) still in progress when the run stopped\n",
           (unsigned long long)r->in_progress);
  if (r->ring_timeouts)
    printf("%llu offers timed out ringing (ring delay >= the queue's ring timeout of 15 s?); "
           "%llu times an agent was set NOT_READY \"no-answer\"\n",
           (unsigned long long)r->ring_timeouts, (unsigned long long)r->no_answer_not_ready);
  if (r->wait_mismatches)
    printf("\nWARNING: %llu waits reported by the engine differ from the simulator's clock\n",
           (unsigned long long)r->wait_mismatches);
  if (o->ewt_report) {
    print_ewt(sc, r, 0);
    if (r->n_batches >= 2)
      printf("(bias: batch-means SE %.2f s over %u batches)\n", ewt_bias_se(r).se, r->n_batches);
  }
  print_routing_check(r);
  printf("\n%llu contacts simulated in %.2f s of wall time (%.0f contacts/s)\n",
         (unsigned long long)r->contacts, r->wall_s, speed);
  return 0;
}

/* ---------------------------------------------------------------------------------- */
/* Fraud cases, text                                                                    */

/* The cases line of queue q, or -1. */
static int cases_line(const scenario *sc, size_t q)
{
  for (size_t i = 0; i < sc->n_cases; i++)
    if (sc->cases[i].queue == q)
      return (int)i;
  return -1;
}

static const char *window_str(int64_t ms, char *buf, size_t n)
{
  if (ms <= 0)
    snprintf(buf, n, "(file)");
  else if (ms % 60000 == 0)
    snprintf(buf, n, "%lldm", (long long)(ms / 60000));
  else
    snprintf(buf, n, "%gs", (double)ms / SIM_MS_PER_S);
  return buf;
}

static const char *ci_str(const sim_attainment *a, char *buf, size_t n)
{
  if (isfinite(a->low))
    snprintf(buf, n, "%.1f-%.1f", 100 * a->low, 100 * a->high);
  else
    snprintf(buf, n, "-");
  return buf;
}

static void print_cases(const scenario *sc, const sim_results *r)
{
  if (!r->n_cases)
    return;
  char b[4][32];
  printf("\nFraud cases: one per contact arriving in the measured period, contained by the "
         "agent who\nanswers; golden window from the arrival (the case engine's statistics).\n");
  printf("%-11s %-16s %6s %7s %7s %6s %7s | %7s %11s %5s\n", "queue", "workflow", "window",
         "opened", "met", "missed", "pending", "attain%", "95% CI", "SL%");
  const char *method = "wilson";
  for (size_t i = 0; i < r->n_cases; i++) {
    const sim_case_results *c = &r->cases[i];
    size_t q = sc->cases[i].queue;
    sim_attainment a = sim_attainment_of(c, r->n_batches);
    sim_kpi k = sim_kpi_of(&r->q_total[q], &r->q_occ[q]);
    uint64_t ended = c->st.golden_met + c->st.golden_missed;
    if (isfinite(a.value))
      method = a.method;
    printf("%-11.11s %-16.16s %6s %7llu %7llu %6llu %7llu | %7s %11s %5s\n",
           sc->queues[q].name, c->workflow, window_str(c->golden_ms, b[0], 32),
           (unsigned long long)c->opened, (unsigned long long)c->st.golden_met,
           (unsigned long long)c->st.golden_missed,
           (unsigned long long)(c->opened > ended ? c->opened - ended : 0),
           fmt(b[1], 32, "%.1f", 100 * a.value), ci_str(&a, b[2], 32),
           fmt(b[3], 32, "%.1f", 100 * k.service_level));
  }
  char how[64];
  if (strcmp(method, "wilson") == 0)
    snprintf(how, sizeof how, "Wilson's binomial interval");
  else
    snprintf(how, sizeof how, "batch means over %u batches", r->n_batches);
  printf("attain%% = met / (met + missed); pending = windows not ended when the run stopped;\n"
         "95%% CI: %s; SL%% is the queue's, as above.\n",
         how);
}

/* ---------------------------------------------------------------------------------- */
/* Scenario mode                                                                        */

static int report_scenario(const scenario *sc, const sim_results *r, const sim_report_opts *o)
{
  size_t nq = r->n_queues;
  queue_pred *pred = sim_xcalloc(nq + 1, sizeof *pred);
  for (size_t q = 0; q <= nq; q++)
    pred[q] = predict_queue(sc, r, q);
  double speed = r->wall_s > 0 ? (double)r->contacts / r->wall_s : NAN;
  char b[16][32];

  if (o->json) {
    FILE *f = stdout;
    fputs("{\"mode\":\"scenario\"", f);
    if (o->sweep_group) {
      jstr(f, "sweep_group", o->sweep_group);
      fprintf(f, ",\"sweep_agents\":%lld", o->sweep_agents);
    }
    jstr(f, "scenario", sc->path);
    fprintf(f, ",\"seed\":%llu", (unsigned long long)sc->seed);
    jnum(f, "threshold_s", sc->threshold_s, 0);
    jnum(f, "short_abandon_s", sc->short_abandon_s, 0);
    jstr(f, "measured_from", sim_clock_str(sc->start_ms + sc->warmup_ms, b[0], 32));
    jstr(f, "measured_to", sim_clock_str(sc->end_ms, b[1], 32));
    jcounts(f, &r->total, &r->occ);
    jint(f, "in_progress", r->in_progress);
    fprintf(f, ",\"erlang_model\":\"%c\"", pred[nq].best.model);
    jpred(f, "erlang_", &pred[nq].best, 0);
    jpred(f, "erlang_c_", &pred[nq].c, 0);
    if (pred[nq].has_a)
      jnum(f, "erlang_a_p_abandon", pred[nq].a.p_abandon, 0);
    fputs(",\"queues\":[", f);
    for (size_t q = 0; q < nq; q++) {
      fputs(q ? ",{" : "{", f);
      fprintf(f, "\"queue\":\"%s\"", sc->queues[q].name);
      jstr(f, "strategy", sim_strategy_name(sc->queues[q].strategy));
      jcounts(f, &r->q_total[q], &r->q_occ[q]);
      jnum(f, "erlang_agents", pred[q].agents, 0);
      jnum(f, "erlang_load", pred[q].load, 0);
      fprintf(f, ",\"erlang_model\":\"%c\"", pred[q].best.model);
      jpred(f, "erlang_", &pred[q].best, 0);
      jpred(f, "erlang_c_", &pred[q].c, 0);
      fprintf(f, ",\"erlang_c_unstable_intervals\":%d", pred[q].bad_c);
      if (pred[q].has_a) {
        jpred(f, "erlang_a_", &pred[q].a, 1);
      }
      jewt(f, &r->q_ewt[q]);
      int cl = cases_line(sc, q);
      if (cl >= 0)
        jcases(f, &r->cases[cl], r->n_batches);
      fputs("}", f);
    }
    fputs("]", f);
    jewt(f, &r->ewt);
    jtail(f, r, speed);
    free(pred);
    return 0;
  }

  printf("ccenter-sim: %s, seed %llu, measured %s-%s, %zu queues, %zu agents\n\n",
         sc->path, (unsigned long long)sc->seed,
         sim_clock_str(sc->start_ms + sc->warmup_ms, b[0], 32), sim_clock_str(sc->end_ms, b[1], 32),
         sc->n_queues, sc->n_agents);
  /* One model per row: Erlang A where every arrival has a patience, else Erlang C. */
  printf("%-59s | %s\n", "             simulated", "Erlang prediction (approximation)");
  printf("%-11s %7s %8s %5s %4s %6s %6s %5s | %6s %6s %1s %5s %6s %6s\n", "queue", "offered",
         "answered", "SL%", "T s", "ASA s", "aband%", "occ%", "agents", "load", "", "SL%",
         "ASA s", "aband%");
  int any_unstable = 0;
  for (size_t q = 0; q <= nq; q++) {
    const sim_counts *c = q < nq ? &r->q_total[q] : &r->total;
    const sim_occ *oc = q < nq ? &r->q_occ[q] : &r->occ;
    sim_kpi k = sim_kpi_of(c, oc);
    const queue_pred *p = &pred[q];
    const sim_prediction *m = p->has_a ? &p->a : &p->c;
    int unstable = !p->has_a && p->bad_c;
    any_unstable |= unstable;
    char model[4];
    snprintf(model, sizeof model, "%c%s", p->has_a ? 'A' : 'C', unstable ? "*" : "");
    if (q == nq)
      printf("%.59s-+-%.35s\n",
             "---------------------------------------------------------------------",
             "---------------------------------------------------------------------");
    printf("%-11.11s %7llu %8llu %5s %4s %6s %6s %5s | %6s %6s %-2s%5s %6s %6s\n",
           q < nq ? sc->queues[q].name : "all", (unsigned long long)c->offered,
           (unsigned long long)c->answered, fmt(b[0], 32, "%.1f", 100 * k.service_level),
           q < nq ? fmt(b[4], 32, "%g", queue_threshold(sc, q)) : "",
           fmt(b[1], 32, "%.1f", k.asa_s), fmt(b[2], 32, "%.1f", 100 * k.abandon_rate),
           fmt(b[3], 32, "%.1f", 100 * k.occupancy), fmt(b[5], 32, "%.1f", p->agents),
           fmt(b[6], 32, "%.2f", p->load), model, fmt(b[7], 32, "%.1f", 100 * m->service_level),
           fmt(b[8], 32, "%.1f", m->asa_s),
           fmt(b[9], 32, "%.1f", 100 * (p->has_a ? m->p_abandon : 0.0)));
  }
  printf("\nSL%% = answered within T s / (answered + abandoned + timed out - abandons under %g s);"
         "\nASA = mean wait of the answered; aband%% = abandoned / offered; occ%% = busy / (busy + "
         "idle READY)\ntime of the agents who serve the queue.\n",
         sc->short_abandon_s);
  printf("Erlang A (C without patience): each queue alone with its own agents, per %g-min "
         "interval.\nAn approximation where agents are shared or routed by skill and priority: "
         "a sanity check.\n",
         (double)sc->interval_ms / 60000.0);
  if (any_unstable)
    printf("C* = Erlang C has no steady state in some intervals (agents <= load): its SL counts "
           "0 there, no ASA.\n");
  print_cases(sc, r);
  if (r->in_progress)
    printf("\n%llu contacts were still in progress when the run stopped (at %s)\n",
           (unsigned long long)r->in_progress, sim_clock_str(r->last_time_ms, b[0], 32));
  for (size_t q = 0; q < nq; q++) {
    const sim_counts *c = &r->q_total[q];
    if (c->timed_out || c->overflowed || c->refused || c->other_exit)
      printf("%s: %llu timed out, %llu overflowed, %llu refused, %llu other exits\n",
             sc->queues[q].name, (unsigned long long)c->timed_out,
             (unsigned long long)c->overflowed, (unsigned long long)c->refused,
             (unsigned long long)c->other_exit);
  }
  if (r->wait_mismatches)
    printf("WARNING: %llu waits reported by the engine differ from the simulator's clock\n",
           (unsigned long long)r->wait_mismatches);
  if (r->ring_timeouts)
    printf("%llu offers timed out ringing (%llu agents set NOT_READY no-answer)\n",
           (unsigned long long)r->ring_timeouts, (unsigned long long)r->no_answer_not_ready);
  if (o->ewt_report)
    print_ewt(sc, r, 1);
  print_routing_check(r);
  printf("\n%llu contacts simulated in %.2f s of wall time (%.0f contacts/s)\n",
         (unsigned long long)r->contacts, r->wall_s, speed);
  free(pred);
  return 0;
}

void sim_sweep_row(const scenario *sc, const sim_results *r, long long agents, int header)
{
  /* The queue of the first cases line (the one the sweep is about), else the centre. */
  int has_cases = r->n_cases > 0;
  size_t q = has_cases ? sc->cases[0].queue : 0;
  const sim_counts *c = has_cases ? &r->q_total[q] : &r->total;
  sim_kpi k = sim_kpi_of(c, has_cases ? &r->q_occ[q] : &r->occ);
  char b[10][32];
  if (header)
    printf("%6s %8s %6s %7s %6s %5s | %6s %6s %6s %7s %11s\n", "agents", "offered", "SL%",
           "ASA s", "aband%", "occ%", "cases", "met", "missed", "attain%", "95% CI");
  printf("%6lld %8llu %6s %7s %6s %5s", agents, (unsigned long long)c->offered,
         fmt(b[0], 32, "%.1f", 100 * k.service_level), fmt(b[1], 32, "%.1f", k.asa_s),
         fmt(b[2], 32, "%.1f", 100 * k.abandon_rate), fmt(b[3], 32, "%.1f", 100 * k.occupancy));
  if (has_cases) {
    const sim_case_results *cr = &r->cases[0];
    sim_attainment a = sim_attainment_of(cr, r->n_batches);
    printf(" | %6llu %6llu %6llu %7s %11s", (unsigned long long)cr->opened,
           (unsigned long long)cr->st.golden_met, (unsigned long long)cr->st.golden_missed,
           fmt(b[4], 32, "%.1f", 100 * a.value), ci_str(&a, b[5], 32));
  }
  putchar('\n');
}

int sim_report(const scenario *sc, const sim_results *res, const sim_report_opts *o)
{
  fill_model(sc, (sim_results *)res);
  if (o->intervals_path && write_intervals(sc, res, o->intervals_path))
    return -1;
  return o->flag_mode ? report_flags(sc, res, o) : report_scenario(sc, res, o);
}
