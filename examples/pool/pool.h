/* The code under test in the test-framework examples (examples/gtest, examples/catch2, ...): a
 * tiny worker pool. pool_start starts its workers; pool_stop stops and joins them. A test that
 * forgets pool_stop leaks the workers, and threadleak's helper for the framework fails it, naming
 * pool_worker and this file's pthread_create line. Header-only C, for C and C++ tests alike. */
#ifndef EXAMPLE_POOL_H
#define EXAMPLE_POOL_H

#include <pthread.h>
#include <stdbool.h>

#define POOL_SIZE 2

struct pool {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    bool stopping;
    int started;
    pthread_t workers[POOL_SIZE];
};

static void *pool_worker(void *arg)
{
    struct pool *p = (struct pool *)arg;
    pthread_mutex_lock(&p->lock);
    p->started++;
    pthread_cond_broadcast(&p->changed);
    while (!p->stopping)
        pthread_cond_wait(&p->changed, &p->lock);
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/* Starts the workers and waits until each runs. Returns the number started. */
static inline int pool_start(struct pool *p)
{
    int n = 0;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->changed, NULL);
    p->stopping = false;
    p->started = 0;
    for (int i = 0; i < POOL_SIZE; i++)
        n += pthread_create(&p->workers[i], NULL, pool_worker, p) == 0; /* the creation site */
    pthread_mutex_lock(&p->lock);
    while (p->started < n)
        pthread_cond_wait(&p->changed, &p->lock);
    pthread_mutex_unlock(&p->lock);
    return n;
}

static inline void pool_stop(struct pool *p)
{
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < POOL_SIZE; i++)
        pthread_join(p->workers[i], NULL);
    pthread_cond_destroy(&p->changed);
    pthread_mutex_destroy(&p->lock);
}

/* A second piece of code under test: a detached watchdog thread that runs until
 * watchdog_stop. Two tests leaking different threads at the same time show that each is blamed
 * for its own. */
static pthread_mutex_t watchdog_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t watchdog_changed = PTHREAD_COND_INITIALIZER;
static bool watchdog_stopping;

static void *watchdog_loop(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&watchdog_lock);
    while (!watchdog_stopping)
        pthread_cond_wait(&watchdog_changed, &watchdog_lock);
    pthread_mutex_unlock(&watchdog_lock);
    return NULL;
}

static inline int watchdog_start(void)
{
    pthread_t t;
    pthread_attr_t detached;
    pthread_attr_init(&detached);
    pthread_attr_setdetachstate(&detached, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&t, &detached, watchdog_loop, NULL); /* the watchdog's creation site */
    pthread_attr_destroy(&detached);
    return rc;
}

static inline void watchdog_stop(void)
{
    pthread_mutex_lock(&watchdog_lock);
    watchdog_stopping = true;
    pthread_cond_broadcast(&watchdog_changed);
    pthread_mutex_unlock(&watchdog_lock);
}

#endif
