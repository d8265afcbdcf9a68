/*
 * ctid's transport: a listener on a free loopback port (or a Unix socket) and clients of
 * the same transport in one uv loop per test; TLS with a self-signed certificate made at
 * test time with the OpenSSL API. Each test ends with uv_loop_close() == 0: every handle
 * was closed, and ASan's leak check sees that every connection was freed.
 */
#include "harness.h"
#include "transport.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

/* ---- the certificate (made once per test case, in the parent) ---- */

static char tmp_dir[64];
static char cert_path[128];
static char key_path[128];
static char sock_path[128];

static void write_pem(const char *path, EVP_PKEY *key, X509 *x)
{
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(key ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL)
                       : PEM_write_X509(f, x), 1);
  ck_assert_int_eq(fclose(f), 0);
}

/* Self-signed for localhost and 127.0.0.1, valid from an hour ago for a day. */
static void cert_setup(void)
{
  snprintf(tmp_dir, sizeof tmp_dir, "/tmp/ctid-transport-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(tmp_dir));
  snprintf(cert_path, sizeof cert_path, "%s/cert.pem", tmp_dir);
  snprintf(key_path, sizeof key_path, "%s/key.pem", tmp_dir);
  snprintf(sock_path, sizeof sock_path, "%s/ctid.sock", tmp_dir);

  EVP_PKEY *key = EVP_EC_gen("P-256");
  ck_assert_ptr_nonnull(key);
  X509 *x = X509_new();
  ck_assert_ptr_nonnull(x);
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 86400);
  X509_set_pubkey(x, key);
  X509_NAME *name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost",
                             -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
  X509_EXTENSION *san =
      X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
  ck_assert_ptr_nonnull(san);
  X509_add_ext(x, san, -1);
  X509_EXTENSION_free(san);
  ck_assert_int_gt(X509_sign(x, key, EVP_sha256()), 0);
  write_pem(key_path, key, NULL);
  write_pem(cert_path, NULL, x);
  X509_free(x);
  EVP_PKEY_free(key);
}

static void cert_teardown(void)
{
  unlink(cert_path);
  unlink(key_path);
  unlink(sock_path);
  rmdir(tmp_dir);
}

/* ---- a world: one loop, one listener, its clients ---- */

/* SRV_END: the first bytes received, a length in decimal, get a response of that many
   bytes of end_data and ct_conn_end. */
enum server_mode { SRV_ECHO, SRV_FLOOD, SRV_END };

typedef struct {
  const char *reason;
  int n;
} reason_count;

typedef struct world {
  uv_loop_t loop;
  ct_listener *l;
  SSL_CTX *srv_tls, *cli_tls;
  enum server_mode mode;
  int clients_left;  /* the listener closes when this reaches 0 */
  int srv_opened, srv_closed;
  reason_count srv_reasons[16], cli_reasons[16];
  int log_lines, log_handshake_failed, log_linger;
  /* SRV_FLOOD */
  size_t flood_sent, flood_max_queued, out_max;
  int flood_rc;
  ct_conn *slow_client;
  /* many connects */
  int to_start, started;
  bool many_tls;
  struct client *after_bad;
  /* SRV_END */
  const unsigned char *end_data;
  size_t end_len;
  int send_after_end;
  ct_conn *stopper_srv, *stopper;  /* the server's and the client's side */
} world;

typedef struct client {
  world *w;
  ct_conn *c;
  const unsigned char *data;
  size_t total, recvd;
  uint32_t seed;
  int ticks;     /* idle test: bytes still to send, one a tick */
  uv_timer_t tick;
  const char *closed_by;
  uint64_t opened_at, closed_at;
  bool abrupt;   /* many connects: close at once on open */
  bool half_close; /* many connects: send, then ct_conn_end (shut the write side down) */
} client;

static void count_reason(reason_count *rc, const char *reason)
{
  for (int i = 0; i < 16; i++) {
    if (!rc[i].reason || strcmp(rc[i].reason, reason) == 0) {
      rc[i].reason = reason;
      rc[i].n++;
      return;
    }
  }
  ck_abort_msg("more than 16 close reasons");
}

static int reasons(const reason_count *rc, const char *reason)
{
  for (int i = 0; i < 16 && rc[i].reason; i++)
    if (strcmp(rc[i].reason, reason) == 0)
      return rc[i].n;
  return 0;
}

static void test_log(void *user, const char *line)
{
  world *w = user;
  w->log_lines++;
  if (strstr(line, "TLS handshake failed: "))
    w->log_handshake_failed++;
  if (strstr(line, "did not close within"))
    w->log_linger++;
}

/* The listener closes once every client is gone and the server has seen each go (so
   that no server connection ends by "shutdown"). srv_closing: a server connection is in
   its on_close, still counted. */
static void maybe_finish(world *w, size_t srv_closing)
{
  if (w->clients_left == 0 && w->l && ct_listener_nconns(w->l) == srv_closing) {
    ct_listener_close(w->l);
    w->l = NULL;
  }
}

static void test_log_quiet(void *user, const char *line)
{
}

static void srv_open(ct_conn *c)
{
  world *w = ct_conn_user(c);
  w->srv_opened++;
  if (w->mode != SRV_FLOOD)
    return;
  static unsigned char chunk[65536];
  for (size_t i = 0; i < 1024; i++) {
    w->flood_rc = ct_conn_send(c, chunk, sizeof chunk);
    if (w->flood_rc)
      break;
    w->flood_sent += sizeof chunk;
    size_t q = ct_conn_out_queued(c);
    if (q > w->flood_max_queued)
      w->flood_max_queued = q;
  }
}

static void srv_data(ct_conn *c, const void *bytes, size_t len)
{
  world *w = ct_conn_user(c);
  if (w->mode != SRV_END) {
    ck_assert_int_eq(ct_conn_send(c, bytes, len), CT_OK);
    return;
  }
  char want[16] = "";
  memcpy(want, bytes, len < sizeof want - 1 ? len : sizeof want - 1);
  size_t n = strtoul(want, NULL, 10);
  ck_assert_uint_le(n, w->end_len);
  if (n == w->end_len)
    w->stopper_srv = c;
  ck_assert_int_eq(ct_conn_send(c, w->end_data, n), CT_OK);
  ct_conn_end(c, "bye");
  w->send_after_end = ct_conn_send(c, "x", 1);
}

static void srv_close(ct_conn *c, const char *reason)
{
  world *w = ct_conn_user(c);
  w->srv_closed++;
  count_reason(w->srv_reasons, reason);
  if (w->slow_client && strcmp(reason, "output buffer full") == 0)
    ct_conn_close(w->slow_client, "test done");
  /* The stopper reads again once its server side is gone: what the kernel holds, then the
     end. */
  if (c == w->stopper_srv && w->stopper)
    ct_conn_read_start(w->stopper);
  maybe_finish(w, 1);
}

static void world_init(world *w, enum server_mode mode, bool tls, bool unix_socket,
                       const ct_limits *limits)
{
  memset(w, 0, sizeof *w);
  ck_assert_int_eq(uv_loop_init(&w->loop), 0);
  char err[256] = "";
  w->srv_tls = ct_tls_server_ctx(cert_path, key_path, err, sizeof err);
  ck_assert_msg(w->srv_tls, "%s", err);
  w->cli_tls = ct_tls_client_ctx(cert_path, err, sizeof err);
  ck_assert_msg(w->cli_tls, "%s", err);
  w->mode = mode;
  ct_listen_config cfg = {
    .host = "127.0.0.1",
    .port = 0,
    .path = unix_socket ? sock_path : NULL,
    .tls = tls ? w->srv_tls : NULL,
    .limits = *limits,
    .cb = {.on_open = srv_open, .on_data = srv_data, .on_close = srv_close,
           .log = test_log, .log_user = w},
    .user = w,
  };
  ck_assert_msg(ct_listen(&w->loop, &cfg, &w->l, err, sizeof err) == CT_OK, "%s", err);
  ck_assert(unix_socket || ct_listener_port(w->l) > 0);
}

/* Runs until every client and the listener are gone; nothing may be left open. */
static void world_run(world *w)
{
  uv_run(&w->loop, UV_RUN_DEFAULT);
  SSL_CTX_free(w->srv_tls);
  SSL_CTX_free(w->cli_tls);
  ck_assert_int_eq(uv_loop_close(&w->loop), 0);
}

static void client_gone(world *w)
{
  w->clients_left--;
  maybe_finish(w, 0);
}

static uint32_t lcg(uint32_t *s)
{
  *s = *s * 1664525u + 1013904223u;
  return *s >> 8;
}

/* ---- echo clients ---- */

static void echo_open(ct_conn *c)
{
  client *k = ct_conn_user(c);
  k->opened_at = uv_now(&k->w->loop);
  /* Split writes of 1 byte to 70,000 bytes, all queued at once. */
  for (size_t off = 0; off < k->total;) {
    size_t n = 1 + lcg(&k->seed) % 70000;
    if (n > k->total - off)
      n = k->total - off;
    ck_assert_int_eq(ct_conn_send(c, k->data + off, n), CT_OK);
    off += n;
  }
}

static void echo_data(ct_conn *c, const void *bytes, size_t len)
{
  client *k = ct_conn_user(c);
  ck_assert_uint_le(k->recvd + len, k->total);
  ck_assert(memcmp(bytes, k->data + k->recvd, len) == 0);
  k->recvd += len;
  if (k->recvd == k->total)
    ct_conn_close(c, "done");
}

static void tick_closed(uv_handle_t *h)
{
  client *k = h->data;
  client_gone(k->w);
}

static void cli_close(ct_conn *c, const char *reason)
{
  client *k = ct_conn_user(c);
  k->closed_by = reason;
  k->closed_at = uv_now(&k->w->loop);
  count_reason(k->w->cli_reasons, reason);
  k->c = NULL;
  if (k->w->stopper == c)
    k->w->stopper = NULL;
  if (k->tick.data) {
    uv_close((uv_handle_t *)&k->tick, tick_closed);
    return;
  }
  client_gone(k->w);
}

static const ct_callbacks echo_cb = {
  .on_open = echo_open, .on_data = echo_data, .on_close = cli_close, .log = test_log,
};

static void client_connect(world *w, client *k, bool tls, const char *path,
                           const ct_callbacks *cb)
{
  char err[256] = "";
  ct_callbacks cbs = *cb;
  cbs.log_user = w;
  k->w = w;
  ct_limits none = {.out_max = 0};
  int rc = ct_connect(&w->loop, "127.0.0.1", path ? 0 : ct_listener_port(w->l), path,
                      tls ? w->cli_tls : NULL, tls ? "localhost" : NULL, &none, &cbs, k,
                      &k->c, err, sizeof err);
  ck_assert_msg(rc == CT_OK, "%s", err);
}

static unsigned char *pattern(size_t n)
{
  unsigned char *p = malloc(n ? n : 1);
  ck_assert_ptr_nonnull(p);
  uint32_t s = (uint32_t)n;
  for (size_t i = 0; i < n; i++)
    p[i] = (unsigned char)lcg(&s);
  return p;
}

/* _i: 0 plain TCP, 1 TLS over TCP, 2 plain Unix socket, 3 TLS over a Unix socket. */
START_TEST(echo_round_trips)
{
  bool tls = _i & 1, unix_socket = _i & 2;
  static const size_t sizes[] = {1, 2, 1000, 16383, 16384, 16385, 65536, 200000, 1 << 20};
  enum { N = sizeof sizes / sizeof sizes[0] };
  world w;
  ct_limits limits = {.out_max = 4u << 20, .idle_ms = 30000};
  world_init(&w, SRV_ECHO, tls, unix_socket, &limits);
  client k[N];
  memset(k, 0, sizeof k);
  w.clients_left = N;
  for (int i = 0; i < N; i++) {
    k[i].total = sizes[i];
    k[i].data = pattern(sizes[i]);
    k[i].seed = (uint32_t)i + 1;
    client_connect(&w, &k[i], tls, unix_socket ? sock_path : NULL, &echo_cb);
  }
  world_run(&w);
  for (int i = 0; i < N; i++) {
    ck_assert_msg(k[i].recvd == sizes[i], "size %zu: %zu bytes back", sizes[i], k[i].recvd);
    ck_assert_str_eq(k[i].closed_by, "done");
    free((void *)k[i].data);
  }
  ck_assert_int_eq(w.srv_opened, N);
  ck_assert_int_eq(w.srv_closed, N);
  ck_assert_int_eq(reasons(w.srv_reasons, "peer closed"), N);
  if (unix_socket)
    ck_assert_int_eq(access(sock_path, F_OK), -1);
}
END_TEST

/* ---- the output bound ---- */

static void slow_open(ct_conn *c)
{
  ct_conn_read_stop(c);
}

/* A client that never reads: the server floods it until the bound cuts it off, and a
   second client on the same listener still gets its echo afterwards. _i: 0 plain, 1 TLS. */
START_TEST(output_bound_cuts_off_slow_reader)
{
  bool tls = _i;
  world w;
  ct_limits limits = {.out_max = 256 * 1024, .idle_ms = 30000};
  world_init(&w, SRV_FLOOD, tls, false, &limits);
  client slow = {0};
  w.clients_left = 1;
  ct_callbacks cb = echo_cb;
  cb.on_open = slow_open;
  client_connect(&w, &slow, tls, NULL, &cb);
  w.slow_client = slow.c;
  world_run(&w);
  ck_assert_int_eq(w.flood_rc, CT_EOVERFLOW);
  ck_assert_int_eq(reasons(w.srv_reasons, "output buffer full"), 1);
  ck_assert_uint_le(w.flood_max_queued, limits.out_max);
  ck_assert_uint_ge(w.flood_sent, limits.out_max);
  ck_assert_uint_lt(w.flood_sent, 1024u * 65536u);
  ck_assert_str_eq(slow.closed_by, "test done");
}
END_TEST

/* ---- ending after the output ---- */

enum { LINGER_MS = 500 };

/* Asks for its total; an abrupt client stops reading until the server has closed. */
static void hello_open(ct_conn *c)
{
  client *k = ct_conn_user(c);
  char want[16];
  int n = snprintf(want, sizeof want, "%zu", k->total);
  ck_assert_int_eq(ct_conn_send(c, want, (size_t)n), CT_OK);
  if (!k->abrupt)
    return;
  ct_conn_read_stop(c);
  k->w->stopper = c;
}

static void end_data(ct_conn *c, const void *bytes, size_t len)
{
  client *k = ct_conn_user(c);
  ck_assert_uint_le(k->recvd + len, k->total);
  ck_assert(memcmp(bytes, k->data + k->recvd, len) == 0);
  k->recvd += len;
}

/* A last response of 2 MiB (more than one write puts into the kernel) followed by
   ct_conn_end reaches the client whole, then the client sees the end; a client that stops
   reading is closed after linger_ms, before its 16 MiB response is through (what the
   kernel holds still arrives, the rest is dropped). _i: 0 plain, 1 TLS. */
START_TEST(end_after_output)
{
  bool tls = _i;
  world w;
  ct_limits limits = {.out_max = 32u << 20, .idle_ms = 30000, .linger_ms = LINGER_MS};
  world_init(&w, SRV_END, tls, false, &limits);
  w.end_len = 16u << 20;
  w.end_data = pattern(w.end_len);
  client reader = {.data = w.end_data, .total = 2u << 20};
  client stopper = {.data = w.end_data, .total = w.end_len, .abrupt = true};
  w.clients_left = 2;
  ct_callbacks cb = echo_cb;
  cb.on_open = hello_open;
  cb.on_data = end_data;
  client_connect(&w, &reader, tls, NULL, &cb);
  client_connect(&w, &stopper, tls, NULL, &cb);
  world_run(&w);
  ck_assert_int_eq(w.send_after_end, CT_ECLOSED);
  ck_assert_uint_eq(reader.recvd, reader.total);
  ck_assert_str_eq(reader.closed_by, "peer closed");
  ck_assert_int_eq(reasons(w.srv_reasons, "bye"), 2);
  /* The stopper was closed by the server's linger deadline (it reads nothing before its
     server side is gone, so nothing else could have ended it). The reader may have been
     too, on a loaded machine still reading its last bytes from the kernel's buffers after
     LINGER_MS; that loses it nothing (recvd above): the close is a FIN after the data. */
  ck_assert_int_ge(w.log_linger, 1);
  ck_assert_uint_lt(stopper.recvd, w.end_len);
  free((void *)w.end_data);
}
END_TEST

/* ---- the idle timeout ---- */

enum { IDLE_MS = 300, TICK_MS = 30 };

static void tick(uv_timer_t *t)
{
  client *k = t->data;
  if (!k->c)
    return;
  if (k->ticks-- == 0) {
    uv_timer_stop(t);
    return;
  }
  ck_assert_int_eq(ct_conn_send(k->c, "x", 1), CT_OK);
}

static void ticking_open(ct_conn *c)
{
  client *k = ct_conn_user(c);
  k->opened_at = uv_now(&k->w->loop);
  uv_timer_start(&k->tick, tick, TICK_MS, TICK_MS);
}

static void ticking_data(ct_conn *c, const void *bytes, size_t len)
{
  client *k = ct_conn_user(c);
  k->recvd += len;
  if (k->recvd == 20)
    ct_conn_close(c, "done");
}

static void silent_open(ct_conn *c)
{
  client *k = ct_conn_user(c);
  k->opened_at = uv_now(&k->w->loop);
}

/* A silent client is closed after IDLE_MS; one that sends a byte every TICK_MS for 20 ticks
   (twice IDLE_MS) is not. With TLS the silent client is a plain one that never starts its
   handshake: a peer stalled mid-handshake times out the same way. _i: 0 plain, 1 TLS. */
START_TEST(idle_timeout)
{
  bool tls = _i;
  world w;
  ct_limits limits = {.out_max = 1 << 20, .idle_ms = IDLE_MS};
  world_init(&w, SRV_ECHO, tls, false, &limits);
  client silent = {0}, ticking = {0};
  w.clients_left = 2;
  ct_callbacks scb = echo_cb;
  scb.on_open = silent_open;
  client_connect(&w, &silent, false, NULL, &scb);
  ticking.ticks = 20;
  uv_timer_init(&w.loop, &ticking.tick);
  ticking.tick.data = &ticking;
  ct_callbacks tcb = echo_cb;
  tcb.on_open = ticking_open;
  tcb.on_data = ticking_data;
  client_connect(&w, &ticking, tls, NULL, &tcb);
  uint64_t start = uv_now(&w.loop);
  world_run(&w);
  ck_assert_str_eq(silent.closed_by, "peer closed");
  ck_assert_int_eq(reasons(w.srv_reasons, "idle timeout"), 1);
  ck_assert_uint_ge(silent.closed_at - start, IDLE_MS);
  ck_assert_str_eq(ticking.closed_by, "done");
  ck_assert_uint_eq(ticking.recvd, 20);
  ck_assert_int_eq(reasons(w.srv_reasons, "peer closed"), 1);
}
END_TEST

/* ---- many connections ---- */

static void many_start(world *w);

static void many_open(ct_conn *c)
{
  client *k = ct_conn_user(c);
  if (k->abrupt) {
    ct_conn_close(c, "done");
    return;
  }
  ck_assert_int_eq(ct_conn_send(c, "ping", 4), CT_OK);
  /* The server answers and then sees the end of its input: it closes, which ends this
     side too. */
  if (k->half_close)
    ct_conn_end(c, "done");
}

static void many_data(ct_conn *c, const void *bytes, size_t len)
{
  client *k = ct_conn_user(c);
  k->recvd += len;
  if (k->recvd == 4)
    ct_conn_close(c, "done");
}

static void many_close(ct_conn *c, const char *reason)
{
  client *k = ct_conn_user(c);
  world *w = k->w;
  count_reason(w->cli_reasons, reason);
  free(k);
  many_start(w);
  client_gone(w);
}

static void many_start(world *w)
{
  if (w->started == w->to_start)
    return;
  static const ct_callbacks cb = {
    .on_open = many_open, .on_data = many_data, .on_close = many_close, .log = test_log,
  };
  client *k = calloc(1, sizeof *k);
  ck_assert_ptr_nonnull(k);
  /* A third hang up before a byte is exchanged, a sixth half-close after theirs. */
  k->abrupt = w->started % 3 == 0;
  k->half_close = w->started % 6 == 1;
  w->started++;
  client_connect(w, k, w->many_tls, NULL, &cb);
}

/* 1,000 connects and disconnects, 50 at a time, some hanging up at once and some
   half-closing; every connection is freed (the loop closes clean; ASan checks the memory).
   _i: 0 plain, 1 TLS. */
START_TEST(many_connects)
{
  enum { TOTAL = 1000, AT_ONCE = 50 };
  world w;
  ct_limits limits = {.out_max = 64 * 1024, .idle_ms = 30000};
  world_init(&w, SRV_ECHO, _i, false, &limits);
  w.many_tls = _i;
  w.to_start = TOTAL;
  w.clients_left = TOTAL;
  for (int i = 0; i < AT_ONCE; i++)
    many_start(&w);
  world_run(&w);
  ck_assert_int_eq(reasons(w.cli_reasons, "done"), TOTAL);
  ck_assert_int_eq(w.srv_closed, w.srv_opened);
  ck_assert_int_le(w.srv_opened, TOTAL);
  /* A client hanging up at once may be gone before its server side finishes the handshake
     (TLS); each accepted connection is closed either way. */
  ck_assert_int_eq(w.srv_closed, reasons(w.srv_reasons, "peer closed") +
                                     reasons(w.srv_reasons, "peer closed during handshake") +
                                     reasons(w.srv_reasons, "TLS error"));
}
END_TEST

/* ---- bad TLS peers ---- */

static void garbage_open(ct_conn *c)
{
  client *k = ct_conn_user(c);
  ck_assert_int_eq(ct_conn_send(c, k->data, k->total), CT_OK);
  if (k->abrupt)
    ct_conn_close(c, "vanished");
}

static void bad_peers_done(ct_conn *c, const char *reason);

static void ignore_data(ct_conn *c, const void *bytes, size_t len)
{
}

/* A plain client sending garbage to the TLS listener, one that vanishes after half a
   ClientHello's header, and a TLS client that does not trust the server's certificate:
   each is closed, logged, and a good TLS client is served afterwards. */
START_TEST(tls_bad_peers)
{
  world w;
  ct_limits limits = {.out_max = 4u << 20, .idle_ms = 30000};
  world_init(&w, SRV_ECHO, true, false, &limits);
  static const unsigned char half_hello[] = {0x16, 0x03, 0x01, 0x02};
  client garbage = {.total = 4096}, vanish = {.total = sizeof half_hello, .abrupt = true},
         distrust = {0}, good = {.total = 100000, .seed = 7};
  garbage.data = pattern(garbage.total);
  vanish.data = half_hello;
  good.data = pattern(good.total);
  w.clients_left = 4;

  ct_callbacks gcb = echo_cb;
  gcb.on_open = garbage_open;
  gcb.on_data = ignore_data;
  gcb.on_close = bad_peers_done;
  client_connect(&w, &garbage, false, NULL, &gcb);
  client_connect(&w, &vanish, false, NULL, &gcb);

  /* The default CA store does not hold the test's self-signed certificate. */
  char err[256];
  SSL_CTX *untrusting = ct_tls_client_ctx(NULL, err, sizeof err);
  ck_assert_msg(untrusting, "%s", err);
  ct_callbacks dcb = gcb;
  distrust.w = &w;
  dcb.log_user = &w;
  ck_assert_int_eq(ct_connect(&w.loop, "127.0.0.1", ct_listener_port(w.l), NULL, untrusting,
                              "localhost", &limits, &dcb, &distrust, &distrust.c, err,
                              sizeof err),
                   CT_OK);
  SSL_CTX_free(untrusting);  /* the connection keeps its reference */

  /* The good client starts when the three bad ones are gone (bad_peers_done). */
  w.after_bad = &good;
  world_run(&w);

  ck_assert_str_eq(garbage.closed_by, "peer closed");
  ck_assert_str_eq(vanish.closed_by, "vanished");
  ck_assert_str_eq(distrust.closed_by, "TLS handshake failed");
  ck_assert_str_eq(good.closed_by, "done");
  ck_assert_uint_eq(good.recvd, good.total);
  /* Server side: the garbage and the distrusting client's alert fail the handshake; the
     vanished one ends mid-handshake. */
  ck_assert_int_eq(reasons(w.srv_reasons, "TLS handshake failed"), 2);
  ck_assert_int_eq(reasons(w.srv_reasons, "peer closed during handshake"), 1);
  ck_assert_int_eq(reasons(w.srv_reasons, "peer closed"), 1);
  /* Two on the server, one in the distrusting client. */
  ck_assert_int_eq(w.log_handshake_failed, 3);
  free((void *)garbage.data);
  free((void *)good.data);
}
END_TEST

static void bad_peers_done(ct_conn *c, const char *reason)
{
  client *k = ct_conn_user(c);
  world *w = k->w;
  cli_close(c, reason);
  if (w->clients_left == 1) {
    client_connect(w, w->after_bad, true, NULL, &echo_cb);
  }
}

/* ---- listener policy ---- */

static int try_listen(uv_loop_t *loop, const char *host, SSL_CTX *tls, bool allow, char *err,
                      size_t errlen)
{
  ct_listen_config cfg = {.host = host, .port = 0, .tls = tls, .allow_plain_remote = allow};
  ct_listener *l = NULL;
  int rc = ct_listen(loop, &cfg, &l, err, errlen);
  if (l)
    ct_listener_close(l);
  return rc;
}

START_TEST(plain_tcp_only_on_loopback)
{
  uv_loop_t loop;
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  char err[256] = "";
  SSL_CTX *tls = ct_tls_server_ctx(cert_path, key_path, err, sizeof err);
  ck_assert_msg(tls, "%s", err);

  ck_assert_int_eq(try_listen(&loop, "0.0.0.0", NULL, false, err, sizeof err), CT_EINVAL);
  ck_assert_msg(strstr(err, "refusing plain TCP on 0.0.0.0:0") && strstr(err, "loopback"),
                "%s", err);
  ck_assert_int_eq(try_listen(&loop, "::", NULL, false, err, sizeof err), CT_EINVAL);
  ck_assert_int_eq(try_listen(&loop, "::ffff:10.0.0.1", NULL, false, err, sizeof err),
                   CT_EINVAL);
  ck_assert_int_eq(try_listen(&loop, "ctid.example", NULL, true, err, sizeof err), CT_EINVAL);
  ck_assert_msg(strstr(err, "not a numeric address"), "%s", err);

  ck_assert_msg(try_listen(&loop, "0.0.0.0", NULL, true, err, sizeof err) == CT_OK, "%s", err);
  ck_assert_msg(try_listen(&loop, "0.0.0.0", tls, false, err, sizeof err) == CT_OK, "%s", err);
  ck_assert_msg(try_listen(&loop, "127.0.0.2", NULL, false, err, sizeof err) == CT_OK, "%s",
                err);
  ck_assert_msg(try_listen(&loop, "localhost", NULL, false, err, sizeof err) == CT_OK, "%s",
                err);
  /* ::1 may be unavailable (no IPv6 here): then binding fails, but policy let it through. */
  ck_assert_int_ne(try_listen(&loop, "::1", NULL, false, err, sizeof err), CT_EINVAL);

  uv_run(&loop, UV_RUN_DEFAULT);
  SSL_CTX_free(tls);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

static void refused_close(ct_conn *c, const char *reason)
{
  *(const char **)ct_conn_user(c) = reason;
}

/* Errors a server meets at start-up name their file; a refused connection ends in
   on_close. */
START_TEST(setup_errors)
{
  char err[256] = "";
  ck_assert_ptr_null(ct_tls_server_ctx("/nonexistent/cert.pem", key_path, err, sizeof err));
  ck_assert_msg(strstr(err, "/nonexistent/cert.pem"), "%s", err);
  ck_assert_ptr_null(ct_tls_server_ctx(cert_path, "/nonexistent/key.pem", err, sizeof err));
  ck_assert_msg(strstr(err, "/nonexistent/key.pem"), "%s", err);
  /* The certificate as its own key: not a key. */
  ck_assert_ptr_null(ct_tls_server_ctx(cert_path, cert_path, err, sizeof err));
  ck_assert_msg(strstr(err, cert_path), "%s", err);
  ck_assert_ptr_null(ct_tls_client_ctx("/nonexistent/ca.pem", err, sizeof err));
  ck_assert_msg(strstr(err, "/nonexistent/ca.pem"), "%s", err);

  /* A port nobody listens on: bind one, close it, connect to it. */
  uv_loop_t loop;
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ct_listen_config cfg = {.host = "127.0.0.1"};
  ct_listener *l = NULL;
  ck_assert_msg(ct_listen(&loop, &cfg, &l, err, sizeof err) == CT_OK, "%s", err);
  int port = ct_listener_port(l);
  ct_listener_close(l);
  uv_run(&loop, UV_RUN_DEFAULT);
  const char *reason = NULL;
  ct_callbacks cb = {.on_close = refused_close, .log = test_log_quiet};
  ct_conn *c = NULL;
  ck_assert_int_eq(ct_connect(&loop, "127.0.0.1", port, NULL, NULL, NULL, NULL, &cb,
                              &reason, &c, err, sizeof err), CT_OK);
  ck_assert_int_eq(ct_conn_send(c, "x", 1), CT_ENOTREADY);
  uv_run(&loop, UV_RUN_DEFAULT);
  ck_assert_str_eq(reason, "connect failed");
  ck_assert_int_eq(ct_connect(&loop, "not-an-address", 1, NULL, NULL, NULL, NULL, &cb,
                              &reason, &c, err, sizeof err), CT_EINVAL);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

/* A socket file left by a dead server is replaced; a live server's is not. */
START_TEST(unix_stale_socket)
{
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  ck_assert_int_ge(fd, 0);
  struct sockaddr_un sun = {.sun_family = AF_UNIX};
  ck_assert_uint_lt(strlen(sock_path), sizeof sun.sun_path);
  memcpy(sun.sun_path, sock_path, strlen(sock_path) + 1);
  ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof sun), 0);
  close(fd);  /* bound, never listened on, and left behind */

  uv_loop_t loop;
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  char err[256] = "";
  ct_listen_config cfg = {.path = sock_path};
  ct_listener *l = NULL, *second = NULL;
  ck_assert_msg(ct_listen(&loop, &cfg, &l, err, sizeof err) == CT_OK, "%s", err);
  ck_assert_int_eq(ct_listen(&loop, &cfg, &second, err, sizeof err), CT_EIO);
  ck_assert_msg(strstr(err, "address already in use"), "%s", err);
  ct_listener_close(l);
  uv_run(&loop, UV_RUN_DEFAULT);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
  ck_assert_int_eq(access(sock_path, F_OK), -1);
}
END_TEST

Suite *make_suite(void)
{
  /* A write to a peer that has gone must fail with EPIPE, not kill the test (ctid ignores
     SIGPIPE the same way). */
  signal(SIGPIPE, SIG_IGN);
  Suite *s = suite_create("transport");
  TCase *tc = tcase_create("transport");
  tcase_add_unchecked_fixture(tc, cert_setup, cert_teardown);
  /* Measured in meson.build: the longest test takes 12 s alone under ASan, about twice
     that beside other work; Check's timeout is not scaled by meson's asan setup. */
  tcase_set_timeout(tc, 150);
  tcase_add_loop_test(tc, echo_round_trips, 0, 4);
  tcase_add_loop_test(tc, output_bound_cuts_off_slow_reader, 0, 2);
  tcase_add_loop_test(tc, idle_timeout, 0, 2);
  tcase_add_loop_test(tc, end_after_output, 0, 2);
  tcase_add_loop_test(tc, many_connects, 0, 2);
  tcase_add_test(tc, tls_bad_peers);
  tcase_add_test(tc, plain_tcp_only_on_loopback);
  tcase_add_test(tc, unix_stale_socket);
  tcase_add_test(tc, setup_errors);
  suite_add_tcase(s, tc);
  return s;
}

CC_TEST_MAIN()
