/* Fork, exec, wait and signal forwarding. The CLI is single-threaded, so fork is safe here; it is
 * the shim, inside the target, that must never spawn. */
#include "child_wait.h"

#include "toolbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const int forwarded_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
#define FORWARDED_COUNT (sizeof forwarded_signals / sizeof forwarded_signals[0])

static volatile sig_atomic_t target_pid;     /* > 0 while the target runs */
static volatile sig_atomic_t stop_requested; /* a forwarded signal arrived after it exited */
static sigset_t original_mask;

/* The wait status of every process the CLI reaped: the gate says how a process that delivered no
 * report ended, when the CLI can know (its own child, or an orphan handed to it). */
struct reaped {
    pid_t pid;
    int status;
};
static struct reaped *reaped_list;
static size_t reaped_count, reaped_cap;

static void note_reaped(pid_t pid, int status)
{
    if (tl__grow((void **)&reaped_list, reaped_count, &reaped_cap, sizeof *reaped_list, 64))
        reaped_list[reaped_count++] = (struct reaped){pid, status};
}

bool child_wait_reaped_status(pid_t pid, int *wstatus)
{
    for (size_t i = reaped_count; i-- > 0;) { /* the latest, should the pid have been reused */
        if (reaped_list[i].pid == pid) {
            *wstatus = reaped_list[i].status;
            return true;
        }
    }
    return false;
}
static struct sigaction original_actions[FORWARDED_COUNT];
static struct sigaction original_sigchld;

/* Signal handler: async-signal-safe (kill, getpgid and getpgrp are plain system calls). A signal
 * that the terminal sent (SI_KERNEL) went to the whole foreground process group, so the target
 * already has it, unless it moved to a process group of its own; sending it again would make a
 * program that counts Ctrl-C presses see two. */
static void forward_signal(int sig, siginfo_t *info, void *context)
{
    (void)context;
    int saved_errno = errno;
    pid_t pid = target_pid;
    if (pid > 0) {
        if (info->si_code != SI_KERNEL || getpgid(pid) != getpgrp())
            kill(pid, sig);
    } else {
        stop_requested = 1;
    }
    errno = saved_errno;
}

static int install_forwarders(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = forward_signal;
    sa.sa_flags = SA_SIGINFO; /* no SA_RESTART: waits return EINTR and look at the flags */
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < FORWARDED_COUNT; i++) {
        if (sigaction(forwarded_signals[i], NULL, &original_actions[i]) != 0)
            return -1;
        if (original_actions[i].sa_handler == SIG_IGN)
            continue;
        if (sigaction(forwarded_signals[i], &sa, NULL) != 0)
            return -1;
    }
    return 0;
}

int child_setup(void)
{
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
        return -1;
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    if (sigaction(SIGCHLD, &dfl, &original_sigchld) != 0)
        return -1;
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &chld, &original_mask) != 0)
        return -1;
    return install_forwarders();
}

void child_teardown(void)
{
    target_pid = 0;
    stop_requested = 0;
    for (size_t i = 0; i < FORWARDED_COUNT; i++)
        sigaction(forwarded_signals[i], &original_actions[i], NULL);
    sigaction(SIGCHLD, &original_sigchld, NULL);
    sigprocmask(SIG_SETMASK, &original_mask, NULL);
    prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
}

/* In the child, between fork and exec: the dispositions and mask the CLI had when it started. */
static void restore_for_exec(void)
{
    for (size_t i = 0; i < FORWARDED_COUNT; i++)
        sigaction(forwarded_signals[i], &original_actions[i], NULL);
    sigaction(SIGCHLD, &original_sigchld, NULL);
    sigprocmask(SIG_SETMASK, &original_mask, NULL);
}

static void exec_child(const char *path, char *const argv[], int report_fd)
{
    restore_for_exec();
    execv(path, argv);
    int err = errno;
    ssize_t ignored = write(report_fd, &err, sizeof err);
    (void)ignored;
    _exit(127);
}

pid_t child_spawn(const char *path, char *const argv[], int *exec_errno)
{
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) {
        *exec_errno = errno;
        return -1;
    }
    /* Block the forwarded signals until target_pid is set, so that none is lost in between. */
    sigset_t all, before;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &before);
    pid_t pid = fork();
    if (pid == 0) {
        close(report[0]);
        exec_child(path, argv, report[1]);
    }
    int fork_errno = errno;
    if (pid > 0)
        target_pid = pid;
    sigprocmask(SIG_SETMASK, &before, NULL);
    close(report[1]);
    if (pid < 0) {
        close(report[0]);
        *exec_errno = fork_errno;
        return -1;
    }
    int err = 0;
    ssize_t n;
    do {
        n = read(report[0], &err, sizeof err);
    } while (n < 0 && errno == EINTR);
    close(report[0]);
    if (n == (ssize_t)sizeof err) {
        target_pid = 0;
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        *exec_errno = err;
        return -1;
    }
    return pid;
}

int child_wait_prog(pid_t pid)
{
    int status = 0;
    for (;;) {
        pid_t r = waitpid(-1, &status, 0);
        if (r > 0)
            note_reaped(r, status);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR) {
            status = 0;
            break; /* ECHILD: cannot happen while pid is ours */
        }
    }
    target_pid = 0;
    return status;
}

/* Waits for a SIGCHLD (blocked, so none is missed), a forwarded signal, or the deadline. */
static void wait_for_sigchld(double seconds)
{
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    sigtimedwait(&chld, NULL, &ts);
}

/* Reads "PID (COMM) STATE PPID" from /proc/PID/stat; COMM may hold spaces and ')'. Zombies
 * (state Z) have finished and count as gone. */
static bool read_live_parent(const char *pid_name, pid_t *ppid, char *comm, size_t commlen)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%s/stat", pid_name);
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *open = strchr(buf, '('), *close = strrchr(buf, ')');
    if (!open || !close || close < open)
        return false;
    int parent;
    char state;
    if (sscanf(close + 1, " %c %d", &state, &parent) != 2 || state == 'Z')
        return false;
    snprintf(comm, commlen, "%.*s", (int)(close - open - 1), open + 1);
    *ppid = parent;
    return true;
}

/* Direct children of the CLI: after the target exits, every live descendant is one of them or
 * below one of them. */
static size_t list_children(struct tl__straggler *out, size_t max)
{
    DIR *proc = opendir("/proc");
    if (!proc)
        return 0;
    size_t count = 0;
    pid_t self = getpid();
    for (struct dirent *e; (e = readdir(proc));) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        pid_t ppid;
        char comm[32];
        if (!read_live_parent(e->d_name, &ppid, comm, sizeof comm) || ppid != self)
            continue;
        if (count < max) {
            out[count].pid = (pid_t)atoi(e->d_name);
            snprintf(out[count].comm, sizeof out[count].comm, "%s", comm);
        }
        count++;
    }
    closedir(proc);
    return count;
}

size_t child_wait_descendants(double timeout_s, struct tl__straggler *out, size_t max,
                              double *waited_s)
{
    double start = tl__monotonic_seconds(), deadline = start + timeout_s;
    for (;;) {
        int status;
        pid_t r = waitpid(-1, &status, WNOHANG);
        if (r > 0) {
            note_reaped(r, status);
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        *waited_s = tl__monotonic_seconds() - start;
        if (r < 0)
            return 0; /* ECHILD: nobody left */
        double left = deadline - tl__monotonic_seconds();
        if (stop_requested || left <= 0)
            break;
        wait_for_sigchld(left);
    }
    return list_children(out, max);
}

int child_exit_status(int wstatus)
{
    if (WIFSIGNALED(wstatus))
        return 128 + WTERMSIG(wstatus);
    if (WIFEXITED(wstatus))
        return WEXITSTATUS(wstatus);
    return 1;
}
