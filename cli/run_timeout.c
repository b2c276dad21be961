/* The --timeout watchdog. The CLI is PR_SET_CHILD_SUBREAPER (child_wait.c), so every process the
 * run started is a descendant of the CLI, even after its parent died: the tree to dump and kill is
 * the CLI's own. The wait peeks at the target with WNOWAIT, so that child_wait_prog still reaps it
 * and stops forwarding signals as usual. */
#include "run_timeout.h"

#include "child_wait.h"
#include "dump_request.h"
#include "toolbox.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_TREE 4096

/* True once pid has exited (not reaped), false when the deadline passed first. */
static bool exited_before(pid_t pid, double deadline)
{
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    for (;;) {
        siginfo_t info;
        memset(&info, 0, sizeof info);
        int rc = waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT);
        if ((rc == 0 && info.si_pid == pid) || (rc < 0 && errno == ECHILD))
            return true;
        double left = deadline - tl__monotonic_seconds();
        if (left <= 0)
            return false;
        struct timespec wait = {(time_t)left, (long)((left - (double)(time_t)left) * 1e9)};
        sigtimedwait(&chld, NULL, &wait); /* a SIGCHLD, a forwarded signal, or the deadline */
    }
}

static pid_t parent_of(const char *pid_name)
{
    char path[300], buf[512];
    snprintf(path, sizeof path, "/proc/%s/stat", pid_name);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *close = strrchr(buf, ')');
    int ppid;
    char state;
    if (!close || sscanf(close + 1, " %c %d", &state, &ppid) != 2 || state == 'Z')
        return -1;
    return (pid_t)ppid;
}

/* Every live descendant of the CLI, parents before children. */
static size_t list_tree(pid_t *out, size_t max)
{
    pid_t pids[MAX_TREE], parents[MAX_TREE];
    size_t n = 0;
    DIR *proc = opendir("/proc");
    for (struct dirent *e; proc && n < MAX_TREE && (e = readdir(proc));) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        pid_t parent = parent_of(e->d_name);
        if (parent > 0) {
            pids[n] = (pid_t)atol(e->d_name);
            parents[n++] = parent;
        }
    }
    if (proc)
        closedir(proc);
    size_t count = 0;
    pid_t self = getpid();
    for (size_t i = 0; i < n && count < max; i++) {
        if (parents[i] == self)
            out[count++] = pids[i];
    }
    for (size_t done = 0; done < count; done++) {
        for (size_t i = 0; i < n && count < max; i++) {
            if (parents[i] == out[done])
                out[count++] = pids[i];
        }
    }
    return count;
}

struct dump_wait {
    pid_t pid;
    long request;
};

/* Asks every process of the tree that listens; returns how many were asked. */
static size_t request_dumps(const pid_t *tree, size_t n, struct dump_wait *asked)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        char why[512];
        if (dump_target_check(tree[i], why, sizeof why) != DUMP_TARGET_OK)
            continue;
        long request = dump_request_number() ^ (long)i;
        request |= 1;
        if (dump_request_send(tree[i], request) == 0)
            asked[count++] = (struct dump_wait){tree[i], request};
    }
    return count;
}

static void dump_tree(const char *report_dir)
{
    static pid_t tree[MAX_TREE];
    static struct dump_wait asked[MAX_TREE];
    size_t n = list_tree(tree, MAX_TREE);
    size_t count = request_dumps(tree, n, asked);
    fprintf(stderr, "threadleak: thread dumps of %zu of %zu processes follow (on their stderr)\n",
            count, n);
    double deadline = tl__monotonic_seconds() + TL_TIMEOUT_DUMP_WAIT_S;
    size_t written = 0;
    for (size_t i = 0; i < count; i++) {
        double left = deadline - tl__monotonic_seconds();
        char *text =
            left > 0 ? dump_request_wait(report_dir, asked[i].pid, asked[i].request, left) : NULL;
        written += text != NULL;
        free(text);
    }
    if (written < count)
        fprintf(stderr, "threadleak: %zu of %zu processes wrote no dump within %g s\n",
                count - written, count, TL_TIMEOUT_DUMP_WAIT_S);
}

static void kill_tree(void)
{
    static pid_t tree[MAX_TREE];
    /* twice: a process may fork while the first round is being killed */
    for (int round = 0; round < 2; round++) {
        size_t n = list_tree(tree, MAX_TREE);
        for (size_t i = 0; i < n; i++)
            kill(tree[i], SIGKILL);
    }
}

int run_timeout_wait(pid_t pid, double timeout_s, const char *report_dir, bool *timed_out)
{
    *timed_out = false;
    if (!exited_before(pid, tl__monotonic_seconds() + timeout_s)) {
        *timed_out = true;
        fprintf(stderr, "threadleak: process %ld still running after %g s (--timeout)\n", (long)pid,
                timeout_s);
        dump_tree(report_dir);
        kill_tree();
        fprintf(stderr, "threadleak: killed process %ld and its descendants\n", (long)pid);
    }
    return child_wait_prog(pid);
}
