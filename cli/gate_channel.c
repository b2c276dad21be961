/* The gate channel's reader and its verdict. The reader is the CLI's only thread: it blocks every
 * signal (the forwarders and the waits stay with the main thread) and only moves datagrams into
 * memory. The CLI forks once, before the thread starts (child_spawn). */
#include "gate_channel.h"

#include "gate_protocol.h"
#include "json_writer.h"
#include "toolbox.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define SEND_BUFFER   (4 << 20) /* capped by net.core.wmem_max; the reader drains anyway */
#define GATE_FD_CEIL  1024      /* never above: a child's descriptor table grows to fit it */
#define GATE_FD_FLOOR 10        /* above what shells let scripts name (`exec 9>file`) */

/* The highest descriptor that stays clear of what programs use, below the soft limit. */
static int gate_fd_target(void)
{
    struct rlimit rl;
    long top = GATE_FD_CEIL;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        (long)rl.rlim_cur < top)
        top = (long)rl.rlim_cur;
    top -= TL_GATE_FD_FROM_TOP;
    return top > GATE_FD_FLOOR ? (int)top : GATE_FD_FLOOR;
}

/* The named way in: an abstract address nobody can guess, in the CLI's network namespace. A
 * notice there is accepted only from the pid it names (SO_PASSCRED), so that a process outside
 * the run cannot mark one of the run's processes as delivered. Returns the socket, or -1. */
static int bind_named(char *name, size_t namelen)
{
    unsigned char random[8];
    if (getrandom(random, sizeof random, 0) != (ssize_t)sizeof random)
        return -1;
    int n = snprintf(name, namelen, "threadleak-gate.%ld.", (long)getpid());
    for (size_t i = 0; i < sizeof random && n > 0 && (size_t)n + 3 <= namelen; i++)
        n += snprintf(name + n, namelen - (size_t)n, "%02x", random[i]);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    size_t len = strlen(name);
    memcpy(addr.sun_path + 1, name, len);
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&addr,
             (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int gate_channel_open(struct tl__gate_channel *g, char *err, size_t errlen)
{
    memset(g, 0, sizeof *g);
    g->open = true;
    g->recv_fd = g->send_fd = g->named_fd = g->stop_pipe[0] = g->stop_pipe[1] = -1;
    char name[TL_GATE_NAME_MAX + 1];
    g->named_fd = bind_named(name, sizeof name);
    if (g->named_fd < 0) {
        snprintf(err, errlen, "cannot make the gate channel: %s", strerror(errno));
        return -1;
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) != 0) {
        snprintf(err, errlen, "cannot make the gate channel: %s", strerror(errno));
        gate_channel_free(g);
        return -1;
    }
    int size = SEND_BUFFER;
    setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    /* F_DUPFD, not F_DUPFD_CLOEXEC: every program PROG executes must inherit it. */
    int fd = fcntl(sv[1], F_DUPFD, gate_fd_target());
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(err, errlen, "cannot place the gate channel: %s", strerror(errno));
        close(sv[0]);
        close(sv[1]);
        if (fd >= 0)
            close(fd);
        gate_channel_free(g);
        return -1;
    }
    close(sv[1]);
    g->recv_fd = sv[0];
    g->send_fd = fd;
    char value[TL_GATE_NAME_MAX + 64];
    snprintf(value, sizeof value, TL_GATE_ENV_FORMAT, fd, (unsigned long)st.st_ino, name);
    if (setenv(TL_GATE_ENV, value, 1) != 0) {
        snprintf(err, errlen, "%s", strerror(errno));
        gate_channel_free(g);
        return -1;
    }
    return 0;
}

static void add_event(struct tl__gate_channel *g, const struct tl__gate_event *e)
{
    if (!tl__grow((void **)&g->events, g->count, &g->cap, sizeof *g->events, 64)) {
        g->overflowed = true;
        free(e->exe);
        return;
    }
    g->events[g->count++] = *e;
}

/* One record; anything that does not parse is ignored (it cannot come from the shim), and so is
 * a record from the named socket whose pid is not its sender's (sender > 0). */
static void parse_record(struct tl__gate_channel *g, char *rec, pid_t sender)
{
    struct tl__gate_event e = {0};
    long pid;
    int used = 0;
    if (sscanf(rec, "start %ld %n", &pid, &used) == 1 && used > 0) {
        e.kind = 's';
        e.exe = strdup(rec + used);
    } else if (sscanf(rec, TL_GATE_DONE_FORMAT, &pid) == 1) {
        e.kind = 'd';
    } else if (sscanf(rec, TL_GATE_LOST_FORMAT, &pid, &e.err) == 2) {
        e.kind = 'l';
    } else {
        return;
    }
    if (pid <= 0 || (sender > 0 && pid != sender)) {
        free(e.exe);
        return;
    }
    e.pid = (pid_t)pid;
    add_event(g, &e);
}

/* The sender's pid from SCM_CREDENTIALS; 0 when there is none, which drops the record. */
static pid_t sender_pid(struct msghdr *msg)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
            struct ucred cred;
            memcpy(&cred, CMSG_DATA(c), sizeof cred);
            return cred.pid;
        }
    }
    return 0;
}

/* Reads what fd holds. named: the records must carry their sender's credentials. */
static void drain_fd(struct tl__gate_channel *g, int fd, bool named)
{
    char rec[TL_GATE_RECORD_MAX + 1];
    union {
        char buf[CMSG_SPACE(sizeof(struct ucred))];
        struct cmsghdr align;
    } control;
    for (;;) {
        struct iovec iov = {rec, sizeof rec - 1};
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
        if (named) {
            msg.msg_control = control.buf;
            msg.msg_controllen = sizeof control.buf;
        }
        ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return; /* EAGAIN: nothing queued */
        rec[n] = '\0';
        pid_t sender = 0;
        if (named && (sender = sender_pid(&msg)) <= 0)
            continue;
        parse_record(g, rec, sender);
    }
}

static void drain(struct tl__gate_channel *g)
{
    if (g->recv_fd >= 0)
        drain_fd(g, g->recv_fd, false);
    if (g->named_fd >= 0)
        drain_fd(g, g->named_fd, true);
}

static void *reader_main(void *arg)
{
    struct tl__gate_channel *g = arg;
    for (;;) {
        struct pollfd p[3] = {
            {g->stop_pipe[0], POLLIN, 0}, {g->recv_fd, POLLIN, 0}, {g->named_fd, POLLIN, 0}};
        if (poll(p, 3, -1) < 0 && errno != EINTR)
            break;
        drain(g);
        if (p[0].revents)
            break;
    }
    drain(g); /* everything sent before the stop: the processes that sent it have exited */
    return NULL;
}

int gate_channel_listen(struct tl__gate_channel *g)
{
    if (g->send_fd >= 0) {
        close(g->send_fd);
        g->send_fd = -1;
    }
    if (pipe2(g->stop_pipe, O_CLOEXEC) != 0)
        return -1;
    sigset_t all, before;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &before);
    int rc = pthread_create(&g->reader, NULL, reader_main, g);
    pthread_sigmask(SIG_SETMASK, &before, NULL);
    g->reading = rc == 0;
    return rc == 0 ? 0 : -1;
}

void gate_channel_stop(struct tl__gate_channel *g)
{
    if (!g->open)
        return;
    if (g->reading) {
        ssize_t ignored = write(g->stop_pipe[1], "x", 1);
        (void)ignored;
        pthread_join(g->reader, NULL);
        g->reading = false;
    } else {
        drain(g);
    }
}

void gate_channel_free(struct tl__gate_channel *g)
{
    if (!g->open)
        return;
    gate_channel_stop(g);
    int *fds[] = {&g->recv_fd, &g->send_fd, &g->named_fd, &g->stop_pipe[0], &g->stop_pipe[1]};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++) {
        if (*fds[i] >= 0)
            close(*fds[i]);
        *fds[i] = -1;
    }
    for (size_t i = 0; i < g->count; i++)
        free(g->events[i].exe);
    free(g->events);
    g->events = NULL;
    g->count = g->cap = 0;
    g->open = false;
}

/* --- the verdict ------------------------------------------------------------------------------ */

static const struct tl__gate_event *sort_events; /* qsort has no context argument */
static pid_t sort_target;

/* Indexes into the events, by pid (the target's first), then in arrival order. */
static int by_pid_then_arrival(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    pid_t px = sort_events[x].pid, py = sort_events[y].pid;
    if (px != py) {
        if (px == sort_target)
            return -1;
        if (py == sort_target)
            return 1;
        return px < py ? -1 : 1;
    }
    return x < y ? -1 : x > y;
}

static bool report_exists(const char *dir, pid_t pid)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/threadleak.%ld.json", dir, (long)pid);
    return access(path, F_OK) == 0;
}

/* Alive and not a zombie, from /proc/PID/stat ("PID (COMM) STATE ..."). */
static bool still_running(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    char *text = tl__read_file_at(AT_FDCWD, path, 4096, NULL);
    if (!text)
        return false;
    char *close = strrchr(text, ')');
    bool running = close && close[1] == ' ' && close[2] && close[2] != 'Z' && close[2] != 'X';
    free(text);
    return running;
}

static void classify(struct tl__undelivered *u, char last, int err, tl__gate_reaped_fn *reaped)
{
    int ws;
    if (last == 'l') {
        u->why = TL_UNDELIVERED_LOST;
        u->err = err;
    } else if (reaped && reaped(u->pid, &ws)) {
        u->why = WIFSIGNALED(ws) ? TL_UNDELIVERED_KILLED : TL_UNDELIVERED_EXITED;
        u->signal = WIFSIGNALED(ws) ? WTERMSIG(ws) : 0;
        u->exit_status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 0;
    } else {
        u->why = still_running(u->pid) ? TL_UNDELIVERED_RUNNING : TL_UNDELIVERED_UNKNOWN;
    }
}

int gate_channel_undelivered(const struct tl__gate_channel *g, const char *dir, pid_t target,
                             tl__gate_reaped_fn *reaped, struct tl__undelivered **result,
                             size_t *count, size_t *started)
{
    *result = NULL;
    *count = *started = 0;
    if (g->overflowed)
        return -1;
    if (g->count == 0)
        return 0;
    size_t *order = malloc(g->count * sizeof *order);
    struct tl__undelivered *out = calloc(g->count, sizeof *out);
    if (!order || !out) {
        free(order);
        free(out);
        return -1;
    }
    for (size_t i = 0; i < g->count; i++)
        order[i] = i;
    sort_events = g->events;
    sort_target = target;
    qsort(order, g->count, sizeof *order, by_pid_then_arrival);
    for (size_t i = 0; i < g->count;) {
        pid_t pid = g->events[order[i]].pid;
        const struct tl__gate_event *last = NULL, *lost = NULL;
        const char *exe = NULL;
        bool said_start = false;
        for (; i < g->count && g->events[order[i]].pid == pid; i++) {
            last = &g->events[order[i]];
            if (last->kind == 's') {
                said_start = true;
                exe = last->exe;
            }
            /* The two sockets are read in turn, so a start sent through the inherited one may
             * be read after a lost sent through the named one: a lost counts until a done. */
            lost = last->kind == 'l' ? last : last->kind == 'd' ? NULL : lost;
        }
        *started += said_start;
        if (last->kind == 'd' || (last->kind == 's' && report_exists(dir, pid)))
            continue;
        struct tl__undelivered *u = &out[(*count)++];
        u->pid = pid;
        u->exe = exe && *exe ? exe : "?";
        classify(u, lost ? 'l' : last->kind, lost ? lost->err : 0, reaped);
    }
    free(order);
    if (*count == 0)
        free(out);
    else
        *result = out;
    return 0;
}

void gate_undelivered_reason(const struct tl__undelivered *u, char *out, size_t outlen)
{
    const char *abbrev;
    switch (u->why) {
    case TL_UNDELIVERED_LOST:
        snprintf(out, outlen, "could not write its report (%s)", strerror(u->err));
        return;
    case TL_UNDELIVERED_KILLED:
        abbrev = sigabbrev_np(u->signal);
        snprintf(out, outlen, "was killed by signal %d (SIG%s)", u->signal, abbrev ? abbrev : "?");
        return;
    case TL_UNDELIVERED_EXITED:
        snprintf(out, outlen,
                 "exited with status %d (it executed a program the shim cannot reach, such as a "
                 "static one, or it could not write its report after closing threadleak's "
                 "descriptor)",
                 u->exit_status);
        return;
    case TL_UNDELIVERED_RUNNING:
        snprintf(out, outlen, "is still running");
        return;
    case TL_UNDELIVERED_UNKNOWN:
        snprintf(out, outlen,
                 "ended and its own parent reaped it, so threadleak cannot tell how (killed by a "
                 "signal, or it executed a program the shim cannot reach, such as a static one)");
        return;
    }
    snprintf(out, outlen, "delivered no report");
}

static const char *why_word(enum tl__undelivered_why why)
{
    static const char *const words[] = {[TL_UNDELIVERED_LOST] = "lost",
                                        [TL_UNDELIVERED_KILLED] = "killed",
                                        [TL_UNDELIVERED_EXITED] = "exited",
                                        [TL_UNDELIVERED_RUNNING] = "running",
                                        [TL_UNDELIVERED_UNKNOWN] = "unknown"};
    return words[why];
}

struct undelivered_list {
    const struct tl__undelivered *items;
    size_t count;
};

static void write_undelivered(struct tl__json_writer *w, const void *ctx)
{
    const struct undelivered_list *list = ctx;
    const struct tl__undelivered *u = list->items;
    tl__jw_begin_array(w);
    for (size_t i = 0; i < list->count; i++) {
        char reason[512];
        gate_undelivered_reason(&u[i], reason, sizeof reason);
        tl__jw_begin_object(w);
        tl__jw_member_int(w, "pid", u[i].pid);
        tl__jw_member_string(w, "exe", u[i].exe);
        tl__jw_member_string(w, "why", why_word(u[i].why));
        tl__jw_member_string(w, "reason", reason);
        tl__jw_key(w, "signal");
        if (u[i].why == TL_UNDELIVERED_KILLED)
            tl__jw_int(w, u[i].signal);
        else
            tl__jw_null(w);
        tl__jw_key(w, "exit_status");
        if (u[i].why == TL_UNDELIVERED_EXITED)
            tl__jw_int(w, u[i].exit_status);
        else
            tl__jw_null(w);
        tl__jw_end_object(w);
    }
    tl__jw_end_array(w);
}

/* The member is nested by the merge: tl__jw_to_string leaves no trailing newline. */
char *gate_undelivered_json(const struct tl__undelivered *u, size_t count)
{
    const struct undelivered_list list = {u, count};
    return tl__jw_to_string(write_undelivered, &list);
}
