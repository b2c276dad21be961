/* P4's floor: what any invisible dump must do per thread before it has a single frame, timed in
 * the same run as Go's whole dump.
 *
 * usage: dump_floor [THREADS [DUMPS]]     (defaults: 1000 threads, 15 dumps)
 *
 * Starts THREADS threads blocked on a condition variable (as dump_bench does), then times, DUMPS
 * times each after one warm-up round, in the order a dump does them:
 *   syscall_ms  read /proc/self/task/TID/syscall for every thread (is it in a call a signal would
 *               show in?);
 *   files_ms    read status (SigBlk, state, switches) and syscall for every thread;
 *   signal_ms   send every thread a queued real-time signal whose handler only counts, and wait
 *               until all have run it;
 *   floor_ms    both: the two files, then the signal, thread after thread, and the wait.
 * No unwinding, no symbols, no text, no HTTP. Prints the medians as key=value lines; floor_ms is
 * the one the bench shows beside Go. Never run under the shim. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_DUMPS    101
#define THREAD_STACK (64 * 1024)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static pid_t *tids;
static int started;
static _Atomic unsigned answers;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void *block(void *arg)
{
    pthread_mutex_lock(&lock);
    tids[started++] = (pid_t)syscall(SYS_gettid);
    pthread_cond_broadcast(&cond);
    for (;;)
        pthread_cond_wait(&cond, &lock); /* never released: the process exits */
    return arg;
}

static void answer(int signo, siginfo_t *info, void *context)
{
    (void)signo, (void)info, (void)context;
    atomic_fetch_add(&answers, 1);
}

/* open, one read, close: what the dump does for each file (kernel_state.c). */
static void read_file(int task_dir, pid_t tid, const char *name)
{
    char path[64], buf[4096];
    snprintf(path, sizeof path, "%d/%s", (int)tid, name);
    int fd = openat(task_dir, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    if (read(fd, buf, sizeof buf) < 0)
        buf[0] = '\0';
    close(fd);
}

static void send_request(pid_t pid, pid_t tid, int signo)
{
    siginfo_t info;
    memset(&info, 0, sizeof info);
    info.si_signo = signo;
    info.si_code = SI_QUEUE;
    info.si_pid = pid;
    info.si_uid = getuid();
    syscall(SYS_rt_tgsigqueueinfo, pid, tid, signo, &info);
}

enum pass { SYSCALL_FILE, TWO_FILES, SIGNAL, FLOOR, PASSES };

static double run_pass(enum pass pass, int task_dir, int n, int signo)
{
    pid_t pid = getpid();
    atomic_store(&answers, 0);
    double start = now_ms();
    for (int i = 0; i < n; i++) {
        if (pass == TWO_FILES || pass == FLOOR)
            read_file(task_dir, tids[i], "status");
        if (pass != SIGNAL)
            read_file(task_dir, tids[i], "syscall");
        if (pass == SIGNAL || pass == FLOOR)
            send_request(pid, tids[i], signo);
    }
    if (pass == SIGNAL || pass == FLOOR)
        while (atomic_load(&answers) < (unsigned)n)
            sched_yield();
    return now_ms() - start;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    int dumps = argc > 2 ? atoi(argv[2]) : 15;
    if (n <= 0)
        n = 1000;
    if (dumps <= 0 || dumps > MAX_DUMPS)
        dumps = 15;
    tids = calloc((size_t)n, sizeof *tids);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, THREAD_STACK);
    for (int i = 0; i < n; i++) {
        pthread_t t;
        if (pthread_create(&t, &attr, block, NULL) != 0) {
            fprintf(stderr, "dump_floor: pthread_create %d failed\n", i);
            return 1;
        }
    }
    pthread_mutex_lock(&lock);
    while (started < n)
        pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);

    int signo = SIGRTMIN + 3; /* the dump's default */
    struct sigaction act;
    memset(&act, 0, sizeof act);
    act.sa_sigaction = answer;
    act.sa_flags = SA_SIGINFO | SA_RESTART;
    sigfillset(&act.sa_mask);
    sigaction(signo, &act, NULL);
    sigset_t mine;
    sigemptyset(&mine);
    sigaddset(&mine, signo);
    pthread_sigmask(SIG_BLOCK, &mine, NULL); /* only the blocked threads answer */
    int task_dir = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    static const char *const names[PASSES] = {"syscall_ms", "files_ms", "signal_ms", "floor_ms"};
    double times[PASSES][MAX_DUMPS];
    for (int d = -1; d < dumps; d++) /* one warm-up round */
        for (int pass = 0; pass < PASSES; pass++) {
            double ms = run_pass((enum pass)pass, task_dir, n, signo);
            if (d >= 0)
                times[pass][d] = ms;
        }
    printf("{\"case\":\"P4-floor\",\"threads\":%d,\"dumps\":%d", n, dumps);
    for (int pass = 0; pass < PASSES; pass++) {
        qsort(times[pass], (size_t)dumps, sizeof times[pass][0], compare_doubles);
        printf(",\"%s\":%.3f", names[pass], times[pass][dumps / 2]);
    }
    printf("}\n");
    for (int pass = 0; pass < PASSES; pass++)
        printf("%s=%.3f\n", names[pass], times[pass][dumps / 2]);
    return 0;
}
