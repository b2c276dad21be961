/* Ignore lists (top, any, created_by) and snapshots (IgnoreCurrent).
 *
 * Top and any look at a thread's live stack. ctest runs this suite twice: as is, and with
 * THREADLEAK_OPTIONS=stacks=nosignal, where no live stack is taken and the start routine stands
 * in for the whole stack; the expectations below say which result each mode must give. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "api_support.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MANY_THREADS 1000

static struct gate release = GATE_INIT;
static sem_t ready; /* posted by each thread once its stack has its final shape */

static bool live_stacks_off(void)
{
    const char *options = getenv("THREADLEAK_OPTIONS");
    return options && strstr(options, "stacks=nosignal");
}

/* Blocks in its own frame: on top of its stack, under the C library's frames, is itself. */
static void *background_poller(void *arg)
{
    (void)arg;
    sem_post(&ready);
    pthread_mutex_lock(&release.lock);
    while (!release.open)
        pthread_cond_wait(&release.opened, &release.lock);
    pthread_mutex_unlock(&release.lock);
    return NULL;
}

/* Blocks one call down: on top is wait_for_work, and request_handler is below it. */
__attribute__((noinline)) static void wait_for_work(void)
{
    sem_post(&ready);
    pthread_mutex_lock(&release.lock);
    while (!release.open)
        pthread_cond_wait(&release.opened, &release.lock);
    pthread_mutex_unlock(&release.lock);
    __asm__ volatile("" ::: "memory"); /* keeps the call from becoming a tail call */
}

static void *request_handler(void *arg)
{
    (void)arg;
    wait_for_work();
    __asm__ volatile("" ::: "memory");
    return NULL;
}

/* A library function that starts a thread on the caller's behalf. */
__attribute__((noinline)) static int spawn_from_library(pthread_t *t, void *(*fn)(void *))
{
    int rc = pthread_create(t, NULL, fn, NULL);
    __asm__ volatile("" ::: "memory"); /* keeps the call from becoming a tail call */
    return rc;
}

static void *idle_worker(void *arg)
{
    (void)arg;
    gate_wait(&release);
    return NULL;
}

static const tl_options quick = {.linger_ms = TL_LINGER_NONE};

static void start_two(pthread_t t[2])
{
    gate_close(&release);
    assert_int_equal(pthread_create(&t[0], NULL, background_poller, NULL), 0);
    assert_int_equal(pthread_create(&t[1], NULL, request_handler, NULL), 0);
    sem_wait(&ready);
    sem_wait(&ready);
}

static void finish(pthread_t *t, size_t n)
{
    gate_open(&release);
    for (size_t i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(tl_verify_none(NULL), 0);
}

static void test_ignore_top(void **state)
{
    (void)state;
    pthread_t t[2];
    start_two(t);
    assert_int_equal(tl_verify_none(&quick), 2);
    const char *const top[] = {"background_poller", NULL};
    int leaked = 0;
    char *text =
        verify_to_text(&(tl_options){.ignore_top = top, .linger_ms = TL_LINGER_NONE}, &leaked);
    assert_int_equal(leaked, 1);
    assert_non_null(strstr(text, "request_handler"));
    assert_null(strstr(text, "background_poller"));
    assert_non_null(strstr(text, "1 suppressed"));
    free(text);
    /* request_handler is not on top of its thread's live stack, wait_for_work is; without live
     * stacks only the start routine is known. */
    bool live = !live_stacks_off();
    const char *const handler[] = {"request_handler", NULL};
    const char *const callee[] = {"wait_for_work", NULL};
    assert_int_equal(tl_verify_none(&(tl_options){
                         .ignore_top = handler, .out = stdout, .linger_ms = TL_LINGER_NONE}),
                     live ? 2 : 1);
    assert_int_equal(tl_verify_none(&(tl_options){
                         .ignore_top = callee, .out = stdout, .linger_ms = TL_LINGER_NONE}),
                     live ? 1 : 2);
    finish(t, 2);
}

static void test_ignore_any_with_prefix_pattern(void **state)
{
    (void)state;
    pthread_t t[2];
    start_two(t);
    const char *const any[] = {"no_such_function", "background_*", NULL};
    assert_int_equal(tl_verify_none(&(tl_options){.ignore_any = any, .linger_ms = TL_LINGER_NONE}),
                     1);
    const char *const both[] = {"background_*", "request_handler", NULL};
    assert_int_equal(tl_verify_none(&(tl_options){.ignore_any = both, .linger_ms = TL_LINGER_NONE}),
                     0);
    /* Deeper frames of the live stack count too. */
    bool live = !live_stacks_off();
    const char *const deeper[] = {"wait_for_work", NULL};
    assert_int_equal(tl_verify_none(&(tl_options){
                         .ignore_any = deeper, .out = stdout, .linger_ms = TL_LINGER_NONE}),
                     live ? 1 : 2);
    /* A prefix without '*' is not a match. */
    const char *const partial[] = {"request_", NULL};
    assert_int_equal(tl_verify_none(&(tl_options){
                         .ignore_top = partial, .out = stdout, .linger_ms = TL_LINGER_NONE}),
                     2);
    finish(t, 2);
}

static void test_ignore_created_by(void **state)
{
    (void)state;
    gate_close(&release);
    pthread_t t[2];
    assert_int_equal(spawn_from_library(&t[0], request_handler), 0);
    assert_int_equal(pthread_create(&t[1], NULL, request_handler, NULL), 0);
    sem_wait(&ready);
    sem_wait(&ready);
    const char *const creator[] = {"spawn_from_library", NULL};
    int leaked = 0;
    char *text = verify_to_text(
        &(tl_options){.ignore_created_by = creator, .linger_ms = TL_LINGER_NONE}, &leaked);
    assert_int_equal(leaked, 1);
    /* The one left is the thread the test itself created. */
    assert_null(strstr(text, "spawn_from_library"));
    free(text);
    /* Any frame of the creation stack counts, not only the innermost. */
    const char *const outer[] = {"test_ignore_created_by", NULL};
    assert_int_equal(
        tl_verify_none(&(tl_options){.ignore_created_by = outer, .linger_ms = TL_LINGER_NONE}), 0);
    /* The start routine is not part of the creation stack. */
    const char *const routine[] = {"request_handler", NULL};
    assert_int_equal(tl_verify_none(&(tl_options){
                         .ignore_created_by = routine, .out = stdout, .linger_ms = TL_LINGER_NONE}),
                     2);
    finish(t, 2);
}

static void test_snapshot_ignores_threads_alive_at_it(void **state)
{
    (void)state;
    gate_close(&release);
    pthread_attr_t small;
    pthread_attr_init(&small);
    pthread_attr_setstacksize(&small, 64 * 1024);
    pthread_t *many = calloc(MANY_THREADS + 1, sizeof *many);
    for (size_t i = 0; i < MANY_THREADS; i++)
        assert_int_equal(pthread_create(&many[i], &small, idle_worker, NULL), 0);

    tl_snapshot *snap = tl_snapshot_take();
    assert_non_null(snap);
    assert_true(tl_snapshot_count(snap) >= MANY_THREADS);
    double start = now_ms();
    int leaked = tl_verify_none(&(tl_options){.ignore_current = snap});
    printf("%d live threads ignored by snapshot: verdict in %.3f ms\n", MANY_THREADS,
           now_ms() - start);
    assert_int_equal(leaked, 0);
    assert_int_equal(tl_verify_none(&quick), MANY_THREADS);

    /* A thread created after the snapshot is still checked. */
    assert_int_equal(pthread_create(&many[MANY_THREADS], &small, request_handler, NULL), 0);
    int late = 0;
    char *text =
        verify_to_text(&(tl_options){.ignore_current = snap, .linger_ms = TL_LINGER_NONE}, &late);
    assert_int_equal(late, 1);
    assert_non_null(strstr(text, "request_handler"));
    free(text);

    tl_snapshot_free(snap);
    pthread_attr_destroy(&small);
    finish(many, MANY_THREADS + 1);
    free(many);
}

static void test_snapshot_of_a_clean_process(void **state)
{
    (void)state;
    tl_snapshot *snap = tl_snapshot_take();
    assert_non_null(snap);
    /* Only main is alive. */
    assert_int_equal(tl_snapshot_count(snap), 1);
    tl_snapshot_free(snap);
    assert_int_equal(tl_snapshot_count(NULL), 0);
    tl_snapshot_free(NULL);
}

int main(void)
{
    sem_init(&ready, 0, 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ignore_top),
        cmocka_unit_test(test_ignore_any_with_prefix_pattern),
        cmocka_unit_test(test_ignore_created_by),
        cmocka_unit_test(test_snapshot_of_a_clean_process),
        cmocka_unit_test(test_snapshot_ignores_threads_alive_at_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
