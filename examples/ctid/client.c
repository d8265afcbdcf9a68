/* The clients' side of a ctid session (client.h). */
#define _DEFAULT_SOURCE
#include "client.h"

#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <time.h>
#include <unistd.h>

int64_t cl_mono_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double cl_mono_us(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int connect_tcp(const char *addr)
{
  char host[256];
  const char *colon = strrchr(addr, ':');
  if (!colon || (size_t)(colon - addr) >= sizeof host) {
    fprintf(stderr, "bad address '%s' (HOST:PORT or unix:PATH)\n", addr);
    return -1;
  }
  memcpy(host, addr, (size_t)(colon - addr));
  host[colon - addr] = 0;
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res;
  int rc = getaddrinfo(host, colon + 1, &hints, &res);
  if (rc) {
    fprintf(stderr, "%s: %s\n", addr, gai_strerror(rc));
    return -1;
  }
  int fd = -1;
  for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
      break;
    if (fd >= 0)
      close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0)
    fprintf(stderr, "%s: %s\n", addr, strerror(errno));
  else {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  return fd;
}

static int connect_unix(const char *path)
{
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof sa.sun_path)
    return -1;
  strcpy(sa.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    fprintf(stderr, "%s: %s\n", path, strerror(errno));
    close(fd);
    fd = -1;
  }
  return fd;
}

int cl_connect(cl_conn *c, const char *addr)
{
  memset(c, 0, sizeof *c);
  c->next_id = 1;
  c->fd = strncmp(addr, "unix:", 5) == 0 ? connect_unix(addr + 5) : connect_tcp(addr);
  if (c->fd < 0)
    return -1;
  /* Snapshots of a large centre are big: the server's frames may be up to the limit. */
  if (ccenter_proto_reader_new(CCENTER_PROTO_MAX_FRAME_LIMIT, &c->reader)) {
    close(c->fd);
    return -1;
  }
  return 0;
}

void cl_close(cl_conn *c)
{
  if (c->fd >= 0)
    close(c->fd);
  c->fd = -1;
  ccenter_proto_reader_free(c->reader);
  c->reader = NULL;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
  while (n) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

uint64_t cl_send(cl_conn *c, Ccenter__V1__ClientFrame *f)
{
  f->request_id = c->next_id++;
  size_t n = ccenter__v1__client_frame__get_packed_size(f);
  uint8_t *buf = malloc(n + CCENTER_PROTO_PREFIX_MAX);
  if (!buf)
    return 0;
  size_t p = ccenter_proto_prefix(n, buf);
  ccenter__v1__client_frame__pack(f, buf + p);
  int rc = write_all(c->fd, buf, p + n);
  free(buf);
  return rc ? 0 : f->request_id;
}

uint64_t cl_command(cl_conn *c, Ccenter__V1__Command *cmd)
{
  Ccenter__V1__ClientFrame f = CCENTER__V1__CLIENT_FRAME__INIT;
  f.body_case = CCENTER__V1__CLIENT_FRAME__BODY_COMMAND;
  f.command = cmd;
  return cl_send(c, &f);
}

Ccenter__V1__ServerFrame *cl_recv(cl_conn *c, int timeout_ms, int *eof)
{
  int64_t end = timeout_ms < 0 ? INT64_MAX : cl_mono_ms() + timeout_ms;
  *eof = 0;
  for (;;) {
    const uint8_t *frame;
    size_t len;
    if (ccenter_proto_reader_next(c->reader, &frame, &len) == 1) {
      Ccenter__V1__ServerFrame *f = ccenter__v1__server_frame__unpack(NULL, len, frame);
      if (!f)
        *eof = 1;
      return f;
    }
    /* The socket is looked at once even when the time is up (a timeout of 0 polls). */
    int64_t left = end == INT64_MAX ? -1 : end - cl_mono_ms();
    if (end != INT64_MAX && left < 0)
      left = 0;
    struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
    int pr = poll(&pfd, 1, left > INT32_MAX ? INT32_MAX : (int)left);
    if (pr < 0 && errno == EINTR)
      continue;
    if (pr <= 0)
      return NULL;
    uint8_t buf[65536];
    ssize_t n = recv(c->fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0 || ccenter_proto_reader_push(c->reader, buf, (size_t)n)) {
      *eof = 1;
      return NULL;
    }
  }
}

void cl_free(Ccenter__V1__ServerFrame *f)
{
  if (f)
    ccenter__v1__server_frame__free_unpacked(f, NULL);
}

const char *cl_enum_name(const ProtobufCEnumDescriptor *d, int value)
{
  const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(d, value);
  return v ? v->name : "?";
}

int cl_role_number(const char *name)
{
  static const char *names[] = {"switch", "agent", "supervisor", "wallboard"};
  for (int i = 0; i < 4; i++)
    if (strcmp(name, names[i]) == 0)
      return i + 1;
  return 0;
}

static uint64_t answer_id(const Ccenter__V1__ServerFrame *f)
{
  return f->body_case == CCENTER__V1__SERVER_FRAME__BODY_EVENT ||
                 f->body_case == CCENTER__V1__SERVER_FRAME__BODY_CASE_EVENT
             ? 0
             : f->request_id;
}

int cl_wait_answer(cl_conn *c, uint64_t id, int timeout_ms, FILE *out)
{
  int64_t end = cl_mono_ms() + timeout_ms;
  for (;;) {
    int eof;
    int64_t left = end - cl_mono_ms();
    Ccenter__V1__ServerFrame *f = cl_recv(c, left > 0 ? (int)left : 0, &eof);
    if (!f)
      return eof ? CL_EOF : CL_TIMEOUT;
    if (out)
      cl_print(out, f);
    int code = 0, done = answer_id(f) == id;
    if (f->body_case == CCENTER__V1__SERVER_FRAME__BODY_RESPONSE && f->response)
      code = f->response->code;
    if (f->body_case == CCENTER__V1__SERVER_FRAME__BODY_GOODBYE) {
      done = 1;
      code = f->goodbye && f->goodbye->code ? f->goodbye->code : CL_EOF;
    }
    cl_free(f);
    if (done)
      return code;
  }
}

int cl_hello(cl_conn *c, int role, const char *principal, const char *secret, FILE *out)
{
  Ccenter__V1__Hello h = CCENTER__V1__HELLO__INIT;
  h.protocol_version = CCENTER_PROTO_VERSION;
  h.role = (Ccenter__V1__Role)role;
  h.principal = (char *)principal;
  h.credential.data = (uint8_t *)secret;
  h.credential.len = strlen(secret);
  Ccenter__V1__ClientFrame f = CCENTER__V1__CLIENT_FRAME__INIT;
  f.body_case = CCENTER__V1__CLIENT_FRAME__BODY_HELLO;
  f.hello = &h;
  uint64_t id = cl_send(c, &f);
  /* PBKDF2 at its default cost takes a while on a loaded machine. */
  return id ? cl_wait_answer(c, id, 60000, out) : CL_EOF;
}

static const char *s_(const char *s)
{
  return s && *s ? s : "-";
}

static void print_contact(FILE *out, const char *tag, const Ccenter__V1__ContactInfo *i)
{
  fprintf(out, "%s contact=%s state=%s queue=%s agent=%s position=%u on_hold=%d\n", tag,
          s_(i->contact), cl_enum_name(&ccenter__v1__contact_state__descriptor, i->state),
          s_(i->queue), s_(i->agent), i->position, i->on_hold);
}

static void print_agent(FILE *out, const char *tag, const Ccenter__V1__AgentInfo *i)
{
  fprintf(out, "%s agent=%s state=%s reason=%s pending=%s connected=%u wrap_up=%u\n", tag,
          s_(i->agent), cl_enum_name(&ccenter__v1__agent_state__descriptor, i->state),
          s_(i->reason), s_(i->pending), i->connected, i->wrap_up);
}

static void print_case(FILE *out, const char *tag, const Ccenter__V1__CaseInfo *i)
{
  fprintf(out, "%s case=%s workflow=%s state=%s closed=%d proposal=%s proposed_by=%s\n", tag,
          s_(i->case_id), s_(i->workflow), s_(i->state), i->closed, s_(i->proposal),
          s_(i->proposed_by));
}

static void print_response(FILE *out, uint64_t id, const Ccenter__V1__Response *r)
{
  fprintf(out, "response id=%" PRIu64 " code=%s message=\"%s\"\n", id, s_(r->code_name),
          r->message ? r->message : "");
  switch (r->result_case) {
  case CCENTER__V1__RESPONSE__RESULT_CONTACT_INFO:
    print_contact(out, "contact-info", r->contact_info);
    break;
  case CCENTER__V1__RESPONSE__RESULT_AGENT_INFO:
    print_agent(out, "agent-info", r->agent_info);
    break;
  case CCENTER__V1__RESPONSE__RESULT_CASE_INFO:
    print_case(out, "case-info", r->case_info);
    break;
  case CCENTER__V1__RESPONSE__RESULT_QUEUE_INFO:
    fprintf(out, "queue-info queue=%s waiting=%u offered=%u members_ready=%u\n",
            s_(r->queue_info->queue), r->queue_info->waiting, r->queue_info->offered,
            r->queue_info->members_ready);
    break;
  case CCENTER__V1__RESPONSE__RESULT_RESUME:
    fprintf(out, "resume too_old=%d last_seq=%" PRIu64 "\n", r->resume->too_old,
            r->resume->last_seq);
    break;
  default:
    break;
  }
}

void cl_print(FILE *out, const Ccenter__V1__ServerFrame *f)
{
  switch (f->body_case) {
  case CCENTER__V1__SERVER_FRAME__BODY_WELCOME:
    fprintf(out, "welcome principal=%s role=%s last_seq=%" PRIu64 "\n", s_(f->welcome->principal),
            cl_enum_name(&ccenter__v1__role__descriptor, f->welcome->role), f->welcome->last_seq);
    break;
  case CCENTER__V1__SERVER_FRAME__BODY_RESPONSE:
    print_response(out, f->request_id, f->response);
    break;
  case CCENTER__V1__SERVER_FRAME__BODY_EVENT: {
    const Ccenter__V1__Event *e = f->event;
    fprintf(out,
            "event seq=%" PRIu64 " type=%s agent=%s contact=%s queue=%s agent_to=%s "
            "queue_to=%s state=%s position=%d reason=%s\n",
            e->seq, cl_enum_name(&ccenter__v1__event_type__descriptor, e->type), s_(e->agent),
            s_(e->contact), s_(e->queue), s_(e->agent_to), s_(e->queue_to),
            cl_enum_name(&ccenter__v1__agent_state__descriptor, e->state), e->position,
            s_(e->reason));
    break;
  }
  case CCENTER__V1__SERVER_FRAME__BODY_CASE_EVENT: {
    const Ccenter__V1__CaseEvent *e = f->case_event;
    fprintf(out,
            "case-event seq=%" PRIu64 " type=%s case=%s from=%s to=%s transition=%s actor=%s "
            "role=%s\n",
            e->seq, cl_enum_name(&ccenter__v1__case_event_type__descriptor, e->type),
            s_(e->case_id), s_(e->from), s_(e->to), s_(e->transition), s_(e->actor),
            s_(e->role));
    break;
  }
  case CCENTER__V1__SERVER_FRAME__BODY_SNAPSHOT: {
    const Ccenter__V1__Snapshot *s = f->snapshot;
    fprintf(out, "snapshot last_seq=%" PRIu64 " queues=%zu agents=%zu contacts=%zu cases=%zu\n",
            s->last_seq, s->n_queues, s->n_agents, s->n_contacts, s->n_cases);
    for (size_t i = 0; i < s->n_agents; i++)
      print_agent(out, "snap-agent", s->agents[i]);
    for (size_t i = 0; i < s->n_contacts; i++)
      print_contact(out, "snap-contact", s->contacts[i]);
    for (size_t i = 0; i < s->n_cases; i++)
      print_case(out, "snap-case", s->cases[i]);
    break;
  }
  case CCENTER__V1__SERVER_FRAME__BODY_PONG:
    fprintf(out, "pong token=%" PRIu64 "\n", f->pong->token);
    break;
  case CCENTER__V1__SERVER_FRAME__BODY_GOODBYE:
    fprintf(out, "goodbye code=%d reason=\"%s\"\n", f->goodbye->code, s_(f->goodbye->reason));
    break;
  default:
    fprintf(out, "frame?\n");
  }
  fflush(out);
}
