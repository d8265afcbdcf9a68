/*
 * ccenter-desk: a terminal client of ctid. An agent desktop first (login, ready, answer,
 * hold, transfer, wrap-up with a code, case actions), and any other role's commands too,
 * so that a script can play a switch, a supervisor or a wallboard. Commands come one a
 * line from stdin (interactive or a script); every frame the server sends is printed as one
 * line (client.c). `help` lists the commands.
 *
 *   ccenter-desk -a ADDR -r ROLE -p PRINCIPAL [-s SECRET | -S FILE] [-g AGENT]
 *
 * The secret may also come from $CTID_SECRET. Exit status: 0 at the end of the input,
 * 1 when the server closed, 2 on usage or connection errors, 3 when a `wait` timed out.
 */
#define _DEFAULT_SOURCE
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"

#define MAXARG 8

typedef struct desk {
  cl_conn c;
  int role;
  const char *principal, *secret, *agent;
  int timeout_ms;
} desk;

static const char *HELP =
    "agent:      login|logout|ready [AGENT]   notready [REASON [AGENT]]\n"
    "            accept|reject CONTACT [AGENT]   hold|resume|end CONTACT\n"
    "            wrapup CONTACT CODE (disposition, then the wrap-up's end)\n"
    "            transfer CONTACT QUEUE   transfer-agent CONTACT AGENT\n"
    "cases:      case-open CASE WORKFLOW   case-text|case-int CASE FIELD VALUE\n"
    "            case-move CASE TRANSITION [REASON]   case-approve CASE\n"
    "            case-reject CASE REASON   case-link CASE CONTACT\n"
    "switch:     enqueue CONTACT QUEUE [PRIORITY]   abandon CONTACT   hangup CONTACT\n"
    "queries:    info-contact C   info-agent A   info-queue Q   info-case CASE\n"
    "            snapshot   resume SEQ\n"
    "script:     wait TYPE [FIELD=VALUE...]   sleep MS   hello (a second handshake)\n";

/* Waits for an event whose type ends with want and whose printed line holds every
   FIELD=VALUE of conds; prints every frame meanwhile. 0, or 3 on timeout, 1 at the end. */
static int wait_event(desk *d, const char *want, char **conds, int nconds)
{
  int64_t end = cl_mono_ms() + d->timeout_ms;
  for (;;) {
    int eof;
    int64_t left = end - cl_mono_ms();
    Ccenter__V1__ServerFrame *f = cl_recv(&d->c, left > 0 ? (int)left : 0, &eof);
    if (!f) {
      printf("wait %s: %s\n", want, eof ? "the server closed" : "timeout");
      fflush(stdout);
      return eof ? 1 : 3;
    }
    char *line = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&line, &len);
    cl_print(mem, f);
    fclose(mem);
    fputs(line, stdout);
    fflush(stdout);
    const char *type = NULL;
    if (f->body_case == CCENTER__V1__SERVER_FRAME__BODY_EVENT)
      type = cl_enum_name(&ccenter__v1__event_type__descriptor, f->event->type);
    else if (f->body_case == CCENTER__V1__SERVER_FRAME__BODY_CASE_EVENT)
      type = cl_enum_name(&ccenter__v1__case_event_type__descriptor, f->case_event->type);
    int match = type && strlen(type) >= strlen(want) &&
                strcmp(type + strlen(type) - strlen(want), want) == 0;
    for (int i = 0; match && i < nconds; i++) {
      char pat[300];
      snprintf(pat, sizeof pat, " %s ", conds[i]);
      char *padded = malloc(len + 3);
      snprintf(padded, len + 3, " %s", line);
      padded[strcspn(padded, "\n")] = ' ';
      match = strstr(padded, pat) != NULL;
      free(padded);
    }
    free(line);
    cl_free(f);
    if (match)
      return 0;
  }
}

static char *arg_or(char **a, int n, int i, const char *dflt)
{
  return i < n ? a[i] : (char *)dflt;
}

/* Fills cmd for one command line; 0, 1 when the line is not a command (handled here or
   unknown: *rc says). */
static int build(desk *d, char **a, int n, Ccenter__V1__Command *cmd, void *store, int *rc)
{
  union {
    Ccenter__V1__AgentRef ar;
    Ccenter__V1__AgentNotReady anr;
    Ccenter__V1__AgentContact ac;
    Ccenter__V1__ContactRef cr;
    Ccenter__V1__ContactEnd ce;
    Ccenter__V1__ContactQueue cq;
    Ccenter__V1__ContactAgent ca;
    Ccenter__V1__ContactEnqueue enq;
    Ccenter__V1__CaseOpen co;
    Ccenter__V1__CaseSetField csf;
    Ccenter__V1__CaseTransition ct;
    Ccenter__V1__CaseDecision cd;
    Ccenter__V1__CaseRef cref;
    Ccenter__V1__CaseLinkContact cl;
    Ccenter__V1__QueueRef qr;
  } *u = store;
  const char *k = a[0];
  char *agent = (char *)d->agent, *actor = (char *)d->principal;
  *rc = 0;
#define NEED(m)                                                                            \
  do {                                                                                     \
    if (n < (m)) {                                                                         \
      printf("error: %s needs %d argument(s)\n", k, (m) - 1);                              \
      *rc = 0;                                                                             \
      return 1;                                                                            \
    }                                                                                      \
  } while (0)
  if (!strcmp(k, "login") || !strcmp(k, "logout") || !strcmp(k, "ready") ||
      !strcmp(k, "info-agent")) {
    ccenter__v1__agent_ref__init(&u->ar);
    u->ar.agent = arg_or(a, n, 1, agent);
    cmd->cmd_case = !strcmp(k, "login")    ? CCENTER__V1__COMMAND__CMD_AGENT_LOGIN
                    : !strcmp(k, "logout") ? CCENTER__V1__COMMAND__CMD_AGENT_LOGOUT
                    : !strcmp(k, "ready")  ? CCENTER__V1__COMMAND__CMD_AGENT_READY
                                           : CCENTER__V1__COMMAND__CMD_AGENT_INFO;
    cmd->agent_login = &u->ar; /* one union: every AgentRef case shares it */
  } else if (!strcmp(k, "notready")) {
    ccenter__v1__agent_not_ready__init(&u->anr);
    u->anr.agent = arg_or(a, n, 2, agent); /* a supervisor names the agent */
    u->anr.reason = arg_or(a, n, 1, "");
    cmd->cmd_case = CCENTER__V1__COMMAND__CMD_AGENT_NOT_READY;
    cmd->agent_not_ready = &u->anr;
  } else if (!strcmp(k, "accept") || !strcmp(k, "reject")) {
    NEED(2);
    ccenter__v1__agent_contact__init(&u->ac);
    u->ac.contact = a[1];
    u->ac.agent = arg_or(a, n, 2, agent);
    cmd->cmd_case = !strcmp(k, "accept") ? CCENTER__V1__COMMAND__CMD_OFFER_ACCEPT
                                         : CCENTER__V1__COMMAND__CMD_OFFER_REJECT;
    cmd->offer_accept = &u->ac;
  } else if (!strcmp(k, "hold") || !strcmp(k, "resume-call") || !strcmp(k, "abandon") ||
             !strcmp(k, "info-contact") || !strcmp(k, "unhold")) {
    NEED(2);
    ccenter__v1__contact_ref__init(&u->cr);
    u->cr.contact = a[1];
    cmd->cmd_case = !strcmp(k, "hold")      ? CCENTER__V1__COMMAND__CMD_CONTACT_HOLD
                    : !strcmp(k, "abandon") ? CCENTER__V1__COMMAND__CMD_CONTACT_ABANDON
                    : !strcmp(k, "info-contact") ? CCENTER__V1__COMMAND__CMD_CONTACT_INFO
                                                 : CCENTER__V1__COMMAND__CMD_CONTACT_RESUME;
    cmd->contact_hold = &u->cr;
  } else if (!strcmp(k, "end") || !strcmp(k, "hangup")) {
    NEED(2);
    ccenter__v1__contact_end__init(&u->ce);
    u->ce.contact = a[1];
    u->ce.by = !strcmp(k, "end") ? CCENTER__V1__PARTY__PARTY_AGENT
                                 : CCENTER__V1__PARTY__PARTY_CUSTOMER;
    cmd->cmd_case = CCENTER__V1__COMMAND__CMD_CONTACT_END;
    cmd->contact_end = &u->ce;
  } else if (!strcmp(k, "transfer")) {
    NEED(3);
    ccenter__v1__contact_queue__init(&u->cq);
    u->cq.contact = a[1];
    u->cq.queue = a[2];
    cmd->cmd_case = CCENTER__V1__COMMAND__CMD_TRANSFER_QUEUE;
    cmd->transfer_queue = &u->cq;
  } else if (!strcmp(k, "transfer-agent")) {
    NEED(3);
    ccenter__v1__contact_agent__init(&u->ca);
    u->ca.contact = a[1];
    u->ca.agent = a[2];
    cmd->cmd_case = CCENTER__V1__COMMAND__CMD_TRANSFER_AGENT;
    cmd->transfer_agent = &u->ca;
  } else if (!strcmp(k, "enqueue")) {
    NEED(3);
    ccenter__v1__contact_enqueue__init(&u->enq);
    u->enq.contact = a[1];
    u->enq.queue = a[2];
    u->enq.priority = n > 3 ? atoi(a[3]) : 0;
    cmd->cmd_case = CCENTER__V1__COMMAND__CMD_CONTACT_ENQUEUE;
    cmd->contact_enqueue = &u->enq;
  } else if (!strcmp(k, "case-open")) {
    NEED(3);
    ccenter__v1__case_open__init(&u->co);
    u->co.case_id = a[1];
    u->co.workflow = a[2];
    u->co.actor = actor;
    cmd->cmd_case = CCENTER__V1__COMMAND__CMD_CASE_OPEN;
    cmd->case_open = &u->co;
  } else if (!strcmp(k, "case-text") || !strcmp(k, "case-int")) {
    NEED(4);
    ccenter__v1__case_set_field__init(&u->csf);
    u->csf.case_id = a[1];
    u->csf.actor = actor;
    u->csf.field = a[2];
    if (!strcmp(k, "case-int")) {
      u->csf.value_case = CCENTER__V1__CASE_SET_FIELD__VALUE_INT_VALUE;
      u->csf.int_value = strtoll(a[3], NULL, 10);
    } else {
      u->csf.value_case = CCENTER__V1__CASE_SET_FIELD__VALUE_TEXT_VALUE;
      u->csf.text_value = a[3];
    }
    cmd->cmd_case = CCENTER__V1__COMMAND__CMD_CASE_SET_FIELD;
    cmd->case_set_field = &u->csf;
  } else if (!strcmp(k, "case-move")) {
    NEED(3);
    ccenter__v1__case_transition__init(&u->ct);
    u->ct.case_id = a[1];
    u->ct.transition = a[2];
    u->ct.actor = actor;
    u->ct.reason = arg_or(a, n, 3, "");
    cmd->cmd_case = CCENTER__V1__COMMAND__CMD_CASE_TRANSITION;
    cmd->case_transition = &u->ct;
  } else if (!strcmp(k, "case-approve") || !strcmp(k, "case-reject")) {
    NEED(2);
    ccenter__v1__case_decision__init(&u->cd);
    u->cd.case_id = a[1];
    u->cd.actor = actor;
    u->cd.reason = arg_or(a, n, 2, "");
    cmd->cmd_case = !strcmp(k, "case-approve") ? CCENTER__V1__COMMAND__CMD_CASE_APPROVE
                                               : CCENTER__V1__COMMAND__CMD_CASE_REJECT;
    cmd->case_approve = &u->cd;
  } else if (!strcmp(k, "case-link")) {
    NEED(3);
    ccenter__v1__case_link_contact__init(&u->cl);
    u->cl.case_id = a[1];
    u->cl.contact = a[2];
    u->cl.actor = actor;
    cmd->cmd_case = CCENTER__V1__COMMAND__CMD_CASE_LINK_CONTACT;
    cmd->case_link_contact = &u->cl;
  } else if (!strcmp(k, "info-case")) {
    NEED(2);
    ccenter__v1__case_ref__init(&u->cref);
    u->cref.case_id = a[1];
    cmd->cmd_case = CCENTER__V1__COMMAND__CMD_CASE_INFO;
    cmd->case_info = &u->cref;
  } else if (!strcmp(k, "info-queue")) {
    NEED(2);
    ccenter__v1__queue_ref__init(&u->qr);
    u->qr.queue = a[1];
    cmd->cmd_case = CCENTER__V1__COMMAND__CMD_QUEUE_INFO;
    cmd->queue_info = &u->qr;
  } else {
    printf("error: unknown command '%s' (help lists them)\n", k);
    return 1;
  }
  return 0;
}

/* One line: 0 to go on, else the exit status. */
static int run_line(desk *d, char *line)
{
  char *a[MAXARG];
  int n = 0;
  for (char *p = strtok(line, " \t\r\n"); p && n < MAXARG; p = strtok(NULL, " \t\r\n"))
    a[n++] = p;
  if (!n || a[0][0] == '#')
    return 0;
  fflush(stdout);
  if (!strcmp(a[0], "help")) {
    fputs(HELP, stdout);
    return 0;
  }
  if (!strcmp(a[0], "quit"))
    return -1;
  if (!strcmp(a[0], "sleep")) {
    int64_t end = cl_mono_ms() + (n > 1 ? atoi(a[1]) : 0);
    int eof = 0;
    while (!eof && cl_mono_ms() < end) {
      Ccenter__V1__ServerFrame *f = cl_recv(&d->c, (int)(end - cl_mono_ms()), &eof);
      if (f) {
        cl_print(stdout, f);
        cl_free(f);
      }
    }
    return eof ? 1 : 0;
  }
  if (!strcmp(a[0], "wait")) {
    if (n < 2) {
      printf("error: wait needs an event type\n");
      return 0;
    }
    return wait_event(d, a[1], a + 2, n - 2);
  }
  uint64_t id;
  if (!strcmp(a[0], "hello")) {
    int rc = cl_hello(&d->c, d->role, d->principal, d->secret, stdout);
    return rc == CL_EOF ? 1 : 0;
  } else if (!strcmp(a[0], "snapshot")) {
    Ccenter__V1__SnapshotRequest sr = CCENTER__V1__SNAPSHOT_REQUEST__INIT;
    Ccenter__V1__ClientFrame f = CCENTER__V1__CLIENT_FRAME__INIT;
    f.body_case = CCENTER__V1__CLIENT_FRAME__BODY_SNAPSHOT;
    f.snapshot = &sr;
    id = cl_send(&d->c, &f);
  } else if (!strcmp(a[0], "resume")) {
    Ccenter__V1__Resume r = CCENTER__V1__RESUME__INIT;
    r.after_seq = n > 1 ? strtoull(a[1], NULL, 10) : 0;
    Ccenter__V1__ClientFrame f = CCENTER__V1__CLIENT_FRAME__INIT;
    f.body_case = CCENTER__V1__CLIENT_FRAME__BODY_RESUME;
    f.resume = &r;
    id = cl_send(&d->c, &f);
  } else if (!strcmp(a[0], "wrapup")) {
    if (n < 3) {
      printf("error: wrapup needs a contact and a code\n");
      return 0;
    }
    Ccenter__V1__ContactDisposition cd = CCENTER__V1__CONTACT_DISPOSITION__INIT;
    cd.contact = a[1];
    cd.code = a[2];
    Ccenter__V1__Command cmd = CCENTER__V1__COMMAND__INIT;
    cmd.cmd_case = CCENTER__V1__COMMAND__CMD_CONTACT_DISPOSITION;
    cmd.contact_disposition = &cd;
    id = cl_command(&d->c, &cmd);
    int rc = id ? cl_wait_answer(&d->c, id, d->timeout_ms, stdout) : 1;
    if (rc == CL_EOF)
      return 1;
    if (rc == CL_TIMEOUT)
      return 3;
    Ccenter__V1__AgentContact ac = CCENTER__V1__AGENT_CONTACT__INIT;
    ac.agent = (char *)d->agent;
    ac.contact = a[1];
    cmd.cmd_case = CCENTER__V1__COMMAND__CMD_WRAP_UP_END;
    cmd.wrap_up_end = &ac;
    id = cl_command(&d->c, &cmd);
  } else {
    Ccenter__V1__Command cmd = CCENTER__V1__COMMAND__INIT;
    union {
      Ccenter__V1__CaseTransition big;
      Ccenter__V1__ContactEnqueue big2;
      Ccenter__V1__CaseSetField big3;
      char pad[512];
    } store;
    int rc;
    if (build(d, a, n, &cmd, &store, &rc))
      return rc;
    id = cl_command(&d->c, &cmd);
  }
  if (!id)
    return 1;
  int rc = cl_wait_answer(&d->c, id, d->timeout_ms, stdout);
  return rc == CL_EOF ? 1 : rc == CL_TIMEOUT ? 3 : 0;
}

int main(int argc, char **argv)
{
  desk d = {.timeout_ms = 10000};
  const char *addr = NULL, *role = "agent", *secret_file = NULL;
  d.secret = getenv("CTID_SECRET");
  int ch;
  while ((ch = getopt(argc, argv, "a:r:p:s:S:g:t:h")) != -1) {
    switch (ch) {
    case 'a': addr = optarg; break;
    case 'r': role = optarg; break;
    case 'p': d.principal = optarg; break;
    case 's': d.secret = optarg; break;
    case 'S': secret_file = optarg; break;
    case 'g': d.agent = optarg; break;
    case 't': d.timeout_ms = atoi(optarg); break;
    default:
      fprintf(stderr, "usage: ccenter-desk -a HOST:PORT|unix:PATH -r ROLE -p PRINCIPAL "
                      "[-s SECRET | -S FILE] [-g AGENT] [-t WAIT_MS]\n%s", HELP);
      return 2;
    }
  }
  static char secret_buf[1100];
  if (secret_file) {
    FILE *f = fopen(secret_file, "r");
    if (!f || !fgets(secret_buf, sizeof secret_buf, f)) {
      fprintf(stderr, "%s: cannot read the secret\n", secret_file);
      return 2;
    }
    fclose(f);
    secret_buf[strcspn(secret_buf, "\r\n")] = 0;
    d.secret = secret_buf;
  }
  d.role = cl_role_number(role);
  if (!addr || !d.principal || !d.secret || !d.role) {
    fprintf(stderr, "ccenter-desk: -a, -p, a secret and a known -r are needed\n");
    return 2;
  }
  if (!d.agent)
    d.agent = d.principal;
  if (cl_connect(&d.c, addr))
    return 2;
  int rc = cl_hello(&d.c, d.role, d.principal, d.secret, stdout);
  if (rc) {
    cl_close(&d.c);
    return 1;
  }
  /* stdin is read with read(2), not stdio: lines stdio had buffered would wait unseen
     while poll() sleeps. */
  char buf[8192];
  size_t have = 0;
  int status = 0, in_eof = 0;
  while (!in_eof) {
    /* Frames already read (a command's wait reads past its answer) first. */
    int eof = 0;
    Ccenter__V1__ServerFrame *f;
    while ((f = cl_recv(&d.c, 0, &eof))) {
      cl_print(stdout, f);
      cl_free(f);
    }
    if (eof) {
      printf("closed by the server\n");
      status = 1;
      break;
    }
    struct pollfd p[2] = {{.fd = 0, .events = POLLIN}, {.fd = d.c.fd, .events = POLLIN}};
    if (poll(p, 2, -1) < 0 || !p[0].revents)
      continue;
    ssize_t n = read(0, buf + have, sizeof buf - 1 - have);
    if (n <= 0) {
      in_eof = 1;
      if (!have)
        break;
      buf[have++] = '\n'; /* a last line without its end */
    } else {
      have += (size_t)n;
    }
    char *nl;
    int r = 0;
    while (!r && (nl = memchr(buf, '\n', have))) {
      *nl = 0;
      size_t used = (size_t)(nl - buf) + 1;
      r = run_line(&d, buf);
      memmove(buf, buf + used, have - used);
      have -= used;
    }
    if (r) {
      status = r < 0 ? 0 : r;
      break;
    }
    if (have == sizeof buf - 1)
      have = 0; /* a line longer than the buffer: dropped */
  }
  fflush(stdout);
  cl_close(&d.c);
  return status;
}
