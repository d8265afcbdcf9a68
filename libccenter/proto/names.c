/* What the wire protocol has with or without protobuf-c: the names of the request kinds
 * (the schema's field names) and the configuration's defaults. */
#include <string.h>

#include "ccenter/proto.h"

void ccenter_proto_config_init(ccenter_proto_config *cfg)
{
  if (!cfg)
    return;
  memset(cfg, 0, sizeof *cfg);
  cfg->size = sizeof *cfg;
  cfg->history = CCENTER_PROTO_DEFAULT_HISTORY;
}

const char *ccenter_proto_kind_name(ccenter_proto_kind kind)
{
  switch (kind) {
#define K(k, name)         \
  case CCENTER_PROTO_##k: \
    return name;
    K(HELLO, "hello")
    K(RESUME, "resume")
    K(SNAPSHOT, "snapshot")
    K(ENGINE_SET, "engine_set")
    K(ADVANCE, "advance")
    K(QUEUE_ADD, "queue_add")
    K(QUEUE_REMOVE, "queue_remove")
    K(QUEUE_SET, "queue_set")
    K(QUEUE_SET_OVERFLOW, "queue_set_overflow")
    K(QUEUE_SET_THRESHOLDS, "queue_set_thresholds")
    K(QUEUE_ADD_STEP, "queue_add_step")
    K(QUEUE_CLEAR_STEPS, "queue_clear_steps")
    K(AGENT_ADD, "agent_add")
    K(AGENT_REMOVE, "agent_remove")
    K(AGENT_LOGIN, "agent_login")
    K(AGENT_LOGOUT, "agent_logout")
    K(AGENT_READY, "agent_ready")
    K(AGENT_NOT_READY, "agent_not_ready")
    K(AGENT_SERVE, "agent_serve")
    K(AGENT_UNSERVE, "agent_unserve")
    K(AGENT_SET_SKILL, "agent_set_skill")
    K(AGENT_SET_ATTR, "agent_set_attr")
    K(AGENT_SET_CAPACITY, "agent_set_capacity")
    K(AGENT_SET_OVERLAP, "agent_set_overlap")
    K(AGENT_SET_WRAP_UP, "agent_set_wrap_up")
    K(OFFER_ACCEPT, "offer_accept")
    K(OFFER_REJECT, "offer_reject")
    K(OFFER_MISSED, "offer_missed")
    K(WRAP_UP_END, "wrap_up_end")
    K(WRAP_UP_EXTEND, "wrap_up_extend")
    K(CONTACT_ENQUEUE, "contact_enqueue")
    K(CONTACT_ABANDON, "contact_abandon")
    K(CONTACT_REMOVE, "contact_remove")
    K(CONTACT_END, "contact_end")
    K(CONTACT_HOLD, "contact_hold")
    K(CONTACT_RESUME, "contact_resume")
    K(CONTACT_DISPOSITION, "contact_disposition")
    K(CONTACT_SURVEY, "contact_survey")
    K(TRANSFER_QUEUE, "transfer_queue")
    K(TRANSFER_AGENT, "transfer_agent")
    K(CONTACT_REQUEUE, "contact_requeue")
    K(CONSULT_START, "consult_start")
    K(CONSULT_COMPLETE, "consult_complete")
    K(CONSULT_CANCEL, "consult_cancel")
    K(CONTACT_CALLBACK, "contact_callback")
    K(CASE_OPEN, "case_open")
    K(CASE_SET_FIELD, "case_set_field")
    K(CASE_LINK_CONTACT, "case_link_contact")
    K(CASE_TRANSITION, "case_transition")
    K(CASE_APPROVE, "case_approve")
    K(CASE_REJECT, "case_reject")
    K(CASE_FORGET, "case_forget")
    K(CASE_SET_ACTOR, "case_set_actor")
    K(CASE_ADVANCE, "case_advance")
    K(QUEUE_INFO, "queue_info")
    K(AGENT_INFO, "agent_info")
    K(CONTACT_INFO, "contact_info")
    K(CASE_INFO, "case_info")
#undef K
  }
  return "unknown";
}
