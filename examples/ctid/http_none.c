/*
 * ctid built without libh2o (meson -Dhttp=disabled, or no libh2o-dev): an `http` listener
 * is refused at start-up; nothing else changes.
 */
#include "http.h"

int ctid_http_start(const ctid_http_host *host, ctid_http **out)
{
  *out = NULL;
  const ctid_config *cfg = host->config(host->ud);
  for (size_t i = 0; i < cfg->n_listeners; i++)
    if (cfg->listeners[i].http) {
      host->log(host->ud, 3, "an http listener needs ctid built with libh2o (meson -Dhttp)");
      return -1;
    }
  return 0;
}

void ctid_http_event(ctid_http *h, const Ccenter__V1__ServerFrame *f)
{
  (void)h;
  (void)f;
}

void ctid_http_reconfigured(ctid_http *h)
{
  (void)h;
}

void ctid_http_flush_time(ctid_http *h, uint64_t ns)
{
  (void)h;
  (void)ns;
}

void ctid_http_stop(ctid_http *h)
{
  (void)h;
}

void ctid_http_free(ctid_http *h)
{
  (void)h;
}
