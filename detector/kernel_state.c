/* /proc/self/task/TID parsing and wait descriptions. Runs in a collector thread: it opens files,
 * but allocates nothing except in the tracker's table (grown rarely). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "kernel_state.h"

#include "toolbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef FUTEX_LOCK_PI2
#define FUTEX_LOCK_PI2 13
#endif
#define FUTEX_OP_CMD(op) ((op) & ~(uint64_t)(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME))
#define FUTEX_MATCH_ANY  0xffffffffu

/* ---------------------------------------------------------------- syscall table */

/* How a call's arguments name what it waits on. */
enum wait_arg {
    ARG_NONE,   /* nothing to add */
    ARG_FD0,    /* args[0] is an fd worth resolving */
    ARG_EPOLL,  /* args[0] is an epoll fd (always eventpoll: not resolved) */
    ARG_POLL,   /* args[0] is a struct pollfd array, args[1] its length */
    ARG_SELECT, /* args[0] is nfds, args[1] the read set */
    ARG_FUTEX,  /* args[1] is the op */
    ARG_SLEEP,  /* described as "nanosleep" */
};

struct syscall_entry {
    long nr;
    const char *name;
    enum wait_arg arg;
};

/* x86_64 only: the numbers differ per architecture, and elsewhere calls show as "syscall N". */
static const struct syscall_entry syscall_table[] = {
#if defined(__x86_64__)
    {SYS_read, "read", ARG_FD0},
    {SYS_write, "write", ARG_FD0},
    {SYS_poll, "poll", ARG_POLL},
    {SYS_ioctl, "ioctl", ARG_FD0},
    {SYS_pread64, "pread64", ARG_FD0},
    {SYS_pwrite64, "pwrite64", ARG_FD0},
    {SYS_readv, "readv", ARG_FD0},
    {SYS_writev, "writev", ARG_FD0},
    {SYS_select, "select", ARG_SELECT},
    {SYS_sched_yield, "sched_yield", ARG_NONE},
    {SYS_pause, "pause", ARG_NONE},
    {SYS_nanosleep, "nanosleep", ARG_SLEEP},
    {SYS_sendfile, "sendfile", ARG_FD0},
    {SYS_connect, "connect", ARG_FD0},
    {SYS_accept, "accept", ARG_FD0},
    {SYS_sendto, "sendto", ARG_FD0},
    {SYS_recvfrom, "recvfrom", ARG_FD0},
    {SYS_sendmsg, "sendmsg", ARG_FD0},
    {SYS_recvmsg, "recvmsg", ARG_FD0},
    {SYS_wait4, "wait4", ARG_NONE},
    {SYS_semop, "semop", ARG_NONE},
    {SYS_msgsnd, "msgsnd", ARG_NONE},
    {SYS_msgrcv, "msgrcv", ARG_NONE},
    {SYS_fcntl, "fcntl", ARG_FD0},
    {SYS_flock, "flock", ARG_FD0},
    {SYS_fsync, "fsync", ARG_FD0},
    {SYS_fdatasync, "fdatasync", ARG_FD0},
    {SYS_rt_sigtimedwait, "rt_sigtimedwait", ARG_NONE},
    {SYS_rt_sigsuspend, "rt_sigsuspend", ARG_NONE},
    {SYS_futex, "futex", ARG_FUTEX},
    {SYS_io_getevents, "io_getevents", ARG_NONE},
    {SYS_restart_syscall, "restart_syscall", ARG_NONE},
    {SYS_semtimedop, "semtimedop", ARG_NONE},
    {SYS_clock_nanosleep, "clock_nanosleep", ARG_SLEEP},
    {SYS_epoll_wait, "epoll_wait", ARG_EPOLL},
    {SYS_mq_timedsend, "mq_timedsend", ARG_FD0},
    {SYS_mq_timedreceive, "mq_timedreceive", ARG_FD0},
    {SYS_waitid, "waitid", ARG_NONE},
    {SYS_openat, "openat", ARG_NONE},
    {SYS_pselect6, "pselect6", ARG_SELECT},
    {SYS_ppoll, "ppoll", ARG_POLL},
    {SYS_splice, "splice", ARG_FD0},
    {SYS_epoll_pwait, "epoll_pwait", ARG_EPOLL},
    {SYS_accept4, "accept4", ARG_FD0},
    {SYS_recvmmsg, "recvmmsg", ARG_FD0},
    {SYS_sendmmsg, "sendmmsg", ARG_FD0},
    {SYS_getrandom, "getrandom", ARG_NONE},
    {SYS_io_pgetevents, "io_pgetevents", ARG_NONE},
    {SYS_io_uring_enter, "io_uring_enter", ARG_FD0},
    {441, "epoll_pwait2", ARG_EPOLL},
    {449, "futex_waitv", ARG_NONE},
#endif
    {-1, NULL, ARG_NONE},
};

static const struct syscall_entry *syscall_entry_of(long nr)
{
    for (const struct syscall_entry *e = syscall_table; e->name; e++)
        if (e->nr == nr)
            return e;
    return NULL;
}

const char *kernel_syscall_name(long nr)
{
    const struct syscall_entry *e = syscall_entry_of(nr);
    return e ? e->name : NULL;
}

enum kernel_futex_kind kernel_futex_kind_of(const uint64_t args[6])
{
    switch (FUTEX_OP_CMD(args[1])) {
    case FUTEX_WAIT:
        return KERNEL_FUTEX_MUTEX;
    case FUTEX_WAIT_BITSET:
        return (uint32_t)args[5] == FUTEX_MATCH_ANY ? KERNEL_FUTEX_CONDITION
                                                    : KERNEL_FUTEX_WAIT_OTHER;
    case FUTEX_LOCK_PI:
    case FUTEX_LOCK_PI2:
        return KERNEL_FUTEX_MUTEX_PI;
    case FUTEX_WAIT_REQUEUE_PI:
        return KERNEL_FUTEX_CONDITION_PI;
    default:
        return KERNEL_FUTEX_OTHER;
    }
}

const char *kernel_futex_kind_name(enum kernel_futex_kind kind)
{
    switch (kind) {
    case KERNEL_FUTEX_CONDITION:
        return "condition";
    case KERNEL_FUTEX_MUTEX:
        return "mutex";
    case KERNEL_FUTEX_MUTEX_PI:
        return "mutex, PI";
    case KERNEL_FUTEX_CONDITION_PI:
        return "condition, PI";
    case KERNEL_FUTEX_JOIN:
        return "join";
    case KERNEL_FUTEX_WAIT_OTHER:
        return "bitset";
    case KERNEL_FUTEX_OTHER:
        return "other";
    case KERNEL_FUTEX_NONE:
        break;
    }
    return "";
}

const char *kernel_duration_source_name(enum kernel_duration_source source)
{
    switch (source) {
    case KERNEL_DURATION_LAST_RAN:
        return "last-ran";
    case KERNEL_DURATION_OBSERVED:
        return "observed";
    case KERNEL_DURATION_AT_LEAST:
        return "at-least";
    case KERNEL_DURATION_NONE:
        break;
    }
    return "none";
}

/* ---------------------------------------------------------------- file reading */

int kernel_state_open_task_dir(void)
{
    return open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* "PREFIX" "TID" "/" "NAME" into path (64 bytes): a dump builds two paths per thread, and
 * snprintf's format parsing costs more than the digits. */
static void task_file_path(char *path, const char *prefix, pid_t tid, const char *name)
{
    char digits[12];
    size_t n = 0, at = 0;
    for (unsigned v = (unsigned)tid; n == 0 || v > 0; v /= 10)
        digits[n++] = (char)('0' + v % 10);
    for (; *prefix; prefix++)
        path[at++] = *prefix;
    while (n > 0)
        path[at++] = digits[--n];
    path[at++] = '/';
    for (; *name && at < 63; name++)
        path[at++] = *name;
    path[at] = '\0';
}

/* Reads /proc/self/task/TID/NAME into buf, NUL-terminated. Returns the length or -errno. */
static ssize_t read_task_file(int task_dir, pid_t tid, const char *name, char *buf, size_t len)
{
    char path[64];
    int fd;
    if (task_dir >= 0) {
        task_file_path(path, "", tid, name);
        fd = openat(task_dir, path, O_RDONLY | O_CLOEXEC);
    } else {
        task_file_path(path, "/proc/self/task/", tid, name);
        fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    if (fd < 0)
        return -errno;
    size_t got = 0;
    while (got + 1 < len) {
        ssize_t n = read(fd, buf + got, len - 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int err = errno;
            close(fd);
            return -err;
        }
        if (n == 0)
            break;
        got += (size_t)n;
        /* These files are generated whole on the first read (seq_file, single_open): a read
         * that did not fill the buffer has everything, and asking again costs a syscall. */
        if ((size_t)n < len - 1 - (got - (size_t)n))
            break;
    }
    close(fd);
    buf[got] = '\0';
    return (ssize_t)got;
}

static void copy_trimmed(char *dst, size_t cap, const char *src, size_t n)
{
    while (n > 0 && (src[n - 1] == '\n' || src[n - 1] == ' '))
        n--;
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* ---------------------------------------------------------------- parsers */

/* "tid (comm) S ppid ...": comm may hold spaces and parentheses, so fields count from the last
 * ')'. Returns false when the text is not a stat line. */
static bool parse_stat(const char *text, struct kernel_thread_state *st)
{
    const char *open_paren = strchr(text, '(');
    const char *close_paren = strrchr(text, ')');
    if (!open_paren || !close_paren || close_paren < open_paren || close_paren[1] != ' ')
        return false;
    copy_trimmed(st->comm, sizeof st->comm, open_paren + 1, (size_t)(close_paren - open_paren - 1));
    const char *p = close_paren + 2;
    st->state = *p ? *p : '?';
    /* Field 3 is the state; utime and stime are 14 and 15, starttime 22, processor 39. */
    uint64_t utime = 0, stime = 0;
    st->last_cpu = -1;
    for (int field = 3; *p && field <= 39; field++) {
        char *end;
        unsigned long long value = strtoull(p, &end, 10);
        if (field == 14)
            utime = value;
        else if (field == 15)
            stime = value;
        else if (field == 22)
            st->start_ticks = value;
        else if (field == 39)
            st->last_cpu = (int)value;
        p = strchr(p, ' ');
        if (!p)
            break;
        p++;
    }
    st->cpu_ticks = utime + stime;
    return true;
}

/* "running", "-1 sp pc", or "nr a0 a1 a2 a3 a4 a5 sp pc". */
static void parse_syscall(const char *text, struct kernel_thread_state *st)
{
    if (strncmp(text, "running", 7) == 0) {
        st->syscall_state = KERNEL_SYSCALL_RUNNING;
        return;
    }
    char *end;
    long nr = strtol(text, &end, 10);
    if (end == text)
        return;
    uint64_t values[8] = {0};
    int count = 0;
    for (const char *p = end; count < 8; count++) {
        unsigned long long v = strtoull(p, &end, 16);
        if (end == p)
            break;
        values[count] = v;
        p = end;
    }
    if (nr < 0) {
        st->syscall_state = KERNEL_SYSCALL_NONE;
        st->user_sp = values[0];
        st->user_pc = values[1];
        return;
    }
    st->syscall_state = KERNEL_SYSCALL_IN;
    st->syscall_nr = nr;
    st->syscall_name = kernel_syscall_name(nr);
    memcpy(st->args, values, sizeof st->args);
    st->user_sp = values[6];
    st->user_pc = values[7];
}

/* status escapes the name (seq_escape_str with ESCAPE_SPACE | ESCAPE_SPECIAL, and "\n\\"):
 * undo it, so that the name reads as stat's comm does. */
static void copy_status_name(char *dst, size_t cap, const char *src)
{
    static const char escaped[] = "ntrfvae\\\"", plain[] = "\n\t\r\f\v\a\x1b\\\"";
    size_t n = 0;
    for (const char *p = src; *p && *p != '\n' && n + 1 < cap; p++) {
        const char *hit = p[0] == '\\' && p[1] ? strchr(escaped, p[1]) : NULL;
        if (hit) {
            dst[n++] = plain[hit - escaped];
            p++;
        } else {
            dst[n++] = *p;
        }
    }
    dst[n] = '\0';
}

/* The value of "KEY:" when line starts with it, else NULL. */
static const char *field_value(const char *line, const char *key, size_t key_len)
{
    return strncmp(line, key, key_len) == 0 && line[key_len] == ':' ? line + key_len + 1 : NULL;
}

/* One pass over the lines, each looked at only by the keys sharing its first letter: a dump
 * parses one status file per thread, about 55 lines of which it wants five. */
static void parse_status(const char *text, struct kernel_thread_state *st, bool with_state)
{
    const char *v;
    for (const char *line = text; line && *line;
         line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        switch (line[0]) {
        case 'N':
            if (with_state && (v = field_value(line, "Name", 4)))
                copy_status_name(st->comm, sizeof st->comm, v + strspn(v, "\t "));
            break;
        case 'S':
            if (with_state && (v = field_value(line, "State", 5))) {
                v += strspn(v, "\t ");
                st->state = *v && *v != '\n' ? *v : '?';
            } else if ((v = field_value(line, "SigBlk", 6))) {
                st->sigblk = strtoull(v, NULL, 16);
                st->sigblk_known = true;
            }
            break;
        case 'n':
            if ((v = field_value(line, "nonvoluntary_ctxt_switches", 26)))
                st->involuntary_switches = strtoull(v, NULL, 10);
            break;
        case 'v':
            if ((v = field_value(line, "voluntary_ctxt_switches", 23)))
                st->voluntary_switches = strtoull(v, NULL, 10);
            break;
        default:
            break;
        }
    }
}

/* `sched` prints se.exec_start as milliseconds with six decimals: nanoseconds, split. */
static bool parse_exec_start(const char *text, uint64_t *ns)
{
    const char *p = strstr(text, "se.exec_start");
    if (!p || !(p = strchr(p, ':')))
        return false;
    char *end;
    unsigned long long ms = strtoull(p + 1, &end, 10);
    if (*end != '.')
        return false;
    const char *frac = end + 1;
    uint64_t sub = 0;
    int digits = 0;
    for (; digits < 6 && frac[digits] >= '0' && frac[digits] <= '9'; digits++)
        sub = sub * 10 + (uint64_t)(frac[digits] - '0');
    if (digits != 6)
        return false;
    *ns = (uint64_t)ms * 1000000u + sub;
    return true;
}

static bool read_exec_start(int task_dir, pid_t tid, uint64_t *ns)
{
    char buf[2048]; /* exec_start is on the third line */
    return read_task_file(task_dir, tid, "sched", buf, sizeof buf) > 0 && parse_exec_start(buf, ns);
}

bool kernel_sched_clock_supported(void)
{
    uint64_t ns;
    return read_exec_start(-1, (pid_t)syscall(SYS_gettid), &ns);
}

bool kernel_sched_clock_init(struct kernel_sched_clock *clock)
{
    memset(clock, 0, sizeof *clock);
    long n = sysconf(_SC_NPROCESSORS_CONF);
    if (n <= 0)
        return false;
    if (n > CPU_SETSIZE)
        n = CPU_SETSIZE;
    clock->offset_ns = calloc((size_t)n, sizeof *clock->offset_ns);
    clock->measured_ns = calloc((size_t)n, sizeof *clock->measured_ns);
    clock->unreachable = calloc((size_t)n, sizeof *clock->unreachable);
    if (!clock->offset_ns || !clock->measured_ns || !clock->unreachable) {
        kernel_sched_clock_destroy(clock);
        return false;
    }
    clock->ncpus = (int)n;
    return true;
}

void kernel_sched_clock_destroy(struct kernel_sched_clock *clock)
{
    free(clock->offset_ns);
    free(clock->measured_ns);
    free(clock->unreachable);
    memset(clock, 0, sizeof *clock);
}

/* On cpu, right after a yield (which runs update_curr), our own exec_start is "now" on that CPU's
 * scheduler clock; CLOCK_MONOTONIC read just then gives the offset. Being preempted between the
 * two reads can only make an offset too large, so the smallest of a few is kept. */
#define CLOCK_SAMPLES 2

static bool measure_on_cpu(int cpu, int64_t *offset)
{
    cpu_set_t saved, one;
    if (sched_getaffinity(0, sizeof saved, &saved) != 0)
        return false;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    if (sched_setaffinity(0, sizeof one, &one) != 0)
        return false;
    pid_t self = (pid_t)syscall(SYS_gettid);
    bool ok = false;
    for (int i = 0; i < CLOCK_SAMPLES; i++) {
        sched_yield();
        uint64_t mono = tl__monotonic_ns();
        uint64_t exec_start = 0;
        if (sched_getcpu() != cpu || !read_exec_start(-1, self, &exec_start))
            continue;
        int64_t sample = (int64_t)(mono - exec_start);
        if (!ok || sample < *offset)
            *offset = sample;
        ok = true;
    }
    sched_setaffinity(0, sizeof saved, &saved);
    return ok;
}

/* sched_ns on cpu's scheduler clock, as CLOCK_MONOTONIC. */
static bool sched_to_monotonic(struct kernel_sched_clock *clock, int cpu, uint64_t sched_ns,
                               uint64_t *mono)
{
    if (cpu < 0 || cpu >= clock->ncpus)
        return false;
    uint64_t now = tl__monotonic_ns();
    if (clock->measured_ns[cpu] == 0 ||
        now - clock->measured_ns[cpu] > KERNEL_SCHED_CLOCK_MAX_AGE_NS) {
        /* A failure (a cpuset, a CPU going offline) is retried at the same pace. */
        clock->unreachable[cpu] = !measure_on_cpu(cpu, &clock->offset_ns[cpu]);
        clock->measured_ns[cpu] = now;
    }
    if (clock->unreachable[cpu])
        return false;
    *mono = (uint64_t)((int64_t)sched_ns + clock->offset_ns[cpu]);
    return true;
}

/* ---------------------------------------------------------------- what the wait is on */

/* Reads our own memory without risking a fault: the pointer comes from another thread's syscall
 * arguments and that thread may be gone. */
static void resolve_fd(int fd, char *out, size_t cap)
{
    char path[40];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, out, cap - 1);
    out[n > 0 ? n : 0] = '\0';
}

/* Where struct pthread keeps the kernel tid, found by looking for our own tid in our own
 * descriptor (0x2d0 in glibc 2.36). -1 when not found. */
static long pthread_tid_offset(void)
{
    static _Atomic long cached = -2;
    long offset = atomic_load_explicit(&cached, memory_order_relaxed);
    if (offset != -2)
        return offset;
    pid_t self = (pid_t)syscall(SYS_gettid);
    const char *pd = (const char *)pthread_self();
    offset = -1;
    for (long o = 64; o < 0x800; o += (long)sizeof(pid_t)) {
        pid_t v;
        memcpy(&v, pd + o, sizeof v);
        if (v == self) {
            offset = o;
            break;
        }
    }
    atomic_store_explicit(&cached, offset, memory_order_relaxed);
    return offset;
}

/* pthread_join waits on the joined thread's tid word with the tid as the expected value. The
 * word belongs to a join when the struct around it starts with glibc's self pointers. */
static bool futex_is_join(const uint64_t args[6], pid_t *joined)
{
    long offset = pthread_tid_offset();
    pid_t expected = (pid_t)(uint32_t)args[2];
    if (offset < 0 || expected <= 0 || args[0] < (uint64_t)offset)
        return false;
    uint64_t pd = args[0] - (uint64_t)offset;
    uint64_t header[3];
    if (!tl__read_own_memory(pd, header, sizeof header) || header[0] != pd || header[2] != pd)
        return false;
    *joined = expected;
    return true;
}

static void decode_poll(struct kernel_thread_state *st)
{
    uint64_t count = st->args[1];
    st->nfds = count > 1024 ? 1024 : (int)count;
    struct {
        int fd;
        short events, revents;
    } first;
    if (count > 0 && tl__read_own_memory(st->args[0], &first, sizeof first))
        st->fd = first.fd;
}

static void decode_select(struct kernel_thread_state *st)
{
    uint64_t nfds = st->args[0] > 1024 ? 1024 : st->args[0];
    uint64_t set[16];
    size_t bytes = (size_t)((nfds + 63) / 64) * sizeof set[0];
    if (nfds == 0 || st->args[1] == 0 || !tl__read_own_memory(st->args[1], set, bytes))
        return;
    for (uint64_t fd = 0; fd < nfds; fd++) {
        if (!(set[fd / 64] & (1ull << (fd % 64))))
            continue;
        if (st->fd < 0)
            st->fd = (int)fd;
        st->nfds++;
    }
}

static void decode_wait_target(struct kernel_thread_state *st)
{
    const struct syscall_entry *e = syscall_entry_of(st->syscall_nr);
    if (!e)
        return;
    switch (e->arg) {
    case ARG_FD0:
    case ARG_EPOLL:
        st->fd = (int)st->args[0];
        break;
    case ARG_POLL:
        decode_poll(st);
        break;
    case ARG_SELECT:
        decode_select(st);
        break;
    case ARG_FUTEX:
        st->futex_kind = kernel_futex_kind_of(st->args);
        if ((st->futex_kind == KERNEL_FUTEX_CONDITION || st->futex_kind == KERNEL_FUTEX_MUTEX) &&
            futex_is_join(st->args, &st->join_tid))
            st->futex_kind = KERNEL_FUTEX_JOIN;
        break;
    case ARG_NONE:
    case ARG_SLEEP:
        break;
    }
    if (st->fd >= 0 && e->arg != ARG_EPOLL)
        resolve_fd(st->fd, st->fd_target, sizeof st->fd_target);
}

/* ---------------------------------------------------------------- descriptions */

/* "pipe:[123]" -> "pipe", "anon_inode:[eventfd]" -> "eventfd", a path stays a path. */
static void fd_kind(const char *target, char *out, size_t cap)
{
    const char *colon = strchr(target, ':');
    if (target[0] != '/' && colon) {
        const char *bracket = strchr(colon, '[');
        if (strncmp(target, "anon_inode:", 11) == 0) {
            const char *name = bracket ? bracket + 1 : colon + 1;
            size_t n = strcspn(name, "]");
            snprintf(out, cap, "%.*s", (int)n, name);
        } else {
            snprintf(out, cap, "%.*s", (int)(colon - target), target);
        }
        return;
    }
    snprintf(out, cap, "%s", target);
}

static size_t append(char *buf, size_t len, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static size_t append(char *buf, size_t len, size_t at, const char *fmt, ...)
{
    if (at >= len)
        return at;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + at, len - at, fmt, ap);
    va_end(ap);
    return n < 0 ? at : at + (size_t)n;
}

static size_t describe_fd(const struct kernel_thread_state *st, char *buf, size_t len, size_t at)
{
    if (st->fd < 0)
        return at;
    at = append(buf, len, at, " fd %d", st->fd);
    if (st->fd_target[0]) {
        char kind[KERNEL_STATE_TARGET_MAX];
        fd_kind(st->fd_target, kind, sizeof kind);
        at = append(buf, len, at, " (%s)", kind);
    }
    if (st->nfds > 1)
        at = append(buf, len, at, " and %d more", st->nfds - 1);
    return at;
}

static size_t describe_futex(const struct kernel_thread_state *st, char *buf, size_t len)
{
    switch (st->futex_kind) {
    case KERNEL_FUTEX_JOIN:
        return append(buf, len, 0, "futex wait (join tid %d)", (int)st->join_tid);
    case KERNEL_FUTEX_OTHER:
        return append(buf, len, 0, "futex op %llu", (unsigned long long)FUTEX_OP_CMD(st->args[1]));
    case KERNEL_FUTEX_WAIT_OTHER:
        return append(buf, len, 0, "futex wait");
    default:
        return append(buf, len, 0, "futex wait (%s)", kernel_futex_kind_name(st->futex_kind));
    }
}

static size_t describe_syscall(const struct kernel_thread_state *st, char *buf, size_t len)
{
    const struct syscall_entry *e = syscall_entry_of(st->syscall_nr);
    if (!e)
        return append(buf, len, 0, "syscall %ld", st->syscall_nr);
    switch (e->arg) {
    case ARG_FUTEX:
        return describe_futex(st, buf, len);
    case ARG_SLEEP:
        return append(buf, len, 0, "nanosleep");
    case ARG_EPOLL:
        return append(buf, len, 0, "%s fd %d", e->name, st->fd);
    case ARG_FD0:
        if (st->syscall_nr == SYS_fcntl && (st->args[1] == F_SETLKW || st->args[1] == F_OFD_SETLKW))
            return describe_fd(st, buf, len, append(buf, len, 0, "fcntl lock wait"));
        /* fallthrough */
    case ARG_POLL:
    case ARG_SELECT:
        return describe_fd(st, buf, len, append(buf, len, 0, "%s", e->name));
    case ARG_NONE:
        break;
    }
    return append(buf, len, 0, "%s", e->name);
}

/* Without the syscall file (not dumpable), the sleeping kernel function still says a lot. */
static size_t describe_from_wchan(const struct kernel_thread_state *st, char *buf, size_t len)
{
    static const struct {
        const char *prefix, *meaning;
    } known[] = {
        {"futex", "futex wait"},
        {"anon_pipe_read", "pipe read"},
        {"pipe_read", "pipe read"},
        {"hrtimer_nanosleep", "nanosleep"},
        {"do_nanosleep", "nanosleep"},
        {"poll_schedule_timeout", "poll"},
        {"do_poll", "poll"},
        {"do_select", "select"},
        {"ep_poll", "epoll_wait"},
        {"do_sigtimedwait", "rt_sigtimedwait"},
        {"sigsuspend", "rt_sigsuspend"},
        {"do_wait", "wait4"},
        {"inet_csk_accept", "accept"},
        {"unix_stream_read", "socket read"},
        {"wait_woken", "socket wait"},
        {"sk_wait_data", "socket read"},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strncmp(st->wchan, known[i].prefix, strlen(known[i].prefix)) == 0)
            return append(buf, len, 0, "%s", known[i].meaning);
    if (st->wchan[0])
        return append(buf, len, 0, "sleeping in %s", st->wchan);
    return append(buf, len, 0, "sleeping");
}

void kernel_state_describe(const struct kernel_thread_state *st, char *buf, size_t len)
{
    if (len == 0)
        return;
    buf[0] = '\0';
    if (st->error) {
        append(buf, len, 0, "exited");
        return;
    }
    size_t at;
    switch (st->state) {
    case 'Z':
        append(buf, len, 0, "zombie");
        return;
    case 'X':
        append(buf, len, 0, "dead");
        return;
    case 'T':
        append(buf, len, 0, "stopped");
        return;
    case 't':
        append(buf, len, 0, "stopped by a tracer");
        return;
    default:
        break;
    }
    switch (st->syscall_state) {
    case KERNEL_SYSCALL_RUNNING:
        append(buf, len, 0, "running");
        return;
    case KERNEL_SYSCALL_IN:
        at = describe_syscall(st, buf, len);
        break;
    case KERNEL_SYSCALL_NONE:
        at = append(buf, len, 0, "blocked outside a syscall");
        if (st->wchan[0])
            at = append(buf, len, at, " in %s", st->wchan);
        break;
    case KERNEL_SYSCALL_UNREAD:
    default:
        if (st->state == 'R') {
            append(buf, len, 0, "running");
            return;
        }
        at = describe_from_wchan(st, buf, len);
        break;
    }
    if (st->state == 'D')
        append(buf, len, at, " [uninterruptible]");
}

/* ---------------------------------------------------------------- the read */

static void reset_state(struct kernel_thread_state *st, pid_t tid)
{
    memset(st, 0, sizeof *st);
    st->tid = tid;
    st->state = '?';
    st->last_cpu = -1;
    st->syscall_nr = -1;
    st->fd = -1;
}

static int read_stat(int task_dir, struct kernel_thread_state *st)
{
    char buf[1024];
    ssize_t n = read_task_file(task_dir, st->tid, "stat", buf, sizeof buf);
    if (n < 0)
        return (int)n;
    if (!parse_stat(buf, st))
        return -EIO;
    st->stat_known = true;
    return 0;
}

static void read_syscall(int task_dir, struct kernel_thread_state *st)
{
    char buf[256];
    ssize_t n = read_task_file(task_dir, st->tid, "syscall", buf, sizeof buf);
    if (n < 0) {
        st->syscall_error = (int)-n;
        return;
    }
    parse_syscall(buf, st);
    if (st->syscall_state == KERNEL_SYSCALL_IN)
        decode_wait_target(st);
}

/* The syscall fields only, read again: what the thread is doing right now. */
void kernel_state_reread_syscall(int task_dir, struct kernel_thread_state *st)
{
    st->syscall_state = KERNEL_SYSCALL_UNREAD;
    st->syscall_error = 0;
    st->syscall_nr = -1;
    st->syscall_name = NULL;
    memset(st->args, 0, sizeof st->args);
    st->user_sp = st->user_pc = 0;
    st->futex_kind = KERNEL_FUTEX_NONE;
    st->join_tid = 0;
    st->fd = -1;
    st->nfds = 0;
    st->fd_target[0] = '\0';
    read_syscall(task_dir, st);
}

bool kernel_state_same_call(const struct kernel_thread_state *a,
                            const struct kernel_thread_state *b)
{
    return a->syscall_state == b->syscall_state && a->syscall_nr == b->syscall_nr &&
           memcmp(a->args, b->args, sizeof a->args) == 0 && a->user_sp == b->user_sp &&
           a->user_pc == b->user_pc;
}

static void read_wchan(int task_dir, struct kernel_thread_state *st)
{
    char buf[KERNEL_STATE_WCHAN_MAX];
    ssize_t n = read_task_file(task_dir, st->tid, "wchan", buf, sizeof buf);
    if (n > 0 && strcmp(buf, "0") != 0)
        copy_trimmed(st->wchan, sizeof st->wchan, buf, (size_t)n);
}

static void read_status(int task_dir, struct kernel_thread_state *st)
{
    char buf[2048];
    if (read_task_file(task_dir, st->tid, "status", buf, sizeof buf) > 0)
        parse_status(buf, st, false);
}

/* The brief read's first file: status alone says whether the thread is there, its state and
 * name, besides SigBlk and the switches. */
static int read_status_first(int task_dir, struct kernel_thread_state *st)
{
    char buf[2048];
    ssize_t n = read_task_file(task_dir, st->tid, "status", buf, sizeof buf);
    if (n < 0)
        return (int)n;
    parse_status(buf, st, true);
    return st->state != '?' ? 0 : -EIO;
}

/* stat's fields that status does not have, for a brief read that turns out to need them. */
static void read_stat_extra(int task_dir, struct kernel_thread_state *st)
{
    if (st->stat_known)
        return;
    struct kernel_thread_state full = *st;
    if (read_stat(task_dir, &full) != 0)
        return;
    st->start_ticks = full.start_ticks;
    st->cpu_ticks = full.cpu_ticks;
    st->last_cpu = full.last_cpu;
    st->stat_known = true;
}

static bool is_waiting(const struct kernel_thread_state *st)
{
    return !st->error && st->state != 'R' && st->syscall_state != KERNEL_SYSCALL_RUNNING;
}

/* When the thread last left the CPU, and so how long it has been waiting as of now_ns. */
static void read_last_ran(int task_dir, struct kernel_sched_clock *clock, uint64_t now_ns,
                          struct kernel_thread_state *st)
{
    uint64_t exec_start = 0, last = 0;
    if (!is_waiting(st) || !read_exec_start(task_dir, st->tid, &exec_start) ||
        !sched_to_monotonic(clock, st->last_cpu, exec_start, &last))
        return;
    st->last_ran_known = true;
    st->last_ran_ns = last;
    st->waiting_ns = now_ns > last ? now_ns - last : 0;
    st->duration_source = KERNEL_DURATION_LAST_RAN;
}

static void read_last_ran_shared(int task_dir, struct kernel_thread_state *st)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static struct kernel_sched_clock shared;
    pthread_mutex_lock(&lock);
    if (shared.ncpus > 0 || kernel_sched_clock_init(&shared))
        read_last_ran(task_dir, &shared, tl__monotonic_ns(), st);
    pthread_mutex_unlock(&lock);
}

int kernel_state_read(int task_dir, pid_t tid, unsigned flags, struct kernel_sched_clock *clock,
                      struct kernel_thread_state *out)
{
    reset_state(out, tid);
    bool brief = flags & KERNEL_STATE_BRIEF;
    int rc = brief ? read_status_first(task_dir, out) : read_stat(task_dir, out);
    if (rc < 0) {
        out->error = -rc;
        kernel_state_describe(out, out->wait, sizeof out->wait);
        return rc;
    }
    read_syscall(task_dir, out);
    if (!brief || (flags & KERNEL_STATE_WCHAN) || out->syscall_state == KERNEL_SYSCALL_UNREAD)
        read_wchan(task_dir, out);
    if (!brief)
        read_status(task_dir, out);
    if ((flags & KERNEL_STATE_LAST_RAN) && is_waiting(out))
        read_stat_extra(task_dir, out); /* the CPU it last ran on */
    if ((flags & KERNEL_STATE_LAST_RAN) && clock)
        read_last_ran(task_dir, clock, tl__monotonic_ns(), out);
    else if (flags & KERNEL_STATE_LAST_RAN)
        read_last_ran_shared(task_dir, out);
    kernel_state_describe(out, out->wait, sizeof out->wait);
    return 0;
}

/* ---------------------------------------------------------------- the tracker */

struct kernel_wait_entry {
    pid_t tid; /* 0 = empty */
    uint32_t round;
    uint64_t start_ticks;
    uint64_t signature;
    uint64_t since_ns; /* CLOCK_MONOTONIC estimate of when the wait began; 0 = not waiting */
    uint64_t base_voluntary;
    uint32_t allowed; /* voluntary switches our own signals caused since base_voluntary */
    bool since_known; /* since_ns came from a last-ran time, not from first sight */
};

/* Same wait = same state, same call, same arguments, from the same place. */
static uint64_t wait_signature(const struct kernel_thread_state *st)
{
    uint64_t h = TL__HASH_SEED;
    h = tl__hash_bytes(h, &st->state, sizeof st->state);
    h = tl__hash_bytes(h, &st->syscall_state, sizeof st->syscall_state);
    h = tl__hash_bytes(h, &st->syscall_nr, sizeof st->syscall_nr);
    h = tl__hash_bytes(h, st->args, sizeof st->args);
    h = tl__hash_bytes(h, &st->user_sp, sizeof st->user_sp);
    h = tl__hash_bytes(h, &st->user_pc, sizeof st->user_pc);
    if (st->syscall_state == KERNEL_SYSCALL_UNREAD)
        h = tl__hash_bytes(h, st->wchan, strlen(st->wchan));
    return h;
}

static size_t slot_of(const struct kernel_wait_tracker *t, pid_t tid)
{
    return ((uint32_t)tid * 2654435761u) & (t->capacity - 1);
}

static struct kernel_wait_entry *find_entry(struct kernel_wait_tracker *t, pid_t tid)
{
    if (t->capacity == 0)
        return NULL;
    for (size_t i = slot_of(t, tid);; i = (i + 1) & (t->capacity - 1)) {
        if (t->entries[i].tid == tid)
            return &t->entries[i];
        if (t->entries[i].tid == 0)
            return NULL;
    }
}

static struct kernel_wait_entry *insert_entry(struct kernel_wait_tracker *t, pid_t tid)
{
    size_t i = slot_of(t, tid);
    while (t->entries[i].tid != 0)
        i = (i + 1) & (t->capacity - 1);
    memset(&t->entries[i], 0, sizeof t->entries[i]);
    t->entries[i].tid = tid;
    t->used++;
    return &t->entries[i];
}

static bool grow(struct kernel_wait_tracker *t)
{
    size_t capacity = t->capacity ? t->capacity * 2 : 64;
    struct kernel_wait_entry *fresh = calloc(capacity, sizeof *fresh);
    if (!fresh)
        return false;
    struct kernel_wait_entry *old = t->entries;
    size_t old_capacity = t->capacity;
    t->entries = fresh;
    t->capacity = capacity;
    t->used = 0;
    for (size_t i = 0; i < old_capacity; i++)
        if (old[i].tid != 0)
            *insert_entry(t, old[i].tid) = old[i];
    free(old);
    return true;
}

/* Linear-probing delete without tombstones: pull later members of the run back into the gap. */
static void remove_at(struct kernel_wait_tracker *t, size_t gap)
{
    size_t mask = t->capacity - 1;
    t->entries[gap].tid = 0;
    t->used--;
    for (size_t i = (gap + 1) & mask; t->entries[i].tid != 0; i = (i + 1) & mask) {
        size_t home = slot_of(t, t->entries[i].tid);
        bool movable = gap <= i ? (home <= gap || home > i) : (home <= gap && home > i);
        if (movable) {
            t->entries[gap] = t->entries[i];
            t->entries[i].tid = 0;
            gap = i;
        }
    }
}

void kernel_wait_tracker_init(struct kernel_wait_tracker *t)
{
    memset(t, 0, sizeof *t);
}

void kernel_wait_tracker_destroy(struct kernel_wait_tracker *t)
{
    free(t->entries);
    kernel_sched_clock_destroy(&t->clock);
    memset(t, 0, sizeof *t);
}

void kernel_wait_tracker_begin(struct kernel_wait_tracker *t)
{
    if (t->clock.ncpus == 0)
        kernel_sched_clock_init(&t->clock); /* on failure, waits are "at least" */
    t->round++;
    t->round_now_ns = tl__monotonic_ns();
}

/* The same thread as the entry's, as far as we know: a brief read has no start_ticks (0), and
 * then the switch count and the signature have to tell. */
static bool same_thread(const struct kernel_wait_entry *e, const struct kernel_thread_state *st)
{
    return !st->stat_known || e->start_ticks == 0 || e->start_ticks == st->start_ticks;
}

static bool continues(const struct kernel_wait_entry *e, const struct kernel_thread_state *st,
                      uint64_t signature)
{
    return e->since_ns != 0 && same_thread(e, st) && e->signature == signature &&
           st->voluntary_switches >= e->base_voluntary &&
           st->voluntary_switches - e->base_voluntary <= e->allowed;
}

/* A wait seen for the first time (or changed): it began at the last-ran time when we know it. */
static void start_wait(struct kernel_wait_tracker *t, int task_dir, struct kernel_wait_entry *e,
                       struct kernel_thread_state *st)
{
    if (!st->last_ran_known && t->clock.ncpus > 0) {
        read_stat_extra(task_dir, st); /* the CPU it last ran on, and start_ticks */
        read_last_ran(task_dir, &t->clock, t->round_now_ns, st);
    }
    if (st->last_ran_known) {
        e->since_ns = t->round_now_ns > st->waiting_ns ? t->round_now_ns - st->waiting_ns : 1;
        e->since_known = true;
    } else {
        e->since_ns = t->round_now_ns;
        e->since_known = false;
        st->waiting_ns = 0;
        st->duration_source = KERNEL_DURATION_AT_LEAST;
    }
}

static bool returning_from_our_signal(const struct kernel_wait_entry *e,
                                      const struct kernel_thread_state *st)
{
    /* Every allowed switch but the last (blocking again in its wait) may have happened. */
    return e->since_ns != 0 && same_thread(e, st) && st->voluntary_switches >= e->base_voluntary &&
           st->voluntary_switches - e->base_voluntary < e->allowed;
}

bool kernel_wait_tracker_observe(struct kernel_wait_tracker *t, int task_dir,
                                 struct kernel_thread_state *st)
{
    if (st->error)
        return true;
    struct kernel_wait_entry *e = find_entry(t, st->tid);
    if (!e) {
        if ((t->used + 1) * 2 > t->capacity && !grow(t))
            return false;
        e = insert_entry(t, st->tid);
    }
    uint64_t signature = wait_signature(st);
    if (!is_waiting(st) && returning_from_our_signal(e, st)) {
        /* Woken by our own signal and not blocked again yet: it is running now, but its wait is
         * not over; keep it for the next sample. */
        st->waiting_ns = 0;
        st->duration_source = KERNEL_DURATION_NONE;
        e->round = t->round;
        return true;
    }
    bool same_wait = false;
    if (!is_waiting(st)) {
        e->since_ns = 0;
        st->waiting_ns = 0;
        st->duration_source = KERNEL_DURATION_NONE;
    } else if ((same_wait = continues(e, st, signature))) {
        st->waiting_ns = t->round_now_ns - e->since_ns;
        st->duration_source = e->since_known ? KERNEL_DURATION_OBSERVED : KERNEL_DURATION_AT_LEAST;
    } else {
        start_wait(t, task_dir, e, st);
    }
    e->round = t->round;
    if (st->stat_known)
        e->start_ticks = st->start_ticks;
    else if (!same_wait)
        e->start_ticks = 0; /* a new wait, maybe a new thread: nothing to vouch for */
    else
        st->start_ticks = e->start_ticks; /* the same thread, by its unbroken wait */
    e->signature = signature;
    e->base_voluntary = st->voluntary_switches;
    e->allowed = 0;
    return true;
}

void kernel_wait_tracker_note_signal(struct kernel_wait_tracker *t, pid_t tid)
{
    kernel_wait_tracker_note_handler_switches(t, tid, 1);
}

void kernel_wait_tracker_note_handler_switches(struct kernel_wait_tracker *t, pid_t tid,
                                               unsigned switches)
{
    struct kernel_wait_entry *e = find_entry(t, tid);
    if (e)
        e->allowed += switches;
}

void kernel_wait_tracker_end(struct kernel_wait_tracker *t)
{
    for (size_t i = 0; i < t->capacity;) {
        if (t->entries[i].tid != 0 && t->entries[i].round != t->round)
            remove_at(t, i); /* something may have moved into i: look at it again */
        else
            i++;
    }
}
