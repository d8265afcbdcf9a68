/*
 * Internal: the definition builder's steps, shared by the public builder functions
 * (def.c) and the text parser (def_text.c), so that a workflow read from a file is built
 * by exactly the code that checks a workflow built in code. Each step takes `why` (NULL,
 * or CC_WF_WHY bytes) and writes there, on failure, what was wrong: the parser turns it
 * into its "source:line: message".
 */
#ifndef CC_WORKFLOW_DEF_INT_H
#define CC_WORKFLOW_DEF_INT_H

#include <stdint.h>

#include "workflow/wf_int.h"

#define CC_WF_WHY 200

/* The longest duration a definition accepts anywhere (100 years of 366 days, in ms), and
 * the longest counts of days and months: far beyond any rule, small enough that the case
 * engine's deadline arithmetic cannot overflow. Past them: CCENTER_ERANGE. */
#define CC_WF_MAX_MS (INT64_C(100) * 366 * 86400000)
#define CC_WF_MAX_DAYS 36600
#define CC_WF_MAX_MONTHS 1200

int cc_wf_new(const cc_alloc *a, const char *name, ccenter_workflow **out, char *why);
int cc_wf_set_calendar(ccenter_workflow *wf, const char *calendar, char *why);
int cc_wf_set_golden(ccenter_workflow *wf, int64_t ms, char *why);
int cc_wf_add_field(ccenter_workflow *wf, const char *name, ccenter_field_type type,
                    char *why);
int cc_wf_add_state(ccenter_workflow *wf, const char *name, unsigned flags,
                    const char *outcome, char *why);
int cc_wf_add_transition(ccenter_workflow *wf, const char *name, const char *from,
                         const char *to, const char *role, char *why);
int cc_wf_set_dual(ccenter_workflow *wf, const char *transition, const char *approver_role,
                   int64_t expires_ms, char *why);
int cc_wf_add_guard(ccenter_workflow *wf, const char *transition, const char *expr,
                    char *why);
int cc_wf_require_evidence(ccenter_workflow *wf, const char *transition,
                           const char *evidence, char *why);
int cc_wf_add_action(ccenter_workflow *wf, const char *transition, const char *action,
                     int64_t within_ms, char *why);
int cc_wf_add_limit(ccenter_workflow *wf, const char *transition, const char *key_field,
                    uint32_t max, char *why);
int cc_wf_add_timer(ccenter_workflow *wf, const char *name, const char *start_state,
                    ccenter_timer_clock clock, int64_t amount, ccenter_timer_expiry on_expiry,
                    const char *target, unsigned flags, char *why);
int cc_wf_timer_start_field(ccenter_workflow *wf, const char *timer, const char *field,
                            char *why);
int cc_wf_timer_warn(ccenter_workflow *wf, const char *timer, int64_t before_ms, char *why);
int cc_wf_timer_pause_in(ccenter_workflow *wf, const char *timer, const char *state,
                         char *why);

/* A decimal int64 of exactly n bytes with an optional sign: 0, or -1 when it is not one
 * or does not fit. */
int cc_wf_parse_int(const char *p, size_t n, int64_t *out);

/* A calendar's name as a workflow names it: 1..64 bytes, none a space or control byte. */
int cc_wf_calendar_name_ok(const char *s);

#endif
