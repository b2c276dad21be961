/* call_matrix CASE: one blocking call that the kernel does not restart after a signal handler
 * (signal(7), "Interruption of system calls and library functions by signal handlers"), made
 * once, in a worker thread, and judged by its result and its elapsed time.
 *
 * A case either times out (the call's own timeout, TL_MATRIX_MS, 1600 ms by default) or is
 * released by its legitimate event (a sem_post, a real SIGUSR1 with its own handler, a write,
 * a futex wake, ...) sent by a releaser thread at 3/4 of that time. Natively every case gives the
 * same answer on every run: that is what the storms of tests/invisible/invisible_driver.c compare
 * against.
 *
 * Output on stdout, one line each:
 *   setup pid=P                                   with TL_MATRIX_GO=1; then it reads a line
 *   ready pid=P tid=T call_ms=T release_ms=R      once /proc says the worker is inside the call
 *   result case=C ret=N errno=NAME elapsed_ms=E extra=X verdict=ok|fail[ why=...]
 *   api verify=N hits=H fails=F late=L            only with TL_MATRIX_API_STORM=N
 * Exit status: 0 when the call gave the legitimate answer in time (and every check of the api
 * storm ignored the worker), 1 when not, 2 for a usage or set-up error.
 *
 * errno is set to EDOM before the call, so "errno=EDOM" after a successful call says nobody
 * touched it. TL_MATRIX_API_STORM=N makes a third thread call tl_verify_none N times while the
 * worker waits, with ignore_top "matrix_*" (the call's own function) and the other threads in
 * ignore_current: a check passes only when it found the worker's current stack. The API is
 * looked up with dlsym, so the same binary runs natively. */
#define _GNU_SOURCE
#include "call_matrix.h"
#include "threadleak.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/select.h>
#include <sys/sem.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

long matrix_call_ms = 1600;
long matrix_release_ms = 1200;

/* When the case's answer is due: at its timeout, at its release, or at its timeout rounded up to
 * whole seconds (sleep). */
enum due { DUE_TIMEOUT, DUE_RELEASE, DUE_SECONDS };

#define SENTINEL_ERRNO EDOM
#define MAX_SYSCALLS   4

struct matrix_case {
    const char *name;
    int (*setup)(void);                /* in main, before the threads; 0 or -1 */
    long (*call)(struct call_extra *); /* in the worker */
    void (*release)(void);             /* in the releaser at release_ms; NULL: none */
    long want_ret;                     /* the legitimate return value */
    int want_errno;                    /* SENTINEL_ERRNO: untouched */
    const char *want_extra;            /* "-" when the call reports nothing else */
    enum due due;                      /* when it is legitimately due */
    int syscalls[MAX_SYSCALLS];        /* what /proc shows while it waits; -1 ends */
};

/* ---------------------------------------------------------------- time ------------------- */

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static struct timespec ms_to_ts(long ms)
{
    return (struct timespec){.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
}

static struct timespec abs_after(clockid_t clock, long ms)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* Sleeps until the CLOCK_MONOTONIC time `at` (ns), whatever interrupts it. */
__attribute__((noinline)) static void matrix_wait_until(long long at)
{
    struct timespec ts = {.tv_sec = at / 1000000000LL, .tv_nsec = at % 1000000000LL};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

/* "untouched" when the kernel left *rem as it was (it writes it only when interrupted). */
static void extra_rem(struct call_extra *x, const struct timespec *rem)
{
    if (rem->tv_sec == -1)
        snprintf(x->text, sizeof x->text, "rem=untouched");
    else
        snprintf(x->text, sizeof x->text, "rem_ms=%ld",
                 (long)(rem->tv_sec * 1000 + rem->tv_nsec / 1000000));
}

/* ---------------------------------------------------------------- shared objects --------- */

static int pipe_fds[2] = {-1, -1};
static int epoll_fd = -1;
static sem_t sem;
static int sysv_sem = -1, sysv_msg = -1;
static int sock_pair[2] = {-1, -1};
static int tcp_fds[3] = {-1, -1, -1}; /* listener, client, accepted */
static int listen_fd = -1;
static struct sockaddr_un listen_addr;
static socklen_t listen_addr_len;
static int inotify_fd = -1;
static char inotify_path[256];
static unsigned long aio_ctx;
static _Atomic int futex_word;
static pthread_t worker_thread;
static atomic_int usr1_count, usr1_last;

static void cleanup(void)
{
    if (sysv_sem >= 0)
        semctl(sysv_sem, 0, IPC_RMID);
    if (sysv_msg >= 0)
        msgctl(sysv_msg, IPC_RMID, NULL);
    if (inotify_path[0])
        unlink(inotify_path);
    if (aio_ctx)
        syscall(SYS_io_destroy, aio_ctx);
}

static int setup_pipe(void)
{
    return pipe(pipe_fds);
}

static int setup_epoll(void)
{
    if (pipe(pipe_fds) != 0)
        return -1;
    epoll_fd = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = pipe_fds[0]};
    return epoll_fd < 0 ? -1 : epoll_ctl(epoll_fd, EPOLL_CTL_ADD, pipe_fds[0], &ev);
}

static void release_pipe(void)
{
    if (write(pipe_fds[1], "x", 1) != 1)
        perror("call_matrix: write");
}

static int setup_sem(void)
{
    return sem_init(&sem, 0, 0);
}

static void release_sem(void)
{
    sem_post(&sem);
}

static int setup_sysv_sem(void)
{
    sysv_sem = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
    return sysv_sem < 0 ? -1 : 0;
}

static void release_sysv_sem(void)
{
    struct sembuf op = {.sem_num = 0, .sem_op = 1};
    if (semop(sysv_sem, &op, 1) != 0)
        perror("call_matrix: semop");
}

struct small_msg {
    long mtype;
    char mtext[256];
};

static int setup_msg(void)
{
    sysv_msg = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    return sysv_msg < 0 ? -1 : 0;
}

/* A queue that holds one 256-byte message, full. */
static int setup_msg_full(void)
{
    if (setup_msg() != 0)
        return -1;
    struct msqid_ds ds;
    if (msgctl(sysv_msg, IPC_STAT, &ds) != 0)
        return -1;
    ds.msg_qbytes = sizeof((struct small_msg *)0)->mtext;
    if (msgctl(sysv_msg, IPC_SET, &ds) != 0)
        return -1;
    struct small_msg m = {.mtype = 1};
    return msgsnd(sysv_msg, &m, sizeof m.mtext, IPC_NOWAIT);
}

static void release_msg_send(void)
{
    struct small_msg m = {.mtype = 1};
    if (msgsnd(sysv_msg, &m, 8, 0) != 0)
        perror("call_matrix: msgsnd");
}

static void release_msg_receive(void)
{
    struct small_msg m;
    if (msgrcv(sysv_msg, &m, sizeof m.mtext, 0, 0) < 0)
        perror("call_matrix: msgrcv");
}

static int set_timeout(int fd, int option)
{
    struct timeval tv = {.tv_sec = matrix_call_ms / 1000, .tv_usec = matrix_call_ms % 1000 * 1000};
    return setsockopt(fd, SOL_SOCKET, option, &tv, sizeof tv);
}

static int setup_pair_rcvtimeo(void)
{
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sock_pair) != 0)
        return -1;
    return set_timeout(sock_pair[0], SO_RCVTIMEO);
}

static void release_pair(void)
{
    if (write(sock_pair[1], "x", 1) != 1)
        perror("call_matrix: write");
}

/* sock_pair[0]'s send buffer full, and SO_SNDTIMEO on it. */
static int setup_pair_full(void)
{
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sock_pair) != 0)
        return -1;
    int small = 4096;
    setsockopt(sock_pair[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    static char chunk[1024];
    while (send(sock_pair[0], chunk, sizeof chunk, MSG_DONTWAIT) > 0)
        ;
    if (errno != EAGAIN)
        return -1;
    return set_timeout(sock_pair[0], SO_SNDTIMEO);
}

static int setup_tcp(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    tcp_fds[0] = socket(AF_INET, SOCK_STREAM, 0);
    if (tcp_fds[0] < 0 || bind(tcp_fds[0], (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(tcp_fds[0], 4) != 0 || getsockname(tcp_fds[0], (struct sockaddr *)&a, &len) != 0)
        return -1;
    tcp_fds[1] = socket(AF_INET, SOCK_STREAM, 0);
    if (tcp_fds[1] < 0 || connect(tcp_fds[1], (struct sockaddr *)&a, sizeof a) != 0)
        return -1;
    tcp_fds[2] = accept(tcp_fds[0], NULL, NULL);
    return tcp_fds[2] < 0 ? -1 : set_timeout(tcp_fds[2], SO_RCVTIMEO);
}

/* A listening AF_UNIX socket (abstract name) with a backlog of 0. */
static int setup_listener(void)
{
    listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (listen_fd < 0)
        return -1;
    listen_addr.sun_family = AF_UNIX;
    int n = snprintf(listen_addr.sun_path + 1, sizeof listen_addr.sun_path - 1,
                     "threadleak-call-matrix-%ld", (long)getpid());
    listen_addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
    if (bind(listen_fd, (struct sockaddr *)&listen_addr, listen_addr_len) != 0)
        return -1;
    return listen(listen_fd, 0);
}

static int setup_listener_rcvtimeo(void)
{
    return setup_listener() != 0 ? -1 : set_timeout(listen_fd, SO_RCVTIMEO);
}

static void release_connect(void)
{
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&listen_addr, listen_addr_len) != 0)
        perror("call_matrix: connect");
    /* left open: the worker's accept must find it queued */
}

/* The listener's one-slot backlog taken by a first client, so that a second one waits. */
static int setup_listener_full(void)
{
    if (setup_listener() != 0)
        return -1;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&listen_addr, listen_addr_len) != 0)
        return -1;
    sock_pair[0] = socket(AF_UNIX, SOCK_STREAM, 0);
    return sock_pair[0] < 0 ? -1 : set_timeout(sock_pair[0], SO_SNDTIMEO);
}

static int setup_inotify(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(inotify_path, sizeof inotify_path, "%s/call-matrix-XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemp(inotify_path);
    if (fd < 0)
        return -1;
    close(fd);
    inotify_fd = inotify_init1(IN_CLOEXEC);
    if (inotify_fd < 0)
        return -1;
    return inotify_add_watch(inotify_fd, inotify_path, IN_MODIFY) < 0 ? -1 : 0;
}

static void release_inotify(void)
{
    int fd = open(inotify_path, O_WRONLY | O_APPEND);
    if (fd < 0 || write(fd, "x", 1) != 1)
        perror("call_matrix: write");
    close(fd);
}

static int setup_aio(void)
{
    return (int)syscall(SYS_io_setup, 8, &aio_ctx);
}

/* mutex_lock: a keeper thread holds the mutex until the release, then lets it go and ends. */
static pthread_mutex_t kept_mutex = PTHREAD_MUTEX_INITIALIZER;
static sem_t keeper_holds, keeper_go;
static pthread_t keeper_thread;

static void *thread_keeper(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "matrix-keeper");
    pthread_mutex_lock(&kept_mutex);
    sem_post(&keeper_holds);
    while (sem_wait(&keeper_go) != 0)
        ;
    pthread_mutex_unlock(&kept_mutex);
    return NULL;
}

static int setup_kept_mutex(void)
{
    if (sem_init(&keeper_holds, 0, 0) != 0 || sem_init(&keeper_go, 0, 0) != 0 ||
        pthread_create(&keeper_thread, NULL, thread_keeper, NULL) != 0)
        return -1;
    while (sem_wait(&keeper_holds) != 0)
        ;
    return 0;
}

static void release_kept_mutex(void)
{
    sem_post(&keeper_go);
    pthread_join(keeper_thread, NULL);
}

/* cond_wait: one untimed wait, signalled at the release with its predicate set. */
static pthread_mutex_t wait_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wait_cond = PTHREAD_COND_INITIALIZER;
static int wait_predicate;

static void release_wait_cond(void)
{
    pthread_mutex_lock(&wait_mutex);
    wait_predicate = 1;
    pthread_cond_signal(&wait_cond);
    pthread_mutex_unlock(&wait_mutex);
}

static void release_futex(void)
{
    atomic_store(&futex_word, 1);
    syscall(SYS_futex, &futex_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void release_usr1(void)
{
    pthread_kill(worker_thread, SIGUSR1);
}

static void release_usr2(void)
{
    pthread_kill(worker_thread, SIGUSR2);
}

static void on_usr1(int sig)
{
    atomic_fetch_add(&usr1_count, 1);
    atomic_store(&usr1_last, sig);
}

static void extra_usr1(struct call_extra *x)
{
    snprintf(x->text, sizeof x->text, "usr1=%d", atomic_load(&usr1_count));
}

/* ---------------------------------------------------------------- the calls -------------- */
/* Each one is a function of its own (never inlined, and built without sibling calls), so that it
 * is the top frame outside libc of the worker's stack: the api storm ignores it by name. */

#define CALL(name)                                                                                 \
    __attribute__((noinline)) static long matrix_call_##name(                                      \
        __attribute__((unused)) struct call_extra *x)

CALL(poll)
{
    struct pollfd p = {.fd = pipe_fds[0], .events = POLLIN};
    return poll(&p, 1, (int)matrix_call_ms);
}

CALL(ppoll)
{
    struct pollfd p = {.fd = pipe_fds[0], .events = POLLIN};
    struct timespec ts = ms_to_ts(matrix_call_ms);
    return ppoll(&p, 1, &ts, NULL);
}

CALL(select)
{
    fd_set r;
    FD_ZERO(&r);
    FD_SET(pipe_fds[0], &r);
    struct timeval tv = {.tv_sec = matrix_call_ms / 1000, .tv_usec = matrix_call_ms % 1000 * 1000};
    long ret = select(pipe_fds[0] + 1, &r, NULL, NULL, &tv);
    snprintf(x->text, sizeof x->text, "rem_ms=%ld", (long)(tv.tv_sec * 1000 + tv.tv_usec / 1000));
    return ret;
}

CALL(pselect)
{
    fd_set r;
    FD_ZERO(&r);
    FD_SET(pipe_fds[0], &r);
    struct timespec ts = ms_to_ts(matrix_call_ms);
    sigset_t mask;
    pthread_sigmask(SIG_SETMASK, NULL, &mask);
    return pselect(pipe_fds[0] + 1, &r, NULL, NULL, &ts, &mask);
}

CALL(epoll_wait)
{
    struct epoll_event ev;
    return epoll_wait(epoll_fd, &ev, 1, (int)matrix_call_ms);
}

CALL(epoll_pwait)
{
    struct epoll_event ev;
    sigset_t mask;
    pthread_sigmask(SIG_SETMASK, NULL, &mask);
    return epoll_pwait(epoll_fd, &ev, 1, (int)matrix_call_ms, &mask);
}

CALL(epoll_pwait2)
{
    struct epoll_event ev;
    struct timespec ts = ms_to_ts(matrix_call_ms);
    return epoll_pwait2(epoll_fd, &ev, 1, &ts, NULL);
}

CALL(nanosleep)
{
    struct timespec ts = ms_to_ts(matrix_call_ms), rem = {-1, -1};
    long ret = nanosleep(&ts, &rem);
    extra_rem(x, &rem);
    return ret;
}

CALL(clock_nanosleep)
{
    struct timespec ts = ms_to_ts(matrix_call_ms), rem = {-1, -1};
    long ret = clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &rem);
    extra_rem(x, &rem);
    return ret;
}

CALL(clock_nanosleep_abs)
{
    struct timespec at = abs_after(CLOCK_MONOTONIC, matrix_call_ms);
    return clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL);
}

CALL(sleep)
{
    return sleep((unsigned)((matrix_call_ms + 999) / 1000));
}

CALL(usleep)
{
    return usleep((useconds_t)(matrix_call_ms * 1000));
}

static sigset_t usr2_set(void)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    return s;
}

CALL(sigtimedwait)
{
    sigset_t s = usr2_set();
    struct timespec ts = ms_to_ts(matrix_call_ms);
    return sigtimedwait(&s, NULL, &ts);
}

CALL(sigwaitinfo)
{
    sigset_t s = usr2_set();
    return sigwaitinfo(&s, NULL);
}

/* SIGUSR1 is blocked in every thread but for the duration of the call. */
CALL(sigsuspend)
{
    sigset_t mask;
    pthread_sigmask(SIG_SETMASK, NULL, &mask);
    sigdelset(&mask, SIGUSR1);
    long ret = sigsuspend(&mask);
    extra_usr1(x);
    return ret;
}

CALL(pause)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);
    long ret = pause();
    int e = errno;
    pthread_sigmask(SIG_BLOCK, &s, NULL);
    errno = e;
    extra_usr1(x);
    return ret;
}

CALL(sem_wait)
{
    return sem_wait(&sem);
}

CALL(sem_timedwait)
{
    struct timespec at = abs_after(CLOCK_REALTIME, matrix_call_ms);
    return sem_timedwait(&sem, &at);
}

CALL(sem_clockwait)
{
    struct timespec at = abs_after(CLOCK_MONOTONIC, matrix_call_ms);
    return sem_clockwait(&sem, CLOCK_MONOTONIC, &at);
}

CALL(semop)
{
    struct sembuf op = {.sem_num = 0, .sem_op = -1};
    return semop(sysv_sem, &op, 1);
}

CALL(semtimedop)
{
    struct sembuf op = {.sem_num = 0, .sem_op = -1};
    struct timespec ts = ms_to_ts(matrix_call_ms);
    return semtimedop(sysv_sem, &op, 1, &ts);
}

CALL(msgrcv)
{
    struct small_msg m;
    return msgrcv(sysv_msg, &m, sizeof m.mtext, 0, 0);
}

CALL(msgsnd)
{
    struct small_msg m = {.mtype = 2};
    return msgsnd(sysv_msg, &m, 8, 0);
}

struct aio_event {
    unsigned long long data, obj;
    long long res, res2;
};

CALL(io_getevents)
{
    struct aio_event ev[1];
    struct timespec ts = ms_to_ts(matrix_call_ms);
    return syscall(SYS_io_getevents, aio_ctx, 1L, 1L, ev, &ts);
}

CALL(recv)
{
    char c;
    return recv(sock_pair[0], &c, 1, 0);
}

CALL(recvfrom)
{
    char c;
    return recvfrom(sock_pair[0], &c, 1, 0, NULL, NULL);
}

CALL(recvmsg)
{
    char c;
    struct iovec iov = {.iov_base = &c, .iov_len = 1};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    return recvmsg(sock_pair[0], &m, 0);
}

CALL(recv_tcp)
{
    char c;
    return recv(tcp_fds[2], &c, 1, 0);
}

CALL(send)
{
    static char chunk[1024];
    return send(sock_pair[0], chunk, sizeof chunk, 0);
}

CALL(sendto)
{
    static char chunk[1024];
    return sendto(sock_pair[0], chunk, sizeof chunk, 0, NULL, 0);
}

CALL(sendmsg)
{
    static char chunk[1024];
    struct iovec iov = {.iov_base = chunk, .iov_len = sizeof chunk};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    return sendmsg(sock_pair[0], &m, 0);
}

/* The accepted descriptor is closed; ret=0 stands for "a descriptor". */
CALL(accept)
{
    long fd = accept(listen_fd, NULL, NULL);
    if (fd >= 0) {
        close((int)fd);
        fd = 0;
    }
    return fd;
}

CALL(connect)
{
    return connect(sock_pair[0], (struct sockaddr *)&listen_addr, listen_addr_len);
}

CALL(inotify_read)
{
    char buf[sizeof(struct inotify_event) + 256];
    return read(inotify_fd, buf, sizeof buf);
}

CALL(futex)
{
    return syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
}

CALL(mutex_lock)
{
    long rc = pthread_mutex_lock(&kept_mutex);
    if (rc == 0)
        pthread_mutex_unlock(&kept_mutex);
    return rc;
}

/* No loop around the wait: a wake-up before the release shows as pred=0. */
CALL(cond_wait)
{
    pthread_mutex_lock(&wait_mutex);
    long rc = pthread_cond_wait(&wait_cond, &wait_mutex);
    snprintf(x->text, sizeof x->text, "pred=%d", wait_predicate);
    pthread_mutex_unlock(&wait_mutex);
    return rc;
}

CALL(futex_timed)
{
    struct timespec ts = ms_to_ts(matrix_call_ms);
    return syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0);
}

CALL(futex_bitset_abs)
{
    struct timespec at = abs_after(CLOCK_MONOTONIC, matrix_call_ms);
    return syscall(SYS_futex, &futex_word, FUTEX_WAIT_BITSET_PRIVATE, 0, &at, NULL,
                   FUTEX_BITSET_MATCH_ANY);
}

CALL(sleep_for)
{
    return matrix_cxx_sleep_for(x);
}

CALL(cv_wait_for)
{
    return matrix_cxx_cv_wait_for(x);
}

CALL(cv_wait_for_wake)
{
    return matrix_cxx_cv_wait_for_wake(x);
}

/* ---------------------------------------------------------------- the table -------------- */

#define NR(...)                                                                                    \
    {                                                                                              \
        __VA_ARGS__, -1                                                                            \
    }
#define SE               SENTINEL_ERRNO
#define TIMEOUT(ret, e)  ret, e, "-", DUE_TIMEOUT
#define RELEASED(ret, e) ret, e, "-", DUE_RELEASE

static const struct matrix_case cases[] = {
    {"poll", setup_pipe, matrix_call_poll, NULL, TIMEOUT(0, SE), NR(SYS_poll, SYS_ppoll)},
    {"poll_wake", setup_pipe, matrix_call_poll, release_pipe, RELEASED(1, SE),
     NR(SYS_poll, SYS_ppoll)},
    {"ppoll", setup_pipe, matrix_call_ppoll, NULL, TIMEOUT(0, SE), NR(SYS_ppoll)},
    {"select", setup_pipe, matrix_call_select, NULL, 0, SE, "rem_ms=0", DUE_TIMEOUT,
     NR(SYS_select, SYS_pselect6)},
    {"pselect", setup_pipe, matrix_call_pselect, NULL, TIMEOUT(0, SE), NR(SYS_pselect6)},
    {"epoll_wait", setup_epoll, matrix_call_epoll_wait, NULL, TIMEOUT(0, SE),
     NR(SYS_epoll_wait, SYS_epoll_pwait)},
    {"epoll_wait_wake", setup_epoll, matrix_call_epoll_wait, release_pipe, RELEASED(1, SE),
     NR(SYS_epoll_wait, SYS_epoll_pwait)},
    {"epoll_pwait", setup_epoll, matrix_call_epoll_pwait, NULL, TIMEOUT(0, SE),
     NR(SYS_epoll_pwait)},
    {"epoll_pwait2", setup_epoll, matrix_call_epoll_pwait2, NULL, TIMEOUT(0, SE),
     NR(SYS_epoll_pwait2)},
    {"nanosleep", NULL, matrix_call_nanosleep, NULL, 0, SE, "rem=untouched", DUE_TIMEOUT,
     NR(SYS_nanosleep, SYS_clock_nanosleep)},
    {"clock_nanosleep", NULL, matrix_call_clock_nanosleep, NULL, 0, SE, "rem=untouched",
     DUE_TIMEOUT, NR(SYS_clock_nanosleep)},
    {"clock_nanosleep_abs", NULL, matrix_call_clock_nanosleep_abs, NULL, TIMEOUT(0, SE),
     NR(SYS_clock_nanosleep)},
    {"sleep", NULL, matrix_call_sleep, NULL, 0, SE, "-", DUE_SECONDS,
     NR(SYS_nanosleep, SYS_clock_nanosleep)},
    {"usleep", NULL, matrix_call_usleep, NULL, TIMEOUT(0, SE),
     NR(SYS_nanosleep, SYS_clock_nanosleep)},
    {"sigtimedwait", NULL, matrix_call_sigtimedwait, NULL, TIMEOUT(-1, EAGAIN),
     NR(SYS_rt_sigtimedwait)},
    {"sigtimedwait_wake", NULL, matrix_call_sigtimedwait, release_usr2, RELEASED(SIGUSR2, SE),
     NR(SYS_rt_sigtimedwait)},
    {"sigwaitinfo", NULL, matrix_call_sigwaitinfo, release_usr2, RELEASED(SIGUSR2, SE),
     NR(SYS_rt_sigtimedwait)},
    {"sigsuspend", NULL, matrix_call_sigsuspend, release_usr1, -1, EINTR, "usr1=1", DUE_RELEASE,
     NR(SYS_rt_sigsuspend)},
    {"pause", NULL, matrix_call_pause, release_usr1, -1, EINTR, "usr1=1", DUE_RELEASE,
     NR(SYS_pause, SYS_rt_sigsuspend)},
    {"sem_wait", setup_sem, matrix_call_sem_wait, release_sem, RELEASED(0, SE), NR(SYS_futex)},
    {"sem_timedwait", setup_sem, matrix_call_sem_timedwait, NULL, TIMEOUT(-1, ETIMEDOUT),
     NR(SYS_futex)},
    {"sem_timedwait_wake", setup_sem, matrix_call_sem_timedwait, release_sem, RELEASED(0, SE),
     NR(SYS_futex)},
    {"sem_clockwait", setup_sem, matrix_call_sem_clockwait, NULL, TIMEOUT(-1, ETIMEDOUT),
     NR(SYS_futex)},
    {"semop", setup_sysv_sem, matrix_call_semop, release_sysv_sem, RELEASED(0, SE),
     NR(SYS_semop, SYS_semtimedop)},
    {"semtimedop", setup_sysv_sem, matrix_call_semtimedop, NULL, TIMEOUT(-1, EAGAIN),
     NR(SYS_semtimedop)},
    {"semtimedop_wake", setup_sysv_sem, matrix_call_semtimedop, release_sysv_sem, RELEASED(0, SE),
     NR(SYS_semtimedop)},
    {"msgrcv", setup_msg, matrix_call_msgrcv, release_msg_send, RELEASED(8, SE), NR(SYS_msgrcv)},
    {"msgsnd", setup_msg_full, matrix_call_msgsnd, release_msg_receive, RELEASED(0, SE),
     NR(SYS_msgsnd)},
    {"io_getevents", setup_aio, matrix_call_io_getevents, NULL, TIMEOUT(0, SE),
     NR(SYS_io_getevents)},
    {"recv", setup_pair_rcvtimeo, matrix_call_recv, NULL, TIMEOUT(-1, EAGAIN), NR(SYS_recvfrom)},
    {"recv_wake", setup_pair_rcvtimeo, matrix_call_recv, release_pair, RELEASED(1, SE),
     NR(SYS_recvfrom)},
    {"recvfrom", setup_pair_rcvtimeo, matrix_call_recvfrom, NULL, TIMEOUT(-1, EAGAIN),
     NR(SYS_recvfrom)},
    {"recvmsg", setup_pair_rcvtimeo, matrix_call_recvmsg, NULL, TIMEOUT(-1, EAGAIN),
     NR(SYS_recvmsg)},
    {"recv_tcp", setup_tcp, matrix_call_recv_tcp, NULL, TIMEOUT(-1, EAGAIN), NR(SYS_recvfrom)},
    {"send", setup_pair_full, matrix_call_send, NULL, TIMEOUT(-1, EAGAIN), NR(SYS_sendto)},
    {"sendto", setup_pair_full, matrix_call_sendto, NULL, TIMEOUT(-1, EAGAIN), NR(SYS_sendto)},
    {"sendmsg", setup_pair_full, matrix_call_sendmsg, NULL, TIMEOUT(-1, EAGAIN), NR(SYS_sendmsg)},
    {"accept", setup_listener_rcvtimeo, matrix_call_accept, NULL, TIMEOUT(-1, EAGAIN),
     NR(SYS_accept, SYS_accept4)},
    {"accept_wake", setup_listener, matrix_call_accept, release_connect, RELEASED(0, SE),
     NR(SYS_accept, SYS_accept4)},
    {"connect", setup_listener_full, matrix_call_connect, NULL, TIMEOUT(-1, EAGAIN),
     NR(SYS_connect)},
    {"inotify_read", setup_inotify, matrix_call_inotify_read, release_inotify,
     RELEASED((long)sizeof(struct inotify_event), SE), NR(SYS_read)},
    {"futex", NULL, matrix_call_futex, release_futex, RELEASED(0, SE), NR(SYS_futex)},
    {"futex_timed", NULL, matrix_call_futex_timed, NULL, TIMEOUT(-1, ETIMEDOUT), NR(SYS_futex)},
    {"mutex_lock", setup_kept_mutex, matrix_call_mutex_lock, release_kept_mutex, RELEASED(0, SE),
     NR(SYS_futex)},
    {"cond_wait", NULL, matrix_call_cond_wait, release_wait_cond, 0, SE, "pred=1", DUE_RELEASE,
     NR(SYS_futex)},
    {"futex_timed_wake", NULL, matrix_call_futex_timed, release_futex, RELEASED(0, SE),
     NR(SYS_futex)},
    {"futex_bitset_abs", NULL, matrix_call_futex_bitset_abs, NULL, TIMEOUT(-1, ETIMEDOUT),
     NR(SYS_futex)},
    {"sleep_for", NULL, matrix_call_sleep_for, NULL, TIMEOUT(0, SE),
     NR(SYS_nanosleep, SYS_clock_nanosleep)},
    {"cv_wait_for", NULL, matrix_call_cv_wait_for, NULL, TIMEOUT(1, SE), NR(SYS_futex)},
    {"cv_wait_for_wake", NULL, matrix_call_cv_wait_for_wake, matrix_release_cv, RELEASED(1, SE),
     NR(SYS_futex)},
};

/* ---------------------------------------------------------------- the run ---------------- */

static const struct matrix_case *the_case;
static _Atomic long long call_start_ns; /* 0 until the worker is about to call */
static atomic_int worker_tid, ready, worker_done;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond; /* CLOCK_MONOTONIC; signalled when worker_done or all_done */
static bool all_done;

struct outcome {
    long ret;
    int err;
    long long elapsed_ns;
    struct call_extra extra;
};
static struct outcome outcome;

static void *thread_worker(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "matrix-worker");
    atomic_store(&worker_tid, (int)gettid());
    struct call_extra x = {"-"};
    long long t0 = now_ns();
    atomic_store(&call_start_ns, t0);
    errno = SENTINEL_ERRNO;
    long ret = the_case->call(&x);
    int err = errno;
    long long t1 = now_ns();
    outcome = (struct outcome){.ret = ret, .err = err, .elapsed_ns = t1 - t0, .extra = x};
    pthread_mutex_lock(&lock);
    atomic_store(&worker_done, 1);
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
    return NULL;
}

/* Waits on cond until pred or the monotonic time `at` (0: no limit); true when pred held. */
__attribute__((noinline)) static bool matrix_linger(bool (*pred)(void), long long at)
{
    struct timespec ts = {.tv_sec = at / 1000000000LL, .tv_nsec = at % 1000000000LL};
    pthread_mutex_lock(&lock);
    while (!pred()) {
        if (at == 0)
            pthread_cond_wait(&cond, &lock);
        else if (pthread_cond_timedwait(&cond, &lock, &ts) == ETIMEDOUT)
            break;
    }
    bool held = pred();
    pthread_mutex_unlock(&lock);
    return held;
}

static bool is_worker_done(void)
{
    return atomic_load(&worker_done);
}

static bool is_all_done(void)
{
    return all_done;
}

/* Releases the worker at release_ms from its call's start, then stays (in matrix_linger) until
 * the worker has returned, so that it never shows up as an exited thread in a check. */
static void *thread_releaser(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "matrix-release");
    while (!atomic_load(&ready))
        matrix_wait_until(now_ns() + 1000000);
    matrix_wait_until(atomic_load(&call_start_ns) + matrix_release_ms * 1000000LL);
    the_case->release();
    matrix_linger(is_worker_done, 0);
    return NULL;
}

/* Ends the program when the worker is stuck well past its due time (a lost wake-up). */
static void *thread_watchdog(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "matrix-watch");
    long long limit = now_ns() + (matrix_call_ms + 5000) * 1000000LL;
    if (!matrix_linger(is_all_done, limit)) {
        printf("result case=%s ret=- errno=- elapsed_ms=- extra=- verdict=fail why=hung\n",
               the_case->name);
        fflush(stdout);
        _exit(1);
    }
    return NULL;
}

/* --- the api storm: tl_verify_none with ignore_top, N times while the worker waits --- */

static long api_storm;
static tl_snapshot *api_others;
static int api_verify, api_hits, api_fails, api_late;

static void *thread_api_storm(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "matrix-api");
    int (*verify)(const tl_options *) =
        (int (*)(const tl_options *))dlsym(RTLD_DEFAULT, "tl_verify_none");
    while (!atomic_load(&ready))
        matrix_wait_until(now_ns() + 1000000);
    long long start = now_ns();
    /* Every check must be over before the worker is released (or times out). */
    long long end = atomic_load(&call_start_ns) + (matrix_release_ms - 250) * 1000000LL;
    long long step = (end - start) / api_storm;
    tl_options o = {
        .ignore_top = (const char *const[]){"matrix_*", "std::*", NULL},
        .ignore_current = api_others,
        .linger_ms = TL_LINGER_NONE,
    };
    for (long i = 0; i < api_storm; i++) {
        matrix_wait_until(start + i * step);
        int leaked = verify(&o);
        api_verify++;
        long long done = now_ns();
        if (done > atomic_load(&call_start_ns) + (matrix_release_ms - 50) * 1000000LL ||
            atomic_load(&worker_done))
            api_late++;
        else if (leaked == 0)
            api_hits++;
        else
            api_fails++;
    }
    return NULL;
}

/* The syscall number /proc shows for tid, or -1 while it runs or is outside a syscall. */
static int current_syscall(int tid)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", tid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int nr = -1;
    if (!fgets(buf, sizeof buf, f) || sscanf(buf, "%d", &nr) != 1)
        nr = -1;
    fclose(f);
    return nr;
}

static bool waiting_in_call(int tid)
{
    int nr = current_syscall(tid);
    for (int i = 0; i < MAX_SYSCALLS && the_case->syscalls[i] >= 0; i++)
        if (nr == the_case->syscalls[i])
            return true;
    return false;
}

static const char *errno_name(int e)
{
    const char *n = strerrorname_np(e);
    return n ? n : "0";
}

static long env_long(const char *name, long dflt, long min, long max)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return dflt;
    char *end;
    long n = strtol(v, &end, 10);
    if (*end || n < min || n > max) {
        fprintf(stderr, "call_matrix: %s=%s: want %ld..%ld\n", name, v, min, max);
        exit(2);
    }
    return n;
}

static int usage(void)
{
    fprintf(stderr, "usage: call_matrix CASE | call_matrix --list\ncases:");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        fprintf(stderr, " %s", cases[i].name);
    fprintf(stderr, "\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return usage();
    if (strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
            printf("%s\n", cases[i].name);
        return 0;
    }
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (strcmp(argv[1], cases[i].name) == 0)
            the_case = &cases[i];
    if (!the_case)
        return usage();
    matrix_call_ms = env_long("TL_MATRIX_MS", 1600, 400, 600000);
    matrix_release_ms = matrix_call_ms * 3 / 4;
    api_storm = env_long("TL_MATRIX_API_STORM", 0, 0, 100000);
    if (api_storm > 0 && !dlsym(RTLD_DEFAULT, "tl_verify_none")) {
        fprintf(stderr, "call_matrix: TL_MATRIX_API_STORM needs libthreadleak.so loaded\n");
        return 2;
    }

    /* SIGUSR1 and SIGUSR2 are blocked in every thread: the worker takes them in its call. */
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    sigaddset(&s, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
    struct sigaction sa = {.sa_handler = on_usr1};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&cond, &ca);
    atexit(cleanup);
    if (the_case->setup && the_case->setup() != 0) {
        fprintf(stderr, "call_matrix: %s: set-up failed: %s\n", the_case->name, strerror(errno));
        return 2;
    }

    /* With TL_MATRIX_GO=1, wait for a line on stdin: the storm's source (the endpoint, the dump
     * listener) is up before the call is made. */
    if (getenv("TL_MATRIX_GO") && strcmp(getenv("TL_MATRIX_GO"), "1") == 0) {
        char go[16];
        printf("setup pid=%ld\n", (long)getpid());
        fflush(stdout);
        if (!fgets(go, sizeof go, stdin))
            return 2;
    }

    pthread_t releaser, watchdog, storm;
    pthread_create(&watchdog, NULL, thread_watchdog, NULL);
    if (the_case->release)
        pthread_create(&releaser, NULL, thread_releaser, NULL);
    /* The api storm's checks ignore the threads alive now (watchdog, releaser): the worker is
     * their only candidate, so a check passes only when ignore_top found it. */
    if (api_storm > 0)
        api_others = ((tl_snapshot * (*)(void)) dlsym(RTLD_DEFAULT, "tl_snapshot_take"))();
    if (pthread_create(&worker_thread, NULL, thread_worker, NULL) != 0)
        return 2;
    if (api_storm > 0)
        pthread_create(&storm, NULL, thread_api_storm, NULL);

    long long give_up = now_ns() + 3000000000LL;
    while (!atomic_load(&worker_tid) || !atomic_load(&call_start_ns) ||
           !waiting_in_call(atomic_load(&worker_tid))) {
        if (now_ns() > give_up || atomic_load(&worker_done)) {
            fprintf(stderr, "call_matrix: %s: the worker never waited in its call (syscall %d)\n",
                    the_case->name, current_syscall(atomic_load(&worker_tid)));
            printf(
                "result case=%s ret=- errno=- elapsed_ms=- extra=- verdict=fail why=not-waiting\n",
                the_case->name);
            fflush(stdout);
            _exit(1);
        }
        matrix_wait_until(now_ns() + 500000);
    }
    printf("ready pid=%ld tid=%d call_ms=%ld release_ms=%ld\n", (long)getpid(),
           atomic_load(&worker_tid), matrix_call_ms, matrix_release_ms);
    fflush(stdout);
    atomic_store(&ready, 1);

    pthread_join(worker_thread, NULL);
    if (the_case->release)
        pthread_join(releaser, NULL);
    if (api_storm > 0)
        pthread_join(storm, NULL);
    pthread_mutex_lock(&lock);
    all_done = true;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
    pthread_join(watchdog, NULL);

    long due_ms = the_case->due == DUE_RELEASE   ? matrix_release_ms
                  : the_case->due == DUE_SECONDS ? (matrix_call_ms + 999) / 1000 * 1000
                                                 : matrix_call_ms;
    long long elapsed_ns = outcome.elapsed_ns;
    const char *why = NULL;
    if (outcome.ret != the_case->want_ret)
        why = "ret";
    else if (outcome.err != the_case->want_errno)
        why = "errno";
    else if (strcmp(outcome.extra.text, the_case->want_extra) != 0)
        why = "extra";
    else if (elapsed_ns < (due_ms - 1) * 1000000LL)
        why = "early";
    else if (elapsed_ns > (due_ms + 500) * 1000000LL)
        why = "late";
    printf("result case=%s ret=%ld errno=%s elapsed_ms=%lld extra=%s verdict=%s%s%s\n",
           the_case->name, outcome.ret, errno_name(outcome.err), elapsed_ns / 1000000,
           outcome.extra.text, why ? "fail" : "ok", why ? " why=" : "", why ? why : "");
    if (api_storm > 0)
        printf("api verify=%d hits=%d fails=%d late=%d\n", api_verify, api_hits, api_fails,
               api_late);
    fflush(stdout);
    return why || (api_storm > 0 && api_hits != api_storm) ? 1 : 0;
}
