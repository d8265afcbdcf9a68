/*
 * The clients' side of a ctid session (ccenter-desk, ccenter-switch): a blocking socket,
 * frames out and in, one-line printing of what the server sends. Plain TCP or a Unix
 * socket (TLS is the transport's, for the server; a client behind stunnel works too).
 * Internal to the ctid example.
 */
#ifndef CTID_CLIENT_H
#define CTID_CLIENT_H

#include <stdint.h>
#include <stdio.h>

#include <ccenter/proto.h>

#include "ccenter.pb-c.h"

typedef struct cl_conn {
  int fd;
  ccenter_proto_reader *reader;
  uint64_t next_id;
} cl_conn;

/* addr is HOST:PORT (IPv4 or a name) or unix:PATH. 0 or -1 with a message on stderr. */
int cl_connect(cl_conn *c, const char *addr);
void cl_close(cl_conn *c);
/* Sends a frame, giving it the next request id, which it returns (0 on error). */
uint64_t cl_send(cl_conn *c, Ccenter__V1__ClientFrame *f);
/* Sends a command; the request id or 0. */
uint64_t cl_command(cl_conn *c, Ccenter__V1__Command *cmd);
/* The next frame within timeout_ms (-1: no limit), or NULL on timeout (*eof 0) or when
   the server closed or broke the stream (*eof 1). Free with cl_free(). */
Ccenter__V1__ServerFrame *cl_recv(cl_conn *c, int timeout_ms, int *eof);
void cl_free(Ccenter__V1__ServerFrame *f);
/* The handshake: the Welcome's code (0) or the refusal's (< 0; CL_EOF when the server
   closed). Frames other than the answer are printed to out when it is not NULL. */
int cl_hello(cl_conn *c, int role, const char *principal, const char *secret, FILE *out);
/* What cl_wait_answer returns besides a response's code (0, < 0, or 1 CCENTER_PROPOSED). */
#define CL_EOF 1000
#define CL_TIMEOUT 1001
/* Reads until the answer to request id (printed to out, when not NULL, with every frame
   before it) and returns its code; CL_EOF when the stream ended, CL_TIMEOUT. */
int cl_wait_answer(cl_conn *c, uint64_t id, int timeout_ms, FILE *out);
/* One line for a frame. */
void cl_print(FILE *out, const Ccenter__V1__ServerFrame *f);
/* The schema's name of an enum value ("EV_CONTACT_OFFERED"), "?" when unknown. */
const char *cl_enum_name(const ProtobufCEnumDescriptor *d, int value);
int cl_role_number(const char *name); /* "switch" -> 1 ..., 0 when unknown */
/* Milliseconds of CLOCK_MONOTONIC (latencies, timeouts). */
int64_t cl_mono_ms(void);
double cl_mono_us(void);

#endif
