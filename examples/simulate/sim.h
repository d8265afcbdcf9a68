/*
 * ccenter-sim — discrete-event simulation of a contact centre that drives the real
 * libccenter engine through its public API, on virtual time.
 *
 * Layout:
 *   rng.c       random numbers (xoshiro256**, seeded by splitmix64) and distributions
 *   heap.c      the simulator's own event heap (time, then insertion order)
 *   scenario.c  the scenario data model and the line-based scenario-file parser
 *   sim.c       the event loop: feeds arrivals, answers, hang-ups and shifts to the engine,
 *               merges them with the engine's own deadlines, and collects statistics
 *   cases.c     fraud cases: a case engine (<ccenter/workflow.h>) on the same clock, one case
 *               per contact of a `cases` queue, contained by the agent who answers
 *   report.c    KPI formulas, Erlang predictions, text tables, JSON, interval files
 *   main.c      command line
 *
 * Time is int64 milliseconds everywhere the engine sees it. Random durations are drawn as
 * doubles in seconds and rounded to the nearest millisecond once, at the point where they
 * become an absolute time, so rounding never accumulates.
 */
#ifndef CCENTER_SIM_H
#define CCENTER_SIM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <ccenter/workflow.h>

#define SIM_MS_PER_S 1000.0
#define SIM_INF_TIME (INT64_MAX / 4)

/* ---------------------------------------------------------------------------------- */
/* Random numbers and distributions (rng.c)                                            */

typedef struct sim_rng {
  uint64_t s[4];
} sim_rng;

/* Seeds an independent generator for (seed, stream): the same pair gives the same draws. */
void sim_rng_seed(sim_rng *r, uint64_t seed, uint64_t stream);
uint64_t sim_rng_next(sim_rng *r);
/* Uniform in the open interval (0, 1). */
double sim_rng_uniform(sim_rng *r);
/* Exponential with the given mean. */
double sim_rng_exp(sim_rng *r, double mean);
/* Standard normal. */
double sim_rng_normal(sim_rng *r);

typedef enum sim_dist_kind {
  SIM_DIST_NONE = 0,  /* "no value": patience none */
  SIM_DIST_EXP,
  SIM_DIST_LOGNORMAL,
  SIM_DIST_FIXED,
  SIM_DIST_EMPIRICAL
} sim_dist_kind;

typedef struct sim_dist {
  sim_dist_kind kind;
  double mean;           /* seconds; for empirical, the sample mean of the file */
  double sd;             /* lognormal only */
  double mu, sigma;      /* lognormal parameters of the underlying normal */
  const double *values;  /* empirical: the file's values, seconds (owned by the scenario) */
  size_t n_values;
} sim_dist;

/* Sets mu and sigma from mean and sd (lognormal). Returns 0, or -1 if mean/sd invalid. */
int sim_dist_lognormal(sim_dist *d, double mean, double sd);
/* One draw, seconds, >= 0. */
double sim_dist_draw(const sim_dist *d, sim_rng *r);
/* Short text such as "exp(180s)" into buf. */
const char *sim_dist_describe(const sim_dist *d, char *buf, size_t n);

/* ---------------------------------------------------------------------------------- */
/* Event heap (heap.c)                                                                 */

typedef enum sim_ev_kind {
  SEV_ARRIVAL = 1,  /* a = stream */
  SEV_ACCEPT,       /* a = agent, b = the agent's offer token */
  SEV_END,          /* a = contact slot, b = generation */
  SEV_ABANDON,      /* a = contact slot, b = generation */
  SEV_LOGIN,        /* a = agent: log in and become READY */
  SEV_LOGOUT,       /* a = agent */
  SEV_BREAK,        /* a = agent, b = break index */
  SEV_BACK,         /* a = agent: end of a break, READY again */
  SEV_CONTAIN,      /* a = agent, b = case number, c = cases line: the agent contains it */
  SEV_CASE_CLOSE    /* a = agent, b = case number, c = cases line: the agent closes it */
} sim_ev_kind;

typedef struct sim_ev {
  int64_t t;
  uint64_t seq;
  uint32_t kind, a, b, c;
} sim_ev;

typedef struct sim_heap {
  sim_ev *v;
  size_t n, cap;
  uint64_t seq;
  uint64_t *seq_from; /* NULL, or another heap's counter: the two share one order of ties */
} sim_heap;

void sim_heap_push(sim_heap *h, int64_t t, uint32_t kind, uint32_t a, uint32_t b, uint32_t c);
/* Pops the earliest event (ties: the one pushed first). Returns 0 when empty. */
int sim_heap_pop(sim_heap *h, sim_ev *out);
/* The earliest event, NULL when empty. */
static inline const sim_ev *sim_heap_top(const sim_heap *h)
{
  return h->n ? &h->v[0] : NULL;
}
int64_t sim_heap_top_time(const sim_heap *h); /* SIM_INF_TIME when empty */
void sim_heap_free(sim_heap *h);

/* ---------------------------------------------------------------------------------- */
/* Scenario (scenario.c)                                                               */

typedef struct sc_span {
  int64_t from, to; /* ms of simulated time */
  char *reason;     /* breaks: NOT_READY reason */
} sc_span;

/* A routing step: a requirement (docs/routing-expressions.md) and how long it applies. */
typedef struct sc_step {
  char *req;            /* requirement text as written ("" = any member) */
  int64_t duration_ms;  /* 1 ms .. 1 day */
  int req_index;        /* index into scenario.reqs (the distinct requirement texts) */
} sc_step;

/* A skill with its proficiency, or an attribute with its value. */
typedef struct sc_skill {
  char *name;
  int level;            /* 1..10 */
} sc_skill;

typedef struct sc_attr {
  char *key;
  char *value;
} sc_attr;

/* The routing-profile settings of one membership (ccenter_agent_serve_2). */
typedef struct sc_profile {
  int priority;         /* -1000..1000 */
  int64_t delay_ms;     /* 0 = none */
  int reserve;
} sc_profile;

typedef struct sc_queue {
  char *name;
  int line;
  int64_t wrap_up_ms;    /* -1: engine default (0) */
  int64_t max_wait_ms;   /* -1: none */
  int max_wait_action;   /* ccenter_max_wait_action */
  char *overflow;        /* overflow target queue name, or NULL */
  int64_t ring_timeout_ms; /* -1: engine default (15 s) */
  int64_t max_length;    /* -1: unlimited */
  double threshold_s;    /* < 0: the sim's threshold */
  int priority;          /* default priority of its arrivals */
  int has_priority;
  int strategy;          /* ccenter_strategy, -1: engine default (longest idle) */
  int64_t ring_every_ms; /* -1: engine default (ring-progressive) */
  sc_step *steps;        /* routing steps, in order (at most 8) */
  size_t n_steps;
  int64_t reserve_wait_ms;  /* -1: off */
  int64_t reserve_ewt_ms;   /* -1: off */
  int64_t reserve_sl_bp;    /* -1: off; basis points */
  int64_t sticky_ms;        /* -1: off */
  int64_t ageing_ms;        /* -1: off */
  int64_t preferred_timeout_ms; /* -1: engine default (20 s) */
} sc_queue;

typedef struct sc_agent {
  char *name;
  int line;
  size_t *queues;
  sc_profile *profile;   /* [n_queues]: routing-profile settings of each membership */
  size_t n_queues;
  sc_skill *skills;
  size_t n_skills;
  sc_attr *attrs;
  size_t n_attrs;
  sc_span *shifts;
  size_t n_shifts;
  sc_span *breaks;
  size_t n_breaks;
  int64_t ring_delay_ms; /* -1: the sim's */
  int64_t wrap_up_ms;    /* -1: the queue's */
} sc_agent;

typedef struct sc_segment {
  int64_t from, to;
  double rate_per_s;
} sc_segment;

typedef struct sc_stream {
  size_t queue;
  int line;
  sc_segment *seg;
  size_t n_seg;
  sim_dist handle;   /* talk time */
  sim_dist patience; /* kind NONE: never abandons */
  int priority;
  int emergency;     /* ccenter_contact_params.emergency */
  sc_step *steps;    /* the contacts' own routing steps (replace the queue's), or none */
  size_t n_steps;
  uint64_t customers; /* > 0: each contact gets a customer id drawn from 1..customers */
  char **preferred;  /* preferred agent ids */
  size_t n_preferred;
  int64_t preferred_timeout_ms; /* -1: the queue's */
} sc_stream;

typedef struct sc_file {
  char *path;
  double *values;
  size_t n;
} sc_file;

/* A `cases QUEUE ...` line: every contact that arrives on QUEUE in the measured period opens
 * a case (cases.c); the agent who answers it contains it some time later. */
typedef struct sc_cases {
  size_t queue;
  int line;
  char *name;              /* the built-in workflow's name (the queue's by default) */
  char *wf_path;           /* workflow=FILE as written, or NULL: the built-in workflow */
  ccenter_workflow *wf;    /* the loaded file (owned), or NULL */
  ccenter_calendar *cal;   /* calendar=FILE (owned), or NULL */
  int64_t golden_ms;       /* -1: 30 min for the built-in workflow, the file's own otherwise */
  sim_dist contain;        /* from the answer to the containment, seconds */
  double contain_share;    /* > 0: containment after this share of the handle time instead */
  char **transitions;      /* taken in order by the agent to contain (the last contains) */
  size_t n_transitions;
  sc_attr *fields;         /* set by the agent just before: FIELD:VALUE (number: integer) */
  size_t n_fields;
  char *close;             /* the transition the agent takes when the call ends, or NULL */
  char *role;              /* the agents' role */
  char **evidence;         /* evidence names the containment is given a reference for */
  size_t n_evidence;
} sc_cases;

typedef struct scenario {
  char *path;          /* scenario file, or NULL for the flag mode */
  sc_queue *queues;
  size_t n_queues;
  sc_agent *agents;
  size_t n_agents;
  size_t agents_cap;   /* allocated length of agents (scenario.c grows it by doubling) */
  /* The agents' names, hashed (scenario.c: open addressing, linear probing): each slot is
   * 0 (empty) or 1 + an index into agents; agent_index_cap is 0 or a power of two, at least
   * twice agent_index_n. The agents added by the scenario parser are all in it; agents
   * added otherwise (ccenter-sim's flag mode) are not, and lookups then scan the array. */
  size_t *agent_index;
  size_t agent_index_cap;
  size_t agent_index_n;
  sc_stream *streams;
  size_t n_streams;
  sc_file *files;
  size_t n_files;
  char **reqs;         /* the distinct requirement texts used by steps */
  size_t n_reqs;
  sc_cases *cases;     /* `cases` lines, at most one per queue */
  size_t n_cases;
  /* Set before scenario_load(): the group named count_group gets count_value agents
   * whatever its count= says (--sweep-agents). */
  const char *count_group;
  long long count_value;
  int count_group_seen;

  int64_t start_ms;     /* simulated time at which the run starts */
  int64_t end_ms;       /* end of the measured period; arrivals stop here */
  int64_t warmup_ms;    /* contacts arriving before start + warmup are not counted */
  int64_t drain_ms;     /* after end: time allowed for counted contacts to finish */
  int continue_arrivals;/* flag mode: arrivals go on (uncounted) until the counted finish */
  uint64_t seed;
  double threshold_s;
  double short_abandon_s;
  int64_t interval_ms;
  int64_t ring_delay_ms;
  unsigned batches;     /* batch-means batches over the measured period (0 = none) */
} scenario;

void scenario_init(scenario *sc);
/* A queue with every setting at its default ("not set"). */
void scenario_queue_init(sc_queue *q, const char *name);
void scenario_free(scenario *sc);
/* Parses a scenario file into sc (initialised). On error prints "file:line: ..." to err
 * and returns -1. */
int scenario_load(scenario *sc, const char *path, FILE *err);
/* Checks cross-references and fills defaults (end time, shifts). -1 on error (printed). */
int scenario_finish(scenario *sc, FILE *err);

/* "best-skill" for CCENTER_STRATEGY_BEST_SKILL, and so on. */
const char *sim_strategy_name(int strategy);

/* Parsers shared with the command line. Return 0 or -1. */
int sim_parse_duration_ms(const char *s, int64_t *ms);  /* "20", "20s", "15m", "2h", "500ms" */
int sim_parse_clock_ms(const char *s, int64_t *ms);     /* "08:30", "8:30:15" */
int sim_parse_rate(const char *s, double *per_s);       /* "120", "120/h", "2/m", "0.5/s" */
/* Loads a file of seconds, one per line ('#' comments, blank lines allowed). *f need not
 * be initialised; on failure (-1, the reason written to err) it is left empty: path and
 * values NULL, n 0, nothing for the caller to free. */
int sim_load_values(sc_file *f, const char *path, FILE *err);

/* ---------------------------------------------------------------------------------- */
/* Requirements, evaluated by the simulator itself (match.c), to check the engine's      */
/* routing: "no waiting contact while an agent who qualifies idles".                     */

typedef struct sim_req sim_req;
/* Compiles a requirement text that ccenter_req_parse() accepted. NULL if it cannot. */
sim_req *sim_req_compile(const char *text);
void sim_req_free(sim_req *r);
/* 1 if an agent with these skills and attributes meets the requirement. */
int sim_req_match(const sim_req *r, const sc_skill *skills, size_t n_skills,
                  const sc_attr *attrs, size_t n_attrs);

/* ---------------------------------------------------------------------------------- */
/* Statistics (sim.c fills, report.c reads)                                            */

typedef struct sim_counts {
  uint64_t offered;          /* arrived (including refused by the queue) */
  uint64_t refused;          /* enqueue refused: queue full / no agents */
  uint64_t answered;
  uint64_t answered_within;  /* wait <= threshold */
  uint64_t waited;           /* answered, and queued first: offered later than arrival */
  uint64_t abandoned;
  uint64_t short_abandoned;  /* abandoned with wait < short_abandon */
  uint64_t abandoned_within; /* abandoned with wait <= threshold (short ones included) */
  uint64_t timed_out;        /* left at max wait */
  uint64_t other_exit;       /* exit-empty, removed */
  uint64_t overflowed;       /* moved to another queue at max wait (still in play) */
  uint64_t handled;
  double wait_sum_s;         /* over answered */
  double wait_max_s;         /* over answered and abandoned */
  double talk_sum_s;         /* over handled */
} sim_counts;

typedef struct sim_occ {
  double busy_ms;  /* agent time with at least one contact (ringing, talking, wrap-up) */
  double avail_ms; /* busy + READY-and-idle agent time */
  double staffed_ms; /* logged-in agent time (any presence) */
} sim_occ;

/* The engine's expected wait (CONTACT_QUEUED ewt_ms, given when the contact joined its
 * first queue) against the wait the contact then had, over answered contacts that did
 * not overflow. err = EWT - actual wait (> 0: the engine said longer). The q_ fields are
 * the same over the contacts that queued (answered by an offer later than the arrival). */
typedef struct sim_ewt {
  uint64_t n;            /* answered with a known EWT */
  uint64_t unknown;      /* answered, EWT -1 */
  uint64_t within_30s;   /* |err| <= 30 s */
  uint64_t within_20pct; /* |err| <= 20 % of the actual wait */
  double err_sum_s, abs_sum_s, sq_sum_s;
  uint64_t q_n, q_within_30s, q_within_20pct;
  uint64_t q_zero;       /* queued, yet told EWT 0 */
  double q_err_sum_s, q_abs_sum_s;
} sim_ewt;

/* The Erlang model's view of one queue in one interval. */
typedef struct sim_model_cell {
  double arrivals;   /* expected arrivals in the interval */
  double load;       /* offered load, erlangs (time average over the interval) */
  double handle_s;   /* mean handle time (talk + wrap-up) of its arrivals */
  double patience_s; /* rate-weighted mean patience; INFINITY if some arrivals never abandon */
  double agents;     /* scheduled agents apportioned to the queue (time average) */
} sim_model_cell;

/* The cases of one `cases` line (cases.c fills, report.c reads). The case engine's own
 * statistics (ccenter_workflow_stats_get) next to what the simulator saw. */
typedef struct sim_case_results {
  const char *workflow;     /* its name (owned by the scenario or a static string) */
  int64_t golden_ms;        /* the window, -1 when the workflow file's own (unknown here) */
  ccenter_workflow_stats st;/* ccenter_workflow_stats_get() when the run stopped */
  uint64_t opened;          /* cases the simulator opened */
  uint64_t contained;       /* containment transitions that took effect */
  uint64_t contained_within;/* of those, within the window by the simulator's clock */
  uint64_t closed;          /* close transitions that took effect */
  uint64_t ev_met, ev_missed; /* CCENTER_CASE_GOLDEN_MET / _MISSED events */
  uint64_t *b_met, *b_missed; /* [batch], from the events, by the case's arrival */
  int windows_ended;        /* every window had ended when the report was made */
} sim_case_results;

typedef struct sim_results {
  size_t n_queues;
  size_t n_intervals;
  int64_t interval_origin_ms;
  int64_t interval_ms;
  sim_counts *q_total;     /* [queue], measured period */
  sim_occ *q_occ;          /* [queue], agents serving the queue, measured period */
  sim_counts *q_int;       /* [queue * n_intervals + i], whole run */
  sim_occ *q_int_occ;      /* [queue * n_intervals + i] */
  sim_model_cell *model;   /* [queue * n_intervals + i] */
  sim_counts total;        /* all queues, measured period */
  sim_occ occ;             /* all agents, measured period */
  unsigned n_batches;
  sim_counts *b_counts;    /* [batch] */
  sim_occ *b_occ;          /* [batch] */
  uint64_t in_progress;    /* counted contacts not finished when the run stopped */
  uint64_t contacts;       /* every contact simulated (counted or not) */
  uint64_t engine_calls;
  uint64_t engine_events;
  uint64_t ring_timeouts;
  uint64_t no_answer_not_ready;
  uint64_t wait_mismatches; /* engine wait_ms != our own clock (never overflowed): must be 0 */
  sim_ewt *q_ewt;          /* [queue], measured period */
  sim_ewt ewt;             /* all queues, measured period */
  sim_ewt *b_ewt;          /* [batch] */
  int routing_checked;     /* the run checked the routing invariant (--check-routing) */
  uint64_t idle_while_waiting; /* checks that found a waiting contact and an idle agent who
                                  qualifies for it: must be 0 */
  uint64_t offers_unqualified; /* offers to an agent who does not qualify: must be 0 */
  uint64_t routing_checks;     /* times the invariant was checked */
  int64_t last_time_ms;
  double wall_s;
  sim_case_results *cases; /* [scenario's cases lines] */
  size_t n_cases;
} sim_results;

typedef struct sim_run_opts {
  int progress;      /* progress line on stderr */
  int check_routing; /* check the routing invariant after every step (slower) */
  int ewt;           /* an output reports the EWT accuracy (JSON, --ewt-report) */
  const char *label; /* for the progress line */
} sim_run_opts;

/* Fraud cases (cases.c). Case-engine time is the simulator's ms plus SIM_CASES_EPOCH_MS
 * (Monday 2 March 2026 00:00 UTC), so that calendars see a plausible date. */
#define SIM_CASES_EPOCH_MS INT64_C(1772409600000)

typedef struct sim_cases sim_cases;
/* A case engine with the scenario's workflows, the agents as actors and an intake actor.
 * NULL after printing why. */
sim_cases *sim_cases_new(const scenario *sc, sim_results *res, int64_t now);
void sim_cases_free(sim_cases *cs);
/* Its next deadline in simulator ms, SIM_INF_TIME when none. */
int64_t sim_cases_next(const sim_cases *cs);
/* Each returns 0, or -1 after printing which call failed (the run fails). */
int sim_cases_advance(sim_cases *cs, int64_t now);
/* Opens a case for a contact arriving on line `line`'s queue; *case_no receives its
 * number (1, 2, ...), *contain_s the drawn time from answer to containment (seconds; a
 * share of handle_s for contain=N%). */
int sim_cases_open(sim_cases *cs, size_t line, int32_t batch, double handle_s, int64_t now,
                   uint32_t *case_no, double *contain_s);
int sim_cases_contain(sim_cases *cs, size_t line, uint32_t case_no, const char *agent,
                      int64_t now);
/* The close transition, if the line has one. */
int sim_cases_close(sim_cases *cs, size_t line, uint32_t case_no, const char *agent,
                    int64_t now);
/* At the end of the run: with `settled` (no contact left in progress, so nothing can still
 * contain a case) the case engine runs on until every golden window has ended; then the
 * statistics are read into the results. */
int sim_cases_finish(sim_cases *cs, int64_t now, int settled);

/* Prints that an engine call failed: "ccenter-sim: what(arg) at HH:MM (t=... ms) failed". */
void sim_call_failed(const char *what, const char *arg, int64_t now, int rc);

/* Runs the scenario on a fresh engine. Returns 0, or -1 after printing why to stderr. */
int sim_run(const scenario *sc, const sim_run_opts *o, sim_results *res);
void sim_results_free(sim_results *res);

/* ---------------------------------------------------------------------------------- */
/* Reports (report.c)                                                                  */

typedef struct sim_kpi {
  double service_level; /* answered_within / (answered + abandoned + timed_out - short) */
  double asa_s;         /* wait_sum / answered */
  double p_wait;        /* waited / answered */
  double abandon_rate;  /* abandoned / offered */
  double occupancy;     /* busy / avail */
  double aht_s;         /* talk_sum / handled (talk only; wrap-up is the queue's) */
} sim_kpi;

sim_kpi sim_kpi_of(const sim_counts *c, const sim_occ *o);

/* The Erlang prediction for stationary inputs, in the simulator's own conventions. */
typedef struct sim_prediction {
  int valid;            /* 0: Erlang C undefined (agents <= load) */
  char model;           /* 'C' or 'A' */
  double load;
  double p_wait;        /* among answered contacts */
  double service_level; /* short abandons excluded, as the simulator counts */
  double asa_s;
  double p_abandon;     /* Erlang A */
  double occupancy;
} sim_prediction;

/* agents may be fractional: linear interpolation between floor and ceil. */
sim_prediction sim_predict(double load, double agents, double handle_s, double patience_s,
                           double threshold_s, double short_abandon_s);

typedef struct sim_report_opts {
  int json;
  int ewt_report;             /* print the EWT accuracy table */
  const char *intervals_path; /* NULL: none; "-": stdout; *.jsonl / *.json: JSON lines */
  int flag_mode;
  unsigned agents;          /* flag mode */
  double calls_per_hour;    /* flag mode */
  double hours;             /* flag mode */
  const char *sweep_group;  /* --sweep-agents with --json: the group and its size */
  long long sweep_agents;
} sim_report_opts;

int sim_report(const scenario *sc, const sim_results *res, const sim_report_opts *o);

/* Golden-window attainment of one cases line: met / (met + missed) from the case engine's
 * statistics, with a 95 % confidence interval (batch means when the run has batches, else
 * Wilson's binomial interval). NAN when no window ended. */
typedef struct sim_attainment {
  double value, low, high;
  const char *method; /* "batch-means" or "wilson" */
} sim_attainment;
sim_attainment sim_attainment_of(const sim_case_results *c, unsigned n_batches);

/* --sweep-agents: one row of the sweep table per run (header first when `header`). */
void sim_sweep_row(const scenario *sc, const sim_results *res, long long agents, int header);

/* Small helpers. */
void *sim_xmalloc(size_t n);
void *sim_xcalloc(size_t n, size_t size);
void *sim_xrealloc(void *p, size_t n);
char *sim_xstrdup(const char *s);
/* Formats ms of simulated time as "HH:MM" (hours may exceed 23) into buf. */
const char *sim_clock_str(int64_t ms, char *buf, size_t n);

#endif /* CCENTER_SIM_H */
