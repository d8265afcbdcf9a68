/*
 * Suite ctid_conf: ctid's configuration (parser, apply, reload) and credentials (PBKDF2
 * vectors, stored form, lockout). Reads examples/ctid/ctid.conf.example and the shipped
 * data from the source tree (CTID_SOURCE_DIR, CCENTER_DATA_DIR); runs ccenter-passwd
 * (CTID_PASSWD).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "conf.h"
#include "harness.h"

static char *slurp(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  ck_assert_msg(f != NULL, "cannot open %s", path);
  static char buf[1 << 16];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  *len = n;
  return buf;
}

static const char *example_path(void)
{
  static char path[4096];
  const char *dir = getenv("CTID_SOURCE_DIR");
  snprintf(path, sizeof path, "%s/ctid.conf.example", dir ? dir : ".");
  return path;
}

/* ---------------------------------------------------------------------------------- */
/* Credentials                                                                         */

static void hex(const uint8_t *b, size_t n, char *out)
{
  for (size_t i = 0; i < n; i++)
    sprintf(out + 2 * i, "%02x", b[i]);
}

START_TEST(pbkdf2_rfc7914_vectors)
{
  uint8_t dk[64];
  char h[129];
  ck_assert_int_eq(ctid_pbkdf2_sha256("passwd", 6, (const uint8_t *)"salt", 4, 1, dk, 64), 0);
  hex(dk, 64, h);
  ck_assert_str_eq(h, "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
                      "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
  ck_assert_int_eq(
    ctid_pbkdf2_sha256("Password", 8, (const uint8_t *)"NaCl", 4, 80000, dk, 64), 0);
  hex(dk, 64, h);
  ck_assert_str_eq(h, "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
                      "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d");
}
END_TEST

START_TEST(hash_and_verify)
{
  char s[CTID_STORED_MAX], t[CTID_STORED_MAX];
  ck_assert_int_eq(ctid_hash_secret("open sesame", 11, 1000, s, sizeof s), 0);
  ck_assert(strncmp(s, "pbkdf2-sha256$1000$", 19) == 0);
  ck_assert_int_eq(ctid_hash_check(s, NULL), 0);
  ck_assert_int_eq(ctid_verify_secret(s, "open sesame", 11), 1);
  ck_assert_int_eq(ctid_verify_secret(s, "open sesamE", 11), 0);
  ck_assert_int_eq(ctid_verify_secret(s, "open sesame", 10), 0);
  ck_assert_int_eq(ctid_verify_secret(s, "", 0), 0);
  /* A fresh salt each time: the same secret hashes differently. */
  ck_assert_int_eq(ctid_hash_secret("open sesame", 11, 1000, t, sizeof t), 0);
  ck_assert_str_ne(s, t);
  /* A known salt gives a known string (python3 hashlib.pbkdf2_hmac agrees). */
  ck_assert_int_eq(ctid_hash_secret_salt("passwd", 6, 1000, (const uint8_t *)"saltsalt", 8, t,
                                         sizeof t), 0);
  ck_assert_int_eq(ctid_verify_secret(t, "passwd", 6), 1);
  ck_assert(strncmp(t, "pbkdf2-sha256$1000$c2FsdHNhbHQ$", 31) == 0);
  /* A changed hash byte anywhere fails. */
  size_t len = strlen(s);
  for (size_t i = len - 43; i < len; i += 7) {
    char u[CTID_STORED_MAX];
    strcpy(u, s);
    u[i] = u[i] == 'A' ? 'B' : 'A';
    int v = ctid_verify_secret(u, "open sesame", 11);
    ck_assert(v == 0 || v == -1); /* -1: the last char made it non-canonical */
  }
  ck_assert_int_eq(ctid_hash_secret("x", 1, 999, s, sizeof s), -1);
  ck_assert_int_eq(ctid_hash_secret("x", 1, 1000, s, 10), -1);
}
END_TEST

START_TEST(stored_form_checked)
{
  static const char *const bad[] = {
    "",
    "pbkdf2-sha1$1000$c2FsdHNhbHQ$aaaaaaaaaaaaaaaaaaaaaQ",
    "pbkdf2-sha256$$c2FsdHNhbHQ$aaaaaaaaaaaaaaaaaaaaaQ",
    "pbkdf2-sha256$999$c2FsdHNhbHQ$aaaaaaaaaaaaaaaaaaaaaQ",
    "pbkdf2-sha256$01000$c2FsdHNhbHQ$aaaaaaaaaaaaaaaaaaaaaQ",
    "pbkdf2-sha256$100000001$c2FsdHNhbHQ$aaaaaaaaaaaaaaaaaaaaaQ",
    "pbkdf2-sha256$99999999999$c2FsdHNhbHQ$aaaaaaaaaaaaaaaaaaaaaQ",
    "pbkdf2-sha256$1000$c2FsdA$aaaaaaaaaaaaaaaaaaaaaa",           /* salt of 4 bytes */
    "pbkdf2-sha256$1000$c2FsdHNhbHQ=$aaaaaaaaaaaaaaaaaaaaaa",     /* padding */
    "pbkdf2-sha256$1000$c2FsdHNhbHR$aaaaaaaaaaaaaaaaaaaaaa",      /* not canonical */
    "pbkdf2-sha256$1000$c2FsdHNhbHQ",                              /* no hash */
    "pbkdf2-sha256$1000$c2FsdHNhbHQ$aaaa",                         /* hash of 3 bytes */
    "pbkdf2-sha256$1000$c2FsdHNhbHQ$aaaaaaaaaaaaaaaaaaaaaa$",
    "pbkdf2-sha256$1000$c2Fsd HNhbHQ$aaaaaaaaaaaaaaaaaaaaaa",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    const char *why = NULL;
    ck_assert_msg(ctid_hash_check(bad[i], &why) == -1, "accepted %s", bad[i]);
    ck_assert_ptr_nonnull(why);
    ck_assert_int_eq(ctid_verify_secret(bad[i], "x", 1), -1);
  }
  ck_assert_int_eq(ctid_hash_check("pbkdf2-sha256$1000$c2FsdHNhbHQ$aaaaaaaaaaaaaaaaaaaaaQ",
                                   NULL), 0);
}
END_TEST

START_TEST(lockout_timing)
{
  ctid_lockout_policy pol = {3, 60000, 300000};
  ctid_guard *g = ctid_guard_new(&pol);
  ck_assert_ptr_nonnull(g);
  /* Three failures inside the window lock for lock_ms from the third. */
  ck_assert_int_eq(ctid_guard_record(g, "a", 0, 0), 0);
  ck_assert_int_eq(ctid_guard_record(g, "a", 0, 10000), 0);
  ck_assert_int_eq(ctid_guard_record(g, "a", 0, 20000), 1);
  int64_t until = 0;
  ck_assert_int_eq(ctid_guard_locked(g, "a", 319999, &until), 1);
  ck_assert_int_eq(until, 320000);
  ck_assert_int_eq(ctid_guard_locked(g, "a", 320000, NULL), 0);
  ck_assert_int_eq(ctid_guard_locked(g, "b", 20000, NULL), 0);
  /* Spread wider than the window: not locked; the third within it locks. */
  ck_assert_int_eq(ctid_guard_record(g, "b", 0, 0), 0);
  ck_assert_int_eq(ctid_guard_record(g, "b", 0, 50000), 0);
  ck_assert_int_eq(ctid_guard_record(g, "b", 0, 70000), 0); /* 0..70 s: 70 s apart */
  ck_assert_int_eq(ctid_guard_record(g, "b", 0, 100000), 1); /* 50..100 s */
  /* A success clears the count. */
  ck_assert_int_eq(ctid_guard_record(g, "c", 0, 0), 0);
  ck_assert_int_eq(ctid_guard_record(g, "c", 0, 1), 0);
  ck_assert_int_eq(ctid_guard_record(g, "c", 1, 2), 0);
  ck_assert_int_eq(ctid_guard_record(g, "c", 0, 3), 0);
  ck_assert_int_eq(ctid_guard_record(g, "c", 0, 4), 0);
  ck_assert_int_eq(ctid_guard_record(g, "c", 0, 5), 1);

  /* attempt(): a locked principal is refused without a look at the secret. */
  char s[CTID_STORED_MAX];
  ck_assert_int_eq(ctid_hash_secret("right", 5, 1000, s, sizeof s), 0);
  ck_assert_int_eq(ctid_guard_attempt(g, "a", s, "right", 5, 100000, &until),
                   CTID_AUTH_LOCKED);
  ck_assert_int_eq(ctid_guard_attempt(g, "a", s, "right", 5, 320000, NULL), CTID_AUTH_OK);
  ck_assert_int_eq(ctid_guard_attempt(g, "d", s, "wrong", 5, 0, NULL), CTID_AUTH_BAD);
  ck_assert_int_eq(ctid_guard_attempt(g, "d", s, "wrong", 5, 1, NULL), CTID_AUTH_BAD);
  until = 0;
  ck_assert_int_eq(ctid_guard_attempt(g, "d", s, "wrong", 5, 2, &until), CTID_AUTH_BAD);
  ck_assert_int_eq(until, 300002);
  ck_assert_int_eq(ctid_guard_attempt(g, "d", s, "right", 5, 3, NULL), CTID_AUTH_LOCKED);
  /* Unknown principal: BAD, and not tracked. */
  ck_assert_int_eq(ctid_guard_attempt(g, "nobody", NULL, "x", 1, 0, NULL), CTID_AUTH_BAD);
  ck_assert_int_eq(ctid_guard_locked(g, "nobody", 0, NULL), 0);

  /* A smaller policy keeps the latest failures. */
  ck_assert_int_eq(ctid_guard_record(g, "e", 0, 0), 0);
  ck_assert_int_eq(ctid_guard_record(g, "e", 0, 1), 0);
  ctid_lockout_policy two = {2, 60000, 1000};
  ck_assert_int_eq(ctid_guard_set_policy(g, &two), 0);
  ck_assert_int_eq(ctid_guard_record(g, "e", 0, 2), 1);
  ctid_lockout_policy off = {0, 0, 0};
  ck_assert_int_eq(ctid_guard_set_policy(g, &off), 0);
  ck_assert_int_eq(ctid_guard_record(g, "f", 0, 2), 0);
  ctid_lockout_policy bad = {CTID_LOCKOUT_MAX_FAILURES + 1, 1, 1};
  ck_assert_int_eq(ctid_guard_set_policy(g, &bad), -1);
  ck_assert_ptr_null(ctid_guard_new(&bad));
  ctid_guard_free(g);
}
END_TEST

START_TEST(passwd_tool)
{
  const char *exe = getenv("CTID_PASSWD");
  if (!exe)
    return;
  char cmd[4200], line[CTID_STORED_MAX + 8];
  snprintf(cmd, sizeof cmd, "printf 'tr0ub4dor\\n' | %s --iterations 1000", exe);
  FILE *f = popen(cmd, "r");
  ck_assert_ptr_nonnull(f);
  ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
  ck_assert_int_eq(pclose(f), 0);
  line[strcspn(line, "\n")] = '\0';
  ck_assert_int_eq(ctid_verify_secret(line, "tr0ub4dor", 9), 1);
  snprintf(cmd, sizeof cmd, "printf '' | %s --iterations 1000 2>/dev/null", exe);
  f = popen(cmd, "r");
  ck_assert_int_ne(pclose(f), 0);
  snprintf(cmd, sizeof cmd, "printf 'x\\n' | %s --iterations 10 2>/dev/null", exe);
  f = popen(cmd, "r");
  ck_assert_int_ne(pclose(f), 0);
}
END_TEST

/* ---------------------------------------------------------------------------------- */
/* Parser                                                                              */

#define HASH "pbkdf2-sha256$1000$c2FsdHNhbHQ$aaaaaaaaaaaaaaaaaaaaaQ"
#define MINIMAL "[server]\nstore = /tmp/x.db\n[listen l]\nunix = /tmp/s\n"

START_TEST(example_parses)
{
  size_t len;
  char *text = slurp(example_path(), &len);
  ctid_config *c = NULL;
  ctid_conf_error err;
  ck_assert_msg(ctid_config_parse(text, len, "ctid.conf.example", &c, &err) == 0, "%s",
                err.message);
  ck_assert_str_eq(c->store_path, "/var/lib/ctid/ctid.db");
  ck_assert_int_eq(c->durability, CCENTER_DURABILITY_WRITTEN);
  ck_assert_uint_eq(c->n_listeners, 3);
  ck_assert_str_eq(c->listeners[1].host, "127.0.0.1");
  ck_assert_int_eq(c->listeners[1].port, 7020);
  ck_assert_str_eq(c->listeners[0].path, "/run/ctid/ctid.sock");
  ck_assert_uint_eq(c->limits.frame_max, 65536);
  ck_assert_int_eq(c->limits.idle_timeout_ms, 120000);
  ck_assert_uint_eq(c->limits.output_max[CTID_ROLE_SWITCH], 64u << 20);
  ck_assert_uint_eq(c->limits.lockout.failures, 5);
  ck_assert_uint_eq(c->n_queues, 3);
  const ctid_queue *q = ctid_config_queue(c, "sales");
  ck_assert_int_eq(q->opt[CCENTER_QUEUE_MAX_WAIT], 600000);
  ck_assert_int_eq(q->opt[CCENTER_QUEUE_SL_TARGET], 8000);
  ck_assert_int_eq(q->opt[CCENTER_QUEUE_MAX_WAIT_ACTION], CCENTER_MAX_WAIT_OVERFLOW);
  ck_assert_uint_eq(q->n_steps, 2);
  ck_assert_str_eq(q->steps[0].requirement, "sales >= 7 and language == \"en\"");
  ck_assert_uint_eq(q->n_thresholds, 3);
  ck_assert_int_eq(ctid_config_queue(c, "fraud")->opt[CCENTER_QUEUE_WRAP_UP], -1);
  const ctid_agent *a = ctid_config_agent(c, "bob");
  ck_assert_uint_eq(a->n_serves, 3);
  ck_assert_int_eq(a->serves[2].reserve, 1);
  ck_assert_int_eq(a->serves[2].delay_ms, 30000);
  ck_assert_int_eq(a->wrap_up_ms, 15000);
  const ctid_principal *p = ctid_config_principal(c, "alice");
  ck_assert_int_eq(p->role, CTID_ROLE_AGENT);
  ck_assert_str_eq(p->agent, "alice");
  /* The example's secrets are "change-me". */
  ck_assert_int_eq(ctid_verify_secret(p->secret, "change-me", 9), 1);
  ck_assert_uint_eq(c->n_calendars, 1);
  ck_assert_uint_eq(c->n_workflows, 1);
  ctid_config_free(c);
}
END_TEST

/* Every durability name maps to its mode (docs/ctid.md, "Restart without loss"). */
START_TEST(durability_names)
{
  static const struct {
    const char *name;
    ccenter_durability mode;
  } names[] = {{"full", CCENTER_DURABILITY_FULL},
               {"grouped", CCENTER_DURABILITY_GROUPED},
               {"memory", CCENTER_DURABILITY_MEMORY},
               {"written", CCENTER_DURABILITY_WRITTEN}};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    char text[160];
    snprintf(text, sizeof text, "[server]\nstore = /tmp/x.db\ndurability = %s\n[listen l]\n"
             "unix = /tmp/s\n", names[i].name);
    ctid_config *c = NULL;
    ctid_conf_error err;
    ck_assert_msg(ctid_config_parse(text, strlen(text), "t.conf", &c, &err) == 0, "%s",
                  err.message);
    ck_assert_int_eq(c->durability, names[i].mode);
    ctid_config_free(c);
  }
}
END_TEST

typedef struct bad_case {
  const char *text;
  int line;
  const char *msg;
} bad_case;

static const bad_case bad_cases[] = {
  {"[server]\nstore = a\nstore = b\n", 3, "duplicate key 'store' (first at line 2)"},
  {"[server]\nstroe = a\n", 2, "unknown key 'stroe' in [server]"},
  {"store = a\n", 1, "before the first [section]"},
  {"[servr]\n", 1, "unknown section [servr]"},
  {"[server x]\n", 1, "[server] takes no name"},
  {"[queue]\n", 1, "[queue] needs a name"},
  {"[server\n", 1, "ends with ']'"},
  {MINIMAL "[server]\n", 5, "duplicate section [server] (first at line 1)"},
  {MINIMAL "[queue q]\n[queue q]\n", 6, "duplicate section [queue q] (first at line 5)"},
  {"[server]\n", 1, "[server] needs 'store'"},
  {"[listen l]\nunix = /s\n", 0, "no [server] section"},
  {"[server]\nstore = x\n", 0, "no [listen NAME] section"},
  {MINIMAL "[queue q]\nmax_wait = 10\n", 6, "max_wait: '10' needs a unit"},
  {MINIMAL "[queue q]\nmax_wait = 10y\n", 6, "unknown unit"},
  {MINIMAL "[queue q]\nmax_wait = -1s\n", 6, "is not a duration"},
  {MINIMAL "[queue q]\nmax_wait = 400d\n", 6, "longer than a year"},
  {MINIMAL "[queue q]\nstrategy = fastest\n", 6, "strategy: 'fastest' is not one of"},
  {MINIMAL "[queue q]\nsl_target = 80\n", 6, "is not a percentage"},
  {MINIMAL "[queue q]\nsl_target = 100.5%\n", 6, "is not a percentage"},
  {MINIMAL "[queue q]\nmax_length = 1e3\n", 6, "is not a whole number"},
  {MINIMAL "[queue q]\nmax_length = 99999999999999999999\n", 6, "is too large"},
  {MINIMAL "[queue q]\nstep = 30s sales >=\n", 6, "step: bad requirement"},
  {MINIMAL "[queue q]\nstep = 0s\n", 6, "step: '0s' is not a duration"},
  {MINIMAL "[queue q]\nstep = 1s\nstep = 1s\nstep = 1s\nstep = 1s\nstep = 1s\nstep = 1s\n"
           "step = 1s\nstep = 1s\nstep = 1s\n", 14, "more than 8 steps"},
  {MINIMAL "[queue q]\nthresholds = 30s 10s\n", 6, "not longer than the one before"},
  {MINIMAL "[queue q]\noverflow = r\n", 6, "overflow: no [queue r]"},
  {MINIMAL "[queue q]\noverflow = q\n", 6, "cannot overflow to itself"},
  {MINIMAL "[queue q]\nmax_wait\n", 6, "expected 'key = value'"},
  {MINIMAL "[queue q]\nmax_wait =\n", 6, "'max_wait' has no value"},
  {MINIMAL "[queue q]\n = 1s\n", 6, "a key is missing"},
  {MINIMAL "[queue q]\nmax wait = 1s\n", 6, "bad character ' ' in key"},
  {MINIMAL "[agent a]\nqueues = nope\n", 6, "no [queue nope]"},
  {MINIMAL "[queue q]\n[agent a]\nqueues = q\nserve.q = priority 1\n", 8,
   "queue 'q' is listed already at line 7"},
  {MINIMAL "[queue q]\n[agent a]\nserve.q = priority\n", 7, "priority needs a value"},
  {MINIMAL "[queue q]\n[agent a]\nserve.q = priority 2000\n", 7, "out of range"},
  {MINIMAL "[queue q]\n[agent a]\nserve.q = fast\n", 7, "unknown word 'fast'"},
  {MINIMAL "[agent a]\nskill.sales = 11\n", 6, "skill.sales: '11' is out of range (1..10)"},
  {MINIMAL "[agent a]\ncapacity.fax = 1\n", 6, "unknown key 'capacity.fax'"},
  {MINIMAL "[agent a]\ncapacity.chat = 65\n", 6, "out of range (0..64)"},
  {MINIMAL "[agent a]\nwrap_up = forever\n", 6, "wrap_up: 'forever'"},
  {MINIMAL "[principal p]\nrole = switch\n", 5, "[principal p] needs 'secret'"},
  {MINIMAL "[principal p]\nsecret = " HASH "\n", 5, "[principal p] needs 'role'"},
  {MINIMAL "[principal p]\nrole = agent\nsecret = " HASH "\n", 5, "it needs 'agent'"},
  {MINIMAL "[principal p]\nrole = switch\nagent = a\nsecret = " HASH "\n", 5,
   "'agent' is for role agent only"},
  {MINIMAL "[principal p]\nrole = agent\nagent = ghost\nsecret = " HASH "\n", 5,
   "no [agent ghost]"},
  {MINIMAL "[principal p]\nrole = root\n", 6, "role: 'root' is not one of"},
  {MINIMAL "[principal p]\nsecret = hunter2\n", 6, "secret: not a pbkdf2-sha256"},
  {MINIMAL "[principal p]\nsecret = pbkdf2-sha256$10$c2FsdHNhbHQ$aaaaaaaaaaaaaaaaaaaaaa\n", 6,
   "iteration count out of range"},
  {"[server]\nstore = x\n[listen l]\ntcp = 10.0.0.1:7020\n", 3,
   "plain TCP on '10.0.0.1', not a loopback address"},
  {"[server]\nstore = x\n[listen l]\ntcp = 127.0.0.1:70200\n", 4, "not HOST:PORT"},
  {"[server]\nstore = x\n[listen l]\ntcp = ::1:7020\n", 4, "IPv6 address goes in brackets"},
  {"[server]\nstore = x\n[listen l]\ntcp = [::1]:1\nunix = /s\n", 3, "one of 'tcp', 'http' and 'unix'"},
  {"[server]\nstore = x\n[listen l]\n", 3, "one of 'tcp', 'http' and 'unix'"},
  {"[server]\nstore = x\n[listen l]\ntcp = 127.0.0.1:1\nhttp = 127.0.0.1:2\n", 5,
   "'tcp' and 'http' exclude each other"},
  {"[server]\nstore = x\n[listen l]\nhttp = 10.0.0.1:80\n", 3,
   "plain TCP on '10.0.0.1', not a loopback address"},
  {"[server]\nstore = x\n[listen l]\ntcp = [::1]:1\ntls_cert = c\n", 3, "go together"},
  {"[server]\nstore = x\n[listen l]\nunix = /s\ntls_cert = c\ntls_key = k\n", 3,
   "TLS is for 'tcp'"},
  {"[server]\nstore = x\n[listen l]\ntcp = h:1\nallow_plain_remote = maybe\n", 5,
   "allow_plain_remote: 'maybe'"},
  {MINIMAL "[limits]\nframe_max = 1G\n", 6, "frame_max: '1G' is out of range"},
  {MINIMAL "[limits]\nframe_max = 64Q\n", 6, "unknown unit"},
  {MINIMAL "[limits]\noutput_max.root = 1M\n", 6, "unknown key 'output_max.root'"},
  {MINIMAL "[limits]\nlockout_failures = 101\n", 6, "out of range (0..100)"},
  {MINIMAL "[server]x\n", 5, "ends with ']'"},
  {MINIMAL "[cases]\ncalendar = a\ncalendar = a\n", 7, "calendar 'a' is named already"},
  {MINIMAL "[engine]\nseed = -1\n", 6, "seed: '-1' is out of range"},
  {MINIMAL "[engine]\nstats_interval = 15\n", 6, "needs a unit"},
  {MINIMAL "[server]\n", 5, "duplicate section"},
  {"[server]\nstore = a\x01\n", 2, "control character 0x01"},
  {"[server]\ndurability = eventually\n", 2, "durability: 'eventually'"},
  {"[server]\ngroup_ms = 0\n", 2, "group_ms: '0' is out of range"},
};

START_TEST(bad_files)
{
  const bad_case *b = &bad_cases[_i];
  ctid_config *c = NULL;
  ctid_conf_error err;
  int rc = ctid_config_parse(b->text, strlen(b->text), "t.conf", &c, &err);
  ck_assert_msg(rc == -1, "case %d accepted", _i);
  ck_assert_ptr_null(c);
  ck_assert_msg(err.line == b->line, "case %d: line %d, want %d (%s)", _i, err.line, b->line,
                err.message);
  ck_assert_msg(strstr(err.message, b->msg) != NULL, "case %d: '%s' lacks '%s'", _i,
                err.message, b->msg);
  char where[32];
  snprintf(where, sizeof where, b->line ? "t.conf:%d: " : "t.conf: ", b->line);
  ck_assert_msg(strncmp(err.message, where, strlen(where)) == 0, "case %d: '%s'", _i,
                err.message);
}
END_TEST

START_TEST(odd_bytes)
{
  ctid_config *c = NULL;
  ctid_conf_error err;
  static const char nul[] = "[server]\nstore = a\0b\n";
  ck_assert_int_eq(ctid_config_parse(nul, sizeof nul - 1, "t", &c, &err), -1);
  ck_assert_int_eq(err.line, 2);
  ck_assert(strstr(err.message, "NUL byte"));
  char *long_line = malloc(10000);
  memset(long_line, 'a', 9999);
  long_line[9999] = '\n';
  ck_assert_int_eq(ctid_config_parse(long_line, 10000, "t", &c, &err), -1);
  ck_assert(strstr(err.message, "line longer than"));
  free(long_line);
  /* CRLF line ends, blanks and comments are fine; no final newline either. */
  static const char crlf[] = "# c\r\n; c\r\n\r\n  [ server ]  \r\n store=/x \r\n[listen l]\r\n"
                             "unix = /s";
  ck_assert_int_eq(ctid_config_parse(crlf, sizeof crlf - 1, "t", &c, &err), 0);
  ck_assert_str_eq(c->store_path, "/x");
  ck_assert_str_eq(c->listeners[0].path, "/s");
  ctid_config_free(c);
  ck_assert_int_eq(ctid_config_parse(NULL, 0, NULL, &c, &err), -1);
  ck_assert_str_eq(err.message, "<config>: no [server] section (it names the store)");
}
END_TEST

/* Mutated copies of the example: the parser says yes or no with a message, never
   crashes, and never leaks (ASan). */
START_TEST(mutations)
{
  size_t len;
  char *text = slurp(example_path(), &len);
  char *m = malloc(len + 64);
  uint64_t x = 88172645463325252u;
  static const char bytes[] = "[]=#;\n\r\t $%.:-,0a\x01\x7f\xff";
  int ok = 0;
  for (int it = 0; it < 3000; it++) {
    memcpy(m, text, len);
    size_t n = len;
    for (int k = 0; k < 1 + it % 4 && n > 0; k++) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      size_t at = (size_t)(x % n);
      switch ((x >> 32) % 3) {
      case 0: m[at] = bytes[(x >> 40) % (sizeof bytes - 1)]; break;
      case 1: memmove(m + at, m + at + 1, n - at - 1); n--; break;
      default: n = at; break; /* truncated */
      }
    }
    ctid_config *c = NULL;
    ctid_conf_error err;
    if (ctid_config_parse(m, n, "m", &c, &err) == 0) {
      ok++;
      ctid_config_free(c);
    } else {
      ck_assert(strncmp(err.message, "m:", 2) == 0);
    }
  }
  ck_assert_int_gt(ok, 0);
  free(m);
}
END_TEST

/* ---------------------------------------------------------------------------------- */
/* Apply and reload                                                                    */

static ctid_config *load_example(const char *text, size_t len)
{
  ctid_config *c = NULL;
  ctid_conf_error err;
  ck_assert_msg(ctid_config_parse(text, len, "example", &c, &err) == 0, "%s", err.message);
  ck_assert_msg(ctid_config_load_assets(c, getenv("CCENTER_DATA_DIR"), &err) == 0, "%s",
                err.message);
  return c;
}

static int64_t qget(ccenter_engine *e, const char *q, ccenter_queue_option o)
{
  int64_t v = -99;
  ck_assert_int_eq(ccenter_queue_get(e, q, o, &v), 0);
  return v;
}

static unsigned members(ccenter_engine *e, const char *q, int64_t now)
{
  ccenter_queue_info i = {.size = sizeof i};
  ck_assert_int_eq(ccenter_queue_info_get(e, q, now, &i), 0);
  return i.members;
}

START_TEST(example_applies)
{
  size_t len;
  char *text = slurp(example_path(), &len);
  ctid_config *c = load_example(text, len);
  ccenter_engine *e = NULL;
  ccenter_cases *cs = NULL;
  ck_assert_int_eq(ccenter_engine_new(NULL, 0, &e), 0);
  ck_assert_int_eq(ccenter_cases_new(NULL, 0, &cs), 0);
  ctid_conf_error err;
  ck_assert_msg(ctid_config_apply(e, cs, c, 1000, &err) == 0, "%s", err.message);
  ck_assert_int_eq(qget(e, "sales", CCENTER_QUEUE_MAX_WAIT), 600000);
  ck_assert_int_eq(qget(e, "sales", CCENTER_QUEUE_SL_TARGET), 8000);
  ck_assert_int_eq(qget(e, "general", CCENTER_QUEUE_SL_TARGET), 7500);
  ck_assert_int_eq(qget(e, "fraud", CCENTER_QUEUE_STRATEGY), CCENTER_STRATEGY_BEST_SKILL);
  ck_assert_int_eq(qget(e, "fraud", CCENTER_QUEUE_WRAP_UP), -1);
  ck_assert_uint_eq(members(e, "sales", 1000), 2);
  ck_assert_uint_eq(members(e, "fraud", 1000), 2);
  ccenter_skill_info si = {.size = sizeof si};
  ck_assert_int_eq(ccenter_skill_info_get(e, "sales", 1000, &si), 0);
  ck_assert_uint_eq(si.agents, 2);
  /* The workflow is in: a case opens on it. */
  ck_assert_int_eq(ccenter_case_open(cs, "c1", "uk-app-scam", "alice", NULL, 2000), 0);
  /* Applying again (a recovered engine) changes nothing and fails on nothing. */
  ck_assert_msg(ctid_config_apply(e, cs, c, 3000, &err) == 0, "%s", err.message);
  ck_assert_uint_eq(members(e, "sales", 3000), 2);
  /* A library refusal names the line: a ring_every below the engine's minimum. */
  ctid_config *bad = NULL;
  static const char t[] = MINIMAL "[queue q]\nring_every = 10ms\n";
  ck_assert_int_eq(ctid_config_parse(t, sizeof t - 1, "r.conf", &bad, &err), 0);
  ck_assert_int_eq(ctid_config_apply(e, NULL, bad, 4000, &err), CCENTER_ERANGE);
  ck_assert_int_eq(err.line, 6);
  ck_assert(strncmp(err.message, "r.conf:6: ring_every q:", 23) == 0);
  ctid_config_free(bad);
  ccenter_cases_free(cs);
  ccenter_engine_free(e);
  ctid_config_free(c);
}
END_TEST

START_TEST(missing_asset)
{
  static const char t[] = MINIMAL "[cases]\ncalendar = no-such-cal\n";
  ctid_config *c = NULL;
  ctid_conf_error err;
  ck_assert_int_eq(ctid_config_parse(t, sizeof t - 1, "a.conf", &c, &err), 0);
  ck_assert_int_eq(ctid_config_load_assets(c, "/nonexistent", &err), -1);
  ck_assert_int_eq(err.line, 6);
  ck_assert(strstr(err.message, "a.conf:6: calendar 'no-such-cal': cannot read "
                                "/nonexistent/calendars/no-such-cal.cal"));
  ctid_config_free(c);
}
END_TEST

static const ctid_change *find_change(const ctid_diff *d, ctid_object o, const char *name)
{
  for (size_t i = 0; i < d->n; i++)
    if (d->changes[i].object == o && strcmp(d->changes[i].name, name) == 0)
      return &d->changes[i];
  return NULL;
}

static char *replace(const char *s, const char *from, const char *to)
{
  const char *at = strstr(s, from);
  ck_assert_ptr_nonnull(at);
  size_t n = strlen(s) - strlen(from) + strlen(to);
  char *r = malloc(n + 1);
  size_t pre = (size_t)(at - s);
  memcpy(r, s, pre);
  strcpy(r + pre, to);
  strcat(r, at + strlen(from));
  return r;
}

START_TEST(reload)
{
  size_t len;
  char *text = slurp(example_path(), &len);
  ctid_config *old = load_example(text, len);
  /* The new file: sales waits 5 minutes and loses its second step, bob is gone (with his
     principal), dave arrives, a queue "vip" is added, carol loses her case roles, the
     loopback listener moves. */
  char *t1 = replace(text, "max_wait = 10m", "max_wait = 5m");
  char *t2 = replace(t1, "step = 2m sales >= 4\n", "");
  char *t3 = replace(t2, "[agent bob]", "[agent dave]\nskill.sales = 3\nqueues = vip\n\n"
                                        "[queue vip]\n\n[agent bob_old]");
  char *t4 = replace(t3, "agent = bob\n", "agent = dave\n");
  char *t5 = replace(t4, "[principal bob]", "[principal dave]");
  char *t6 = replace(t5, "case_roles = supervisor\n", "");
  char *t7 = replace(t6, "127.0.0.1:7020", "127.0.0.1:7030");
  ctid_config *neu = load_example(t7, strlen(t7));

  ccenter_engine *e = NULL;
  ccenter_cases *cs = NULL;
  ck_assert_int_eq(ccenter_engine_new(NULL, 0, &e), 0);
  ck_assert_int_eq(ccenter_cases_new(NULL, 0, &cs), 0);
  ctid_conf_error err;
  ck_assert_msg(ctid_config_apply(e, cs, old, 0, &err) == 0, "%s", err.message);
  /* bob is on a call from sales when the reload comes. */
  ck_assert_int_eq(ccenter_agent_login(e, "bob", 0), 0);
  ck_assert_int_eq(ccenter_agent_ready(e, "bob", 0), 0);
  ck_assert_int_eq(ccenter_contact_enqueue(e, "call1", "general", NULL, 1000), 0);
  ccenter_contact_info ci = {.size = sizeof ci};
  ck_assert_int_eq(ccenter_contact_info_get(e, "call1", 1000, &ci), 0);
  ck_assert_int_eq(ci.state, CCENTER_CONTACT_OFFERED);
  ck_assert_int_eq(ccenter_offer_accept(e, "bob", "call1", 2000), 0);

  ctid_diff d;
  ck_assert_int_eq(ctid_config_diff(old, neu, &d), 0);
  const ctid_change *ch;
  ck_assert_ptr_nonnull(ch = find_change(&d, CTID_OBJ_QUEUE, "sales"));
  ck_assert_int_eq(ch->kind, CTID_CHANGE_CHANGED);
  ck_assert_ptr_nonnull(ch = find_change(&d, CTID_OBJ_QUEUE, "vip"));
  ck_assert_int_eq(ch->kind, CTID_CHANGE_ADDED);
  ck_assert_ptr_nonnull(ch = find_change(&d, CTID_OBJ_AGENT, "dave"));
  ck_assert_int_eq(ch->kind, CTID_CHANGE_ADDED);
  ck_assert_ptr_nonnull(ch = find_change(&d, CTID_OBJ_AGENT, "bob"));
  ck_assert_int_eq(ch->kind, CTID_CHANGE_REMOVED);
  ck_assert_ptr_nonnull(ch = find_change(&d, CTID_OBJ_PRINCIPAL, "bob"));
  ck_assert_int_eq(ch->outcome, CTID_SERVER);
  ck_assert_ptr_nonnull(ch = find_change(&d, CTID_OBJ_PRINCIPAL, "carol"));
  ck_assert_int_eq(ch->kind, CTID_CHANGE_CHANGED);
  ck_assert_ptr_nonnull(ch = find_change(&d, CTID_OBJ_LISTENER, "loopback"));
  ck_assert_int_eq(ch->outcome, CTID_SERVER);
  ck_assert_ptr_null(find_change(&d, CTID_OBJ_QUEUE, "general"));
  ck_assert_ptr_null(find_change(&d, CTID_OBJ_AGENT, "alice"));
  ck_assert_ptr_null(find_change(&d, CTID_OBJ_WORKFLOW, "uk-app-scam"));
  ck_assert_ptr_null(find_change(&d, CTID_OBJ_LIMITS, ""));
  ck_assert_uint_eq(d.n, 9); /* the seven above, bob_old and principal dave added */

  ck_assert_msg(ctid_config_reload(e, cs, old, neu, &d, 3000, &err) == 0, "%s", err.message);
  ck_assert_int_eq(qget(e, "sales", CCENTER_QUEUE_MAX_WAIT), 300000);
  ck_assert_uint_eq(members(e, "vip", 3000), 1);
  /* bob keeps his call: logged out pending, the removal deferred. */
  ch = find_change(&d, CTID_OBJ_AGENT, "bob");
  ck_assert_int_eq(ch->outcome, CTID_DEFERRED);
  ck_assert_int_eq(ccenter_contact_info_get(e, "call1", 3000, &ci), 0);
  ck_assert_int_eq(ci.state, CCENTER_CONTACT_CONNECTED);
  ck_assert_str_eq(ci.agent, "bob");
  ck_assert_int_eq(ctid_reload_retry(e, &d, 3500), 1);
  /* The call ends; after wrap-up bob is logged out and the retry removes him. */
  ck_assert_int_eq(ccenter_contact_end(e, "call1", CCENTER_PARTY_CUSTOMER, 4000), 0);
  ck_assert_int_eq(ccenter_engine_advance(e, 4000 + 15000), 0);
  ck_assert_int_eq(ctid_reload_retry(e, &d, 20000), 0);
  ck_assert_int_eq(ch->outcome, CTID_APPLIED);
  ccenter_agent_info ai = {.size = sizeof ai};
  ck_assert_int_eq(ccenter_agent_info_get(e, "bob", 20000, &ai), CCENTER_ENOENT);
  ck_assert_uint_eq(members(e, "sales", 20000), 2); /* alice and bob_old */

  /* Reloading the same file again: nothing changes. */
  ctid_diff none;
  ck_assert_int_eq(ctid_config_diff(neu, neu, &none), 0);
  ck_assert_uint_eq(none.n, 0);
  ctid_diff_free(&none);

  /* A changed workflow needs a restart; a removed queue with a caller waits. */
  char *t8 = replace(t7, "[queue vip]\n", "");
  char *t9 = replace(t8, "queues = vip\n", "");
  char *t10 = replace(t9, "workflow = uk-app-scam", "workflow = us-reg-e");
  char *t11 = replace(t10, "calendar = gb-eaw-2026", "calendar = gb-eaw-2026\n"
                                                      "calendar = us-frb-2026");
  ctid_config *third = load_example(t11, strlen(t11));
  ck_assert_int_eq(ccenter_contact_enqueue(e, "call2", "vip", NULL, 21000), 0);
  ctid_diff d2;
  ck_assert_int_eq(ctid_config_diff(neu, third, &d2), 0);
  ck_assert_int_eq(find_change(&d2, CTID_OBJ_WORKFLOW, "uk-app-scam")->outcome, CTID_RESTART);
  ck_assert_int_eq(find_change(&d2, CTID_OBJ_WORKFLOW, "us-reg-e")->kind, CTID_CHANGE_ADDED);
  ck_assert_msg(ctid_config_reload(e, cs, neu, third, &d2, 22000, &err) == 0, "%s",
                err.message);
  ch = find_change(&d2, CTID_OBJ_QUEUE, "vip");
  ck_assert_int_eq(ch->outcome, CTID_DEFERRED);
  ck_assert_int_eq(ccenter_case_open(cs, "c2", "us-reg-e", "alice", NULL, 22000), 0);
  ck_assert_int_eq(ccenter_contact_abandon(e, "call2", 23000), 0);
  ck_assert_int_eq(ctid_reload_retry(e, &d2, 23000), 0);
  ck_assert_int_eq(ch->outcome, CTID_APPLIED);
  ccenter_queue_info qi = {.size = sizeof qi};
  ck_assert_int_eq(ccenter_queue_info_get(e, "vip", 23000, &qi), CCENTER_ENOENT);

  ctid_diff_free(&d2);
  ctid_diff_free(&d);
  ctid_config_free(third);
  ctid_config_free(neu);
  ctid_config_free(old);
  ccenter_cases_free(cs);
  ccenter_engine_free(e);
  free(t1); free(t2); free(t3); free(t4); free(t5); free(t6); free(t7);
  free(t8); free(t9); free(t10); free(t11);
}
END_TEST

Suite *make_suite(void)
{
  Suite *s = suite_create("ctid_conf");
  TCase *tc = tcase_create("auth");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, pbkdf2_rfc7914_vectors);
  tcase_add_test(tc, hash_and_verify);
  tcase_add_test(tc, stored_form_checked);
  tcase_add_test(tc, lockout_timing);
  tcase_add_test(tc, passwd_tool);
  suite_add_tcase(s, tc);
  tc = tcase_create("parse");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, example_parses);
  tcase_add_test(tc, durability_names);
  tcase_add_loop_test(tc, bad_files, 0, (int)(sizeof bad_cases / sizeof bad_cases[0]));
  tcase_add_test(tc, odd_bytes);
  tcase_add_test(tc, mutations);
  suite_add_tcase(s, tc);
  tc = tcase_create("apply");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, example_applies);
  tcase_add_test(tc, missing_asset);
  tcase_add_test(tc, reload);
  suite_add_tcase(s, tc);
  return s;
}

CC_TEST_MAIN()
