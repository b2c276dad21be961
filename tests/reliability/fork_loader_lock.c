/* Fork-safe: a child forked while another thread of the parent holds the loader's write lock.
 *
 * glibc does not reset that lock (dl_load_write_lock) in a fork child, and dl_iterate_phdr holds it
 * for as long as its callback runs. So this test parks a thread of the parent inside a
 * dl_iterate_phdr callback, forks from the main thread, and has the child create and join a thread
 * (our pthread_create, a creation stack), then leave a finished thread unjoined and exit (the exit
 * report). A native child never takes that lock and exits at once; under the shim, before the
 * child unwound with libgcc's lock-free unwinder, it hung in its first pthread_create
 * (dl_iterate_phdr inside libunwind's step).
 *
 * With the shim preloaded (the test API is then found with dlsym), the child also takes a live dump
 * and checks that the thread it left unjoined is reported created by child_creates, with
 * file:line (the creation stacks of a forked child are the same as anywhere else), and that a
 * thread it keeps blocked in a pipe read shows blocked_reader on its current stack (the dump
 * signal's handler unwinds in the child too). libdw is loaded in the parent first (one check
 * before the lock is taken), unless `cold`: a child that finds the lock held loads nothing.
 *
 * The parent waits for the child with a deadline: a child alive after it is a hang; the test prints
 * its threads' kernel stacks and gdb's backtraces when gdb may attach, kills it and fails. Then it
 * lets the parked thread out of the callback and joins it.
 *
 * Usage: fork_loader_lock [CHILD_TIMEOUT_MS [cold]]; with `cold`, libdw is not loaded first (see
 * `cold` below). Exit status 0: the child exited 0 in time. */
#define _GNU_SOURCE
#include "threadleak.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The child's verdicts, as exit statuses. */
enum {
    CHILD_OK = 0,
    CHILD_CREATE_FAILED = 3,
    CHILD_NOT_REPORTED = 4,  /* the unjoined thread is missing from tl_find's report */
    CHILD_WRONG_STACK = 5,   /* reported, but not created by child_creates at this file */
    CHILD_NO_LIVE_STACK = 6, /* the blocked thread's current stack misses blocked_reader */
};

/* The test API, when the shim is preloaded; all NULL natively. */
static struct {
    tl_report *(*find)(const tl_options *);
    char *(*report_string)(const tl_report *, int);
    void (*report_free)(tl_report *);
} api;

static int inside_pipe[2], release_pipe[2];
/* `cold`: the parent never symbolised before it forked, so the child's first symbolisation would
 * load libdw, a dlopen that waits on the held lock. The shim does not load it there, so the child
 * reports its stacks without names: only that they are there is checked. */
static bool cold;

/* Runs with the loader's write lock held, until the parent's main thread lets it go. */
static int hold_loader_lock(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)info, (void)size, (void)data;
    char c = 'x';
    (void)!write(inside_pipe[1], &c, 1);
    while (read(release_pipe[0], &c, 1) < 0 && errno == EINTR)
        ;
    return 1; /* stop the iteration */
}

static void *loader_lock_holder(void *arg)
{
    (void)arg;
    dl_iterate_phdr(hold_loader_lock, NULL);
    return NULL;
}

static void *nothing(void *arg)
{
    return arg;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static unsigned task_count(void)
{
    unsigned n = 0;
    DIR *dir = opendir("/proc/self/task");
    for (struct dirent *e; dir && (e = readdir(dir));)
        n += e->d_name[0] != '.';
    if (dir)
        closedir(dir);
    return n;
}

/* Creates a thread and leaves it unjoined; returns once it has exited, so that a check sees it
 * finished and has no live stack to take. noinline: its name is what the report must show. */
__attribute__((noinline)) static int child_creates(void)
{
    pthread_t t;
    unsigned before = task_count();
    if (pthread_create(&t, NULL, nothing, NULL) != 0)
        return -1;
    while (task_count() > before)
        usleep(1000);
    return 0;
}

/* Blocked in a pipe read, which the kernel restarts after a handler: a live dump signals it, and
 * it unwinds itself from the handler. noinline: its name is what its current stack must show. */
static _Atomic pid_t reader_tid;

__attribute__((noinline)) static void *blocked_reader(void *arg)
{
    atomic_store(&reader_tid, gettid());
    char c;
    while (read(*(int *)arg, &c, 1) < 0 && errno == EINTR)
        ;
    return NULL;
}

/* Until the reader sits in read(2) (system call 0 on x86_64), so the dump finds it blocked. */
static void await_reader_blocked(void)
{
    while (atomic_load(&reader_tid) == 0)
        usleep(1000);
    char path[64], buf[32];
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)atomic_load(&reader_tid));
    for (int tries = 0; tries < 5000; tries++) {
        int fd = open(path, O_RDONLY);
        ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
        if (fd >= 0)
            close(fd);
        if (n >= 2 && buf[0] == '0' && buf[1] == ' ')
            return;
        usleep(1000);
    }
}

/* What a live dump says: the unjoined thread created by child_creates, in this file; the blocked
 * one with blocked_reader on its current stack (the signal handler's walk, in the child). */
static int check_stacks(void)
{
    int fds[2];
    pthread_t reader;
    if (pipe(fds) != 0 || pthread_create(&reader, NULL, blocked_reader, &fds[0]) != 0)
        return CHILD_CREATE_FAILED;
    await_reader_blocked();
    tl_options options = {.linger_ms = TL_LINGER_NONE};
    tl_report *r = api.find(&options);
    (void)!write(fds[1], "x", 1);
    pthread_join(reader, NULL);
    if (!r)
        return CHILD_NOT_REPORTED;
    char *text = api.report_string(r, TL_FORMAT_TEXT);
    /* Unnamed when cold: the first thread reported, the finished one, is checked then. */
    const char *finished = !text ? NULL : cold ? text : strstr(text, "start routine: nothing");
    const char *created = finished ? strstr(finished, "created at:") : NULL;
    const char *blocked = text ? strstr(text, "blocked in:") : NULL;
    const char *fn = created ? strstr(created, "child_creates") : NULL;
    const char *live = blocked ? strstr(blocked, "current stack") : NULL;
    int verdict = CHILD_OK;
    if (cold) { /* frames, unnamed: "#0" right under each heading */
        if (!created || !strstr(created, "created at:\n    #0"))
            verdict = CHILD_WRONG_STACK;
        else if (!live || !strstr(live, "):\n    #0"))
            verdict = CHILD_NO_LIVE_STACK;
    } else if (!fn || !strstr(fn, "fork_loader_lock.c:")) {
        verdict = CHILD_WRONG_STACK;
    } else if (!live || !strstr(live, "blocked_reader")) {
        verdict = CHILD_NO_LIVE_STACK;
    }
    if (verdict != CHILD_OK)
        fprintf(stderr, "fork_loader_lock: the child's report:\n%s\n", text ? text : "(none)");
    free(text);
    api.report_free(r);
    return verdict;
}

static void child(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, nothing, NULL) != 0)
        _exit(CHILD_CREATE_FAILED);
    pthread_join(t, NULL);
    if (child_creates() != 0)
        _exit(CHILD_CREATE_FAILED);
    int verdict = api.find ? check_stacks() : CHILD_OK;
    fflush(stderr);
    exit(verdict); /* exit, not _exit: the exit report runs in the child too */
}

static void print_file(const char *path)
{
    char buf[4096];
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n > 0) {
        buf[n] = '\0';
        fprintf(stderr, "%s%s", buf, buf[n - 1] == '\n' ? "" : "\n");
    }
}

/* The hung child's threads: where the kernel has them, then gdb's backtraces. */
static void describe_hang(pid_t pid)
{
    char path[384];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *dir = opendir(path);
    for (struct dirent *e; dir && (e = readdir(dir));) {
        if (e->d_name[0] == '.')
            continue;
        fprintf(stderr, "--- task %s: wchan, kernel stack\n", e->d_name);
        const char *files[] = {"wchan", "stack"};
        for (size_t k = 0; k < 2; k++) {
            snprintf(path, sizeof path, "/proc/%d/task/%s/%s", (int)pid, e->d_name, files[k]);
            print_file(path);
        }
    }
    if (dir)
        closedir(dir);
    char command[256];
    snprintf(command, sizeof command,
             "env -u LD_PRELOAD timeout 60 gdb -nx -batch -p %d -ex 'thread apply all bt' 1>&2 "
             "</dev/null",
             (int)pid);
    fprintf(stderr, "--- %s\n", command);
    fflush(stderr);
    if (system(command) != 0)
        fprintf(stderr, "(gdb unavailable or not allowed to attach)\n");
}

/* 0 when the child exited 0 within timeout_ms. */
static int await_child(pid_t pid, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        int status = 0;
        pid_t got = waitpid(pid, &status, WNOHANG);
        if (got == pid) {
            if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return 0;
            fprintf(stderr, "fork_loader_lock: the child ended badly: status 0x%x\n", status);
            return -1;
        }
        if (got < 0 && errno != EINTR) {
            fprintf(stderr, "fork_loader_lock: waitpid: %s\n", strerror(errno));
            return -1;
        }
        if (now_ms() > deadline) {
            fprintf(stderr, "fork_loader_lock: HANG: the child (pid %d) is alive after %d ms\n",
                    (int)pid, timeout_ms);
            describe_hang(pid);
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
        usleep(2000);
    }
}

static void find_api(void)
{
    api.find = (tl_report * (*)(const tl_options *)) dlsym(RTLD_DEFAULT, "tl_find");
    api.report_string = (char *(*)(const tl_report *, int))dlsym(RTLD_DEFAULT, "tl_report_string");
    api.report_free = (void (*)(tl_report *))dlsym(RTLD_DEFAULT, "tl_report_free");
    if (!api.find || !api.report_string || !api.report_free)
        api.find = NULL;
}

/* Before the lock is taken: one check with a finished, unjoined thread, which symbolises its
 * creation stack and so loads libdw in the parent. */
static int warm_up(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, nothing, NULL) != 0)
        return -1;
    while (task_count() > 1)
        usleep(1000);
    tl_options options = {.linger_ms = TL_LINGER_NONE};
    api.report_free(api.find(&options));
    return pthread_join(t, NULL);
}

int main(int argc, char **argv)
{
    int timeout_ms = argc > 1 ? atoi(argv[1]) : 10000;
    cold = argc > 2 && strcmp(argv[2], "cold") == 0;
    find_api();
    if (api.find && !cold && warm_up() != 0)
        return 2;
    if (pipe(inside_pipe) != 0 || pipe(release_pipe) != 0)
        return 2;
    pthread_t holder;
    if (pthread_create(&holder, NULL, loader_lock_holder, NULL) != 0)
        return 2;
    char c;
    if (read(inside_pipe[0], &c, 1) != 1)
        return 2;

    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        return 2;
    if (pid == 0)
        child();
    int failed = await_child(pid, timeout_ms) != 0;

    (void)!write(release_pipe[1], "x", 1);
    pthread_join(holder, NULL);
    printf("fork_loader_lock: %s (%s)\n", failed ? "FAILED" : "the child exited in time",
           !api.find ? "native"
           : cold    ? "under the shim, cold"
                     : "under the shim, stacks checked");
    return failed;
}
