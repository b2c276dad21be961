/* Fork-safe: forks in a loop while other threads create threads (their creation stacks walked by
 * libunwind, careful and fast), take live dumps (signals, stacks, symbolisation) and trigger the
 * dump listener. Every child reaches the shim's pthread_create; some also take a live dump of
 * their own. The parent waits for each child with a deadline: a child still alive after it is a
 * hang, and the test prints its threads' stacks (gdb when it may attach, /proc otherwise), kills it
 * and fails.
 *
 * Usage: fork_stress [FORKS [BUDGET_S [CHILD_TIMEOUT_MS [create]]]]; with `create` children only
 * create a thread, no dump (the unwinders alone). Stops early, and passes, when the time budget is
 * spent: the box may be loaded, and a slow run is not a hang. Linked with threadleak (the test
 * API), with THREADLEAK_DUMP_LISTENER=1 in the environment. */
#define _GNU_SOURCE
#include "dump_protocol.h"
#include "threadleak.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

static int out_fd = STDERR_FILENO; /* the test's own messages; stderr itself takes the dumps */
static atomic_bool stopping;
static unsigned dumping_children, stackless_children;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *nothing(void *arg)
{
    return arg;
}

/* Creates and joins tiny threads: past TL_FAST_CAPTURE_AFTER creations a thread switches from
 * the careful walk to unw_backtrace, so each creator does both before it is replaced. */
static void *creator(void *arg)
{
    (void)arg;
    for (int i = 0; i < 300 && !atomic_load(&stopping); i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, nothing, NULL) == 0)
            pthread_join(t, NULL);
    }
    return NULL;
}

static void *spawner(void *arg)
{
    (void)arg;
    while (!atomic_load(&stopping)) {
        pthread_t t;
        if (pthread_create(&t, NULL, creator, NULL) == 0)
            pthread_join(t, NULL);
    }
    return NULL;
}

/* Live dumps: the test API's check (signals every running thread for its stack and symbolises
 * it) and a snapshot. */
static void *dumper(void *arg)
{
    (void)arg;
    tl_options options = {.linger_ms = TL_LINGER_NONE};
    while (!atomic_load(&stopping)) {
        tl_report_free(tl_find(&options));
        tl_snapshot_free(tl_snapshot_take());
        usleep(1000);
    }
    return NULL;
}

/* What `threadleak dump` sends, served by the listener's thread; only when the listener took the
 * signal (else it would kill us). */
static atomic_uint dump_requests;

static void *dump_requester(void *arg)
{
    (void)arg;
    int signo = SIGRTMIN + TL_DUMP_SIGNAL_OFFSET;
    struct sigaction current;
    if (sigaction(signo, NULL, &current) != 0 || !(current.sa_flags & SA_SIGINFO))
        return NULL;
    while (!atomic_load(&stopping)) {
        kill(getpid(), signo);
        atomic_fetch_add(&dump_requests, 1);
        usleep(20000);
    }
    return NULL;
}

static void *blocked(void *arg)
{
    char byte;
    (void)!read(*(int *)arg, &byte, 1);
    return NULL;
}

/* Exit status of a dumping child whose thread came without a creation stack: allowed now and then
 * (a walk of the parent that did not finish within the prepare handler's bound turns unwinding off
 * in the child), but a child that never unwinds would pass for fork-safe too. */
#define NO_CREATION_STACK 7

static bool child_dumps = true;

/* In the child: our pthread_create (a creation stack), and for one child in four a live dump of
 * a thread of its own (live stacks and the symboliser, as the parent left them), whose report
 * must show where main created it. */
static void child(unsigned i)
{
    pthread_t t;
    if (pthread_create(&t, NULL, nothing, NULL) != 0)
        _exit(3);
    pthread_join(t, NULL);
    if (child_dumps && i % 4 == 3) {
        int fds[2];
        if (pipe(fds) != 0 || pthread_create(&t, NULL, blocked, &fds[0]) != 0)
            _exit(4);
        tl_options options = {.linger_ms = TL_LINGER_NONE};
        tl_report *r = tl_find(&options);
        if (!r)
            _exit(5); /* the blocked thread is running: it must be found */
        char *text = tl_report_string(r, TL_FORMAT_TEXT);
        const char *created = text ? strstr(text, "created at:") : NULL;
        bool has_stack = created && strstr(created, " main ");
        free(text);
        tl_report_free(r);
        (void)!write(fds[1], "x", 1);
        pthread_join(t, NULL);
        _exit(has_stack ? 0 : NO_CREATION_STACK);
    }
    _exit(0);
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
        dprintf(out_fd, "%s%s", buf, buf[n - 1] == '\n' ? "" : "\n");
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
        dprintf(out_fd, "--- task %s: wchan, syscall, kernel stack\n", e->d_name);
        const char *files[] = {"wchan", "syscall", "stack"};
        for (size_t k = 0; k < 3; k++) {
            snprintf(path, sizeof path, "/proc/%d/task/%s/%s", (int)pid, e->d_name, files[k]);
            print_file(path);
        }
    }
    if (dir)
        closedir(dir);
    char command[256];
    snprintf(command, sizeof command,
             "timeout 60 gdb -nx -batch -p %d -ex 'thread apply all bt' 1>&%d 2>&%d </dev/null",
             (int)pid, out_fd, out_fd);
    dprintf(out_fd, "--- %s\n", command);
    if (system(command) != 0)
        dprintf(out_fd, "(gdb unavailable or not allowed to attach)\n");
}

/* 0 when the child exited 0 in time; otherwise the test fails. */
static int await_child(pid_t pid, unsigned i, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    for (unsigned spins = 0;; spins++) {
        int status = 0;
        pid_t got = waitpid(pid, &status, WNOHANG);
        if (got == pid) {
            if (WIFEXITED(status) && WEXITSTATUS(status) == NO_CREATION_STACK) {
                stackless_children++;
                return 0;
            }
            if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return 0;
            dprintf(out_fd, "fork_stress: child %u (pid %d) ended badly: status 0x%x\n", i,
                    (int)pid, status);
            return -1;
        }
        if (got < 0 && errno != EINTR) {
            dprintf(out_fd, "fork_stress: waitpid: %s\n", strerror(errno));
            return -1;
        }
        if (now_ms() > deadline) {
            dprintf(out_fd, "fork_stress: HANG: child %u (pid %d) still alive after %d ms\n", i,
                    (int)pid, timeout_ms);
            describe_hang(pid);
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
        if (spins > 100)
            usleep(200);
    }
}

int main(int argc, char **argv)
{
    unsigned forks = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 3000;
    long long budget_ms = (argc > 2 ? atoll(argv[2]) : 40) * 1000;
    int timeout_ms = argc > 3 ? atoi(argv[3]) : 10000;
    child_dumps = !(argc > 4 && strcmp(argv[4], "create") == 0);

    /* Dumps and reports go to stderr: send it to /dev/null and keep our own copy. */
    out_fd = dup(STDERR_FILENO);
    int null_fd = open("/dev/null", O_WRONLY);
    if (out_fd < 0 || null_fd < 0 || dup2(null_fd, STDERR_FILENO) < 0)
        return 2;
    close(null_fd);

    /* One check before any thread or fork, so that libdw and whatever it loads are loaded: a
     * dlopen in one thread while another forks leaves the child the loader's write lock held
     * (glibc does not reset it), which the child's first stack walk waits on forever
     * (dl_iterate_phdr). The symboliser's own dlopen of libdw is drained before fork like a
     * walk; a dlopen that is not ours is still an open hazard (docs/reliability.md). */
    int warm_fds[2];
    pthread_t warm_thread;
    if (pipe(warm_fds) != 0 || pthread_create(&warm_thread, NULL, blocked, &warm_fds[0]) != 0)
        return 2;
    tl_options warm = {.linger_ms = TL_LINGER_NONE};
    tl_report_free(tl_find(&warm)); /* the blocked thread is symbolised: libdw is loaded */
    (void)!write(warm_fds[1], "x", 1);
    pthread_join(warm_thread, NULL);
    close(warm_fds[0]);
    close(warm_fds[1]);

    enum { SPAWNERS = 2 };
    pthread_t spawners[SPAWNERS], dump_thread, request_thread;
    for (int k = 0; k < SPAWNERS; k++)
        pthread_create(&spawners[k], NULL, spawner, NULL);
    pthread_create(&dump_thread, NULL, dumper, NULL);
    pthread_create(&request_thread, NULL, dump_requester, NULL);

    long long start = now_ms();
    unsigned done = 0;
    int failed = 0;
    for (; done < forks && !failed; done++) {
        if (now_ms() - start > budget_ms)
            break;
        pid_t pid = fork();
        if (pid < 0) {
            dprintf(out_fd, "fork_stress: fork: %s\n", strerror(errno));
            failed = 1;
            break;
        }
        if (pid == 0)
            child(done);
        failed = await_child(pid, done, timeout_ms) != 0;
        if (child_dumps && done % 4 == 3)
            dumping_children++;
    }
    if (!failed && dumping_children >= 8 && stackless_children * 2 > dumping_children) {
        dprintf(out_fd, "fork_stress: %u of %u dumping children had no creation stack\n",
                stackless_children, dumping_children);
        failed = 1;
    }
    atomic_store(&stopping, true);
    for (int k = 0; k < SPAWNERS; k++)
        pthread_join(spawners[k], NULL);
    pthread_join(dump_thread, NULL);
    pthread_join(request_thread, NULL);
    dprintf(out_fd,
            "fork_stress: %u forks in %lld ms, %u dump requests, %u of %u dumping children "
            "without a creation stack, %s\n",
            done, now_ms() - start, atomic_load(&dump_requests), stackless_children,
            dumping_children, failed ? "FAILED" : "no hang");
    return failed;
}
