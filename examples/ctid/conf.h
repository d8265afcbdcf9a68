/*
 * ctid's configuration file: parsing (strict, with "file:line: message" errors), applying
 * it to a routing engine and a case engine, and the difference between two files for a
 * reload without dropping calls. The format and the reload rules are in docs/ctid.md,
 * "Configuration file".
 *
 * An internal library of the ctid example, not part of libccenter's ABI. Parsing reads no
 * file; ctid_config_load_file() and ctid_config_load_assets() do. Nothing reads a clock:
 * `now` is an argument. Not thread-safe.
 */
#ifndef CTID_CONF_H
#define CTID_CONF_H

#include <stddef.h>
#include <stdint.h>

#include <ccenter/ccenter.h>
#include <ccenter/store.h>

#include "auth.h"

/* An error: `line` is 1-based (0 when the error is about the whole file), `message` reads
   "source:line: what is wrong" (or "source: what is wrong"). */
typedef struct ctid_conf_error {
  int line;
  char message[512];
} ctid_conf_error;

typedef enum ctid_role {
  CTID_ROLE_SWITCH = 0,
  CTID_ROLE_AGENT = 1,
  CTID_ROLE_SUPERVISOR = 2,
  CTID_ROLE_WALLBOARD = 3,
  CTID_ROLE_COUNT_ = 4
} ctid_role;

const char *ctid_role_name(ctid_role role);

/* The queue options a [queue] section may set: CCENTER_QUEUE_MAX_LENGTH .. RESERVE_SL. */
#define CTID_QUEUE_OPTS 21
/* The engine options an [engine] section may set: CCENTER_ENGINE_MAX_NO_ANSWER .. SEED. */
#define CTID_ENGINE_OPTS 9

typedef struct ctid_step {
  char *requirement;
  int64_t duration_ms;
  int line;
} ctid_step;

typedef struct ctid_queue {
  char *name;
  int line;
  int64_t opt[CTID_QUEUE_OPTS]; /* indexed by ccenter_queue_option */
  int opt_line[CTID_QUEUE_OPTS];/* 0: not set (the library's default) */
  char *overflow;               /* NULL: none */
  int overflow_line;
  int64_t thresholds[CCENTER_MAX_THRESHOLDS];
  size_t n_thresholds;
  int thresholds_line;
  ctid_step steps[CCENTER_MAX_STEPS];
  size_t n_steps;
} ctid_queue;

typedef struct ctid_skill {
  char *name;
  int level;
  int line;
} ctid_skill;

typedef struct ctid_attr {
  char *key;
  char *value;
  int line;
} ctid_attr;

typedef struct ctid_serve {
  char *queue;
  int priority;
  int64_t delay_ms;
  int reserve;
  int line;
} ctid_serve;

typedef struct ctid_agent {
  char *id;
  int line;
  ctid_skill *skills;
  size_t n_skills;
  ctid_attr *attrs;
  size_t n_attrs;
  ctid_serve *serves;
  size_t n_serves;
  unsigned capacity[CCENTER_CHANNEL_COUNT_];
  int capacity_line[CCENTER_CHANNEL_COUNT_]; /* 0: not set (the library's default) */
  int64_t wrap_up_ms;                        /* -2: not set (the queues' wrap-up) */
  int wrap_up_line;
} ctid_agent;

typedef struct ctid_principal {
  char *id;
  int line;
  ctid_role role;
  char *agent;      /* the agent an agent principal acts as; NULL for other roles */
  char *secret;     /* the stored hash (auth.h) */
  char *case_roles; /* comma-separated roles in the case engine, or NULL */
  int case_roles_line;
} ctid_principal;

typedef struct ctid_listener {
  char *name;
  int line;
  char *host; /* TCP: host and port; NULL for a Unix-domain socket */
  int port;
  char *path; /* Unix-domain socket path, or NULL */
  char *tls_cert, *tls_key;
  int allow_plain_remote;
  int http; /* an HTTP listener (docs/wallboard.md), not a CTI one */
} ctid_listener;

typedef struct ctid_limits {
  uint32_t frame_max;           /* bytes of one frame */
  uint32_t commands_per_second; /* per session; 0: unlimited */
  int64_t idle_timeout_ms;      /* 0: none */
  uint64_t output_max[CTID_ROLE_COUNT_]; /* bytes queued per session, by role */
  ctid_lockout_policy lockout;
} ctid_limits;

/* A calendar or workflow file to load: `ref` as written (a shipped name or a path). */
typedef struct ctid_asset {
  char *ref;
  int line;
  char *path;           /* resolved by ctid_config_load_assets(), else NULL */
  uint8_t digest[32];   /* SHA-256 of the file's bytes, once loaded */
  void *obj;            /* ccenter_calendar * or ccenter_workflow *, once loaded */
} ctid_asset;

typedef struct ctid_config {
  char *source;   /* the name used in messages */
  char *base_dir; /* relative paths in the file are taken from here; NULL: the cwd */

  char *store_path;
  ccenter_durability durability;
  int64_t group_ms;
  uint32_t group_records;
  char *data_dir; /* where shipped calendar and workflow names are looked up, or NULL */
  char *www_dir;  /* the wallboard's static files, or NULL: the installed ones */

  int64_t engine_opt[CTID_ENGINE_OPTS + 1];
  int engine_opt_line[CTID_ENGINE_OPTS + 1];

  ctid_limits limits;

  ctid_queue *queues;
  size_t n_queues;
  ctid_agent *agents;
  size_t n_agents;
  ctid_principal *principals;
  size_t n_principals;
  ctid_listener *listeners;
  size_t n_listeners;
  ctid_asset *calendars;
  size_t n_calendars;
  ctid_asset *workflows;
  size_t n_workflows;
} ctid_config;

/* Parses a configuration text (len bytes; NUL bytes are errors). source names it in
   messages (NULL: "<config>"). No file is read: calendars and workflows are only named
   (ctid_config_load_assets()). 0, or -1 with *err filled (err may be NULL). */
int ctid_config_parse(const char *text, size_t len, const char *source, ctid_config **out,
                      ctid_conf_error *err);

/* Reads and parses a file, then loads its calendars and workflows (data_dir as in
   ctid_config_load_assets()). 0 or -1 with *err. */
int ctid_config_load_file(const char *path, const char *data_dir, ctid_config **out,
                          ctid_conf_error *err);

/* Reads and parses each calendar and workflow the configuration names: a name without
   '/' is a shipped one, data_dir/calendars/NAME.cal or data_dir/workflows/NAME.wf (the
   file's data_dir key wins over the argument; the argument NULL and no key: the
   installed data directory); anything else is a path, relative to the configuration
   file's directory. An error names the configuration line and the file's own line. */
int ctid_config_load_assets(ctid_config *cfg, const char *data_dir, ctid_conf_error *err);

void ctid_config_free(ctid_config *cfg);

const ctid_principal *ctid_config_principal(const ctid_config *cfg, const char *id);
const ctid_agent *ctid_config_agent(const ctid_config *cfg, const char *id);
const ctid_queue *ctid_config_queue(const ctid_config *cfg, const char *name);

/* Applies a configuration to an engine and (when cases is not NULL) a case engine: engine
   options, queues with their options, thresholds, overflow targets and steps; agents with
   their skills, attributes, capacities, wrap-up and queues; calendars and workflows
   (loaded first) and the case roles of principals. A queue or agent that exists already
   (an engine recovered from the store) is updated rather than added, so applying the
   configuration a recovered engine was started with changes nothing. 0, or the library's
   error code (< 0) with *err naming the configuration line. Not atomic: a failure leaves
   what was applied before it. */
int ctid_config_apply(ccenter_engine *engine, ccenter_cases *cases, const ctid_config *cfg,
                      int64_t now, ctid_conf_error *err);

/* ---------------------------------------------------------------------------------- */
/* Reload                                                                              */

typedef enum ctid_change_kind {
  CTID_CHANGE_ADDED = 0,
  CTID_CHANGE_CHANGED = 1,
  CTID_CHANGE_REMOVED = 2
} ctid_change_kind;

typedef enum ctid_object {
  CTID_OBJ_SERVER = 0,   /* the [server] section (store, durability, data_dir) */
  CTID_OBJ_ENGINE = 1,   /* the [engine] section */
  CTID_OBJ_LIMITS = 2,
  CTID_OBJ_LISTENER = 3,
  CTID_OBJ_QUEUE = 4,
  CTID_OBJ_AGENT = 5,
  CTID_OBJ_PRINCIPAL = 6,
  CTID_OBJ_CALENDAR = 7,
  CTID_OBJ_WORKFLOW = 8
} ctid_object;

/* What happens to a change on reload. */
typedef enum ctid_outcome {
  CTID_APPLIED = 0,  /* the engines have it now */
  CTID_DEFERRED = 1, /* a removal waiting for its object to be idle (ctid_reload_retry) */
  CTID_SERVER = 2,   /* nothing in the engines: the server acts on it (listeners, limits,
                        principals, durability) */
  CTID_RESTART = 3   /* takes effect only at the next start (store path; a calendar or
                        workflow changed or removed: the case engine keeps its copy) */
} ctid_outcome;

typedef struct ctid_change {
  ctid_change_kind kind;
  ctid_object object;
  const char *name; /* the object's name ("" for a section without one); owned by a
                       configuration, valid while both are */
  int line;         /* in the new configuration (the old one's for a removal) */
  ctid_outcome outcome;
} ctid_change;

typedef struct ctid_diff {
  ctid_change *changes;
  size_t n;
} ctid_diff;

const char *ctid_object_name(ctid_object object);
const char *ctid_change_kind_name(ctid_change_kind kind);
const char *ctid_outcome_name(ctid_outcome outcome);

/* What changed from old to new, objects in file order (removals after). Each change's
   outcome says what ctid_config_reload() will do with it. 0 or -1 (no memory). */
int ctid_config_diff(const ctid_config *old_cfg, const ctid_config *new_cfg,
                     ctid_diff *out);
void ctid_diff_free(ctid_diff *d);

/* Applies the difference from old to new to running engines (new's calendars and
   workflows loaded). The rules (docs/ctid.md, "Reload"): added queues and agents are
   created; a changed queue or agent gets its new settings, and a setting no longer
   written returns to the library's default; contacts already waiting keep their steps
   and deadlines. A removed agent is logged out (pending until its contacts are done) and
   removed once LOGGED_OUT; a removed queue is removed once no contact waits or rings in
   it. Until then they are DEFERRED: ctid_reload_retry() tries again. `diff` (from
   ctid_config_diff()) gets each change's final outcome. 0, or an error code with *err. */
int ctid_config_reload(ccenter_engine *engine, ccenter_cases *cases,
                       const ctid_config *old_cfg, const ctid_config *new_cfg,
                       ctid_diff *diff, int64_t now, ctid_conf_error *err);

/* Tries the DEFERRED removals of diff again (the server calls it when an agent logs out
   or a queue empties, or on a timer); those done become APPLIED. Returns how many are
   still deferred, or an error code. old_cfg must still be alive: names point into it. */
int ctid_reload_retry(ccenter_engine *engine, ctid_diff *diff, int64_t now);

#endif
