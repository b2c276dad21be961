/* What a program sees of its lock calls: return values and errno, including every error path
 * glibc has for them. Run with and without the lock module; the output and exit status must be
 * the same (the test compares them). No misuse of the kinds threadleak reports is left unchecked:
 * the run sets exitcode=0, since the error paths are misuse on purpose. */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdio.h>
#include <threads.h>
#include <time.h>

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t checked;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;

static struct timespec soon(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_nsec += 5 * 1000 * 1000;
    if (t.tv_nsec >= 1000000000) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000;
    }
    return t;
}

#define SHOW(expr)                                                                                 \
    do {                                                                                           \
        errno = 1234;                                                                              \
        int rc_ = (expr);                                                                          \
        printf("%-60s rc=%d errno=%d\n", #expr, rc_, errno);                                       \
    } while (0)

static void *other_thread(void *arg)
{
    struct timespec t = soon();
    SHOW(pthread_mutex_trylock(&held));
    SHOW(pthread_mutex_timedlock(&held, &t));
    t = soon();
    SHOW(pthread_mutex_clocklock(&held, CLOCK_MONOTONIC, &(struct timespec){0, 0}));
    SHOW(pthread_mutex_unlock(&checked));
    SHOW(pthread_rwlock_trywrlock(&rw));
    SHOW(pthread_rwlock_timedwrlock(&rw, &t));
    return arg;
}

/* --- semaphores and barriers --- */

static sem_t sem;
static pthread_barrier_t barrier;
static pthread_t main_thread;
static _Atomic pid_t main_tid;

static void interrupted(int sig)
{
    (void)sig;
}

/* Interrupts main's sem_wait once main sleeps in it: sem_wait returns EINTR. */
static void *interrupter(void *arg)
{
    char path[64], text[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)main_tid);
    for (;;) {
        FILE *f = fopen(path, "r");
        long nr = -1;
        if (f && fgets(text, sizeof text, f))
            sscanf(text, "%ld", &nr);
        if (f)
            fclose(f);
        if (nr == SYS_futex)
            break;
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
    pthread_kill(main_thread, SIGUSR1);
    return arg;
}

static void *barrier_party(void *arg)
{
    int rc = pthread_barrier_wait(&barrier);
    return (void *)(intptr_t)(rc == PTHREAD_BARRIER_SERIAL_THREAD);
}

static void semaphores_and_barriers(void)
{
    SHOW(sem_init(&sem, 0, 1));
    SHOW(sem_wait(&sem));
    SHOW(sem_trywait(&sem));
    struct timespec when = soon();
    SHOW(sem_timedwait(&sem, &when));
    SHOW(sem_clockwait(&sem, CLOCK_MONOTONIC, &(struct timespec){0, 0}));
    SHOW(sem_timedwait(&sem, &(struct timespec){0, -1}));
    SHOW(sem_post(&sem));
    SHOW(sem_timedwait(&sem, &when));
    /* EINTR: sem_wait returns it for a handler, whatever SA_RESTART says. */
    struct sigaction sa = {.sa_handler = interrupted};
    sigaction(SIGUSR1, &sa, NULL);
    main_thread = pthread_self();
    main_tid = (pid_t)syscall(SYS_gettid);
    pthread_t t;
    pthread_create(&t, NULL, interrupter, NULL);
    SHOW(sem_wait(&sem));
    pthread_join(t, NULL);
    SHOW(sem_destroy(&sem));

    SHOW(pthread_barrier_init(&barrier, NULL, 0));
    SHOW(pthread_barrier_init(&barrier, NULL, 2));
    pthread_create(&t, NULL, barrier_party, NULL);
    int rc = pthread_barrier_wait(&barrier);
    void *other_serial;
    pthread_join(t, &other_serial);
    printf("barrier: one serial thread: %d\n",
           (rc == PTHREAD_BARRIER_SERIAL_THREAD) + (other_serial != NULL));
    SHOW(pthread_barrier_destroy(&barrier));
}

int main(void)
{
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
    SHOW(pthread_mutex_init(&checked, &attr));
    SHOW(pthread_mutex_lock(&held));
    SHOW(pthread_mutex_lock(&checked));
    SHOW(pthread_mutex_lock(&checked));
    SHOW(pthread_mutex_trylock(&checked));
    SHOW(pthread_rwlock_rdlock(&rw));
    pthread_t t;
    pthread_create(&t, NULL, other_thread, NULL);
    pthread_join(t, NULL);
    SHOW(pthread_rwlock_unlock(&rw));
    SHOW(pthread_rwlock_unlock(&rw));
    SHOW(pthread_mutex_unlock(&checked));
    SHOW(pthread_mutex_unlock(&checked));
    SHOW(pthread_mutex_destroy(&held));
    SHOW(pthread_mutex_unlock(&held));
    SHOW(pthread_mutex_destroy(&checked));

    pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    struct timespec when = soon();
    SHOW(pthread_mutex_lock(&m));
    SHOW(pthread_cond_timedwait(&cond, &m, &when));
    when = soon();
    SHOW(pthread_cond_clockwait(&cond, &m, CLOCK_MONOTONIC, &(struct timespec){0, 0}));
    SHOW(pthread_mutex_unlock(&m));

    mtx_t c11;
    cnd_t cnd;
    SHOW(mtx_init(&c11, mtx_timed));
    SHOW(cnd_init(&cnd));
    SHOW(mtx_lock(&c11));
    SHOW(mtx_trylock(&c11));
    when = soon();
    SHOW(cnd_timedwait(&cnd, &c11, &when));
    SHOW(mtx_unlock(&c11));
    when = soon();
    SHOW(mtx_timedlock(&c11, &when));
    SHOW(mtx_unlock(&c11));
    mtx_destroy(&c11);
    cnd_destroy(&cnd);

    semaphores_and_barriers();
    return 3;
}
