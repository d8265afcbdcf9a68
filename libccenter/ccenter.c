/*
 * The composition root: the one place that knows both the engine (acd/) and its observers
 * (sla/). ccenter_engine_new() is the engine plus the statistics the options ask for;
 * acd/ itself knows nothing of sla/ (acd/observer.h is the contract between them).
 */
#include "acd/engine_int.h"
#include "core/options.h"
#include "sla/stats.h"

static int attach_observers(void *ud, ccenter_engine *e)
{
  const ccenter_options *opts = ud;
  return (opts && opts->no_statistics) ? 0 : cc_stats_attach(e);
}

int ccenter_engine_new(const ccenter_options *opts, int64_t now, ccenter_engine **out)
{
  ccenter_engine *e;
  int rc = cc_engine_create(opts, now, &e);
  if (rc)
    return rc;
  if ((rc = attach_observers((void *)opts, e))) {
    ccenter_engine_free(e);
    return rc;
  }
  *out = e;
  return 0;
}

int cc_engine_load_snapshot(const ccenter_options *opts, const void *blob, size_t len,
                            ccenter_engine **out)
{
  cc_snap_r r;
  cc_sr_init(&r, blob, len);
  return cc_engine_restore(opts, &r, attach_observers, (void *)opts, out);
}
