/*
 * libccenter — the wire protocol: proto/ccenter.proto (package ccenter.v1) over a byte
 * stream, its framing, and a dispatcher that applies client frames to the engines.
 *
 * An adapter, like the store: the engines know nothing of it. It is built with protobuf-c
 * (meson feature `proto`); without it the framing still works and every dispatcher
 * function returns CCENTER_ENOTSUP (or does nothing), so the exported symbols do not
 * depend on the build. No protobuf-c type
 * appears here: frames are bytes.
 *
 * Framing: each frame is a serialised ClientFrame or ServerFrame preceded by its length
 * as a base-128 varint, exactly as Google's writeDelimitedTo / parseDelimitedFrom, so any
 * protobuf runtime can speak it. A reader (ccenter_proto_reader) takes the bytes of a
 * stream as they come and hands out whole frames.
 *
 * The dispatcher (ccenter_proto_dispatcher) is bound to a routing engine, a case engine
 * or both, which stay the caller's. It takes one client frame with `now`, checks it
 * strictly (strings UTF-8, ids within the engines' limits, enum values in range,
 * required fields present), asks the caller's authorisation hook, applies it through the
 * public C API, and writes the response frame and then one frame per event the call
 * raised (each with the next sequence number) through the output callback. A frame that
 * fails a check gets an error response and changes nothing; bytes that do not decode as a
 * ClientFrame get a Goodbye and the "close the session" verdict. docs/protocol.md has the
 * messages, the rules and an example.
 *
 * Errors are the library's negative codes (ccenter/common.h). Not thread-safe: a reader,
 * a dispatcher and its sessions are used from one thread at a time, the engines' thread.
 */
#ifndef CCENTER_PROTO_H
#define CCENTER_PROTO_H

#include "ccenter/common.h"
#include "ccenter/engine.h"
#include "ccenter/workflow.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The protocol version this library speaks (Hello.protocol_version). */
#define CCENTER_PROTO_VERSION 1
/** Longest varint length prefix, in bytes. */
#define CCENTER_PROTO_PREFIX_MAX 10
/** The frame size limit when none is given: 64 KiB. */
#define CCENTER_PROTO_DEFAULT_MAX_FRAME 65536
/** The largest frame size limit accepted: 16 MiB. */
#define CCENTER_PROTO_MAX_FRAME_LIMIT 16777216
/** Events kept for resume when none is given. */
#define CCENTER_PROTO_DEFAULT_HISTORY 4096

/** A session's role (enum Role of the schema). */
typedef enum ccenter_proto_role {
  CCENTER_PROTO_ROLE_UNSPECIFIED = 0, /**< before the handshake */
  CCENTER_PROTO_ROLE_SWITCH = 1,
  CCENTER_PROTO_ROLE_AGENT = 2,
  CCENTER_PROTO_ROLE_SUPERVISOR = 3,
  CCENTER_PROTO_ROLE_WALLBOARD = 4
} ccenter_proto_role;

/**
 * What a client frame asks for: the handshake, a resume, a snapshot, or one command. A
 * command's kind is its field number in the schema's Command oneof (never renumbered).
 */
typedef enum ccenter_proto_kind {
  CCENTER_PROTO_HELLO = 2,
  CCENTER_PROTO_RESUME = 4,
  CCENTER_PROTO_SNAPSHOT = 5,
  CCENTER_PROTO_ENGINE_SET = 10,
  CCENTER_PROTO_ADVANCE = 11,
  CCENTER_PROTO_QUEUE_ADD = 12,
  CCENTER_PROTO_QUEUE_REMOVE = 13,
  CCENTER_PROTO_QUEUE_SET = 14,
  CCENTER_PROTO_QUEUE_SET_OVERFLOW = 15,
  CCENTER_PROTO_QUEUE_SET_THRESHOLDS = 16,
  CCENTER_PROTO_QUEUE_ADD_STEP = 17,
  CCENTER_PROTO_QUEUE_CLEAR_STEPS = 18,
  CCENTER_PROTO_AGENT_ADD = 20,
  CCENTER_PROTO_AGENT_REMOVE = 21,
  CCENTER_PROTO_AGENT_LOGIN = 22,
  CCENTER_PROTO_AGENT_LOGOUT = 23,
  CCENTER_PROTO_AGENT_READY = 24,
  CCENTER_PROTO_AGENT_NOT_READY = 25,
  CCENTER_PROTO_AGENT_SERVE = 26,
  CCENTER_PROTO_AGENT_UNSERVE = 27,
  CCENTER_PROTO_AGENT_SET_SKILL = 28,
  CCENTER_PROTO_AGENT_SET_ATTR = 29,
  CCENTER_PROTO_AGENT_SET_CAPACITY = 30,
  CCENTER_PROTO_AGENT_SET_OVERLAP = 31,
  CCENTER_PROTO_AGENT_SET_WRAP_UP = 32,
  CCENTER_PROTO_OFFER_ACCEPT = 40,
  CCENTER_PROTO_OFFER_REJECT = 41,
  CCENTER_PROTO_OFFER_MISSED = 42,
  CCENTER_PROTO_WRAP_UP_END = 43,
  CCENTER_PROTO_WRAP_UP_EXTEND = 44,
  CCENTER_PROTO_CONTACT_ENQUEUE = 50,
  CCENTER_PROTO_CONTACT_ABANDON = 51,
  CCENTER_PROTO_CONTACT_REMOVE = 52,
  CCENTER_PROTO_CONTACT_END = 53,
  CCENTER_PROTO_CONTACT_HOLD = 54,
  CCENTER_PROTO_CONTACT_RESUME = 55,
  CCENTER_PROTO_CONTACT_DISPOSITION = 56,
  CCENTER_PROTO_CONTACT_SURVEY = 57,
  CCENTER_PROTO_TRANSFER_QUEUE = 58,
  CCENTER_PROTO_TRANSFER_AGENT = 59,
  CCENTER_PROTO_CONTACT_REQUEUE = 60,
  CCENTER_PROTO_CONSULT_START = 61,
  CCENTER_PROTO_CONSULT_COMPLETE = 62,
  CCENTER_PROTO_CONSULT_CANCEL = 63,
  CCENTER_PROTO_CONTACT_CALLBACK = 64,
  CCENTER_PROTO_CASE_OPEN = 80,
  CCENTER_PROTO_CASE_SET_FIELD = 81,
  CCENTER_PROTO_CASE_LINK_CONTACT = 82,
  CCENTER_PROTO_CASE_TRANSITION = 83,
  CCENTER_PROTO_CASE_APPROVE = 84,
  CCENTER_PROTO_CASE_REJECT = 85,
  CCENTER_PROTO_CASE_FORGET = 86,
  CCENTER_PROTO_CASE_SET_ACTOR = 87,
  CCENTER_PROTO_CASE_ADVANCE = 88,
  CCENTER_PROTO_QUEUE_INFO = 100,
  CCENTER_PROTO_AGENT_INFO = 101,
  CCENTER_PROTO_CONTACT_INFO = 102,
  CCENTER_PROTO_CASE_INFO = 103
} ccenter_proto_kind;

/**
 * The kind's name as the schema spells its field, e.g. "offer_accept", "hello"; "unknown"
 * for a value not in the enum. Static. Never fails. Since 0.2.
 */
CCENTER_EXPORT const char *ccenter_proto_kind_name(ccenter_proto_kind kind);

/* ---------------------------------------------------------------------------------- */
/* Framing                                                                              */

/**
 * Writes the varint length prefix of a frame of `len` bytes into out (at least
 * CCENTER_PROTO_PREFIX_MAX bytes) and returns how many bytes it took (1..10); 0 when out
 * is NULL. Since 0.2.
 */
CCENTER_EXPORT size_t ccenter_proto_prefix(uint64_t len, uint8_t *out);

/** A frame reader: bytes in, whole frames out. */
typedef struct ccenter_proto_reader ccenter_proto_reader;

/**
 * Creates a reader that accepts frames of at most max_frame bytes (without the prefix; 0:
 * CCENTER_PROTO_DEFAULT_MAX_FRAME). Errors: CCENTER_EINVAL (out NULL), CCENTER_ERANGE
 * (max_frame over CCENTER_PROTO_MAX_FRAME_LIMIT), CCENTER_ENOMEM. Since 0.2.
 */
CCENTER_EXPORT int ccenter_proto_reader_new(size_t max_frame, ccenter_proto_reader **out);

/** Frees a reader. NULL does nothing. Since 0.2. */
CCENTER_EXPORT void ccenter_proto_reader_free(ccenter_proto_reader *r);

/**
 * Takes the next `len` bytes of the stream. A length prefix is checked as soon as it is
 * complete, before any byte of its frame is kept: a length over the limit fails with
 * CCENTER_EFULL, a prefix longer than 10 bytes or over 64 bits with CCENTER_ECORRUPT.
 * Either error is final (the stream cannot be resynchronised: close it); the frames that
 * were complete before the bad prefix can still be taken with ccenter_proto_reader_next().
 * Errors: those two, CCENTER_EINVAL (r NULL, or data NULL with len > 0), CCENTER_ENOMEM
 * (also final). Since 0.2.
 */
CCENTER_EXPORT int ccenter_proto_reader_push(ccenter_proto_reader *r, const void *data,
                                             size_t len);

/**
 * Takes the next whole frame: returns 1 and sets *frame and *len (the frame without its
 * prefix; *frame stays valid until the next push or next call on the reader), or 0 when
 * no whole frame is buffered. Errors: CCENTER_EINVAL (a NULL argument). Since 0.2.
 */
CCENTER_EXPORT int ccenter_proto_reader_next(ccenter_proto_reader *r, const uint8_t **frame,
                                             size_t *len);

/** Bytes buffered and not yet taken as frames (prefixes included). 0 for NULL. Since 0.2. */
CCENTER_EXPORT size_t ccenter_proto_reader_buffered(const ccenter_proto_reader *r);

/* ---------------------------------------------------------------------------------- */
/* The dispatcher                                                                       */

typedef struct ccenter_proto_dispatcher ccenter_proto_dispatcher;
/** One client's session: its role and principal once the handshake succeeded. */
typedef struct ccenter_proto_session ccenter_proto_session;

/**
 * What the authorisation hook is asked about. Strings are NULL when the frame does not
 * name them; all are valid during the call only.
 */
typedef struct ccenter_proto_request {
  size_t size;                 /**< sizeof(ccenter_proto_request) of the library */
  ccenter_proto_kind kind;
  ccenter_proto_role role;     /**< the session's role (HELLO: the role asked for) */
  const char *principal;       /**< the session's principal (HELLO: the one claimed) */
  const uint8_t *credential;   /**< HELLO only: the credential's bytes, else NULL */
  size_t credential_len;
  const char *agent;           /**< the agent the command names */
  const char *contact;         /**< the contact it names */
  const char *queue;           /**< the queue it names (a transfer's target too) */
  const char *case_id;         /**< the case it names */
  const char *actor;           /**< a case command's actor */
  void *session_data;          /**< the session's user data */
} ccenter_proto_request;

/**
 * The authorisation hook: returns 0 to allow the request, anything else to refuse it
 * (the response then carries CCENTER_EPERM and nothing changes). Called before every
 * handshake and command, resume and snapshot, after the frame passed the checks. It must
 * not call the dispatcher or change the engines.
 */
typedef int (*ccenter_proto_authorize_fn)(void *ud, const ccenter_proto_request *req);

/**
 * Where frames go: `data` is `len` bytes of whole frames, prefixes included, valid during
 * the call. `session` is the session they are for, or NULL for an event frame, which is
 * for every session that follows events (the caller decides which). `session_data` is
 * that session's user data (NULL with it).
 */
typedef void (*ccenter_proto_output_fn)(void *ud, ccenter_proto_session *session,
                                        void *session_data, const uint8_t *data, size_t len);

/** The dispatcher's configuration. Initialise with ccenter_proto_config_init(). */
typedef struct ccenter_proto_config {
  size_t size;
  ccenter_engine *engine;   /**< may be NULL; its events must be queued
                                 (ccenter_options_set_event_queue), not pushed */
  ccenter_cases *cases;     /**< may be NULL; without an event callback (events pulled) */
  size_t max_frame;         /**< client frame size limit; 0: the default */
  size_t history;           /**< event frames kept for resume; default
                                 CCENTER_PROTO_DEFAULT_HISTORY; 0 keeps none */
  ccenter_proto_output_fn output;       /**< required */
  ccenter_proto_authorize_fn authorize; /**< NULL: every well-formed request is allowed */
  void *ud;                 /**< passed to output and authorize */
  uint64_t first_seq;       /**< the stream goes on after this number: the first event is
                                 first_seq + 1 (default 0). A server that restarts passes a
                                 number above every one it sent before, so that no number is
                                 reused and a client resuming from an old one gets a
                                 snapshot. */
} ccenter_proto_config;

/** Fills *cfg with size and the defaults. NULL does nothing. Since 0.2. */
CCENTER_EXPORT void ccenter_proto_config_init(ccenter_proto_config *cfg);

/**
 * Creates a dispatcher. The engines are borrowed: they must outlive it. Errors:
 * CCENTER_EINVAL (NULL cfg or out, no output callback, neither engine, cfg->size too
 * small), CCENTER_ERANGE (max_frame over CCENTER_PROTO_MAX_FRAME_LIMIT, history over
 * 1,048,576), CCENTER_ENOMEM, CCENTER_ENOTSUP (built without protobuf-c). Since 0.2.
 */
CCENTER_EXPORT int ccenter_proto_dispatcher_new(const ccenter_proto_config *cfg,
                                                ccenter_proto_dispatcher **out);

/** Frees a dispatcher (its sessions must be freed first). NULL does nothing. Since 0.2. */
CCENTER_EXPORT void ccenter_proto_dispatcher_free(ccenter_proto_dispatcher *d);

/**
 * Starts a session (before its handshake: every request but a Hello or a Ping is refused
 * with CCENTER_EPERM). session_data is the caller's, passed to the callbacks. Errors:
 * CCENTER_EINVAL, CCENTER_ENOMEM, CCENTER_ENOTSUP. Since 0.2.
 */
CCENTER_EXPORT int ccenter_proto_session_new(ccenter_proto_dispatcher *d, void *session_data,
                                             ccenter_proto_session **out);

/** Ends a session. NULL does nothing. Since 0.2. */
CCENTER_EXPORT void ccenter_proto_session_free(ccenter_proto_session *s);

/** The session's role (UNSPECIFIED before the handshake). Since 0.2. */
CCENTER_EXPORT ccenter_proto_role ccenter_proto_session_role(const ccenter_proto_session *s);

/** The session's principal, or NULL before the handshake. Since 0.2. */
CCENTER_EXPORT const char *ccenter_proto_session_principal(const ccenter_proto_session *s);

/**
 * Handles one client frame (without its prefix) from session s at time now. Returns 0
 * when the frame was decoded: its answer (a Welcome, a Response with 0 or an error code,
 * a Snapshot, a Pong) went to the session, and the events the call raised went out as
 * event frames. A refused or failed request is still 0: its Response says why. Returns
 * CCENTER_ECORRUPT when the bytes are not a ClientFrame, CCENTER_EFULL when len is over
 * the frame size limit: a Goodbye went to the session, nothing changed, and the caller
 * should close it. Other errors: CCENTER_EINVAL (NULL argument, data NULL with len > 0),
 * CCENTER_ENOMEM, CCENTER_ENOTSUP. Since 0.2.
 */
CCENTER_EXPORT int ccenter_proto_dispatch(ccenter_proto_dispatcher *d, ccenter_proto_session *s,
                                          const void *data, size_t len, int64_t now);

/**
 * Fires the engines' timers due by now and sends their events (the caller's timer, at
 * the engines' next deadline). Errors: as ccenter_engine_advance() and
 * ccenter_cases_advance(); the events of what did fire are sent. Since 0.2.
 */
CCENTER_EXPORT int ccenter_proto_dispatcher_advance(ccenter_proto_dispatcher *d, int64_t now);

/**
 * Sends the events the engines queued outside the dispatcher (the caller's own calls).
 * Errors: CCENTER_EINVAL, CCENTER_ENOMEM (events not yet sent stay queued). Since 0.2.
 */
CCENTER_EXPORT int ccenter_proto_dispatcher_flush(ccenter_proto_dispatcher *d);

/**
 * Seeds the resume window with an event frame an earlier run of the server sent, before
 * this dispatcher has a session or sends an event: the caller kept the frames it was
 * given with no session (the output callback's event frames, prefix included, each with
 * ccenter_proto_dispatcher_last_seq() at that moment as its number) and preloads the
 * newest of them in order at start, with first_seq above every number the earlier run
 * could have used. A client resuming after any of them, or just before the oldest, then
 * gets the rest of them and the new events; one resuming after a number between the last
 * preloaded frame and first_seq + 1 gets "too old" and a snapshot. By preloading, the
 * caller vouches that the earlier run sent no event after the last frame preloaded (keep
 * each frame before it leaves the process): a client that saw a later one and resumes
 * from an earlier number would otherwise not learn that it missed it.
 *
 * Errors, each changing nothing: CCENTER_EINVAL (d or frame NULL, len or seq 0),
 * CCENTER_ESTATE (a session was started or an event sent), CCENTER_ERANGE (seq not above
 * the previous preloaded frame's, or above first_seq), CCENTER_EFULL (the window holds
 * `history` frames already; history 0 keeps none), CCENTER_ECORRUPT (the bytes are not
 * one prefixed ServerFrame carrying an Event or a CaseEvent numbered seq), CCENTER_ENOMEM,
 * CCENTER_ENOTSUP (built without protobuf-c). Since 0.2.
 */
CCENTER_EXPORT int ccenter_proto_dispatcher_preload(ccenter_proto_dispatcher *d, uint64_t seq,
                                                    const void *frame, size_t len);

/** The sequence number of the last event sent (0 before the first). Since 0.2. */
CCENTER_EXPORT uint64_t ccenter_proto_dispatcher_last_seq(const ccenter_proto_dispatcher *d);

#ifdef __cplusplus
}
#endif
#endif /* CCENTER_PROTO_H */
