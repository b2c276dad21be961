/* One pthread misuse per run, named by argv[1] (the kinds of docs/locks.md). Each prints what
 * libc returned, so that the test can compare it with and without the lock module. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER, m2 = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int waiting, done;

static void *unlock_it(void *arg)
{
    printf("unlock by another thread: %d\n", pthread_mutex_unlock(&m)); /* MISUSE_NOT_OWNER */
    return arg;
}

static void *lock_and_leave(void *arg)
{
    pthread_mutex_lock(&m); /* MISUSE_EXIT_HOLDING */
    return arg;
}

static void *wait_with_m(void *arg)
{
    pthread_mutex_lock(&m);
    waiting = 1;
    while (!done)
        pthread_cond_wait(&cond, &m);
    pthread_mutex_unlock(&m);
    return arg;
}

static void *nap(void *arg)
{
    usleep(100 * 1000);
    return arg;
}

static void *lock_twice(void *arg)
{
    pthread_mutex_lock(&m);
    pthread_mutex_lock(&m); /* SELF_LOCK */
    return arg;
}

static void cond_wrong_mutex(void)
{
    pthread_t t;
    pthread_create(&t, NULL, wait_with_m, NULL);
    for (;;) { /* until the other thread waits: it set waiting and released m in the wait */
        pthread_mutex_lock(&m);
        int w = waiting;
        pthread_mutex_unlock(&m);
        if (w)
            break;
        sched_yield();
    }
    pthread_mutex_lock(&m2);
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_nsec += 10 * 1000 * 1000;
    if (deadline.tv_nsec >= 1000000000) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000;
    }
    int rc = pthread_cond_timedwait(&cond, &m2, &deadline); /* MISUSE_COND */
    printf("wait with another mutex: %d\n", rc);
    pthread_mutex_unlock(&m2);
    pthread_mutex_lock(&m);
    done = 1;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&m);
    pthread_join(t, NULL);
}

int main(int argc, char **argv)
{
    const char *kind = argc > 1 ? argv[1] : "";
    pthread_t t;
    if (strcmp(kind, "unlock_unlocked") == 0) {
        printf("unlock: %d\n", pthread_mutex_unlock(&m)); /* MISUSE_UNLOCKED */
    } else if (strcmp(kind, "unlock_not_owner") == 0) {
        pthread_mutex_lock(&m);
        pthread_create(&t, NULL, unlock_it, NULL);
        pthread_join(t, NULL);
    } else if (strcmp(kind, "destroy_locked") == 0) {
        pthread_mutex_lock(&m);
        printf("destroy: %d\n", pthread_mutex_destroy(&m)); /* MISUSE_DESTROY */
        pthread_mutex_unlock(&m);
    } else if (strcmp(kind, "exit_holding_lock") == 0) {
        pthread_create(&t, NULL, lock_and_leave, NULL);
        pthread_join(t, NULL);
    } else if (strcmp(kind, "cond_wrong_mutex") == 0) {
        cond_wrong_mutex();
    } else if (strcmp(kind, "lock_destroyed") == 0) {
        pthread_mutex_t d;
        pthread_mutex_init(&d, NULL);
        pthread_mutex_destroy(&d);
        printf("lock: %d\n", pthread_mutex_lock(&d)); /* MISUSE_LOCK_DESTROYED */
    } else if (strcmp(kind, "rwlock_unlock_unlocked") == 0) {
        pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
        printf("unlock: %d\n", pthread_rwlock_unlock(&rw)); /* MISUSE_RW_UNLOCKED */
    } else if (strcmp(kind, "join_detached") == 0) {
        pthread_create(&t, NULL, nap, NULL);
        pthread_detach(t);
        int rc = pthread_join(t, NULL); /* MISUSE_JOIN_DETACHED */
        printf("join a detached thread: %d\n", rc);
        usleep(200 * 1000);
    } else if (strcmp(kind, "double_join") == 0) {
        pthread_create(&t, NULL, nap, NULL);
        pthread_join(t, NULL);
        int rc = pthread_join(t, NULL); /* MISUSE_DOUBLE_JOIN */
        printf("join it again: %d\n", rc);
    } else if (strcmp(kind, "self_lock") == 0) {
        /* The thread hangs for ever, as it would without threadleak; main ends the process. */
        pthread_create(&t, NULL, lock_twice, NULL);
        pthread_detach(t);
        usleep(300 * 1000);
    } else {
        fprintf(stderr, "usage: lock_misuse KIND\n");
        return 2;
    }
    fflush(stdout);
    return 0;
}
