/* proc_run: fork, setpgid, exec; wait on a pidfd with poll so that the timeout needs no signal
 * handler and no busy loop. */
#include "proc_run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void apply_env(const char *const *env)
{
    for (; env && *env; env++) {
        const char *eq = strchr(*env, '=');
        if (!eq) {
            unsetenv(*env);
            continue;
        }
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(eq - *env), *env);
        setenv(name, eq + 1, 1);
    }
}

static void exec_child(const struct proc_spec *spec, int out, int err)
{
    setpgid(0, 0);
    dup2(out, STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0)
        dup2(devnull, STDIN_FILENO);
    apply_env(spec->env);
    execv(spec->argv[0], (char *const *)spec->argv);
    dprintf(STDERR_FILENO, "exec %s: %s\n", spec->argv[0], strerror(errno));
    _exit(127);
}

static char *slurp(int fd)
{
    off_t len = lseek(fd, 0, SEEK_END);
    if (len < 0)
        len = 0;
    char *buf = malloc((size_t)len + 1);
    if (!buf)
        abort();
    ssize_t n = pread(fd, buf, (size_t)len, 0);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

/* Waits until pid exits or the deadline passes; true when it exited. */
static bool wait_exit(pid_t pid, double deadline)
{
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    for (;;) {
        double left = deadline - now_s();
        if (left <= 0)
            break;
        if (pidfd >= 0) {
            struct pollfd p = {.fd = pidfd, .events = POLLIN};
            int ms = left > 3600 ? 3600000 : (int)(left * 1000) + 1;
            if (poll(&p, 1, ms) > 0)
                break;
        } else {
            int st;
            if (waitpid(pid, &st, WNOHANG | WNOWAIT | __WALL) == pid)
                break;
            usleep(2000);
        }
    }
    if (pidfd >= 0)
        close(pidfd);
    siginfo_t si = {0};
    return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid;
}

int proc_run(const struct proc_spec *spec, struct proc_result *r)
{
    memset(r, 0, sizeof *r);
    int out = memfd_create("proc_run.out", MFD_CLOEXEC);
    int err = memfd_create("proc_run.err", MFD_CLOEXEC);
    if (out < 0 || err < 0)
        return -1;
    double start = now_s();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0)
        exec_child(spec, out, err);
    setpgid(pid, pid); /* also here, so that the group exists before we might kill it */
    r->timed_out = !wait_exit(pid, start + spec->timeout_s);
    r->seconds = now_s() - start;
    /* Before reaping, while the zombie still holds the group id: the program itself after a
     * timeout, and anything it left behind in its group either way. */
    kill(-pid, SIGKILL);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        continue;
    r->status = WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
    r->out = slurp(out);
    r->err = slurp(err);
    close(out);
    close(err);
    return 0;
}

void proc_result_free(struct proc_result *r)
{
    free(r->out);
    free(r->err);
    memset(r, 0, sizeof *r);
}
