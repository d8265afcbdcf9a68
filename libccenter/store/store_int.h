/*
 * Internal interface of the SQLite store (store.c) and of its record codec (record.c), for
 * the store's tests, its fault-injection shim and tools/ccenter-store.
 */
#ifndef CC_STORE_STORE_INT_H
#define CC_STORE_STORE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "ccenter/store.h"
#include "acd/engine_int.h"
#include "core/options.h"
#include "workflow/cases_int.h"

/* ccenter_store_open() on the SQLite VFS named `vfs` (NULL: SQLite's default), so that a
 * test can put a fault-injecting VFS under the store. Errors as ccenter_store_open(); an
 * unknown VFS name gives CCENTER_EIO. */
/* Schema 1's SQL, kept as it was: the migration from it is tested on a file made with it. */
extern const char cc_store_schema_v1[];
int cc_store_open_vfs(const char *path, const char *vfs, const ccenter_options *opts,
                      ccenter_store **out);

/* The store's connection (struct sqlite3), for read-only queries by tests and tools. Valid
 * until ccenter_store_close(). */
struct sqlite3;
struct sqlite3 *cc_store_db(ccenter_store *st);

/* The journal's `extra` column (format in the comment at the top of record.c). */
#define CC_XFMT_VERSION 1
typedef enum cc_xkind {
  CC_X_PARAMS = 1,     /* CONTACT_ENQUEUE's ccenter_contact_params */
  CC_X_THRESHOLDS = 2, /* QUEUE_SET_THRESHOLDS's arr */
  CC_X_EVIDENCE = 3    /* a case TRANSITION's evidence */
} cc_xkind;

/* Most items a decoder accepts in a list (the engines' argument checks refuse more; a
 * blob with more is corrupt, not a bigger input). */
#define CC_X_MAX_ATTRS 64
#define CC_X_MAX_STEPS CCENTER_MAX_STEPS
#define CC_X_MAX_PREFERRED CCENTER_MAX_PREFERRED
#define CC_X_MAX_THRESHOLDS CCENTER_MAX_THRESHOLDS
#define CC_X_MAX_EVIDENCE CCENTER_WF_MAX_EVIDENCE

/* A growing byte buffer the encoders append to. */
typedef struct cc_xbuf {
  uint8_t *p;
  size_t len, cap;
  const cc_alloc *alloc;
} cc_xbuf;

/* Encoders: append one blob to b. 0 or CCENTER_ENOMEM. A NULL params encodes the
 * defaults of ccenter_contact_params_init() (what the engine reads a NULL params as). */
int cc_rec_put_params(cc_xbuf *b, const ccenter_contact_params *p);
int cc_rec_put_thresholds(cc_xbuf *b, const int64_t *arr, size_t n);
int cc_rec_put_evidence(cc_xbuf *b, const ccenter_case_evidence *ev, size_t n);

/* A decoded blob. Its strings live in `text` (owned) and stay valid until the next decode
 * into the same struct or cc_rec_xdec_free(). Zero-initialise it (with `alloc` set, or
 * NULL for the C library's allocator) before the first decode. */
typedef struct cc_xdec {
  cc_xkind kind;
  ccenter_contact_params params; /* CC_X_PARAMS: points into the arrays below */
  ccenter_attr attrs[CC_X_MAX_ATTRS];
  ccenter_step steps[CC_X_MAX_STEPS];
  const char *preferred[CC_X_MAX_PREFERRED];
  int64_t arr[CC_X_MAX_THRESHOLDS]; /* CC_X_THRESHOLDS */
  size_t n_arr;
  ccenter_case_evidence ev[CC_X_MAX_EVIDENCE]; /* CC_X_EVIDENCE */
  size_t n_ev;
  char *text;
  size_t text_cap;
  const cc_alloc *alloc;
} cc_xdec;

/* Strict: any byte out of place (unknown version or kind, a varint over 10 bytes or out of
 * its field's range, a string running past the end or holding a NUL, a count above the
 * limits above, bytes left over) gives CCENTER_ECORRUPT; otherwise 0 or CCENTER_ENOMEM.
 * Never reads outside blob[0..len). */
int cc_rec_decode(cc_xdec *d, const void *blob, size_t len);
void cc_rec_xdec_free(cc_xdec *d);

/* Which blob kind a journal op carries (0: none). kind 0 routing, 1 cases. */
cc_xkind cc_rec_extra_kind(int cases, int op);

#endif
