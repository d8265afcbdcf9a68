/*
 * ctid's transport: connections over libuv streams (TCP or Unix-domain), plain or TLS.
 *
 * TLS goes through OpenSSL with memory BIOs: bytes read from the socket are written into
 * the read BIO and SSL_read gives plaintext; SSL_write fills the write BIO, whose bytes go
 * out with uv_write. Everything runs on one uv loop thread; nothing here is thread-safe.
 *
 * This is an internal library of the ctid example, not part of libccenter's ABI.
 *
 * Lifetime: a connection is freed by the transport after its handles are closed. The
 * on_close callback is the last call made for a connection (it is called from the uv_close
 * callback, so the connection is still valid inside it and never after it). Calls made on
 * a connection that is closing or ending (ct_conn_end) are refused (ct_conn_send returns
 * CT_ECLOSED) or ignored.
 *
 * The program must ignore SIGPIPE: libuv writes with write(2), and a peer that has gone
 * would otherwise kill the process instead of failing the write with EPIPE.
 */
#ifndef CTID_TRANSPORT_H
#define CTID_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>
#include <uv.h>

typedef struct ct_conn ct_conn;
typedef struct ct_listener ct_listener;

enum {
  CT_OK = 0,
  CT_EINVAL = -1,   /* bad argument or configuration; see the error message */
  CT_ECLOSED = -2,  /* the connection is closing or closed */
  CT_ENOTREADY = -3, /* sent before on_open (TLS handshake not finished) */
  CT_EOVERFLOW = -4, /* the output bound was exceeded: the connection was cut off */
  CT_EIO = -5,      /* libuv or OpenSSL failed; see the error message or the log */
};

typedef struct ct_callbacks {
  /* The connection is usable: accepted or connected (plain) or the TLS handshake is done. */
  void (*on_open)(ct_conn *c);
  /* Plaintext bytes received; the buffer is valid only during the call. */
  void (*on_data)(ct_conn *c, const void *bytes, size_t len);
  /* The last call for this connection; reason is a static string ("idle timeout", ...). */
  void (*on_close)(ct_conn *c, const char *reason);
  /* One line of log, without a newline; NULL writes it to stderr prefixed by "ctid: ". */
  void (*log)(void *log_user, const char *line);
  void *log_user;
} ct_callbacks;

/* Per-connection limits; 0 means no limit (for linger_ms: CT_LINGER_MS). */
typedef struct ct_limits {
  size_t out_max;   /* bytes queued for uv_write and not yet written */
  uint64_t idle_ms; /* close when nothing was received for this long */
  uint64_t linger_ms; /* ct_conn_end waits this long for progress; 0: CT_LINGER_MS */
} ct_limits;

enum { CT_LINGER_MS = 5000 };

typedef struct ct_listen_config {
  /* TCP: a numeric IPv4 or IPv6 address or "localhost", and a port (0: any free one). */
  const char *host;
  int port;
  /* Unix-domain: a socket path (host and port unused). */
  const char *path;
  /* A server context from ct_tls_server_ctx, or NULL for plain. The listener takes a
     reference of its own. */
  SSL_CTX *tls;
  /* Plain TCP is refused on an address that is not loopback unless this is set. */
  bool allow_plain_remote;
  ct_limits limits;  /* the initial limits of each accepted connection */
  ct_callbacks cb;
  void *user;        /* ct_conn_user of each accepted connection, until changed */
} ct_listen_config;

/* A TLS server context: certificate chain and key from PEM files, TLS 1.2 at the least,
   OpenSSL's default ciphers. NULL on error, with a message in err. */
SSL_CTX *ct_tls_server_ctx(const char *cert_file, const char *key_file, char *err,
                           size_t errlen);
/* A TLS client context that verifies the server against the PEM certificates of ca_file
   (NULL: the system's default store). */
SSL_CTX *ct_tls_client_ctx(const char *ca_file, char *err, size_t errlen);

/* Starts listening (TCP when cfg->path is NULL, else Unix-domain). CT_OK or an error code
   with a message in err. */
int ct_listen(uv_loop_t *loop, const ct_listen_config *cfg, ct_listener **out, char *err,
              size_t errlen);
/* The bound TCP port (useful after port 0), or -1. */
int ct_listener_port(const ct_listener *l);
/* Connections accepted and not yet freed. */
size_t ct_listener_nconns(const ct_listener *l);
/* Stops accepting and closes every connection of the listener (reason "shutdown"). The
   listener is freed once its handles are closed; a Unix socket path is unlinked. */
void ct_listener_close(ct_listener *l);

/* Connects to a TCP address (host as in ct_listen) or, when path is not NULL, to a
   Unix-domain socket. With tls, the handshake verifies the server's certificate for
   servername (a DNS name or an IP address; NULL skips the name check). on_open comes after
   the connection (and handshake) succeed; a failure ends in on_close. */
int ct_connect(uv_loop_t *loop, const char *host, int port, const char *path, SSL_CTX *tls,
               const char *servername, const ct_limits *limits, const ct_callbacks *cb,
               void *user, ct_conn **out, char *err, size_t errlen);

/* Queues bytes for the peer (encrypted under TLS). When the bytes already queued and these
   would exceed the connection's out_max, the connection is cut off (reason "output buffer
   full") and CT_EOVERFLOW is returned. */
int ct_conn_send(ct_conn *c, const void *bytes, size_t len);
/* Closes the connection now; queued output is dropped. Under TLS a close_notify alert is
   sent when the socket takes it at once. reason should be a static string: it is passed to
   on_close and logged. */
void ct_conn_close(ct_conn *c, const char *reason);
/* Ends the connection after its queued output: no more sends (CT_ECLOSED), no more
   on_data; under TLS a close_notify follows the output; the write side is shut down once
   the output is written, and the connection closes when the peer closes its side, or when
   linger_ms pass without the peer taking any of the output (or without its close once the
   output is written). For a last response (an error, a refusal) that must reach the peer. */
void ct_conn_end(ct_conn *c, const char *reason);

void ct_conn_set_limits(ct_conn *c, const ct_limits *limits);
/* Stops and restarts reading (back-pressure); while stopped the idle timer is paused. */
void ct_conn_read_stop(ct_conn *c);
void ct_conn_read_start(ct_conn *c);
/* Bytes queued for uv_write and not yet written. */
size_t ct_conn_out_queued(const ct_conn *c);
void *ct_conn_user(const ct_conn *c);
void ct_conn_set_user(ct_conn *c, void *user);
/* "127.0.0.1:5000", "[::1]:5000" or "unix" (for logs). */
const char *ct_conn_peer(const ct_conn *c);
bool ct_conn_is_tls(const ct_conn *c);

#endif
