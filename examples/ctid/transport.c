/*
 * ctid's transport: see transport.h. One uv loop thread; OpenSSL through memory BIOs so
 * that libuv keeps the socket and OpenSSL never touches a file descriptor.
 */
#include "transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#if defined(__GNUC__)
#define CT_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CT_PRINTF(f, a)
#endif

typedef union {
  uv_handle_t handle;
  uv_stream_t stream;
  uv_tcp_t tcp;
  uv_pipe_t pipe;
} ct_stream;

struct ct_listener {
  ct_stream h;
  uv_loop_t *loop;
  SSL_CTX *tls;
  ct_limits limits;
  ct_callbacks cb;
  void *user;
  ct_conn *conns;  /* accepted and not yet freed */
  size_t nconns;
  char *path;      /* the Unix socket to unlink on close */
  int port;
  bool closing;
  bool handle_closed;
};

struct ct_conn {
  ct_stream h;
  uv_timer_t idle;
  uv_connect_t connect_req;
  uv_shutdown_t shutdown_req;
  ct_listener *owner;  /* NULL for an outgoing connection */
  ct_conn *prev, *next;
  ct_callbacks cb;
  void *user;
  ct_limits limits;
  SSL *ssl;
  BIO *rbio, *wbio;    /* owned by ssl */
  int handles_open;
  bool open;
  bool reading;
  bool closing;
  bool ending;         /* ct_conn_end: flushing, then waiting for the peer's EOF */
  bool fatal;          /* no close_notify: the TLS state is broken */
  const char *reason;  /* of ct_conn_close, or of ct_conn_end while ending */
  size_t linger_queued; /* output not yet written when the linger deadline was set */
  char peer[64];
};

/* A write request and its bytes in one allocation, freed by its callback. */
typedef struct {
  uv_write_t req;
  size_t len;
  char data[];
} ct_wreq;

/* libuv calls alloc and read back to back on the loop thread, so one buffer per thread
   serves every connection without a 64 KiB buffer per idle connection. */
static _Thread_local char read_buf[65536];

enum { TLS_RECORD_MAX = 16384 };

static void set_err(char *err, size_t errlen, const char *fmt, ...) CT_PRINTF(3, 4);
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
  if (!err || !errlen)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

/* The first queued OpenSSL error as text; the queue is emptied so that the next
   operation's errors are its own. */
static const char *ssl_err_text(char *buf, size_t len)
{
  unsigned long e = ERR_get_error();
  if (e)
    ERR_error_string_n(e, buf, len);
  else
    snprintf(buf, len, "unexpected end of TLS stream");
  ERR_clear_error();
  return buf;
}

static void emit_log(const ct_callbacks *cb, const char *line)
{
  if (cb->log)
    cb->log(cb->log_user, line);
  else
    fprintf(stderr, "ctid: %s\n", line);
}

static void conn_log(ct_conn *c, const char *fmt, ...) CT_PRINTF(2, 3);
static void conn_log(ct_conn *c, const char *fmt, ...)
{
  char line[512];
  int n = snprintf(line, sizeof line, "conn %s%s: ", c->peer, c->ssl ? " (tls)" : "");
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
  va_end(ap);
  emit_log(&c->cb, line);
}

/* ---- TLS contexts ---- */

static SSL_CTX *ctx_new(const SSL_METHOD *method, char *err, size_t errlen)
{
  SSL_CTX *ctx = SSL_CTX_new(method);
  char buf[256];
  if (!ctx) {
    set_err(err, errlen, "SSL_CTX_new: %s", ssl_err_text(buf, sizeof buf));
    return NULL;
  }
  /* OpenSSL's default ciphers; below TLS 1.2 nothing is acceptable any more. */
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
  /* An idle connection then holds no 16 KiB record buffers. */
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  return ctx;
}

SSL_CTX *ct_tls_server_ctx(const char *cert_file, const char *key_file, char *err,
                           size_t errlen)
{
  char buf[256];
  SSL_CTX *ctx = ctx_new(TLS_server_method(), err, errlen);
  if (!ctx)
    return NULL;
  SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
    set_err(err, errlen, "%s: %s", cert_file, ssl_err_text(buf, sizeof buf));
  } else if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1) {
    set_err(err, errlen, "%s: %s", key_file, ssl_err_text(buf, sizeof buf));
  } else if (SSL_CTX_check_private_key(ctx) != 1) {
    set_err(err, errlen, "%s does not match %s: %s", key_file, cert_file,
            ssl_err_text(buf, sizeof buf));
  } else {
    return ctx;
  }
  SSL_CTX_free(ctx);
  return NULL;
}

SSL_CTX *ct_tls_client_ctx(const char *ca_file, char *err, size_t errlen)
{
  char buf[256];
  SSL_CTX *ctx = ctx_new(TLS_client_method(), err, errlen);
  if (!ctx)
    return NULL;
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
  int ok = ca_file ? SSL_CTX_load_verify_locations(ctx, ca_file, NULL)
                   : SSL_CTX_set_default_verify_paths(ctx);
  if (ok != 1) {
    set_err(err, errlen, "%s: %s", ca_file ? ca_file : "default CA store",
            ssl_err_text(buf, sizeof buf));
    SSL_CTX_free(ctx);
    return NULL;
  }
  return ctx;
}

/* ---- addresses ---- */

/* A numeric address or "localhost" (which means 127.0.0.1, not whatever resolv says). */
static int parse_addr(const char *host, int port, struct sockaddr_storage *ss)
{
  if (!host || port < 0 || port > 65535)
    return UV_EINVAL;
  if (strcmp(host, "localhost") == 0)
    host = "127.0.0.1";
  if (uv_ip4_addr(host, port, (struct sockaddr_in *)ss) == 0)
    return 0;
  return uv_ip6_addr(host, port, (struct sockaddr_in6 *)ss);
}

static bool is_loopback(const struct sockaddr_storage *ss)
{
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
    return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
  }
  const struct in6_addr *a6 = &((const struct sockaddr_in6 *)ss)->sin6_addr;
  if (IN6_IS_ADDR_LOOPBACK(a6))
    return true;
  return IN6_IS_ADDR_V4MAPPED(a6) && a6->s6_addr[12] == 127;
}

static void name_addr(const struct sockaddr_storage *ss, char *out, size_t len)
{
  char ip[INET6_ADDRSTRLEN] = "?";
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
    uv_ip4_name(a, ip, sizeof ip);
    snprintf(out, len, "%s:%d", ip, ntohs(a->sin_port));
  } else {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
    uv_ip6_name(a, ip, sizeof ip);
    snprintf(out, len, "[%s]:%d", ip, ntohs(a->sin6_port));
  }
}

/* ---- connections: life and death ---- */

static void listener_maybe_free(ct_listener *l)
{
  if (!l->closing || !l->handle_closed || l->nconns)
    return;
  if (l->path)
    unlink(l->path);
  free(l->path);
  SSL_CTX_free(l->tls);
  free(l);
}

static void conn_handle_closed(uv_handle_t *h)
{
  ct_conn *c = h->data;
  if (--c->handles_open)
    return;
  if (c->cb.on_close)
    c->cb.on_close(c, c->reason);
  ct_listener *l = c->owner;
  if (l) {
    if (c->prev)
      c->prev->next = c->next;
    else
      l->conns = c->next;
    if (c->next)
      c->next->prev = c->prev;
    l->nconns--;
  }
  SSL_free(c->ssl);
  free(c);
  if (l)
    listener_maybe_free(l);
}

static ct_conn *conn_new(uv_loop_t *loop, bool pipe, const ct_limits *limits,
                         const ct_callbacks *cb, void *user)
{
  ct_conn *c = calloc(1, sizeof *c);
  if (!c)
    return NULL;
  int r = pipe ? uv_pipe_init(loop, &c->h.pipe, 0) : uv_tcp_init(loop, &c->h.tcp);
  if (r) {
    free(c);
    return NULL;
  }
  uv_timer_init(loop, &c->idle);
  c->h.handle.data = c;
  c->idle.data = c;
  c->handles_open = 2;
  if (limits)
    c->limits = *limits;
  if (cb)
    c->cb = *cb;
  c->user = user;
  snprintf(c->peer, sizeof c->peer, pipe ? "unix" : "?");
  return c;
}

static void tls_send_close_notify(ct_conn *c)
{
  ERR_clear_error();
  if (SSL_shutdown(c->ssl) < 0) {
    ERR_clear_error();
    return;
  }
  /* Only what the socket takes now: a closing connection waits for nothing. */
  char buf[256];
  int n = BIO_read(c->wbio, buf, sizeof buf);
  if (n > 0 && uv_stream_get_write_queue_size(&c->h.stream) == 0) {
    uv_buf_t b = uv_buf_init(buf, (unsigned)n);
    uv_try_write(&c->h.stream, &b, 1);
  }
}

void ct_conn_close(ct_conn *c, const char *reason)
{
  if (c->closing)
    return;
  c->closing = true;
  c->reason = reason ? reason : "closed";
  conn_log(c, "closed: %s", c->reason);
  if (c->ssl && c->open && !c->fatal && !c->ending)
    tls_send_close_notify(c);
  uv_close((uv_handle_t *)&c->idle, conn_handle_closed);
  uv_close(&c->h.handle, conn_handle_closed);
}

static void conn_fail(ct_conn *c, const char *reason)
{
  c->fatal = true;
  ct_conn_close(c, reason);
}

static void idle_fired(uv_timer_t *t)
{
  ct_conn_close(t->data, "idle timeout");
}

static void idle_restart(ct_conn *c)
{
  if (c->ending)
    return;  /* the timer is the linger deadline now */
  if (c->limits.idle_ms && c->reading && !c->closing)
    uv_timer_start(&c->idle, idle_fired, c->limits.idle_ms, 0);
  else
    uv_timer_stop(&c->idle);
}

/* ---- output ---- */

static void write_done(uv_write_t *req, int status)
{
  ct_wreq *w = (ct_wreq *)req;
  ct_conn *c = req->data;
  free(w);
  if (status < 0 && status != UV_ECANCELED && !c->closing) {
    conn_log(c, "write: %s", uv_strerror(status));
    conn_fail(c, "write error");
  }
}

/* A request for len bytes, or NULL (the connection is then closed) when they do not fit
   under the output bound or memory runs out. */
static ct_wreq *wreq_new(ct_conn *c, size_t len, int *rc)
{
  size_t queued = uv_stream_get_write_queue_size(&c->h.stream);
  if (c->limits.out_max && (len > c->limits.out_max || queued > c->limits.out_max - len)) {
    conn_log(c, "output bound %zu bytes exceeded (%zu queued, %zu more)", c->limits.out_max,
             queued, len);
    conn_fail(c, "output buffer full");
    *rc = CT_EOVERFLOW;
    return NULL;
  }
  ct_wreq *w = malloc(sizeof *w + len);
  if (!w || len > UINT_MAX) {
    free(w);
    conn_fail(c, "out of memory");
    *rc = CT_EIO;
    return NULL;
  }
  w->len = len;
  w->req.data = c;
  return w;
}

static int wreq_write(ct_conn *c, ct_wreq *w)
{
  uv_buf_t b = uv_buf_init(w->data, (unsigned)w->len);
  int r = uv_write(&w->req, &c->h.stream, &b, 1, write_done);
  if (r) {
    free(w);
    conn_log(c, "write: %s", uv_strerror(r));
    conn_fail(c, "write error");
    return CT_EIO;
  }
  return CT_OK;
}

/* Sends what OpenSSL has written into the write BIO. */
static int tls_flush(ct_conn *c)
{
  size_t n = BIO_ctrl_pending(c->wbio);
  if (!n)
    return CT_OK;
  int rc = CT_OK;
  ct_wreq *w = wreq_new(c, n, &rc);
  if (!w)
    return rc;
  BIO_read(c->wbio, w->data, (int)n);
  return wreq_write(c, w);
}

int ct_conn_send(ct_conn *c, const void *bytes, size_t len)
{
  if (c->closing || c->ending)
    return CT_ECLOSED;
  if (!c->open)
    return CT_ENOTREADY;
  if (!len)
    return CT_OK;
  if (!c->ssl) {
    int rc = CT_OK;
    ct_wreq *w = wreq_new(c, len, &rc);
    if (!w)
      return rc;
    memcpy(w->data, bytes, len);
    return wreq_write(c, w);
  }
  const char *p = bytes;
  while (len) {
    /* Without partial writes SSL_write takes all it is given into the memory BIO; the
       chunk only keeps the length within an int. */
    int chunk = len > (1u << 20) ? 1 << 20 : (int)len;
    ERR_clear_error();
    if (SSL_write(c->ssl, p, chunk) <= 0) {
      char buf[256];
      conn_log(c, "SSL_write: %s", ssl_err_text(buf, sizeof buf));
      conn_fail(c, "TLS error");
      return CT_EIO;
    }
    int rc = tls_flush(c);
    if (rc)
      return rc;
    p += chunk;
    len -= (size_t)chunk;
  }
  return CT_OK;
}

/* ---- ending: output first, then the close ---- */

static uint64_t linger_ms(const ct_conn *c)
{
  return c->limits.linger_ms ? c->limits.linger_ms : CT_LINGER_MS;
}

/* The deadline moves while the peer takes output: a slow reader gets its last response, a
   stalled one is closed. */
static void linger_expired(uv_timer_t *t)
{
  ct_conn *c = t->data;
  size_t queued = uv_stream_get_write_queue_size(&c->h.stream);
  if (queued && queued < c->linger_queued) {
    c->linger_queued = queued;
    uv_timer_start(t, linger_expired, linger_ms(c), 0);
    return;
  }
  conn_log(c, "peer did not close within %llu ms", (unsigned long long)linger_ms(c));
  ct_conn_close(c, c->reason);
}

/* The output has left libuv's queue: the peer gets linger_ms from now to read it from the
   kernel's buffers and close. */
static void shutdown_done(uv_shutdown_t *req, int status)
{
  ct_conn *c = req->data;
  if (c->closing)
    return;
  if (status < 0)
    ct_conn_close(c, c->reason);
  else
    uv_timer_start(&c->idle, linger_expired, linger_ms(c), 0);
}

void ct_conn_end(ct_conn *c, const char *reason)
{
  if (c->closing || c->ending)
    return;
  if (c->ssl && c->open && !c->fatal) {
    ERR_clear_error();
    SSL_shutdown(c->ssl);
    ERR_clear_error();
    if (tls_flush(c))
      return;
  }
  ct_conn_read_start(c);
  if (c->closing)
    return;
  c->ending = true;
  c->reason = reason ? reason : "closed";
  c->linger_queued = uv_stream_get_write_queue_size(&c->h.stream);
  uv_timer_start(&c->idle, linger_expired, linger_ms(c), 0);
  /* libuv shuts the write side down once every queued write is done. */
  c->shutdown_req.data = c;
  int r = uv_shutdown(&c->shutdown_req, &c->h.stream, shutdown_done);
  if (r)
    ct_conn_close(c, c->reason);
}

/* ---- input ---- */

static void conn_opened(ct_conn *c)
{
  c->open = true;
  if (c->cb.on_open)
    c->cb.on_open(c);
}

/* Advances the handshake, then hands every whole record's plaintext to on_data. */
static void tls_pump(ct_conn *c)
{
  char buf[256];
  if (!c->open) {
    ERR_clear_error();
    int r = SSL_do_handshake(c->ssl);
    int e = r == 1 ? SSL_ERROR_NONE : SSL_get_error(c->ssl, r);
    /* A failed handshake still has its alert to send. */
    if (tls_flush(c) || c->closing)
      return;
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
      return;
    if (e != SSL_ERROR_NONE) {
      conn_log(c, "TLS handshake failed: %s", ssl_err_text(buf, sizeof buf));
      conn_fail(c, "TLS handshake failed");
      return;
    }
    conn_opened(c);
  }
  char plain[TLS_RECORD_MAX];
  /* on_open or on_data may end the connection: nothing more is delivered then. */
  while (!c->closing && !c->ending) {
    ERR_clear_error();
    int n = SSL_read(c->ssl, plain, sizeof plain);
    if (n > 0) {
      if (c->cb.on_data)
        c->cb.on_data(c, plain, (size_t)n);
      continue;
    }
    int e = SSL_get_error(c->ssl, n);
    if (e == SSL_ERROR_WANT_READ)
      break;
    if (e == SSL_ERROR_ZERO_RETURN) {
      ct_conn_close(c, "peer closed");
    } else {
      conn_log(c, "TLS error: %s", ssl_err_text(buf, sizeof buf));
      conn_fail(c, "TLS error");
    }
    return;
  }
  /* Reading may have produced records to send (TLS 1.3 tickets and key updates). */
  if (!c->closing)
    tls_flush(c);
}

static void alloc_read(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
  *buf = uv_buf_init(read_buf, sizeof read_buf);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
  ct_conn *c = s->data;
  if (c->closing)
    return;
  if (c->ending) {
    /* Read only so that closing sends a FIN, not a reset that would discard the output
       the peer has not read yet. */
    if (nread < 0)
      ct_conn_close(c, c->reason);
    return;
  }
  if (nread < 0) {
    if (nread != UV_EOF) {
      conn_log(c, "read: %s", uv_strerror((int)nread));
      conn_fail(c, "read error");
    } else {
      ct_conn_close(c, c->open ? "peer closed" : "peer closed during handshake");
    }
    return;
  }
  if (!nread)
    return;
  idle_restart(c);
  if (!c->ssl) {
    if (c->cb.on_data)
      c->cb.on_data(c, buf->base, (size_t)nread);
    return;
  }
  /* A memory BIO grows to take everything. */
  BIO_write(c->rbio, buf->base, (int)nread);
  tls_pump(c);
}

void ct_conn_read_start(ct_conn *c)
{
  if (c->closing || c->reading)
    return;
  int r = uv_read_start(&c->h.stream, alloc_read, on_read);
  if (r) {
    conn_log(c, "read: %s", uv_strerror(r));
    conn_fail(c, "read error");
    return;
  }
  c->reading = true;
  idle_restart(c);
}

void ct_conn_read_stop(ct_conn *c)
{
  if (c->closing || c->ending || !c->reading)
    return;
  uv_read_stop(&c->h.stream);
  c->reading = false;
  idle_restart(c);
}

static int tls_attach(ct_conn *c, SSL_CTX *ctx, bool server, const char *servername)
{
  c->ssl = SSL_new(ctx);
  c->rbio = BIO_new(BIO_s_mem());
  c->wbio = BIO_new(BIO_s_mem());
  if (!c->ssl || !c->rbio || !c->wbio) {
    BIO_free(c->rbio);
    BIO_free(c->wbio);
    c->rbio = c->wbio = NULL;
    return CT_EIO;
  }
  SSL_set_bio(c->ssl, c->rbio, c->wbio);
  if (server) {
    SSL_set_accept_state(c->ssl);
    return CT_OK;
  }
  SSL_set_connect_state(c->ssl);
  if (!servername)
    return CT_OK;
  /* An IP address is checked against the certificate's IP entries, a name against its DNS
     names (and sent as SNI). */
  struct sockaddr_storage ss;
  if (parse_addr(servername, 0, &ss) == 0 && strcmp(servername, "localhost") != 0) {
    X509_VERIFY_PARAM *vp = SSL_get0_param(c->ssl);
    return X509_VERIFY_PARAM_set1_ip_asc(vp, servername) == 1 ? CT_OK : CT_EINVAL;
  }
  if (SSL_set1_host(c->ssl, servername) != 1 ||
      SSL_set_tlsext_host_name(c->ssl, servername) != 1)
    return CT_EINVAL;
  return CT_OK;
}

/* The stream is connected or accepted: names the peer and starts reading. */
static void conn_start(ct_conn *c)
{
  if (c->h.handle.type == UV_TCP) {
    /* Commands and events are small frames whose latency matters more than packet count;
       keepalive finds peers that vanished without a FIN long before anyone notices. */
    uv_tcp_nodelay(&c->h.tcp, 1);
    uv_tcp_keepalive(&c->h.tcp, 1, 60);
    struct sockaddr_storage ss;
    int len = sizeof ss;
    if (uv_tcp_getpeername(&c->h.tcp, (struct sockaddr *)&ss, &len) == 0)
      name_addr(&ss, c->peer, sizeof c->peer);
  }
  ct_conn_read_start(c);
  if (c->closing)
    return;
  if (c->ssl)
    tls_pump(c);  /* a client's ClientHello goes out now */
  else
    conn_opened(c);
}

/* ---- listeners ---- */

/* A socket file left by a server that died: nobody accepts on it, so binding may take its
   place. A live server's socket, or any other file, is left for bind to refuse. */
static void remove_stale_socket(const char *path)
{
  struct stat st;
  struct sockaddr_un sun = {.sun_family = AF_UNIX};
  if (lstat(path, &st) != 0 || !S_ISSOCK(st.st_mode) || strlen(path) >= sizeof sun.sun_path)
    return;
  memcpy(sun.sun_path, path, strlen(path) + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0)
    return;
  if (connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0 && errno == ECONNREFUSED)
    unlink(path);
  close(fd);
}

static void listener_handle_closed(uv_handle_t *h)
{
  ct_listener *l = h->data;
  l->handle_closed = true;
  listener_maybe_free(l);
}

static void on_connection(uv_stream_t *server, int status)
{
  ct_listener *l = server->data;
  char buf[256];
  if (status < 0) {
    snprintf(buf, sizeof buf, "accept: %s", uv_strerror(status));
    emit_log(&l->cb, buf);
    return;
  }
  ct_conn *c = conn_new(l->loop, l->path != NULL, &l->limits, &l->cb, l->user);
  if (!c) {
    emit_log(&l->cb, "accept: out of memory");
    return;
  }
  c->owner = l;
  c->next = l->conns;
  if (l->conns)
    l->conns->prev = c;
  l->conns = c;
  l->nconns++;
  if (uv_accept(server, &c->h.stream) != 0) {
    c->cb.on_close = NULL;  /* the caller never saw it */
    ct_conn_close(c, "accept failed");
    return;
  }
  if (l->tls && tls_attach(c, l->tls, true, NULL) != CT_OK) {
    conn_log(c, "SSL_new: %s", ssl_err_text(buf, sizeof buf));
    c->cb.on_close = NULL;
    conn_fail(c, "TLS setup failed");
    return;
  }
  conn_start(c);
}

int ct_listen(uv_loop_t *loop, const ct_listen_config *cfg, ct_listener **out, char *err,
              size_t errlen)
{
  *out = NULL;
  struct sockaddr_storage ss;
  char where[300];
  if (cfg->path) {
    snprintf(where, sizeof where, "unix:%s", cfg->path);
  } else {
    if (parse_addr(cfg->host, cfg->port, &ss) != 0) {
      set_err(err, errlen, "listen %s:%d: not a numeric address and port",
              cfg->host ? cfg->host : "(null)", cfg->port);
      return CT_EINVAL;
    }
    name_addr(&ss, where, sizeof where);
    if (!cfg->tls && !cfg->allow_plain_remote && !is_loopback(&ss)) {
      set_err(err, errlen,
              "refusing plain TCP on %s: it is not a loopback address; configure TLS for "
              "it or allow plain TCP on other addresses explicitly",
              where);
      return CT_EINVAL;
    }
  }
  ct_listener *l = calloc(1, sizeof *l);
  if (!l) {
    set_err(err, errlen, "listen %s: out of memory", where);
    return CT_EIO;
  }
  l->loop = loop;
  l->limits = cfg->limits;
  l->cb = cfg->cb;
  l->user = cfg->user;
  l->port = -1;
  int r;
  const char *step = "bind";
  if (cfg->path) {
    r = uv_pipe_init(loop, &l->h.pipe, 0);
    if (r) {
      free(l);
      set_err(err, errlen, "listen %s: %s", where, uv_strerror(r));
      return CT_EIO;
    }
    remove_stale_socket(cfg->path);
    r = uv_pipe_bind(&l->h.pipe, cfg->path);
    if (!r)
      l->path = strdup(cfg->path);
  } else {
    r = uv_tcp_init(loop, &l->h.tcp);
    if (r) {
      free(l);
      set_err(err, errlen, "listen %s: %s", where, uv_strerror(r));
      return CT_EIO;
    }
    r = uv_tcp_bind(&l->h.tcp, (const struct sockaddr *)&ss, 0);
  }
  l->h.handle.data = l;
  if (!r) {
    step = "listen";
    r = uv_listen(&l->h.stream, SOMAXCONN, on_connection);
  }
  if (r) {
    set_err(err, errlen, "%s %s: %s", step, where, uv_strerror(r));
    l->closing = true;
    uv_close(&l->h.handle, listener_handle_closed);
    return CT_EIO;
  }
  if (!cfg->path) {
    int len = sizeof ss;
    if (uv_tcp_getsockname(&l->h.tcp, (struct sockaddr *)&ss, &len) == 0)
      l->port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                              : ((struct sockaddr_in6 *)&ss)->sin6_port);
  }
  if (cfg->tls) {
    SSL_CTX_up_ref(cfg->tls);
    l->tls = cfg->tls;
  }
  *out = l;
  return CT_OK;
}

int ct_listener_port(const ct_listener *l)
{
  return l->port;
}

size_t ct_listener_nconns(const ct_listener *l)
{
  return l->nconns;
}

void ct_listener_close(ct_listener *l)
{
  if (l->closing)
    return;
  l->closing = true;
  for (ct_conn *c = l->conns; c; c = c->next)
    ct_conn_close(c, "shutdown");
  uv_close(&l->h.handle, listener_handle_closed);
}

/* ---- outgoing connections ---- */

static void on_connect(uv_connect_t *req, int status)
{
  ct_conn *c = req->data;
  if (c->closing)
    return;
  if (status < 0) {
    conn_log(c, "connect: %s", uv_strerror(status));
    conn_fail(c, "connect failed");
    return;
  }
  conn_start(c);
}

int ct_connect(uv_loop_t *loop, const char *host, int port, const char *path, SSL_CTX *tls,
               const char *servername, const ct_limits *limits, const ct_callbacks *cb,
               void *user, ct_conn **out, char *err, size_t errlen)
{
  *out = NULL;
  struct sockaddr_storage ss;
  if (!path && parse_addr(host, port, &ss) != 0) {
    set_err(err, errlen, "connect %s:%d: not a numeric address and port",
            host ? host : "(null)", port);
    return CT_EINVAL;
  }
  ct_conn *c = conn_new(loop, path != NULL, limits, cb, user);
  if (!c) {
    set_err(err, errlen, "connect: out of memory");
    return CT_EIO;
  }
  if (!path)
    name_addr(&ss, c->peer, sizeof c->peer);
  c->connect_req.data = c;
  if (tls) {
    int rc = tls_attach(c, tls, false, servername);
    if (rc != CT_OK) {
      char buf[256];
      set_err(err, errlen, "TLS setup for %s: %s", servername ? servername : c->peer,
              ssl_err_text(buf, sizeof buf));
      c->cb.on_close = NULL;
      conn_fail(c, "TLS setup failed");
      return rc;
    }
  }
  if (path) {
    uv_pipe_connect(&c->connect_req, &c->h.pipe, path, on_connect);
  } else {
    int r = uv_tcp_connect(&c->connect_req, &c->h.tcp, (const struct sockaddr *)&ss,
                           on_connect);
    if (r) {
      set_err(err, errlen, "connect %s: %s", c->peer, uv_strerror(r));
      c->cb.on_close = NULL;
      conn_fail(c, "connect failed");
      return CT_EIO;
    }
  }
  *out = c;
  return CT_OK;
}

/* ---- accessors ---- */

void ct_conn_set_limits(ct_conn *c, const ct_limits *limits)
{
  c->limits = *limits;
  idle_restart(c);
}

size_t ct_conn_out_queued(const ct_conn *c)
{
  return uv_stream_get_write_queue_size(&c->h.stream);
}

void *ct_conn_user(const ct_conn *c)
{
  return c->user;
}

void ct_conn_set_user(ct_conn *c, void *user)
{
  c->user = user;
}

const char *ct_conn_peer(const ct_conn *c)
{
  return c->peer;
}

bool ct_conn_is_tls(const ct_conn *c)
{
  return c->ssl != NULL;
}
