/* Which blocked calls a handler would show in: see call_interruption.h. x86_64 numbering; on other
 * architectures every blocked call counts as one a signal would show in. */
#include "call_interruption.h"

#include <linux/futex.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

/* How a call is restarted after a handler with SA_RESTART. */
enum restart {
    RESTARTED,        /* always (-ERESTARTSYS / -ERESTARTNOINTR in the kernel) */
    RESTARTED_FD,     /* unless its fd is a socket with a timeout, or an inotify descriptor */
    RESTARTED_SOCKET, /* unless the socket has a timeout for that direction */
    RESTARTED_FUTEX,  /* a futex wait without a timeout, or a PI lock */
};

enum direction { DIR_IN, DIR_OUT };

struct restartable_call {
    long nr;
    enum restart how;
    enum direction dir;
};

#if defined(__x86_64__)
static const struct restartable_call restartable[] = {
    {SYS_read, RESTARTED_FD, DIR_IN},
    {SYS_readv, RESTARTED_FD, DIR_IN},
    {SYS_pread64, RESTARTED_FD, DIR_IN},
    {SYS_preadv, RESTARTED_FD, DIR_IN},
    {SYS_preadv2, RESTARTED_FD, DIR_IN},
    {SYS_write, RESTARTED_FD, DIR_OUT},
    {SYS_writev, RESTARTED_FD, DIR_OUT},
    {SYS_pwrite64, RESTARTED_FD, DIR_OUT},
    {SYS_pwritev, RESTARTED_FD, DIR_OUT},
    {SYS_pwritev2, RESTARTED_FD, DIR_OUT},
    {SYS_ioctl, RESTARTED, DIR_IN},
    {SYS_accept, RESTARTED_SOCKET, DIR_IN},
    {SYS_accept4, RESTARTED_SOCKET, DIR_IN},
    {SYS_recvfrom, RESTARTED_SOCKET, DIR_IN},
    {SYS_recvmsg, RESTARTED_SOCKET, DIR_IN},
    {SYS_connect, RESTARTED_SOCKET, DIR_OUT},
    {SYS_sendto, RESTARTED_SOCKET, DIR_OUT},
    {SYS_sendmsg, RESTARTED_SOCKET, DIR_OUT},
    {SYS_sendmmsg, RESTARTED_SOCKET, DIR_OUT},
    {SYS_futex, RESTARTED_FUTEX, DIR_IN},
    {SYS_wait4, RESTARTED, DIR_IN},
    {SYS_waitid, RESTARTED, DIR_IN},
    {SYS_flock, RESTARTED, DIR_IN},
    {SYS_fcntl, RESTARTED, DIR_IN},
    {SYS_open, RESTARTED, DIR_IN},
    {SYS_openat, RESTARTED, DIR_IN},
    {SYS_mq_timedsend, RESTARTED, DIR_OUT},
    {SYS_mq_timedreceive, RESTARTED, DIR_IN},
};
#else
static const struct restartable_call restartable[] = {{-1, RESTARTED, DIR_IN}};
#endif

static const struct restartable_call *find_restartable(long nr)
{
    for (size_t i = 0; i < sizeof restartable / sizeof restartable[0]; i++)
        if (restartable[i].nr == nr)
            return &restartable[i];
    return NULL;
}

/* SO_RCVTIMEO / SO_SNDTIMEO set: the kernel then returns EINTR instead of restarting. */
static bool socket_has_timeout(int fd, enum direction dir)
{
    struct timeval tv;
    socklen_t len = sizeof tv;
    int opt = dir == DIR_IN ? SO_RCVTIMEO : SO_SNDTIMEO;
    if (getsockopt(fd, SOL_SOCKET, opt, &tv, &len) != 0)
        return true; /* closed meanwhile, or not a socket after all: don't risk it */
    return tv.tv_sec != 0 || tv.tv_usec != 0;
}

/* A socket call without SO_RCVTIMEO / SO_SNDTIMEO for its direction: the kernel restarts it. */
static bool socket_call_restarted(const struct kernel_thread_state *st, enum direction dir)
{
    return strncmp(st->fd_target, "socket:", 7) == 0 && !socket_has_timeout(st->fd, dir);
}

static bool fd_call_restarted(const struct kernel_thread_state *st, enum direction dir)
{
    const char *target = st->fd_target;
    if (strncmp(target, "socket:", 7) == 0)
        return socket_call_restarted(st, dir);
    if (strcmp(target, "anon_inode:inotify") == 0)
        return false;         /* signal(7): inotify reads are never restarted */
    return target[0] != '\0'; /* unresolved: unknown kind, so not known to restart */
}

/* FUTEX_WAIT and WAIT_BITSET restart only without a timeout (with one, the kernel arms a
 * restart block, which a handler turns into EINTR); PI locks always restart. */
static bool futex_call_restarted(const struct kernel_thread_state *st)
{
    int cmd = (int)(st->args[1] & FUTEX_CMD_MASK);
    bool timed = st->args[3] != 0;
    switch (cmd) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET:
    case FUTEX_WAIT_REQUEUE_PI:
        return !timed;
    case FUTEX_LOCK_PI:
    case FUTEX_LOCK_PI2:
        return true;
    default:
        return !timed; /* wakes and requeues do not block */
    }
}

static bool restarted(const struct kernel_thread_state *st, const struct restartable_call *call)
{
    switch (call->how) {
    case RESTARTED:
        return true;
    case RESTARTED_FD:
        return fd_call_restarted(st, call->dir);
    case RESTARTED_SOCKET:
        return socket_call_restarted(st, call->dir);
    case RESTARTED_FUTEX:
        return futex_call_restarted(st);
    }
    return false;
}

bool call_would_see_signal(const struct kernel_thread_state *st)
{
    switch (st->syscall_state) {
    case KERNEL_SYSCALL_RUNNING:
    case KERNEL_SYSCALL_NONE:
        return false;
    case KERNEL_SYSCALL_UNREAD:
        return st->state != 'R'; /* asleep in a call nobody can name: leave it */
    case KERNEL_SYSCALL_IN:
        break;
    }
    const struct restartable_call *call = find_restartable(st->syscall_nr);
    return !call || !restarted(st, call);
}
