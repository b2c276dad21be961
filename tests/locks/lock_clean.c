/* Lock uses that are not findings: a recursive mutex re-entered by its owner, an error-checking
 * mutex relocked (EDEADLK, no hang), an rwlock read-locked twice, two readers taking two rwlocks
 * in both orders (readers do not wait for each other), a mutex destroyed and a new one made at
 * the same address and used in the other order, and a condition wait that gives the mutex back.
 * Expected: no finding at all. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

static pthread_rwlock_t r1 = PTHREAD_RWLOCK_INITIALIZER, r2 = PTHREAD_RWLOCK_INITIALIZER;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER, other = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int ready;

static void *read_r1_then_r2(void *arg)
{
    pthread_rwlock_rdlock(&r1);
    pthread_rwlock_rdlock(&r2);
    pthread_rwlock_unlock(&r2);
    pthread_rwlock_unlock(&r1);
    return arg;
}

static void *read_r2_then_r1(void *arg)
{
    pthread_rwlock_rdlock(&r2);
    pthread_rwlock_rdlock(&r1);
    pthread_rwlock_unlock(&r1);
    pthread_rwlock_unlock(&r2);
    return arg;
}

static void *signaller(void *arg)
{
    pthread_mutex_lock(&m);
    ready = 1;
    pthread_cond_signal(&cond);
    pthread_mutex_unlock(&m);
    return arg;
}

static void recursive(void)
{
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_t rec;
    pthread_mutex_init(&rec, &attr);
    pthread_mutex_lock(&rec);
    pthread_mutex_lock(&other);
    pthread_mutex_lock(&rec); /* re-entered by its owner: no edge other -> rec */
    pthread_mutex_unlock(&rec);
    pthread_mutex_unlock(&other);
    pthread_mutex_unlock(&rec);
    pthread_mutex_destroy(&rec);

    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_t check;
    pthread_mutex_init(&check, &attr);
    pthread_mutex_lock(&check);
    if (pthread_mutex_lock(&check) != EDEADLK)
        exit(2);
    pthread_mutex_unlock(&check);
    pthread_mutex_destroy(&check);
    pthread_mutexattr_destroy(&attr);
}

static void reused_address(void)
{
    pthread_mutex_t *pair = malloc(2 * sizeof *pair);
    pthread_mutex_init(&pair[0], NULL);
    pthread_mutex_init(&pair[1], NULL);
    pthread_mutex_lock(&pair[0]);
    pthread_mutex_lock(&pair[1]);
    pthread_mutex_unlock(&pair[1]);
    pthread_mutex_unlock(&pair[0]);
    pthread_mutex_destroy(&pair[0]);
    pthread_mutex_destroy(&pair[1]);
    /* New mutexes in the same memory, taken the other way round. */
    pthread_mutex_init(&pair[0], NULL);
    pthread_mutex_init(&pair[1], NULL);
    pthread_mutex_lock(&pair[1]);
    pthread_mutex_lock(&pair[0]);
    pthread_mutex_unlock(&pair[0]);
    pthread_mutex_unlock(&pair[1]);
    pthread_mutex_destroy(&pair[0]);
    pthread_mutex_destroy(&pair[1]);
    free(pair);
}

int main(void)
{
    recursive();
    reused_address();
    pthread_rwlock_rdlock(&r1);
    pthread_rwlock_rdlock(&r1);
    pthread_rwlock_unlock(&r1);
    pthread_rwlock_unlock(&r1);
    pthread_t t1, t2;
    pthread_create(&t1, NULL, read_r1_then_r2, NULL);
    pthread_join(t1, NULL);
    pthread_create(&t2, NULL, read_r2_then_r1, NULL);
    pthread_join(t2, NULL);

    pthread_mutex_lock(&m);
    pthread_create(&t1, NULL, signaller, NULL);
    while (!ready)
        pthread_cond_wait(&cond, &m);
    pthread_mutex_unlock(&m);
    pthread_join(t1, NULL);
    return 0;
}
