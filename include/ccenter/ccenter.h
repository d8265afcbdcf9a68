/*
 * libccenter — the decision core of a contact centre. Umbrella header.
 *
 * Not thread-safe except where stated: one engine is used from one thread at a time.
 * The libuv adapter (ccenter/uv.h) is a separate header, included on its own.
 */
#ifndef CCENTER_H
#define CCENTER_H

#include "ccenter/common.h"
#include "ccenter/options.h"
#include "ccenter/engine.h"
#include "ccenter/staffing.h"
#include "ccenter/routing.h"
#include "ccenter/stats.h"
#include "ccenter/calendar.h"
#include "ccenter/workflow.h"

#endif
