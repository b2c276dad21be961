/* The check pipeline: the verdict's list of filters (order, counts, each asked once per thread),
 * the request every caller builds from the configuration, and the live-dump options it reads. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* mkstemp */
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "check.h"
#include "registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NTHREADS 4

/* Finished, never joined: a leak in both modes, and nothing to wait for. */
static struct tl__thread_record *finished_unjoined(uintptr_t n)
{
    struct tl__thread_record *r = registry_new_record();
    assert_non_null(r);
    registry_publish(r, (pthread_t)(0x7e0000000000u + n * 0x801000u));
    registry_release_creator_hold(r);
    registry_thread_started(r, (pid_t)(4000 + n));
    registry_thread_exited(r, NULL);
    return r;
}

static void start_threads(struct tl__thread_record *r[NTHREADS])
{
    for (uintptr_t i = 0; i < NTHREADS; i++)
        r[i] = finished_unjoined(i + 1);
}

static void join_threads(struct tl__thread_record *r[NTHREADS])
{
    for (size_t i = 0; i < NTHREADS; i++)
        registry_thread_joined(r[i]);
}

/* A filter that ignores the threads whose tids it lists, and counts how often it is asked. */
struct tid_filter {
    pid_t tids[NTHREADS];
    size_t ntids;
    unsigned asked[NTHREADS + 1];
};

static bool ignores_listed_tid(const struct tl__thread_info *t, void *ctx)
{
    struct tid_filter *f = ctx;
    size_t slot = (size_t)(t->tid - 4000);
    f->asked[slot < NTHREADS + 1 ? slot : 0]++;
    for (size_t i = 0; i < f->ntids; i++) {
        if (f->tids[i] == t->tid)
            return true;
    }
    return false;
}

static struct tl__verdict_request no_wait(const struct tl__verdict_filter *filters, size_t n)
{
    return (struct tl__verdict_request){
        .mode = TL_MODE_ALL, .linger_ms = 0, .filters = filters, .nfilters = n};
}

static void first_matching_filter_takes_the_thread(void **state)
{
    (void)state;
    struct tl__thread_record *r[NTHREADS];
    start_threads(r);
    struct tid_filter a = {.tids = {4001, 4002}, .ntids = 2};
    struct tid_filter b = {.tids = {4002, 4003}, .ntids = 2};
    struct tl__verdict_filter filters[] = {
        {"a", ignores_listed_tid, &a},
        {"b", ignores_listed_tid, &b},
    };
    struct tl__verdict_request req = no_wait(filters, 2);
    struct tl__verdict v;
    assert_int_equal(verdict_run(&req, &v), 0);
    assert_int_equal(v.nleaks, 1);
    assert_int_equal(v.leaks[0].tid, 4004);
    assert_int_equal(v.ignored, 3);
    assert_int_equal(v.ignored_by[0], 2); /* 4001 and 4002 */
    assert_int_equal(v.ignored_by[1], 1); /* 4003: 4002 was a's already */
    /* Each filter is asked once per thread at most, and b never about what a took. */
    for (size_t i = 1; i <= NTHREADS; i++)
        assert_int_equal(a.asked[i], 1);
    assert_int_equal(b.asked[1], 0);
    assert_int_equal(b.asked[2], 0);
    assert_int_equal(b.asked[3], 1);
    assert_int_equal(b.asked[4], 1);
    verdict_free(&v);
    join_threads(r);
}

static void no_filters_no_suppressed(void **state)
{
    (void)state;
    struct tl__thread_record *r[NTHREADS];
    start_threads(r);
    struct tl__verdict_request req = no_wait(NULL, 0);
    struct tl__verdict v;
    assert_int_equal(verdict_run(&req, &v), 0);
    assert_int_equal(v.nleaks, NTHREADS);
    assert_int_equal(v.ignored, 0);
    verdict_free(&v);
    join_threads(r);
}

static void too_many_filters_is_an_error(void **state)
{
    (void)state;
    struct tl__verdict_filter filters[TL_VERDICT_MAX_FILTERS + 1] = {0};
    struct tl__verdict_request req = no_wait(filters, TL_VERDICT_MAX_FILTERS + 1);
    struct tl__verdict v;
    assert_int_equal(verdict_run(&req, &v), -1);
    assert_int_equal(v.nleaks, 0);
    assert_null(v.leaks);
}

static void live_options_come_from_the_config(void **state)
{
    (void)state;
    struct tl__config cfg;
    options_defaults(&cfg);
    cfg.dump_signal = 40;
    cfg.dump_timeout_ms = 250;
    struct live_stacks_options o = check_live_options(&cfg);
    assert_int_equal(o.signal, 40);
    assert_int_equal(o.deadline_ms, 250);
    assert_false(o.nosignal);
    cfg.stacks = TL_STACKS_NOSIGNAL;
    assert_true(check_live_options(&cfg).nosignal);
}

static void request_without_a_file_has_no_filters(void **state)
{
    (void)state;
    struct tl__config cfg;
    options_defaults(&cfg);
    cfg.default_suppressions = false;
    cfg.mode = TL_MODE_TSAN;
    cfg.linger_ms = 123;
    struct tl__check_request req;
    check_request_init(&req, &cfg, 77);
    assert_int_equal(req.verdict.mode, TL_MODE_TSAN);
    assert_int_equal(req.verdict.linger_ms, 123);
    assert_int_equal(req.verdict.calling_tid, 77);
    assert_int_equal(req.nfilters, 0);
    assert_true(req.live_state);
    assert_false(req.findings_when_clean);
    check_request_fini(&req);
}

static void request_with_a_file_filters_by_it(void **state)
{
    (void)state;
    char path[] = "/tmp/threadleak_check_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    static const char text[] = "thread:some_routine\n";
    assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fd);
    struct tl__config cfg;
    options_defaults(&cfg);
    snprintf(cfg.suppressions, sizeof cfg.suppressions, "%s", path);
    struct tl__check_request req;
    check_request_init(&req, &cfg, 0);
    assert_int_equal(req.nfilters, 2);
    assert_string_equal(req.filters[0].name, "default suppressions");
    assert_string_equal(req.filters[1].name, "suppressions");
    struct tid_filter mine = {0};
    assert_int_equal(check_add_filter(&req, "mine", ignores_listed_tid, &mine), 0);
    assert_int_equal(req.nfilters, 3);
    assert_string_equal(req.filters[2].name, "mine");
    check_request_fini(&req);
    unlink(path);
}

static void unreadable_file_is_left_out(void **state)
{
    (void)state;
    struct tl__config cfg;
    options_defaults(&cfg);
    snprintf(cfg.suppressions, sizeof cfg.suppressions, "/nonexistent/threadleak.supp");
    struct tl__check_request req;
    check_request_init(&req, &cfg, 0); /* says so on stderr */
    assert_int_equal(req.nfilters, 1);
    assert_string_equal(req.filters[0].name, "default suppressions");
    check_request_fini(&req);
}

static void filter_list_is_bounded(void **state)
{
    (void)state;
    struct tl__config cfg;
    options_defaults(&cfg);
    struct tl__check_request req;
    check_request_init(&req, &cfg, 0);
    struct tid_filter f = {0};
    for (size_t i = req.nfilters; i < TL_VERDICT_MAX_FILTERS; i++)
        assert_int_equal(check_add_filter(&req, "f", ignores_listed_tid, &f), 0);
    assert_int_equal(check_add_filter(&req, "one too many", ignores_listed_tid, &f), -1);
    check_request_fini(&req);
}

/* The pipeline end to end on finished threads (nothing running: no live dump): suppressed is the
 * filters' total, and a clean check gives findings only when asked to. */
static void check_counts_what_the_filters_took(void **state)
{
    (void)state;
    struct tl__thread_record *r[NTHREADS];
    start_threads(r);
    struct tl__config cfg;
    options_defaults(&cfg);
    cfg.linger_ms = 0;
    cfg.default_suppressions = false; /* their own test: test_default_suppressions */
    struct tl__check_request req;
    check_request_init(&req, &cfg, 0);
    struct tid_filter some = {.tids = {4001, 4003}, .ntids = 2};
    check_add_filter(&req, "some", ignores_listed_tid, &some);
    struct tl__check_result result;
    check_run(&req, &result);
    assert_non_null(result.findings);
    assert_int_equal(result.findings->leaked, 2);
    assert_int_equal(result.findings->suppressed, 2);
    assert_int_equal(result.ignored_by[0], 2);
    findings_free(result.findings);

    struct tid_filter all = {.tids = {4001, 4002, 4003, 4004}, .ntids = 4};
    req.filters[0].ctx = &all;
    check_run(&req, &result);
    assert_null(result.findings);
    req.findings_when_clean = true;
    check_run(&req, &result);
    assert_non_null(result.findings);
    assert_int_equal(result.findings->leaked, 0);
    assert_int_equal(result.findings->suppressed, 4);
    findings_free(result.findings);
    check_request_fini(&req);
    join_threads(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(first_matching_filter_takes_the_thread),
        cmocka_unit_test(no_filters_no_suppressed),
        cmocka_unit_test(too_many_filters_is_an_error),
        cmocka_unit_test(live_options_come_from_the_config),
        cmocka_unit_test(request_without_a_file_has_no_filters),
        cmocka_unit_test(request_with_a_file_filters_by_it),
        cmocka_unit_test(unreadable_file_is_left_out),
        cmocka_unit_test(filter_list_is_bounded),
        cmocka_unit_test(check_counts_what_the_filters_took),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
