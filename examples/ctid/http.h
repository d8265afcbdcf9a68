/*
 * ctid's HTTP side (docs/wallboard.md): the wallboard and supervisor pages' API, their
 * static files, server-sent events and /metrics, served by libh2o on ctid's own libuv
 * loop, plain or TLS on the [listen] sections with an `http` address. Supervisor actions
 * are protocol ClientFrames run through ctid's dispatcher in a session of the
 * authenticated principal. An internal part of the ctid example, not libccenter's ABI.
 */
#ifndef CTID_HTTP_H
#define CTID_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include <ccenter/ccenter.h>

#include "auth.h"
#include "ccenter.pb-c.h"
#include "conf.h"

typedef struct ctid_http ctid_http;

/* Receives a ServerFrame answered to a dispatched ClientFrame, decoded; it is the
   receiver's to free (ccenter__v1__server_frame__free_unpacked). */
typedef void (*ctid_http_answer_fn)(void *ud, Ccenter__V1__ServerFrame *f);

/* What the HTTP side needs of the server. Pointers must outlive the ctid_http. */
typedef struct ctid_http_host {
  void *ud;
  uv_loop_t *loop;
  const ccenter_engine *engine;
  const ccenter_cases *cases;
  ctid_guard *guard;
  const char *dummy_hash; /* hashed for an unknown principal, so the time tells nothing */
  /* The configuration in force (it changes on reload). */
  const ctid_config *(*config)(void *ud);
  /* Engine time, ms since the epoch. */
  int64_t (*now)(void *ud);
  /* Runs one ClientFrame (without its length prefix) in a fresh session of principal with
     role, as if it had connected and shaken hands; the answers to it go to answer before
     this returns. The dispatcher's result (< 0: the frame was bad). */
  int (*dispatch)(void *ud, const char *principal, ctid_role role, const uint8_t *frame,
                  size_t len, ctid_http_answer_fn answer, void *answer_ud);
  /* Authenticated CTI sessions by role. */
  void (*sessions)(void *ud, uint64_t by_role[CTID_ROLE_COUNT_]);
  /* One log line (prio as syslog's). */
  void (*log)(void *ud, int prio, const char *line);
} ctid_http_host;

/* Opens the configuration's http listeners (none: *out is NULL and 0 is returned). -1 on
   an error, logged. */
int ctid_http_start(const ctid_http_host *host, ctid_http **out);

/* An event went out to the CTI sessions: counters, event lag, and the live feed is due. */
void ctid_http_event(ctid_http *h, const Ccenter__V1__ServerFrame *f);

/* The configuration in force changed (a reload); call it before freeing the old one. */
void ctid_http_reconfigured(ctid_http *h);

/* The store's flush took this long. */
void ctid_http_flush_time(ctid_http *h, uint64_t ns);

/* Closes the listeners and every connection; the loop then runs out. */
void ctid_http_stop(ctid_http *h);

/* After the loop has run out. NULL is fine. */
void ctid_http_free(ctid_http *h);

#endif
