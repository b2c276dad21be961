/* The suppressions= file of THREADLEAK_OPTIONS applies to the test API's checks as it does to the
 * exit report, and combines with the ignore lists.
 *
 * ctest runs this suite twice: as is, and with THREADLEAK_OPTIONS=suppressions=
 * test_suppress_file.supp, whose `thread:spawn_suppressed` takes out the threads created from
 * spawn_suppressed; the expectations below say which result each run must give. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "api_support.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct gate release = GATE_INIT;

static const tl_options quick = {.linger_ms = TL_LINGER_NONE};

static bool suppressions_on(void)
{
    const char *options = getenv("THREADLEAK_OPTIONS");
    return options && strstr(options, "suppressions=");
}

static void *parked_worker(void *arg)
{
    (void)arg;
    gate_wait(&release);
    return NULL;
}

/* The creation site the suppressions file names. */
__attribute__((noinline)) static int spawn_suppressed(pthread_t *t)
{
    int rc = pthread_create(t, NULL, parked_worker, NULL);
    __asm__ volatile("" ::: "memory"); /* keeps the call from becoming a tail call */
    return rc;
}

/* Any other creation site. Its argument differs, so that the compiler cannot fold the two
 * spawners into one function (GCC's identical code folding at -O2). */
__attribute__((noinline)) static int spawn_plain(pthread_t *t)
{
    int rc = pthread_create(t, NULL, parked_worker, (void *)1);
    __asm__ volatile("" ::: "memory");
    return rc;
}

/* The threads a test started; the teardown releases and joins them even when the test failed,
 * so that the next test starts clean. */
static pthread_t started[2];
static size_t nstarted;

static void start(int (*spawn)(pthread_t *))
{
    assert_int_equal(spawn(&started[nstarted]), 0);
    nstarted++;
}

static int release_all(void **state)
{
    (void)state;
    gate_open(&release);
    for (size_t i = 0; i < nstarted; i++)
        pthread_join(started[i], NULL);
    nstarted = 0;
    gate_close(&release);
    return tl_verify_none(NULL) == 0 ? 0 : -1;
}

static void test_verify_none_applies_the_file(void **state)
{
    (void)state;
    start(spawn_suppressed);
    int leaked = 0;
    char *text = verify_to_text(&quick, &leaked);
    if (suppressions_on()) {
        assert_int_equal(leaked, 0);
        assert_string_equal(text, "");
    } else {
        assert_int_equal(leaked, 1);
        assert_non_null(strstr(text, "spawn_suppressed"));
    }
    free(text);
}

static void test_find_counts_suppressed(void **state)
{
    (void)state;
    start(spawn_suppressed);
    start(spawn_plain);
    tl_report *r = tl_find(&quick);
    assert_non_null(r);
    char *json = tl_report_string(r, TL_FORMAT_JSON);
    char *text = tl_report_string(r, TL_FORMAT_TEXT);
    assert_non_null(json);
    assert_non_null(text);
    if (suppressions_on()) {
        assert_int_equal(tl_report_count(r), 1);
        assert_non_null(strstr(json, "\"leaked\": 1"));
        assert_non_null(strstr(json, "\"suppressed\": 1"));
        assert_non_null(strstr(text, "1 suppressed"));
        assert_null(strstr(text, "spawn_suppressed"));
        assert_non_null(strstr(text, "spawn_plain"));
    } else {
        assert_int_equal(tl_report_count(r), 2);
        assert_non_null(strstr(json, "\"suppressed\": 0"));
        assert_non_null(strstr(text, "spawn_suppressed"));
    }
    free(json);
    free(text);
    tl_report_free(r);
}

/* The file and the ignore lists are filters of one check: each takes out its own threads. */
static void test_file_and_ignore_lists_combine(void **state)
{
    (void)state;
    start(spawn_suppressed);
    start(spawn_plain);
    const char *const creator[] = {"spawn_plain", NULL};
    tl_options o = {.ignore_created_by = creator, .linger_ms = TL_LINGER_NONE, .out = stdout};
    assert_int_equal(tl_verify_none(&o), suppressions_on() ? 0 : 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_verify_none_applies_the_file, release_all),
        cmocka_unit_test_teardown(test_find_counts_suppressed, release_all),
        cmocka_unit_test_teardown(test_file_and_ignore_lists_combine, release_all),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
