/* Built when libccenter is configured without SQLite (feature 'store' off or sqlite3 not
 * found): the store's functions still exist, so the exported ABI is the same whatever the
 * build options, and they say plainly that this build cannot do it. */
#include <stddef.h>

#include "ccenter/store.h"

int ccenter_store_open(const char *path, const ccenter_options *opts, ccenter_store **out)
{
  (void)path;
  (void)opts;
  if (out)
    *out = NULL;
  return CCENTER_ENOTSUP;
}

int ccenter_store_close(ccenter_store *st)
{
  return st ? CCENTER_ENOTSUP : 0;
}

int ccenter_store_set_durability(ccenter_store *st, ccenter_durability mode, int64_t max_ms,
                                 uint32_t max_records)
{
  (void)st;
  (void)mode;
  (void)max_ms;
  (void)max_records;
  return CCENTER_ENOTSUP;
}

int ccenter_store_sync(ccenter_store *st)
{
  (void)st;
  return CCENTER_ENOTSUP;
}

int ccenter_store_backup(ccenter_store *st, const char *dest_path)
{
  (void)st;
  (void)dest_path;
  return CCENTER_ENOTSUP;
}

int ccenter_store_flush(ccenter_store *st)
{
  (void)st;
  return CCENTER_ENOTSUP;
}

int64_t ccenter_store_flush_deadline(const ccenter_store *st)
{
  (void)st;
  return CCENTER_NO_DEADLINE;
}

int ccenter_store_engine_new(ccenter_store *st, const char *name, const ccenter_options *opts,
                             int64_t now, ccenter_engine **out)
{
  (void)st;
  (void)name;
  (void)opts;
  (void)now;
  (void)out;
  return CCENTER_ENOTSUP;
}

int ccenter_store_engine_recover(ccenter_store *st, const char *name, const ccenter_options *opts,
                                 ccenter_engine **out)
{
  (void)st;
  (void)name;
  (void)opts;
  (void)out;
  return CCENTER_ENOTSUP;
}

int ccenter_store_cases_new(ccenter_store *st, const char *name, const ccenter_options *opts,
                            int64_t now, const void *audit_key, size_t key_len,
                            ccenter_cases **out)
{
  (void)st;
  (void)name;
  (void)opts;
  (void)now;
  (void)audit_key;
  (void)key_len;
  (void)out;
  return CCENTER_ENOTSUP;
}

int ccenter_store_cases_recover(ccenter_store *st, const char *name, const ccenter_options *opts,
                                const void *audit_key, size_t key_len, ccenter_cases **out)
{
  (void)st;
  (void)name;
  (void)opts;
  (void)audit_key;
  (void)key_len;
  (void)out;
  return CCENTER_ENOTSUP;
}

int ccenter_store_info_get(const ccenter_store *st, ccenter_store_info *info)
{
  (void)st;
  (void)info;
  return CCENTER_ENOTSUP;
}

int ccenter_store_verify(ccenter_store *st, const void *audit_key, size_t key_len, char *msg,
                         size_t msg_size)
{
  (void)st;
  (void)audit_key;
  (void)key_len;
  if (msg && msg_size)
    msg[0] = '\0';
  return CCENTER_ENOTSUP;
}

int ccenter_store_snapshot(ccenter_store *st, const char *name)
{
  (void)st;
  (void)name;
  return CCENTER_ENOTSUP;
}

int ccenter_store_set_retention(ccenter_store *st, unsigned keep, const char *archive_path)
{
  (void)st;
  (void)keep;
  (void)archive_path;
  return CCENTER_ENOTSUP;
}
