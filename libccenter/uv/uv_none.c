/* Built when libccenter is configured without libuv: the adapter's functions still exist,
 * so the exported ABI is the same whatever the build options, and they say plainly that
 * this build cannot do it. ccenter/uv.h is not installed in such a build. */
#include <stddef.h>

#include "ccenter/engine.h"

/* uv_loop_t is never dereferenced here: an incomplete type keeps libuv's header out. */
struct uv_loop_s;
typedef struct ccenter_uv ccenter_uv;

CCENTER_EXPORT int ccenter_uv_attach(struct uv_loop_s *loop, ccenter_engine *engine,
                                     ccenter_uv **out);
CCENTER_EXPORT int64_t ccenter_uv_now(const ccenter_uv *h);
CCENTER_EXPORT int ccenter_uv_last_error(ccenter_uv *h);
CCENTER_EXPORT void ccenter_uv_detach(ccenter_uv *h);

int ccenter_uv_attach(struct uv_loop_s *loop, ccenter_engine *engine, ccenter_uv **out)
{
  (void)loop;
  (void)engine;
  (void)out;
  return CCENTER_ENOTSUP;
}

int64_t ccenter_uv_now(const ccenter_uv *h)
{
  (void)h;
  return 0;
}

int ccenter_uv_last_error(ccenter_uv *h)
{
  (void)h;
  return CCENTER_ENOTSUP;
}

void ccenter_uv_detach(ccenter_uv *h)
{
  (void)h;
}
