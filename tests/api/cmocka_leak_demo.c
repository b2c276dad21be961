/* A cmocka suite in which one test leaks a thread and another leaks and asserts in its body.
 * test_cmocka runs it in a child process and checks that exactly those two tests fail, with the
 * report, while the clean test between them passes. It prints `site=LINE` for each pthread_create
 * that leaks, so the checker can look for the creation site in the report. The group teardown
 * releases and joins every leaked thread, so the exit report has nothing to add. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "threadleak_cmocka.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t opened = PTHREAD_COND_INITIALIZER;
static bool released;
static pthread_t leaked[2];

static void *leaking_worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    while (!released)
        pthread_cond_wait(&opened, &lock);
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void *joined_worker(void *arg)
{
    return arg;
}

static void test_leaks_a_worker(void **state)
{
    (void)state;
    printf("site=%d\n", __LINE__ + 1);
    assert_int_equal(pthread_create(&leaked[0], NULL, leaking_worker, NULL), 0);
}

static void test_after_the_leak(void **state)
{
    (void)state;
    pthread_t t;
    pthread_create(&t, NULL, joined_worker, NULL);
    pthread_join(t, NULL);
}

static void test_asserts_in_body(void **state)
{
    (void)state;
    printf("site=%d\n", __LINE__ + 1);
    assert_int_equal(pthread_create(&leaked[1], NULL, leaking_worker, NULL), 0);
    printf("assert_line=%d\n", __LINE__ + 1);
    assert_no_thread_leaks();
}

static int release_leaked_threads(void **state)
{
    (void)state;
    pthread_mutex_lock(&lock);
    released = true;
    pthread_cond_broadcast(&opened);
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < 2; i++)
        pthread_join(leaked[i], NULL);
    return 0;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    const struct CMUnitTest tests[] = {
        tl_cmocka_unit_test(test_leaks_a_worker),
        tl_cmocka_unit_test(test_after_the_leak),
        tl_cmocka_unit_test(test_asserts_in_body),
    };
    return cmocka_run_group_tests(tests, NULL, release_leaked_threads);
}
