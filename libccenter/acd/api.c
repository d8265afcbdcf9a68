/*
 * The public wrappers: each state-changing ccenter_* call packs its input into a journal
 * record and hands it to cc_engine_exec() (engine.c). User data, which is not a state
 * change, is set and read here directly.
 *
 * Separate because it only translates the public API; no decision lives here apart from
 * the size rule of ccenter_contact_params.
 */
#include "acd/engine_priv.h"

static int run(ccenter_engine *e, cc_op op, int64_t now, const char *s0, const char *s1,
               int64_t i0, int64_t i1, int64_t i2)
{
  cc_jrec r = {.op = op, .now = now, .s = {s0, s1, NULL}, .i = {i0, i1, i2}};
  return cc_engine_exec(e, &r);
}

int ccenter_engine_advance(ccenter_engine *e, int64_t now)
{
  return run(e, CC_OP_ADVANCE, now, NULL, NULL, 0, 0, 0);
}

int64_t ccenter_engine_next_deadline(const ccenter_engine *e)
{
  return e ? cc_timers_next((cc_timers *)&e->timers) : CCENTER_NO_DEADLINE;
}

int64_t ccenter_engine_now(const ccenter_engine *e)
{
  return e ? e->now : 0;
}

int ccenter_engine_set(ccenter_engine *e, ccenter_engine_option opt, int64_t value, int64_t now)
{
  return run(e, CC_OP_ENGINE_SET, now, NULL, NULL, opt, value, 0);
}

int ccenter_queue_add(ccenter_engine *e, const char *queue_id, void *user_data, int64_t now)
{
  cc_jrec r = {.op = CC_OP_QUEUE_ADD, .now = now, .s = {queue_id, NULL, NULL},
               .user_data = user_data};
  return cc_engine_exec(e, &r);
}

int ccenter_queue_remove(ccenter_engine *e, const char *queue_id, const char *drain_to,
                         int64_t now)
{
  return run(e, CC_OP_QUEUE_REMOVE, now, queue_id, drain_to, 0, 0, 0);
}

int ccenter_queue_set(ccenter_engine *e, const char *queue_id, ccenter_queue_option opt,
                      int64_t value, int64_t now)
{
  return run(e, CC_OP_QUEUE_SET, now, queue_id, NULL, opt, value, 0);
}

int ccenter_queue_set_overflow(ccenter_engine *e, const char *queue_id, const char *target,
                               int64_t now)
{
  return run(e, CC_OP_QUEUE_SET_OVERFLOW, now, queue_id, target, 0, 0, 0);
}

int ccenter_agent_add(ccenter_engine *e, const char *agent_id, void *user_data, int64_t now)
{
  cc_jrec r = {.op = CC_OP_AGENT_ADD, .now = now, .s = {agent_id, NULL, NULL},
               .user_data = user_data};
  return cc_engine_exec(e, &r);
}

/* User data: not a state change, so neither journaled nor refused inside the callback.
 * The object of that kind and id, or NULL (engine NULL, malformed or unknown id). */
static cc_obj *obj_named(const ccenter_engine *e, cc_obj_kind kind, const char *id)
{
  if (!e || !cc_valid_id(id))
    return NULL;
  const cc_map *m = kind == CC_OBJ_AGENT     ? &e->agents
                    : kind == CC_OBJ_CONTACT ? &e->contacts
                                             : &e->queues;
  return cc_map_get(m, id);
}

static int set_user(ccenter_engine *e, cc_obj_kind kind, const char *id, void *user_data)
{
  if (!e || !cc_valid_id(id))
    return CCENTER_EINVAL;
  cc_obj *o = obj_named(e, kind, id);
  if (!o)
    return CCENTER_ENOENT;
  o->user = user_data;
  return 0;
}

static void *user_of(const ccenter_engine *e, cc_obj_kind kind, const char *id)
{
  cc_obj *o = obj_named(e, kind, id);
  return o ? o->user : NULL;
}

int ccenter_queue_set_user_data(ccenter_engine *e, const char *queue_id, void *user_data)
{
  return set_user(e, CC_OBJ_QUEUE, queue_id, user_data);
}

int ccenter_agent_set_user_data(ccenter_engine *e, const char *agent_id, void *user_data)
{
  return set_user(e, CC_OBJ_AGENT, agent_id, user_data);
}

int ccenter_contact_set_user_data(ccenter_engine *e, const char *contact_id, void *user_data)
{
  return set_user(e, CC_OBJ_CONTACT, contact_id, user_data);
}

void *ccenter_queue_user_data(const ccenter_engine *e, const char *queue_id)
{
  return user_of(e, CC_OBJ_QUEUE, queue_id);
}

void *ccenter_agent_user_data(const ccenter_engine *e, const char *agent_id)
{
  return user_of(e, CC_OBJ_AGENT, agent_id);
}

void *ccenter_contact_user_data(const ccenter_engine *e, const char *contact_id)
{
  return user_of(e, CC_OBJ_CONTACT, contact_id);
}

int ccenter_agent_remove(ccenter_engine *e, const char *agent_id, int64_t now)
{
  return run(e, CC_OP_AGENT_REMOVE, now, agent_id, NULL, 0, 0, 0);
}

int ccenter_agent_login(ccenter_engine *e, const char *agent_id, int64_t now)
{
  return run(e, CC_OP_AGENT_LOGIN, now, agent_id, NULL, 0, 0, 0);
}

int ccenter_agent_logout(ccenter_engine *e, const char *agent_id, int64_t now)
{
  return run(e, CC_OP_AGENT_LOGOUT, now, agent_id, NULL, 0, 0, 0);
}

int ccenter_agent_ready(ccenter_engine *e, const char *agent_id, int64_t now)
{
  return run(e, CC_OP_AGENT_READY, now, agent_id, NULL, 0, 0, 0);
}

int ccenter_agent_not_ready(ccenter_engine *e, const char *agent_id, const char *reason,
                            int64_t now)
{
  return run(e, CC_OP_AGENT_NOT_READY, now, agent_id, reason, 0, 0, 0);
}

void ccenter_serve_params_init(ccenter_serve_params *p)
{
  if (!p)
    return;
  memset(p, 0, sizeof *p);
  p->size = sizeof *p;
}

int ccenter_agent_serve(ccenter_engine *e, const char *agent_id, const char *queue_id,
                        const ccenter_serve_params *params, int64_t now)
{
  ccenter_serve_params p;
  ccenter_serve_params_init(&p);
  if (params && cc_struct_in(&p, sizeof p, params, sizeof p))
    return CCENTER_EINVAL;
  return run(e, CC_OP_AGENT_SERVE, now, agent_id, queue_id, p.priority, p.delay_ms,
             p.reserve != 0);
}

int ccenter_agent_set_skill(ccenter_engine *e, const char *agent_id, const char *skill,
                            int level, int64_t now)
{
  return run(e, CC_OP_AGENT_SET_SKILL, now, agent_id, skill, level, 0, 0);
}

int ccenter_agent_set_attr(ccenter_engine *e, const char *agent_id, const char *key,
                           const char *value, int64_t now)
{
  cc_jrec r = {.op = CC_OP_AGENT_SET_ATTR, .now = now, .s = {agent_id, key, value}};
  return cc_engine_exec(e, &r);
}

int ccenter_queue_add_step(ccenter_engine *e, const char *queue_id, const char *requirement,
                           int64_t duration_ms, int64_t now)
{
  return run(e, CC_OP_QUEUE_ADD_STEP, now, queue_id, requirement, duration_ms, 0, 0);
}

int ccenter_queue_clear_steps(ccenter_engine *e, const char *queue_id, int64_t now)
{
  return run(e, CC_OP_QUEUE_CLEAR_STEPS, now, queue_id, NULL, 0, 0, 0);
}

void cc_engine_set_reference_routing(ccenter_engine *e, int on)
{
  e->reference_routing = on;
}

int ccenter_agent_unserve(ccenter_engine *e, const char *agent_id, const char *queue_id,
                          int64_t now)
{
  return run(e, CC_OP_AGENT_UNSERVE, now, agent_id, queue_id, 0, 0, 0);
}

int ccenter_agent_set_capacity(ccenter_engine *e, const char *agent_id, ccenter_channel ch,
                               unsigned capacity, int64_t now)
{
  return run(e, CC_OP_AGENT_SET_CAPACITY, now, agent_id, NULL, (int64_t)ch,
             capacity > MAX_CAPACITY ? MAX_CAPACITY + 1 : (int64_t)capacity, 0);
}

int ccenter_agent_set_overlap(ccenter_engine *e, const char *agent_id, ccenter_channel busy,
                              ccenter_channel incoming, int allowed, int64_t now)
{
  return run(e, CC_OP_AGENT_SET_OVERLAP, now, agent_id, NULL, (int64_t)busy, (int64_t)incoming,
             allowed != 0);
}

int ccenter_agent_set_wrap_up(ccenter_engine *e, const char *agent_id, int64_t wrap_up_ms,
                              int64_t now)
{
  return run(e, CC_OP_AGENT_SET_WRAP_UP, now, agent_id, NULL, wrap_up_ms, 0, 0);
}

int ccenter_agent_wrap_up_end(ccenter_engine *e, const char *agent_id, const char *contact_id,
                              int64_t now)
{
  return run(e, CC_OP_AGENT_WRAP_UP_END, now, agent_id, contact_id, 0, 0, 0);
}

int ccenter_agent_wrap_up_extend(ccenter_engine *e, const char *agent_id,
                                 const char *contact_id, int64_t extra_ms, int64_t now)
{
  return run(e, CC_OP_AGENT_WRAP_UP_EXTEND, now, agent_id, contact_id, extra_ms, 0, 0);
}

int ccenter_offer_accept(ccenter_engine *e, const char *agent_id, const char *contact_id,
                         int64_t now)
{
  return run(e, CC_OP_OFFER_ACCEPT, now, agent_id, contact_id, 0, 0, 0);
}

int ccenter_offer_reject(ccenter_engine *e, const char *agent_id, const char *contact_id,
                         int64_t now)
{
  return run(e, CC_OP_OFFER_REJECT, now, agent_id, contact_id, 0, 0, 0);
}

int ccenter_offer_missed(ccenter_engine *e, const char *agent_id, const char *contact_id,
                         int64_t now)
{
  return run(e, CC_OP_OFFER_MISSED, now, agent_id, contact_id, 0, 0, 0);
}

void ccenter_contact_params_init(ccenter_contact_params *p)
{
  if (!p)
    return;
  memset(p, 0, sizeof *p);
  p->size = sizeof *p;
  p->channel = CCENTER_CHANNEL_VOICE;
  p->preferred_timeout_ms = -1;
}

/* The fields of ccenter_contact_params in 0.1: callers built against it keep working. */
#define CONTACT_PARAMS_MIN offsetof(ccenter_contact_params, user_data)

int ccenter_contact_enqueue(ccenter_engine *e, const char *contact_id, const char *queue_id,
                            const ccenter_contact_params *params, int64_t now)
{
  ccenter_contact_params p;
  ccenter_contact_params_init(&p);
  if (params && cc_struct_in(&p, sizeof p, params, CONTACT_PARAMS_MIN))
    return CCENTER_EINVAL;
  cc_jrec r = {.op = CC_OP_CONTACT_ENQUEUE, .now = now, .s = {contact_id, queue_id, NULL},
               .params = &p};
  return cc_engine_exec(e, &r);
}

int ccenter_contact_abandon(ccenter_engine *e, const char *contact_id, int64_t now)
{
  return run(e, CC_OP_CONTACT_ABANDON, now, contact_id, NULL, 0, 0, 0);
}

int ccenter_contact_remove(ccenter_engine *e, const char *contact_id, int64_t now)
{
  return run(e, CC_OP_CONTACT_REMOVE, now, contact_id, NULL, 0, 0, 0);
}

int ccenter_contact_end(ccenter_engine *e, const char *contact_id, ccenter_party by,
                        int64_t now)
{
  return run(e, CC_OP_CONTACT_END, now, contact_id, NULL, (int64_t)by, 0, 0);
}

int ccenter_queue_set_thresholds(ccenter_engine *e, const char *queue_id, const int64_t *ms,
                                 size_t n, int64_t now)
{
  cc_jrec r = {.op = CC_OP_QUEUE_SET_THRESHOLDS, .now = now, .s = {queue_id, NULL, NULL},
               .arr = ms, .n_arr = n};
  return cc_engine_exec(e, &r);
}

int ccenter_contact_hold(ccenter_engine *e, const char *contact_id, int64_t now)
{
  return run(e, CC_OP_CONTACT_HOLD, now, contact_id, NULL, 0, 0, 0);
}

int ccenter_contact_resume(ccenter_engine *e, const char *contact_id, int64_t now)
{
  return run(e, CC_OP_CONTACT_RESUME, now, contact_id, NULL, 0, 0, 0);
}

int ccenter_contact_disposition(ccenter_engine *e, const char *contact_id, const char *code,
                                int64_t now)
{
  return run(e, CC_OP_CONTACT_DISPOSITION, now, contact_id, code, 0, 0, 0);
}

int ccenter_contact_survey(ccenter_engine *e, const char *contact_id, int score, int64_t now)
{
  return run(e, CC_OP_CONTACT_SURVEY, now, contact_id, NULL, score, 0, 0);
}

int ccenter_contact_transfer_queue(ccenter_engine *e, const char *contact_id,
                                   const char *queue_id, int64_t now)
{
  return run(e, CC_OP_CONTACT_TRANSFER_QUEUE, now, contact_id, queue_id, 0, 0, 0);
}

int ccenter_contact_transfer_agent(ccenter_engine *e, const char *contact_id,
                                   const char *agent_id, int64_t now)
{
  return run(e, CC_OP_CONTACT_TRANSFER_AGENT, now, contact_id, agent_id, 0, 0, 0);
}

int ccenter_contact_requeue(ccenter_engine *e, const char *contact_id, int64_t now)
{
  return run(e, CC_OP_CONTACT_REQUEUE, now, contact_id, NULL, 0, 0, 0);
}

int ccenter_contact_consult_start(ccenter_engine *e, const char *contact_id,
                                  const char *agent_id, int64_t now)
{
  return run(e, CC_OP_CONTACT_CONSULT_START, now, contact_id, agent_id, 0, 0, 0);
}

int ccenter_contact_consult_complete(ccenter_engine *e, const char *contact_id, int64_t now)
{
  return run(e, CC_OP_CONTACT_CONSULT_COMPLETE, now, contact_id, NULL, 0, 0, 0);
}

int ccenter_contact_consult_cancel(ccenter_engine *e, const char *contact_id, int64_t now)
{
  return run(e, CC_OP_CONTACT_CONSULT_CANCEL, now, contact_id, NULL, 0, 0, 0);
}

int ccenter_contact_callback(ccenter_engine *e, const char *contact_id, int64_t now)
{
  return run(e, CC_OP_CONTACT_CALLBACK, now, contact_id, NULL, 0, 0, 0);
}
