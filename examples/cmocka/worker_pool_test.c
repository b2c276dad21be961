/* cmocka tests that check for leaked threads with threadleak's helpers.
 *
 * Each test registered with tl_cmocka_unit_test runs in a threadleak scope named after it: its
 * teardown fails the test, with a report naming each leaked thread, its start routine and where
 * it was created, if the test left a thread behind. assert_no_thread_leaks() does the same check
 * in the middle of a test. Threads that other tests leaked are not blamed on this one.
 *
 * Build: link libthreadleak.so (threadleak::threadleak, or `pkg-config --libs threadleak`) and
 * cmocka; see CMakeLists.txt here. */
#define _POSIX_C_SOURCE 200809L /* nanosleep under -std=c17 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <threadleak_cmocka.h>

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

/* --- a tiny worker pool, the code under test --- */

#define POOL_SIZE 4

struct pool {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    bool stopping;
    int done;
    pthread_t workers[POOL_SIZE];
};

static void *pool_worker(void *arg)
{
    struct pool *p = arg;
    pthread_mutex_lock(&p->lock);
    p->done++;
    pthread_cond_broadcast(&p->changed);
    while (!p->stopping)
        pthread_cond_wait(&p->changed, &p->lock);
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

static void pool_start(struct pool *p)
{
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->changed, NULL);
    p->stopping = false;
    p->done = 0;
    for (int i = 0; i < POOL_SIZE; i++)
        pthread_create(&p->workers[i], NULL, pool_worker, p);
}

static void pool_stop(struct pool *p)
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

static void *timer_thread(void *arg)
{
    (void)arg;
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
    return NULL;
}

/* --- the tests --- */

static void test_pool_runs_and_stops(void **state)
{
    (void)state;
    struct pool p;
    pool_start(&p);
    pthread_mutex_lock(&p.lock);
    while (p.done < POOL_SIZE)
        pthread_cond_wait(&p.changed, &p.lock);
    pthread_mutex_unlock(&p.lock);
    pool_stop(&p);
    /* Forget pool_stop and the teardown fails, naming pool_worker and pool_start's call. */
}

static void test_detached_timer_finishes_in_time(void **state)
{
    (void)state;
    pthread_t t;
    pthread_attr_t detached;
    pthread_attr_init(&detached);
    pthread_attr_setdetachstate(&detached, PTHREAD_CREATE_DETACHED);
    pthread_create(&t, &detached, timer_thread, NULL);
    pthread_attr_destroy(&detached);
    /* The check lingers (500 ms by default) and returns as soon as the timer thread is gone. */
    assert_no_thread_leaks();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        tl_cmocka_unit_test(test_pool_runs_and_stops),
        tl_cmocka_unit_test(test_detached_timer_finishes_in_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
