/*
 * Internal: the layout of a workflow definition, shared by the definition side (def.c:
 * builder, check, text form, dot) and the case engine (cases.c), and the audit chain
 * (audit.c) the case engine appends to.
 *
 * A definition is small (hundreds of names at most) and read on every case operation, so
 * it is kept as flat arrays indexed by small integers; names are looked up once per
 * public call.
 */
#ifndef CC_WORKFLOW_WF_INT_H
#define CC_WORKFLOW_WF_INT_H

#include <stddef.h>
#include <stdint.h>

#include "ccenter/workflow.h"
#include "core/options.h"

/* ---- definitions ---------------------------------------------------------------- */

typedef struct cc_wf_field {
  char *name;
  ccenter_field_type type;
} cc_wf_field;

typedef struct cc_wf_state {
  char *name;
  unsigned flags;  /* CCENTER_STATE_* */
  char *outcome;   /* FINAL states only */
} cc_wf_state;

typedef enum cc_wf_guard_op {
  CC_G_SET = 1,   /* `field`: a flag is 1, any other field is set */
  CC_G_UNSET = 2, /* `!field` */
  CC_G_EQ = 3,
  CC_G_NE = 4,
  CC_G_LT = 5,
  CC_G_LE = 6,
  CC_G_GT = 7,
  CC_G_GE = 8
} cc_wf_guard_op;

typedef struct cc_wf_guard {
  uint32_t field;      /* index into fields */
  cc_wf_guard_op op;
  int64_t num;         /* numeric operand (INT, FLAG, TIME, MONEY minor units) */
  char *word;          /* TEXT/ACCOUNT operand (EQ/NE), else NULL */
  char *expr;          /* the expression as given, normalised, for the text form */
} cc_wf_guard;

typedef struct cc_wf_action {
  char *name;
  int64_t within_ms;   /* 0: no deadline */
} cc_wf_action;

/* What a transition name carries, shared by all its edges. */
typedef struct cc_wf_tname {
  char *name;
  cc_wf_guard *guards;
  uint32_t n_guards;
  char **evidence;
  uint32_t n_evidence;
  cc_wf_action *actions;
  uint32_t n_actions;
  int dual;
  char *approver_role; /* dual only */
  int64_t expires_ms;  /* dual only; 0 = never */
  int has_limit;
  uint32_t limit_field; /* index into fields (ACCOUNT or TEXT) */
  uint32_t limit_max;
} cc_wf_tname;

/* One source state of a transition name. */
typedef struct cc_wf_edge {
  uint32_t tname;
  uint32_t from;
  uint32_t to;
  char *role;          /* NULL: the system actor only */
} cc_wf_edge;

typedef struct cc_wf_timer {
  char *name;
  int32_t start_state;  /* -1 when started from a field */
  int32_t start_field;  /* -1 when started from a state */
  ccenter_timer_clock clock;
  int64_t amount;
  ccenter_timer_expiry on_expiry;
  char *target;         /* transition name (TRANSITION), role (ESCALATE), NULL (ALERT) */
  int32_t target_tname; /* TRANSITION: index into tnames, else -1 */
  unsigned flags;       /* CCENTER_TIMER_* */
  int64_t warn[CCENTER_WF_MAX_WARNINGS]; /* ms before expiry, descending */
  uint32_t n_warn;
  uint32_t *pause;      /* state indices where the clock stops */
  uint32_t n_pause;
} cc_wf_timer;

struct ccenter_workflow {
  cc_alloc alloc;
  char *name;
  char *calendar;      /* NULL: UTC, Monday to Friday */
  int64_t golden_ms;   /* 0: none */
  cc_wf_field *fields;
  uint32_t n_fields, cap_fields;
  cc_wf_state *states;
  uint32_t n_states, cap_states;
  cc_wf_tname *tnames;
  uint32_t n_tnames, cap_tnames;
  cc_wf_edge *edges;   /* kept sorted by (from, tname) for the case engine */
  uint32_t n_edges, cap_edges;
  cc_wf_timer *timers;
  uint32_t n_timers, cap_timers;
};

/* Index of a name, or -1. */
int cc_wf_find_field(const ccenter_workflow *wf, const char *name);
int cc_wf_find_state(const ccenter_workflow *wf, const char *name);
int cc_wf_find_tname(const ccenter_workflow *wf, const char *name);
int cc_wf_find_timer(const ccenter_workflow *wf, const char *name);
/* The edge of transition name `tname` leaving state `from`, or NULL. */
const cc_wf_edge *cc_wf_find_edge(const ccenter_workflow *wf, uint32_t from, uint32_t tname);
/* The initial state's index (the workflow passed ccenter_workflow_check()). */
uint32_t cc_wf_initial(const ccenter_workflow *wf);
/* A deep copy using allocator a. 0 or CCENTER_ENOMEM. */
int cc_wf_clone(const ccenter_workflow *src, const cc_alloc *a, ccenter_workflow **out);
/* Bytes the definition holds (for ccenter_cases_memory). */
size_t cc_wf_memory(const ccenter_workflow *wf);
/* 1 when s is a valid name (1..CCENTER_WF_MAX_NAME bytes of [A-Za-z0-9_.:-]). */
int cc_wf_name_ok(const char *s);

/* ---- SHA-256 and the audit chain (audit.c) ---------------------------------------- */

typedef struct cc_sha256 {
  uint32_t h[8];
  uint64_t len;        /* bytes hashed */
  uint8_t buf[64];
  size_t n;            /* bytes in buf */
} cc_sha256;

void cc_sha256_init(cc_sha256 *c);
void cc_sha256_update(cc_sha256 *c, const void *data, size_t len);
void cc_sha256_final(cc_sha256 *c, uint8_t out[32]);
/* Whether the CPU's SHA instructions are used (1) or the portable code (0). want 0 or 1
 * first selects (1 takes the instructions only where the CPU has them), -1 only asks:
 * for the tests and benchmarks that compare both. */
int cc_sha256_accel(int want);

/* What one audit record says. Strings may be NULL (written as empty). */
typedef struct cc_audit_fields {
  int64_t time;
  const char *case_id;
  const char *actor;
  const char *what;     /* "open", "transition", "propose", "approve", "reject", "set", ... */
  const char *name;     /* the transition, field, timer or contact the input names */
  const char *from;
  const char *to;
  const char *value;    /* a field's new value as text, a role list */
  const char *reason;
  const ccenter_case_evidence *evidence;
  size_t n_evidence;
} cc_audit_fields;

typedef struct cc_audit {
  cc_alloc alloc;
  uint8_t *key;         /* HMAC key, or NULL */
  size_t key_len;
  /* With a key: the HMAC inner and outer states after the padded key block, so a record
   * costs the message's blocks and one more, not three more. */
  cc_sha256 hmac_in, hmac_out;
  ccenter_audit_head head;
  /* The prepared, not yet committed record. */
  char *line;
  size_t len, cap;
  uint8_t next_hash[32];
  int64_t next_time;
  int prepared;
} cc_audit;

void cc_audit_init(cc_audit *a, const cc_alloc *alloc);
void cc_audit_destroy(cc_audit *a);
/* Copies the key. 0, CCENTER_ESTATE (records exist), CCENTER_EINVAL, CCENTER_ENOMEM. */
int cc_audit_set_key(cc_audit *a, const void *key, size_t key_len);
/* Builds the next record (seq = head.seq + 1) and its hash without committing it, so that
 * a call can fail for memory before it changes anything. 0 or CCENTER_ENOMEM. */
int cc_audit_prepare(cc_audit *a, const cc_audit_fields *f);
/* Commits the prepared record: advances the head and fills *out (valid until the next
 * prepare). Cannot fail. */
void cc_audit_commit(cc_audit *a, ccenter_audit_record *out);
size_t cc_audit_memory(const cc_audit *a);

/* The fields of an audit line, in their order (the format is described in audit.c). */
enum {
  CC_AUDIT_SEQ, CC_AUDIT_TIME, CC_AUDIT_CASE, CC_AUDIT_ACTOR, CC_AUDIT_WHAT, CC_AUDIT_NAME,
  CC_AUDIT_FROM, CC_AUDIT_TO, CC_AUDIT_VALUE, CC_AUDIT_REASON, CC_AUDIT_EVIDENCE,
  CC_AUDIT_PREV, CC_AUDIT_HASH, CC_AUDIT_NFIELDS
};

typedef struct cc_audit_span {
  const char *p;
  size_t len;
} cc_audit_span;

/* Splits a line into its fields and checks each one's syntax. 0 or CCENTER_ECORRUPT. */
int cc_audit_split(const char *line, size_t len, cc_audit_span f[CC_AUDIT_NFIELDS]);
/* Decodes an escaped text (a text field, or one evidence name or reference, from a line
 * that passed cc_audit_split) into out, which has room for len + 1 bytes; NUL-terminates
 * and returns the decoded length. */
size_t cc_audit_unescape(const char *p, size_t len, char *out);

#endif
