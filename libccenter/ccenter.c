/*
 * The composition root: the one place that knows both the engine (acd/) and its observers
 * (sla/). ccenter_engine_new() is the engine plus the statistics the options ask for;
 * acd/ itself knows nothing of sla/ (acd/observer.h is the contract between them).
 */
#include "acd/engine_int.h"
#include "core/options.h"
#include "sla/stats.h"

int ccenter_engine_new(const ccenter_options *opts, int64_t now, ccenter_engine **out)
{
  ccenter_engine *e;
  int rc = cc_engine_create(opts, now, &e);
  if (rc)
    return rc;
  if (!(opts && opts->no_statistics) && (rc = cc_stats_attach(e))) {
    ccenter_engine_free(e);
    return rc;
  }
  *out = e;
  return 0;
}
