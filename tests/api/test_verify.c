/* tl_verify_none and tl_find: what counts as a leak, what the report says, who is never counted,
 * and how the linger budget is spent. */
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

static void *leaky_worker(void *arg)
{
    (void)arg;
    gate_wait(&release);
    return NULL;
}

static void *quick_worker(void *arg)
{
    sleep_ms((unsigned)(size_t)arg);
    return NULL;
}

static void *finishes_at_once(void *arg)
{
    return arg;
}

static void test_clean_process_passes(void **state)
{
    (void)state;
    assert_int_equal(tl_verify_none(NULL), 0);
    assert_null(tl_find(NULL));
}

static void test_leak_names_thread_routine_and_site(void **state)
{
    (void)state;
    gate_close(&release);
    pthread_t t;
    int site = __LINE__ + 1;
    assert_int_equal(pthread_create(&t, NULL, leaky_worker, NULL), 0);
    pthread_setname_np(t, "leaky");

    int leaked = 0;
    char *text = verify_to_text(&(tl_options){.linger_ms = 50}, &leaked);
    printf("%s", text);
    assert_int_equal(leaked, 1);
    assert_non_null(strstr(text, "leaky_worker"));
    assert_non_null(strstr(text, "\"leaky\""));
    assert_non_null(strstr(text, "still running"));
    assert_true(mentions_site(text, "test_verify.c", site));
    /* What it is doing now: blocked in gate_wait, called from leaky_worker. */
    assert_non_null(strstr(text, "blocked in: "));
    const char *current = strstr(text, "current stack (tid ");
    assert_non_null(current);
    assert_non_null(strstr(current, "gate_wait"));
    free(text);

    gate_open(&release);
    pthread_join(t, NULL);
    assert_int_equal(tl_verify_none(NULL), 0);
}

struct checker {
    int leaked;
    char *text;
};

static void *checker_routine(void *arg)
{
    struct checker *c = arg;
    c->text = verify_to_text(&(tl_options){.linger_ms = TL_LINGER_NONE}, &c->leaked);
    return NULL;
}

/* The checking thread is not main, and main is alive (blocked in join): neither is counted. */
static void test_calling_and_main_thread_never_count(void **state)
{
    (void)state;
    struct checker c = {0};
    pthread_t checker;
    assert_int_equal(pthread_create(&checker, NULL, checker_routine, &c), 0);
    pthread_join(checker, NULL);
    assert_int_equal(c.leaked, 0);
    free(c.text);

    /* ...while a thread that is neither is counted, from the same checking thread. */
    gate_close(&release);
    pthread_t worker;
    assert_int_equal(pthread_create(&worker, NULL, leaky_worker, NULL), 0);
    assert_int_equal(pthread_create(&checker, NULL, checker_routine, &c), 0);
    pthread_join(checker, NULL);
    assert_int_equal(c.leaked, 1);
    assert_non_null(strstr(c.text, "leaky_worker"));
    assert_null(strstr(c.text, "checker_routine"));
    free(c.text);
    gate_open(&release);
    pthread_join(worker, NULL);
}

struct reaper_job {
    pthread_t target;
};

static void *reaper(void *arg)
{
    struct reaper_job *job = arg;
    pthread_join(job->target, NULL);
    free(job);
    return NULL;
}

/* Detached threads that finish within the budget, and a joinable one that another thread joins:
 * all clean, and the call returns when the last one is gone, not at the end of the budget. */
static void test_threads_exiting_in_linger_window_are_clean(void **state)
{
    (void)state;
    pthread_attr_t detached;
    pthread_attr_init(&detached);
    pthread_attr_setdetachstate(&detached, PTHREAD_CREATE_DETACHED);
    for (size_t ms = 10; ms <= 40; ms += 10) {
        pthread_t t;
        assert_int_equal(pthread_create(&t, &detached, quick_worker, (void *)ms), 0);
    }
    struct reaper_job *job = malloc(sizeof *job);
    assert_int_equal(pthread_create(&job->target, NULL, quick_worker, (void *)(size_t)60), 0);
    pthread_t r;
    assert_int_equal(pthread_create(&r, &detached, reaper, job), 0);
    pthread_attr_destroy(&detached);

    double start = now_ms();
    int leaked = tl_verify_none(&(tl_options){.linger_ms = 2000});
    double elapsed = now_ms() - start;
    printf("threads exiting within 60 ms, budget 2000 ms: verdict after %.1f ms\n", elapsed);
    assert_int_equal(leaked, 0);
}

static void test_leak_path_spends_the_budget(void **state)
{
    (void)state;
    gate_close(&release);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, leaky_worker, NULL), 0);
    int leaked = 0;
    double start = now_ms();
    char *text = verify_to_text(&(tl_options){.linger_ms = 200}, &leaked);
    double elapsed = now_ms() - start;
    free(text);
    printf("one leaked thread, budget 200 ms: verdict after %.1f ms\n", elapsed);
    assert_int_equal(leaked, 1);
    gate_open(&release);
    pthread_join(t, NULL);
}

static void test_linger_none_does_not_wait(void **state)
{
    (void)state;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, quick_worker, (void *)(size_t)300), 0);
    int leaked = 0;
    char *text = verify_to_text(&(tl_options){.linger_ms = TL_LINGER_NONE}, &leaked);
    assert_int_equal(leaked, 1);
    assert_non_null(strstr(text, "quick_worker"));
    free(text);
    pthread_join(t, NULL);
}

static void test_finished_but_unjoined_is_a_leak_in_both_modes(void **state)
{
    (void)state;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, finishes_at_once, NULL), 0);
    int leaked = 0;
    /* The thread finishes on its own; the linger waits for that, then reports it. */
    char *text = verify_to_text(&(tl_options){.linger_ms = 1000}, &leaked);
    assert_int_equal(leaked, 1);
    assert_non_null(strstr(text, "finished but never joined"));
    assert_non_null(strstr(text, "finishes_at_once"));
    free(text);
    text = verify_to_text(&(tl_options){.linger_ms = 1000, .mode = TL_MODE_TSAN}, &leaked);
    assert_int_equal(leaked, 1);
    free(text);
    pthread_join(t, NULL);
    assert_int_equal(tl_verify_none(&(tl_options){.mode = TL_MODE_TSAN}), 0);
}

static void test_tsan_mode_ignores_running_threads(void **state)
{
    (void)state;
    gate_close(&release);
    pthread_t joinable, detached;
    assert_int_equal(pthread_create(&joinable, NULL, leaky_worker, NULL), 0);
    assert_int_equal(pthread_create(&detached, NULL, leaky_worker, NULL), 0);
    pthread_detach(detached);
    tl_options tsan = {.mode = TL_MODE_TSAN, .linger_ms = TL_LINGER_NONE};
    assert_int_equal(tl_verify_none(&tsan), 0);
    tl_options all = {.linger_ms = TL_LINGER_NONE, .out = stdout};
    assert_int_equal(tl_verify_none(&all), 2); /* a detached running thread leaks too */
    gate_open(&release);
    pthread_join(joinable, NULL);
    /* The detached one is on its way out: the linger waits for it (and no longer). */
    assert_int_equal(tl_verify_none(&(tl_options){.linger_ms = 5000}), 0);
}

static void test_find_and_report_formats(void **state)
{
    (void)state;
    gate_close(&release);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, leaky_worker, NULL), 0);
    tl_report *r = tl_find(&(tl_options){.linger_ms = TL_LINGER_NONE});
    assert_non_null(r);
    assert_int_equal(tl_report_count(r), 1);

    char *text = tl_report_string(r, TL_FORMAT_TEXT);
    assert_non_null(strstr(text, "leaky_worker"));
    assert_null(strchr(text, '\033'));
    free(text);
    char *colored = tl_report_string(r, TL_FORMAT_TEXT | TL_FORMAT_COLOR);
    assert_non_null(strchr(colored, '\033'));
    free(colored);
    char *json = tl_report_string(r, TL_FORMAT_JSON);
    assert_non_null(strstr(json, "\"start_routine\": \"leaky_worker\""));
    assert_non_null(strstr(json, "\"leaked\": 1"));
    free(json);
    assert_int_equal(tl_report_write(r, stdout, 7), -1);
    assert_null(tl_report_string(r, 0));

    tl_report_free(r);
    gate_open(&release);
    pthread_join(t, NULL);
    assert_int_equal(tl_report_count(NULL), 0);
    tl_report_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_process_passes),
        cmocka_unit_test(test_leak_names_thread_routine_and_site),
        cmocka_unit_test(test_calling_and_main_thread_never_count),
        cmocka_unit_test(test_threads_exiting_in_linger_window_are_clean),
        cmocka_unit_test(test_leak_path_spends_the_budget),
        cmocka_unit_test(test_linger_none_does_not_wait),
        cmocka_unit_test(test_finished_but_unjoined_is_a_leak_in_both_modes),
        cmocka_unit_test(test_tsan_mode_ignores_running_threads),
        cmocka_unit_test(test_find_and_report_formats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
