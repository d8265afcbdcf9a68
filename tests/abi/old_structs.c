/*
 * A caller compiled against libccenter 0.1 keeps working with this library: the structs
 * that begin with their size (docs/ABI.md) are read and filled only as far as the
 * caller's size says.
 *
 * The program declares frozen copies of two 0.1 layouts under its own names:
 * ccenter_contact_params as it was before `user_data` (0.2) was appended, and
 * ccenter_agent_info as it was before `cause` (0.2). It passes them, with .size = their
 * own sizeof, to the real shared library and checks that
 *   - the calls succeed and the fields the old struct has are filled or honoured;
 *   - nothing is written past the old struct (a canary follows it) and nothing past it is
 *     read (non-zero bytes follow the old params, where the new user_data would be);
 *   - a size smaller than the 0.1 struct is refused with CCENTER_EINVAL, changing nothing;
 *   - a newer caller's larger params struct is accepted with a zero tail and refused
 *     (CCENTER_EINVAL) with a non-zero one; a larger info struct gets its tail zeroed.
 *
 * Exit status 0 when every check holds; each failure is printed.
 */
#include <ccenter/engine.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------------------------------- */
/* The 0.1 layouts, frozen. Never edit these: they are what old binaries were built with. */

typedef struct params_0_1 {
  size_t size;
  ccenter_channel channel;
  int priority;
  const char *customer;
  const ccenter_attr *attrs;
  size_t n_attrs;
  const ccenter_step *steps;
  size_t n_steps;
  const char *const *preferred;
  size_t n_preferred;
  int64_t preferred_timeout_ms;
  int emergency;
} params_0_1;

typedef struct agent_info_0_1 {
  size_t size;
  ccenter_agent_state state;
  const char *reason;
  const char *pending;
  int64_t state_since;
  int64_t idle_since;
  unsigned offered;
  unsigned connected;
  unsigned wrap_up;
  unsigned in_channel[6];
  unsigned missed_in_row;
  unsigned handled;
} agent_info_0_1;

/* The current structs must still begin with the 0.1 fields at the 0.1 offsets: new
 * fields only ever go at the end. */
#define SAME_OFFSET(cur, old, field) \
  _Static_assert(offsetof(cur, field) == offsetof(old, field), #cur "." #field " moved")

SAME_OFFSET(ccenter_contact_params, params_0_1, channel);
SAME_OFFSET(ccenter_contact_params, params_0_1, priority);
SAME_OFFSET(ccenter_contact_params, params_0_1, customer);
SAME_OFFSET(ccenter_contact_params, params_0_1, attrs);
SAME_OFFSET(ccenter_contact_params, params_0_1, n_attrs);
SAME_OFFSET(ccenter_contact_params, params_0_1, steps);
SAME_OFFSET(ccenter_contact_params, params_0_1, n_steps);
SAME_OFFSET(ccenter_contact_params, params_0_1, preferred);
SAME_OFFSET(ccenter_contact_params, params_0_1, n_preferred);
SAME_OFFSET(ccenter_contact_params, params_0_1, preferred_timeout_ms);
SAME_OFFSET(ccenter_contact_params, params_0_1, emergency);
_Static_assert(offsetof(ccenter_contact_params, user_data) >= sizeof(params_0_1),
               "user_data overlaps the 0.1 ccenter_contact_params");

SAME_OFFSET(ccenter_agent_info, agent_info_0_1, state);
SAME_OFFSET(ccenter_agent_info, agent_info_0_1, reason);
SAME_OFFSET(ccenter_agent_info, agent_info_0_1, pending);
SAME_OFFSET(ccenter_agent_info, agent_info_0_1, state_since);
SAME_OFFSET(ccenter_agent_info, agent_info_0_1, idle_since);
SAME_OFFSET(ccenter_agent_info, agent_info_0_1, offered);
SAME_OFFSET(ccenter_agent_info, agent_info_0_1, connected);
SAME_OFFSET(ccenter_agent_info, agent_info_0_1, wrap_up);
SAME_OFFSET(ccenter_agent_info, agent_info_0_1, in_channel);
SAME_OFFSET(ccenter_agent_info, agent_info_0_1, missed_in_row);
SAME_OFFSET(ccenter_agent_info, agent_info_0_1, handled);
_Static_assert(CCENTER_CHANNEL_COUNT_ == 6, "in_channel changed size");

/* The end of the last field of each 0.1 struct: one byte less is surely too small. */
#define PARAMS_0_1_END (offsetof(params_0_1, emergency) + sizeof(int))
#define AGENT_INFO_0_1_END (offsetof(agent_info_0_1, handled) + sizeof(unsigned))

/* ---------------------------------------------------------------------------------- */

static int failures;

#define CHECK(cond)                                                    \
  do {                                                                 \
    if (!(cond)) {                                                     \
      printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);           \
      failures++;                                                      \
    }                                                                  \
  } while (0)

#define CHECK_RC(call, want)                                                        \
  do {                                                                              \
    int rc_ = (call);                                                               \
    if (rc_ != (want)) {                                                            \
      printf("FAIL %s:%d: %s returned %s, expected %s\n", __FILE__, __LINE__, #call, \
             ccenter_err_name(rc_), ccenter_err_name(want));                        \
      failures++;                                                                   \
    }                                                                               \
  } while (0)

#define CANARY 0xA5

static int all_bytes(const unsigned char *p, size_t n, unsigned char v)
{
  for (size_t i = 0; i < n; i++)
    if (p[i] != v)
      return 0;
  return 1;
}

static void old_contact_params(ccenter_engine *e, int64_t now)
{
  /* An old caller's params, followed by bytes it never meant to pass. Non-zero: read as
   * the new user_data (or as unknown fields) they would show. */
  struct {
    params_0_1 p;
    unsigned char after[64];
  } w;
  memset(&w, 0, sizeof w);
  memset(w.after, CANARY, sizeof w.after);
  w.p.size = sizeof w.p;
  w.p.channel = CCENTER_CHANNEL_VOICE;
  w.p.priority = 7;
  w.p.customer = "cust-1";
  w.p.preferred_timeout_ms = -1;

  CHECK_RC(ccenter_contact_enqueue(e, "c1", "q", (const ccenter_contact_params *)&w.p, now),
           0);
  ccenter_contact_info ci = {.size = sizeof ci};
  CHECK_RC(ccenter_contact_info_get(e, "c1", now, &ci), 0);
  CHECK(ci.priority == 7);
  CHECK(ci.customer && strcmp(ci.customer, "cust-1") == 0);
  CHECK(ci.channel == CCENTER_CHANNEL_VOICE);
  CHECK(ci.state == CCENTER_CONTACT_OFFERED); /* a1 is READY: routed at once */
  CHECK(ci.agent && strcmp(ci.agent, "a1") == 0);
  /* The bytes after the old struct were not taken for the 0.2 user_data. */
  CHECK(ccenter_contact_user_data(e, "c1") == NULL);
  CHECK(all_bytes(w.after, sizeof w.after, CANARY));

  /* Smaller than the 0.1 struct: refused, nothing created. */
  w.p.size = PARAMS_0_1_END - 1;
  CHECK_RC(ccenter_contact_enqueue(e, "c2", "q", (const ccenter_contact_params *)&w.p, now),
           CCENTER_EINVAL);
  CHECK_RC(ccenter_contact_info_get(e, "c2", now, &ci), CCENTER_ENOENT);
  w.p.size = sizeof w.p.size;
  CHECK_RC(ccenter_contact_enqueue(e, "c2", "q", (const ccenter_contact_params *)&w.p, now),
           CCENTER_EINVAL);
  w.p.size = 0;
  CHECK_RC(ccenter_contact_enqueue(e, "c2", "q", (const ccenter_contact_params *)&w.p, now),
           CCENTER_EINVAL);
  CHECK_RC(ccenter_contact_info_get(e, "c2", now, &ci), CCENTER_ENOENT);
}

static void newer_contact_params(ccenter_engine *e, int64_t now)
{
  /* A caller built against a later version, with fields this library does not know. */
  struct {
    ccenter_contact_params p;
    uint64_t unknown[2];
  } w;
  memset(&w, 0, sizeof w);
  ccenter_contact_params_init(&w.p);
  w.p.size = sizeof w;
  w.p.priority = 3;
  int tag = 0;
  w.p.user_data = &tag;

  /* Unknown fields left at zero ask for nothing new: accepted. */
  CHECK_RC(ccenter_contact_enqueue(e, "c3", "q", &w.p, now), 0);
  CHECK(ccenter_contact_user_data(e, "c3") == &tag);
  ccenter_contact_info ci = {.size = sizeof ci};
  CHECK_RC(ccenter_contact_info_get(e, "c3", now, &ci), 0);
  CHECK(ci.priority == 3);

  /* A non-zero unknown field asks for something this library cannot do: refused. */
  w.unknown[1] = 1;
  CHECK_RC(ccenter_contact_enqueue(e, "c4", "q", &w.p, now), CCENTER_EINVAL);
  CHECK_RC(ccenter_contact_info_get(e, "c4", now, &ci), CCENTER_ENOENT);
}

static void old_agent_info(ccenter_engine *e, int64_t now)
{
  struct {
    agent_info_0_1 i;
    unsigned char after[64];
  } w;
  memset(&w, CANARY, sizeof w);
  w.i.size = sizeof w.i;

  /* a1: READY, ringing for c1 (see old_contact_params). */
  CHECK_RC(ccenter_agent_info_get(e, "a1", now, (ccenter_agent_info *)&w.i), 0);
  CHECK(w.i.size == sizeof w.i); /* the caller's size is kept */
  CHECK(w.i.state == CCENTER_AGENT_READY);
  CHECK(w.i.reason == NULL);
  CHECK(w.i.pending == NULL);
  CHECK(w.i.state_since == 1000);
  CHECK(w.i.offered == 1);
  CHECK(w.i.connected == 0);
  CHECK(w.i.wrap_up == 0);
  CHECK(w.i.in_channel[CCENTER_CHANNEL_VOICE] == 1);
  CHECK(w.i.in_channel[CCENTER_CHANNEL_CHAT] == 0);
  CHECK(w.i.missed_in_row == 0);
  CHECK(w.i.handled == 0);
  /* Nothing written past the old struct. (Its own tail padding, if any, is the
   * library's to fill: 0.2 fields may start inside it.) */
  CHECK(all_bytes(w.after, sizeof w.after, CANARY));

  /* a2: NOT_READY with the integrator's reason. */
  memset(&w, CANARY, sizeof w);
  w.i.size = sizeof w.i;
  CHECK_RC(ccenter_agent_info_get(e, "a2", now, (ccenter_agent_info *)&w.i), 0);
  CHECK(w.i.state == CCENTER_AGENT_NOT_READY);
  CHECK(w.i.reason && strcmp(w.i.reason, "lunch") == 0);
  CHECK(w.i.offered == 0 && w.i.handled == 0);
  CHECK(all_bytes(w.after, sizeof w.after, CANARY));

  /* Smaller than the 0.1 struct: refused, and the struct left as it was. */
  memset(&w, CANARY, sizeof w);
  w.i.size = AGENT_INFO_0_1_END - 1;
  CHECK_RC(ccenter_agent_info_get(e, "a1", now, (ccenter_agent_info *)&w.i),
           CCENTER_EINVAL);
  CHECK(w.i.size == AGENT_INFO_0_1_END - 1);
  CHECK(all_bytes((const unsigned char *)&w + sizeof w.i.size, sizeof w - sizeof w.i.size,
                  CANARY));
  w.i.size = 0;
  CHECK_RC(ccenter_agent_info_get(e, "a1", now, (ccenter_agent_info *)&w.i),
           CCENTER_EINVAL);
  CHECK(all_bytes((const unsigned char *)&w + sizeof w.i.size, sizeof w - sizeof w.i.size,
                  CANARY));
}

static void current_and_newer_agent_info(ccenter_engine *e, int64_t now)
{
  /* Today's struct gets the 0.2 fields too. */
  ccenter_agent_info info = {.size = sizeof info};
  CHECK_RC(ccenter_agent_info_get(e, "a3", now, &info), 0);
  CHECK(info.state == CCENTER_AGENT_NOT_READY);
  CHECK(info.reason == NULL);
  CHECK(info.cause == CCENTER_CAUSE_LOGIN);
  CHECK(info.pending_state == CCENTER_AGENT_READY);
  CHECK(info.state_ms == now - 1000);

  /* A newer caller's larger struct: the fields this library knows, the rest zeroed. */
  struct {
    ccenter_agent_info i;
    unsigned char unknown[32];
  } w;
  memset(&w, CANARY, sizeof w);
  w.i.size = sizeof w;
  CHECK_RC(ccenter_agent_info_get(e, "a3", now, &w.i), 0);
  CHECK(w.i.size == sizeof w);
  CHECK(w.i.cause == CCENTER_CAUSE_LOGIN);
  CHECK(w.i.state == CCENTER_AGENT_NOT_READY);
  CHECK(all_bytes(w.unknown, sizeof w.unknown, 0));
}

int main(void)
{
  ccenter_engine *e = NULL;
  int64_t now = 1000;

  if (ccenter_version() != CCENTER_VERSION_HEX) {
    printf("FAIL: headers are %s but the library is %s\n", CCENTER_VERSION_STRING,
           ccenter_version_string());
    return 1;
  }
  if (ccenter_engine_new(NULL, now, &e) != 0) {
    printf("FAIL: ccenter_engine_new\n");
    return 1;
  }
  CHECK_RC(ccenter_queue_add(e, "q", NULL, now), 0);
  const char *ids[] = {"a1", "a2", "a3"};
  for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
    CHECK_RC(ccenter_agent_add(e, ids[i], NULL, now), 0);
    CHECK_RC(ccenter_agent_serve(e, ids[i], "q", NULL, now), 0);
    CHECK_RC(ccenter_agent_login(e, ids[i], now), 0);
  }
  CHECK_RC(ccenter_agent_ready(e, "a1", now), 0);
  CHECK_RC(ccenter_agent_not_ready(e, "a2", "lunch", now), 0);

  now = 5000;
  old_contact_params(e, now);
  newer_contact_params(e, now);
  old_agent_info(e, now);
  current_and_newer_agent_info(e, now);

  ccenter_engine_free(e);
  if (failures) {
    printf("%d check(s) failed\n", failures);
    return 1;
  }
  printf("ok: 0.1-sized ccenter_contact_params (%zu of %zu bytes) and ccenter_agent_info "
         "(%zu of %zu bytes)\n",
         sizeof(params_0_1), sizeof(ccenter_contact_params), sizeof(agent_info_0_1),
         sizeof(ccenter_agent_info));
  return 0;
}
