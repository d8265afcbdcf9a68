/*
 * ccenter-sim — command line.
 *
 *   ccenter-sim --agents N --calls-per-hour X --aht S [--patience S] [--hours H] ...
 *   ccenter-sim --scenario FILE [--seed K] [--json] [--intervals FILE] ...
 *   ccenter-sim --scenario FILE --sweep-agents GROUP=LO-HI   (one run per group size)
 *
 * The first form is one queue served by N agents with Poisson arrivals: with the default
 * exponential handle times and no wrap-up it is exactly M/M/N (M/M/N+M with --patience),
 * and the output sits next to Erlang C (Erlang A). See docs/simulator.md.
 */
#include "sim.h"

#include <ccenter/common.h>

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
  fputs(
    "usage: ccenter-sim --agents N --calls-per-hour X --aht S [options]\n"
    "       ccenter-sim --scenario FILE [--seed K] [--hours H] [--json] [options]\n"
    "       ccenter-sim --scenario FILE --sweep-agents GROUP=LO-HI [options]\n"
    "\n"
    "Simulates a contact centre on virtual time, driving the libccenter engine, and\n"
    "compares the result with Erlang C / Erlang A.\n"
    "\n"
    "One queue (durations in seconds; suffixes ms, s, m, h accepted):\n"
    "  --agents N            agents, all READY for the whole run\n"
    "  --calls-per-hour X    Poisson arrival rate\n"
    "  --aht S               mean handle (talk) time\n"
    "  --dist D              handle time: exp (default), lognormal, fixed, empirical:FILE\n"
    "                        (seconds, one per line; replaces --aht)\n"
    "  --aht-sd S            standard deviation for --dist lognormal\n"
    "  --patience S          mean patience (exponential); callers hang up after it\n"
    "  --wrap-up S           wrap-up after each contact (default 0)\n"
    "  --ring-delay S        agents answer this long after the offer (default 0)\n"
    "  --hours H             measured hours after the warm-up (default 100)\n"
    "  --warmup S            not counted at the start (default 20 x AHT)\n"
    "  --batches K           batch-means batches for standard errors (default 20)\n"
    "Both forms:\n"
    "  --scenario FILE       a scenario file (docs/simulator.md)\n"
    "  --seed K              random seed (default 1)\n"
    "  --threshold S         service-level threshold (default 20)\n"
    "  --short-abandon S     abandons shorter than this are left out of the SL (default 5)\n"
    "  --interval S          reporting interval (default 900)\n"
    "  --intervals FILE      per-interval figures: CSV, or JSON lines if FILE ends in\n"
    "                        .jsonl/.json; '-' for stdout\n"
    "  --json                the last line of stdout is one JSON object\n"
    "  --ewt-report          how good the engine's expected-wait estimates were\n"
    "  --check-routing       check the engine's routing invariant as the run goes (slower)\n"
    "  --sweep-agents G=LO-HI  (--scenario) run once for each size LO..HI of group G and\n"
    "                        print a row each: the cases queue's service level and its\n"
    "                        golden-window attainment (JSON lines with --json)\n"
    "  --sweep-target P      the sweep names the fewest agents with attainment >= P %\n"
    "                        (default 95)\n"
    "  --progress            progress and speed on stderr (default: when stderr is a tty)\n"
    "  --help, --version\n",
    f);
}

static int bad(const char *opt, const char *val, const char *want)
{
  fprintf(stderr, "ccenter-sim: %s %s: expected %s (see --help)\n", opt, val, want);
  return 2;
}

enum {
  O_AGENTS = 256, O_CPH, O_AHT, O_PATIENCE, O_HOURS, O_THRESHOLD, O_SEED, O_WARMUP, O_JSON,
  O_INTERVALS, O_INTERVAL, O_PROGRESS, O_SCENARIO, O_DIST, O_AHT_SD, O_WRAP, O_RING,
  O_BATCHES, O_SHORT, O_HELP, O_VERSION, O_EWT, O_CHECK, O_SWEEP, O_SWEEP_TARGET
};

/* The settings the command line overrides in a scenario (negative: not given). */
typedef struct overrides {
  double hours;
  int64_t warmup_ms, threshold_ms, short_ms, interval_ms;
  long long batches;
  int have_seed;
  unsigned long long seed;
} overrides;

/* Loads a scenario file with the command line's overrides. 2 on error (printed). */
static int load_scenario(scenario *sc, const char *path, const overrides *ov)
{
  if (scenario_load(sc, path, stderr))
    return 2;
  if (ov->hours > 0)
    sc->end_ms = sc->start_ms + llround(ov->hours * 3600000.0);
  if (ov->warmup_ms >= 0)
    sc->warmup_ms = ov->warmup_ms;
  if (ov->batches >= 0)
    sc->batches = (unsigned)ov->batches;
  return 0;
}

/* The overrides both modes share, defaults, and the size of the interval table. 2 on error
 * (printed). */
static int finish_scenario(scenario *sc, const overrides *ov, int flag_mode)
{
  if (ov->have_seed)
    sc->seed = ov->seed;
  if (ov->threshold_ms >= 0)
    sc->threshold_s = (double)ov->threshold_ms / SIM_MS_PER_S;
  if (ov->short_ms >= 0)
    sc->short_abandon_s = (double)ov->short_ms / SIM_MS_PER_S;
  if (ov->interval_ms > 0)
    sc->interval_ms = ov->interval_ms;
  if (scenario_finish(sc, stderr))
    return 2;
  /* The interval table must stay a sensible size (about 200 bytes per queue and interval):
   * long one-queue runs get wider intervals unless --interval was given. */
  int64_t period = sc->end_ms - sc->start_ms;
  if (ov->interval_ms <= 0 && flag_mode && period / sc->interval_ms > 100000) {
    int64_t minute = 60000;
    sc->interval_ms = ((period / 100000 + minute - 1) / minute) * minute;
  }
  if (period / sc->interval_ms * (int64_t)sc->n_queues > 1000000) {
    fprintf(stderr, "ccenter-sim: more than 1,000,000 queue-intervals: use a longer --interval\n");
    return 2;
  }
  return 0;
}

/* --sweep-agents G=LO-HI: the scenario once per size of group G, common random numbers
 * (same seed). Exit status as main's. */
static int sweep(const char *path, const overrides *ov, const char *group, long long lo,
                 long long hi, double target, const sim_report_opts *ro, const sim_run_opts *so)
{
  long long best = -1;
  sim_attainment best_a = {NAN, NAN, NAN, ""};
  int any_cases = 0;
  for (long long n = lo; n <= hi; n++) {
    scenario sc;
    scenario_init(&sc);
    sc.count_group = group;
    sc.count_value = n;
    int rc = load_scenario(&sc, path, ov);
    if (!rc)
      rc = finish_scenario(&sc, ov, 0);
    if (rc) {
      scenario_free(&sc);
      return rc;
    }
    sim_results res;
    rc = sim_run(&sc, so, &res) ? 1 : 0;
    if (!rc && ro->json) {
      sim_report_opts one = *ro;
      one.sweep_group = group;
      one.sweep_agents = n;
      rc = sim_report(&sc, &res, &one) ? 1 : 0;
    } else if (!rc) {
      if (n == lo)
        printf("ccenter-sim: %s, seed %llu, group %s from %lld to %lld agents\n\n", sc.path,
               (unsigned long long)sc.seed, group, lo, hi);
      sim_sweep_row(&sc, &res, n, n == lo);
    }
    /* As for one run: a routing check that found something fails the sweep. */
    if (!rc && (res.idle_while_waiting || res.offers_unqualified))
      rc = 1;
    if (!rc && res.n_cases) {
      any_cases = 1;
      sim_attainment a = sim_attainment_of(&res.cases[0], res.n_batches);
      if (best < 0 && a.value >= target / 100.0) {
        best = n;
        best_a = a;
      }
    }
    sim_results_free(&res);
    scenario_free(&sc);
    if (rc)
      return rc;
  }
  if (!ro->json && any_cases) {
    if (best >= 0)
      printf("\nfewest agents with golden-window attainment >= %g %%: %lld (%.1f %%, 95 %% CI "
             "%.1f-%.1f)\n",
             target, best, 100 * best_a.value, 100 * best_a.low, 100 * best_a.high);
    else
      printf("\nno size from %lld to %lld reaches golden-window attainment >= %g %%\n", lo, hi,
             target);
  }
  return 0;
}

int main(int argc, char **argv)
{
  static const struct option opts[] = {
    {"agents", required_argument, NULL, O_AGENTS},
    {"calls-per-hour", required_argument, NULL, O_CPH},
    {"aht", required_argument, NULL, O_AHT},
    {"patience", required_argument, NULL, O_PATIENCE},
    {"hours", required_argument, NULL, O_HOURS},
    {"threshold", required_argument, NULL, O_THRESHOLD},
    {"seed", required_argument, NULL, O_SEED},
    {"warmup", required_argument, NULL, O_WARMUP},
    {"json", no_argument, NULL, O_JSON},
    {"intervals", required_argument, NULL, O_INTERVALS},
    {"interval", required_argument, NULL, O_INTERVAL},
    {"progress", no_argument, NULL, O_PROGRESS},
    {"scenario", required_argument, NULL, O_SCENARIO},
    {"dist", required_argument, NULL, O_DIST},
    {"aht-sd", required_argument, NULL, O_AHT_SD},
    {"wrap-up", required_argument, NULL, O_WRAP},
    {"ring-delay", required_argument, NULL, O_RING},
    {"batches", required_argument, NULL, O_BATCHES},
    {"short-abandon", required_argument, NULL, O_SHORT},
    {"ewt-report", no_argument, NULL, O_EWT},
    {"check-routing", no_argument, NULL, O_CHECK},
    {"sweep-agents", required_argument, NULL, O_SWEEP},
    {"sweep-target", required_argument, NULL, O_SWEEP_TARGET},
    {"help", no_argument, NULL, O_HELP},
    {"version", no_argument, NULL, O_VERSION},
    {NULL, 0, NULL, 0},
  };
  long agents = -1;
  double cph = -1, hours = -1;
  int64_t aht_ms = -1, patience_ms = -1, threshold_ms = -1, warmup_ms = -1, interval_ms = -1;
  int64_t aht_sd_ms = -1, wrap_ms = -1, ring_ms = -1, short_ms = -1;
  long long batches = -1;
  int have_seed = 0, json = 0, progress = isatty(2), ewt_report = 0, check_routing = 0;
  unsigned long long seed = 1;
  const char *intervals = NULL, *scenario_path = NULL, *dist = NULL;
  int one_queue_flag = 0;
  char sweep_group[256] = "";
  long long sweep_lo = 0, sweep_hi = 0;
  double sweep_target = 95.0;

  int c;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    char *e;
    switch (c) {
    case O_AGENTS:
      agents = strtol(optarg, &e, 10);
      if (e == optarg || *e || agents < 1 || agents > 1000000)
        return bad("--agents", optarg, "a whole number from 1 to 1000000");
      one_queue_flag = 1;
      break;
    case O_CPH:
      cph = strtod(optarg, &e);
      if (e == optarg || *e || !(cph >= 0) || !isfinite(cph))
        return bad("--calls-per-hour", optarg, "a number >= 0");
      one_queue_flag = 1;
      break;
    case O_AHT:
      if (sim_parse_duration_ms(optarg, &aht_ms) || aht_ms <= 0)
        return bad("--aht", optarg, "a duration > 0 (seconds)");
      one_queue_flag = 1;
      break;
    case O_PATIENCE:
      if (sim_parse_duration_ms(optarg, &patience_ms) || patience_ms <= 0)
        return bad("--patience", optarg, "a duration > 0 (seconds)");
      one_queue_flag = 1;
      break;
    case O_HOURS:
      hours = strtod(optarg, &e);
      if (e == optarg || *e || !(hours > 0) || hours > 1e6)
        return bad("--hours", optarg, "a number of hours > 0");
      break;
    case O_THRESHOLD:
      if (sim_parse_duration_ms(optarg, &threshold_ms))
        return bad("--threshold", optarg, "a duration >= 0 (seconds)");
      break;
    case O_SEED:
      seed = strtoull(optarg, &e, 10);
      if (e == optarg || *e || optarg[0] == '-')
        return bad("--seed", optarg, "a whole number >= 0");
      have_seed = 1;
      break;
    case O_WARMUP:
      if (sim_parse_duration_ms(optarg, &warmup_ms))
        return bad("--warmup", optarg, "a duration >= 0 (seconds)");
      break;
    case O_JSON:
      json = 1;
      break;
    case O_INTERVALS:
      intervals = optarg;
      break;
    case O_INTERVAL:
      if (sim_parse_duration_ms(optarg, &interval_ms) || interval_ms < 1000)
        return bad("--interval", optarg, "a duration of at least 1 second");
      break;
    case O_PROGRESS:
      progress = 1;
      break;
    case O_SCENARIO:
      scenario_path = optarg;
      break;
    case O_DIST:
      dist = optarg;
      one_queue_flag = 1;
      break;
    case O_AHT_SD:
      if (sim_parse_duration_ms(optarg, &aht_sd_ms))
        return bad("--aht-sd", optarg, "a duration >= 0 (seconds)");
      one_queue_flag = 1;
      break;
    case O_WRAP:
      if (sim_parse_duration_ms(optarg, &wrap_ms))
        return bad("--wrap-up", optarg, "a duration >= 0 (seconds)");
      one_queue_flag = 1;
      break;
    case O_RING:
      if (sim_parse_duration_ms(optarg, &ring_ms))
        return bad("--ring-delay", optarg, "a duration >= 0 (seconds)");
      one_queue_flag = 1;
      break;
    case O_BATCHES:
      batches = strtoll(optarg, &e, 10);
      if (e == optarg || *e || batches < 0 || batches > 10000 || batches == 1)
        return bad("--batches", optarg, "0 or a whole number from 2 to 10000");
      break;
    case O_SHORT:
      if (sim_parse_duration_ms(optarg, &short_ms))
        return bad("--short-abandon", optarg, "a duration >= 0 (seconds)");
      break;
    case O_EWT:
      ewt_report = 1;
      break;
    case O_CHECK:
      check_routing = 1;
      break;
    case O_SWEEP: {
      const char *eq = strrchr(optarg, '=');
      int used = 0;
      if (!eq || eq == optarg || (size_t)(eq - optarg) >= sizeof sweep_group ||
          sscanf(eq + 1, "%lld-%lld%n", &sweep_lo, &sweep_hi, &used) != 2 || eq[1 + used] ||
          sweep_lo < 1 || sweep_hi < sweep_lo || sweep_hi > 100000)
        return bad("--sweep-agents", optarg, "GROUP=LO-HI with 1 <= LO <= HI <= 100000");
      memcpy(sweep_group, optarg, (size_t)(eq - optarg));
      sweep_group[eq - optarg] = '\0';
      break;
    }
    case O_SWEEP_TARGET:
      sweep_target = strtod(optarg, &e);
      if (e == optarg || *e || !(sweep_target > 0) || sweep_target > 100)
        return bad("--sweep-target", optarg, "a percentage above 0 and at most 100");
      break;
    case O_HELP:
      usage(stdout);
      return 0;
    case O_VERSION:
      printf("ccenter-sim (libccenter %s)\n", ccenter_version_string());
      return 0;
    default:
      usage(stderr);
      return 2;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "ccenter-sim: unexpected argument \"%s\" (see --help)\n", argv[optind]);
    return 2;
  }

  scenario sc;
  scenario_init(&sc);
  sim_report_opts ro = {.json = json, .ewt_report = ewt_report, .intervals_path = intervals};
  overrides ov = {hours, warmup_ms, threshold_ms, short_ms, interval_ms, batches, have_seed,
                  seed};
  sim_run_opts so = {.progress = progress, .check_routing = check_routing,
                     .ewt = json || ewt_report, .label = "ccenter-sim"};

  if (sweep_group[0] && (!scenario_path || intervals || ewt_report)) {
    fprintf(stderr, "ccenter-sim: --sweep-agents goes with --scenario, without --intervals "
                    "and --ewt-report\n");
    return 2;
  }
  if (scenario_path) {
    if (one_queue_flag) {
      fprintf(stderr, "ccenter-sim: --agents, --calls-per-hour, --aht, --patience, --dist, "
                      "--aht-sd, --wrap-up and --ring-delay describe the one-queue model; "
                      "with --scenario put them in the file\n");
      return 2;
    }
    if (sweep_group[0])
      return sweep(scenario_path, &ov, sweep_group, sweep_lo, sweep_hi, sweep_target, &ro, &so);
    if (load_scenario(&sc, scenario_path, &ov)) {
      scenario_free(&sc);
      return 2;
    }
  } else {
    int empirical = dist && strncmp(dist, "empirical:", 10) == 0;
    if (agents < 0 || cph < 0 || (aht_ms < 0 && !empirical)) {
      fprintf(stderr, "ccenter-sim: give --agents, --calls-per-hour and --aht (or --dist "
                      "empirical:FILE), or --scenario FILE (see --help)\n");
      return 2;
    }
    ro.flag_mode = 1;
    ro.agents = (unsigned)agents;
    ro.calls_per_hour = cph;
    ro.hours = hours > 0 ? hours : 100.0;
    sc.path = sim_xstrdup("(flags)");
    if (empirical && aht_ms >= 0) {
      fprintf(stderr, "ccenter-sim: --dist empirical takes the mean handle time from the file: "
                      "drop --aht\n");
      scenario_free(&sc);
      return 2;
    }
    double aht = (double)aht_ms / SIM_MS_PER_S;
    /* The queue. */
    sc.queues = sim_xcalloc(1, sizeof *sc.queues);
    sc.n_queues = 1;
    sc_queue *q = &sc.queues[0];
    scenario_queue_init(q, "main");
    q->wrap_up_ms = wrap_ms;
    /* The arrivals: one Poisson stream that runs until the counted contacts are done. */
    sc.streams = sim_xcalloc(1, sizeof *sc.streams);
    sc.n_streams = 1;
    sc_stream *st = &sc.streams[0];
    st->seg = sim_xcalloc(1, sizeof *st->seg);
    st->n_seg = 1;
    st->seg[0] = (sc_segment){0, SIM_INF_TIME, cph / 3600.0};
    if (!dist || strcmp(dist, "exp") == 0) {
      st->handle.kind = SIM_DIST_EXP;
      st->handle.mean = aht;
    } else if (strcmp(dist, "fixed") == 0) {
      st->handle.kind = SIM_DIST_FIXED;
      st->handle.mean = aht;
    } else if (strcmp(dist, "lognormal") == 0) {
      if (aht_sd_ms < 0) {
        fprintf(stderr, "ccenter-sim: --dist lognormal needs --aht-sd S\n");
        scenario_free(&sc);
        return 2;
      }
      sim_dist_lognormal(&st->handle, aht, (double)aht_sd_ms / SIM_MS_PER_S);
    } else if (strncmp(dist, "empirical:", 10) == 0) {
      sc.files = sim_xcalloc(1, sizeof *sc.files);
      if (sim_load_values(&sc.files[0], dist + 10, stderr)) {
        free(sc.files[0].path);
        free(sc.files[0].values);
        free(sc.files);
        sc.files = NULL;
        scenario_free(&sc);
        return 2;
      }
      sc.n_files = 1;
      double sum = 0;
      for (size_t i = 0; i < sc.files[0].n; i++)
        sum += sc.files[0].values[i];
      st->handle.kind = SIM_DIST_EMPIRICAL;
      st->handle.values = sc.files[0].values;
      st->handle.n_values = sc.files[0].n;
      st->handle.mean = sum / (double)sc.files[0].n;
    } else {
      scenario_free(&sc);
      return bad("--dist", dist, "exp, lognormal, fixed or empirical:FILE");
    }
    if (aht_sd_ms >= 0 && st->handle.kind != SIM_DIST_LOGNORMAL) {
      fprintf(stderr, "ccenter-sim: --aht-sd goes with --dist lognormal\n");
      scenario_free(&sc);
      return 2;
    }
    if (patience_ms > 0) {
      st->patience.kind = SIM_DIST_EXP;
      st->patience.mean = (double)patience_ms / SIM_MS_PER_S;
    }
    /* The agents: READY for the whole run. */
    sc.agents = sim_xcalloc((size_t)agents, sizeof *sc.agents);
    sc.n_agents = (size_t)agents;
    for (long i = 0; i < agents; i++) {
      sc_agent *a = &sc.agents[i];
      char name[32];
      snprintf(name, sizeof name, "a%04ld", i + 1);
      a->name = sim_xstrdup(name);
      a->queues = sim_xcalloc(1, sizeof *a->queues);
      a->profile = sim_xcalloc(1, sizeof *a->profile);
      a->n_queues = 1;
      a->ring_delay_ms = -1;
      a->wrap_up_ms = -1;
    }
    double h = st->handle.mean + (wrap_ms > 0 ? (double)wrap_ms / SIM_MS_PER_S : 0);
    sc.warmup_ms = warmup_ms >= 0 ? warmup_ms : llround(20.0 * h * SIM_MS_PER_S);
    sc.end_ms = sc.warmup_ms + llround(ro.hours * 3600000.0);
    sc.drain_ms = 24 * 3600 * 1000;
    sc.continue_arrivals = 1;
    sc.ring_delay_ms = ring_ms >= 0 ? ring_ms : 0;
    sc.batches = batches >= 0 ? (unsigned)batches : 20;
    sc.interval_ms = 15 * 60 * 1000;
  }
  if (finish_scenario(&sc, &ov, ro.flag_mode)) {
    scenario_free(&sc);
    return 2;
  }

  sim_results res;
  int rc = sim_run(&sc, &so, &res);
  if (rc == 0)
    rc = sim_report(&sc, &res, &ro);
  /* A run whose routing check failed is a failed run (the report says what was found). */
  if (rc == 0 && (res.idle_while_waiting || res.offers_unqualified))
    rc = -1;
  sim_results_free(&res);
  scenario_free(&sc);
  return rc == 0 ? 0 : 1;
}
