/* The program's own sigprocmask calls, printed: the same output with and without the shim
 * (sigprocmask_host.sh), which interposes sigprocmask for its dump handler's unwinds. Every kind
 * of call: block, unblock, set, query, an invalid `how`, a bad old-set pointer, glibc's own signals
 * and SIGKILL in the set, from a thread and from a signal handler. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

static void *bad_pointer;

static void show(const char *what, int how, const sigset_t *set, int with_old)
{
    sigset_t old;
    memset(&old, 0xa5, sizeof old);
    errno = 0;
    int rc = sigprocmask(how, set, with_old ? &old : NULL);
    int err = rc != 0 ? errno : 0;
    sigset_t now;
    memset(&now, 0, sizeof now);
    pthread_sigmask(SIG_BLOCK, NULL, &now);
    printf("%s: rc %d errno %d old %lx %lx now %lx\n", what, rc, err, old.__val[0], old.__val[1],
           now.__val[0]);
}

static void calls(const char *where)
{
    sigset_t full, empty, usr1, odd;
    sigfillset(&full);
    sigemptyset(&empty);
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigemptyset(&odd);
    sigaddset(&odd, SIGKILL);
    sigaddset(&odd, SIGSTOP);
    sigaddset(&odd, SIGRTMIN);
    odd.__val[0] |= 3ul << 31; /* glibc's SIGCANCEL and SIGSETXID */
    printf("-- %s\n", where);
    show("query", SIG_BLOCK, NULL, 1);
    show("block usr1", SIG_BLOCK, &usr1, 1);
    show("set full", SIG_SETMASK, &full, 1);
    show("set full again", SIG_SETMASK, &full, 1);
    show("unblock usr1", SIG_UNBLOCK, &usr1, 1);
    show("block odd", SIG_BLOCK, &odd, 1);
    show("invalid how", 12345, &usr1, 1);
    show("invalid how, no set", 12345, NULL, 1);
    show("bad old", SIG_BLOCK, &usr1, 0);
    errno = 0;
    int rc = sigprocmask(SIG_BLOCK, &usr1, bad_pointer);
    printf("bad old pointer: rc %d errno %d\n", rc, rc ? errno : 0);
    show("set empty", SIG_SETMASK, &empty, 1);
}

static void handler(int signo)
{
    (void)signo;
    calls("in a handler");
}

static void *thread_main(void *arg)
{
    calls("in a thread");
    return arg;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    bad_pointer = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    calls("main");
    pthread_t t;
    pthread_create(&t, NULL, thread_main, NULL);
    pthread_join(t, NULL);
    struct sigaction act;
    memset(&act, 0, sizeof act);
    act.sa_handler = handler;
    sigaction(SIGUSR2, &act, NULL);
    raise(SIGUSR2);
    return 0;
}
