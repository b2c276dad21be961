/* Prints what a program can see of its own process, in a form that compares across runs: its open
 * descriptors and what they are, where fd 2 goes, every signal's disposition, its signal mask,
 * umask, working directory, descriptor limit, its environment (but threadleak's own variables),
 * and the errno main starts with. It makes and joins a thread first, so that the shim has done
 * its work. Exits with status 3. host_view.sh runs it natively, preloaded and under
 * threadleak run, and compares. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

static void *work(void *arg)
{
    return arg;
}

/* "pipe:[1234]" -> "pipe", "socket:[99]" -> "socket", "anon_inode:[eventfd]" -> "anon_inode",
 * a path becomes its last component (each run writes to its own directory). */
static void fd_kind(int fd, char *out, size_t cap)
{
    char path[64], target[256];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, target, sizeof target - 1);
    target[n > 0 ? n : 0] = '\0';
    char *bracket = strstr(target, ":[");
    if (target[0] != '/' && bracket)
        *bracket = '\0';
    const char *slash = strrchr(target, '/');
    snprintf(out, cap, "%s", target[0] == '/' && slash ? slash + 1 : target);
}

static void print_fds(void)
{
    DIR *dir = opendir("/proc/self/fd");
    int own = dirfd(dir);
    for (struct dirent *e; (e = readdir(dir)) != NULL;) {
        if (e->d_name[0] == '.' || atoi(e->d_name) == own)
            continue;
        char kind[256];
        fd_kind(atoi(e->d_name), kind, sizeof kind);
        printf("fd %s: %s\n", e->d_name, kind);
    }
    closedir(dir);
}

static void print_signals(void)
{
    for (int signo = 1; signo < NSIG; signo++) {
        struct sigaction act;
        if (sigaction(signo, NULL, &act) != 0)
            continue;
        const char *how = act.sa_handler == SIG_DFL   ? "default"
                          : act.sa_handler == SIG_IGN ? "ignored"
                                                      : "handled";
        printf("signal %d: %s\n", signo, how);
    }
    sigset_t mask;
    pthread_sigmask(SIG_SETMASK, NULL, &mask);
    for (int signo = 1; signo < NSIG; signo++)
        if (sigismember(&mask, signo))
            printf("blocked %d\n", signo);
}

static void print_environment(void)
{
    for (char **e = environ; *e; e++)
        if (strncmp(*e, "THREADLEAK_", 11) != 0 && strncmp(*e, "LD_PRELOAD=", 11) != 0)
            printf("env %s\n", *e);
}

int main(void)
{
    int errno_at_main = errno;
    pthread_t t;
    pthread_create(&t, NULL, work, NULL);
    pthread_join(t, NULL);
    printf("errno at main: %d\n", errno_at_main);
    print_fds();
    print_signals();
    mode_t mask = umask(022);
    printf("umask %03o\n", (unsigned)mask);
    char cwd[4096];
    printf("cwd %s\n", getcwd(cwd, sizeof cwd) ? cwd : "?");
    struct rlimit nofile;
    getrlimit(RLIMIT_NOFILE, &nofile);
    printf("nofile %llu %llu\n", (unsigned long long)nofile.rlim_cur,
           (unsigned long long)nofile.rlim_max);
    print_environment();
    fflush(stdout);
    return 3;
}
