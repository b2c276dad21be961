/* The growth history (rings, sites merged from several keys, the window) and its renderings:
 * the text page, the JSON page read back, and the Prometheus families with their cap. */
#define _GNU_SOURCE /* open_memstream, setenv */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "growth_history.h"
#include "growth_report.h"
#include "json_reader.h"

#define T0 1796686337000

/* Sites by the example's start routine: (void *)1 and (void *)2 are "worker" at server.c:61
 * (one function called from two places), 3 is "pool" at pool.c:80, 4 a site without lines. */
static bool resolve(const struct tl__thread_info *t, struct growth_site *site)
{
    uintptr_t id = (uintptr_t)t->start_routine;
    if (id == 1 || id == 2)
        *site = (struct growth_site){"worker", "handle_request", "/src/server.c", 61};
    else if (id == 3)
        *site = (struct growth_site){"pool", "start_pool", "/src/pool.c", 80};
    else
        *site = (struct growth_site){"lib+0x10", "lib+0x20", NULL, 0};
    return true;
}

static int group(struct growth_history *h, uintptr_t id)
{
    struct growth_key key = {.start = (void *)id};
    struct tl__thread_info example = {.start_routine = (void *)id};
    return growth_history_group(h, &key, &example);
}

static char *render(int (*write)(FILE *, const struct growth_view *), const struct growth_view *v)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    assert_int_equal(write(out, v), 0);
    fclose(out);
    return text;
}

/* Two keys of one site are one group; a group seen late starts at its first sample; the ring
 * keeps the latest window only. */
static void test_history_merges_keys_and_keeps_the_window(void **state)
{
    (void)state;
    struct growth_history *h = growth_history_new(1000, 10); /* 10 samples */
    assert_non_null(h);
    assert_int_equal(growth_history_interval_ms(h), 1000);
    assert_int_equal(group(h, 1), 0);
    assert_int_equal(group(h, 3), 1);
    assert_int_equal(group(h, 1), 0);
    for (uint32_t k = 0; k < 14; k++) {
        if (k == 12)
            assert_int_equal(group(h, 2), 2); /* the site's second key, from sample 12 on */
        uint32_t live[3] = {k + 1, 4, 100};
        uint32_t created[3] = {1, k == 0 ? 4 : 0, k == 12 ? 100 : 0};
        growth_history_add(h, T0 + k * 1000, live, created, 0);
    }
    struct growth_view v;
    assert_int_equal(growth_history_view(h, resolve, &v), 0);
    growth_view_judge(&v);
    assert_int_equal(v.ngroups, 2);
    assert_int_equal(v.max_samples, 10);
    assert_int_equal(v.samples_taken, 14);
    const struct growth_group_view *w = &v.groups[0];
    assert_string_equal(w->site.start_routine, "worker");
    assert_int_equal(w->trend.trend, GROWTH_GROWING);
    assert_int_equal(w->nsamples, 10);
    assert_true(w->t_ms[0] == T0 + 4000);
    assert_int_equal(w->counts[0], 5);        /* samples 4..11: key 1 alone */
    assert_int_equal(w->counts[8], 13 + 100); /* 12 and 13: both keys */
    assert_int_equal(w->live, 114);
    assert_int_equal(w->created_total, 114);
    assert_int_equal(w->exited_total, 0);
    const struct growth_group_view *p = &v.groups[1];
    assert_string_equal(p->site.file, "/src/pool.c");
    assert_int_equal(p->trend.trend, GROWTH_STEADY);
    assert_int_equal(p->live, 4);
    growth_view_free(&v);
    growth_history_free(h);
}

/* A window of more samples than kept is sampled less often instead. */
static void test_long_windows_are_sampled_less_often(void **state)
{
    (void)state;
    struct growth_history *h = growth_history_new(50, 3600);
    assert_int_equal(growth_history_interval_ms(h), 3600000 / GROWTH_MAX_SAMPLES + 1);
    growth_history_free(h);
    h = growth_history_new(10000, 3600);
    assert_int_equal(growth_history_interval_ms(h), 10000);
    growth_history_free(h);
}

static struct growth_view sample_view(struct growth_history **hp)
{
    struct growth_history *h = growth_history_new(1000, 60);
    assert_int_equal(group(h, 1), 0);
    assert_int_equal(group(h, 3), 1);
    assert_int_equal(group(h, 4), 2);
    for (uint32_t k = 0; k < 12; k++) {
        uint32_t live[3] = {k + 1, 4, 2}, created[3] = {1, k ? 0 : 4, k ? 1 : 2};
        growth_history_add(h, T0 + k * 1000, live, created, 0);
    }
    struct growth_view v;
    assert_int_equal(growth_history_view(h, resolve, &v), 0);
    growth_view_judge(&v);
    *hp = h;
    return v;
}

static void test_text_page(void **state)
{
    (void)state;
    struct growth_history *h;
    struct growth_view v = sample_view(&h);
    char *text = render(growth_write_text, &v);
    assert_non_null(strstr(text, "threadleak growth: 3 creation sites, 1 growing; a sample every "
                                 "1000 ms, a window of 60 s (60 samples), 12 samples taken\n"));
    assert_non_null(strstr(text, "growing   worker, created at /src/server.c:61 in "
                                 "handle_request: 12 live (12 created, 0 exited), +3600.0/hour\n"));
    assert_non_null(strstr(text, "steady    lib+0x10, created at lib+0x20: 2 live (13 created, "
                                 "11 exited)"));
    assert_non_null(strstr(text, "first sample 2026-12-07 23:32:17 UTC: 1, last 2026-12-07 "
                                 "23:32:28 UTC: 12 (12 samples)\n"));
    free(text);
    growth_view_free(&v);
    growth_history_free(h);
}

static void test_json_page(void **state)
{
    (void)state;
    struct growth_history *h;
    struct growth_view v = sample_view(&h);
    char *text = render(growth_write_json, &v);
    char err[128];
    struct tl__json *doc = tl__json_parse(text, strlen(text), err, sizeof err);
    assert_non_null(doc);
    assert_int_equal(tl__json_int(tl__json_get(doc, "sample_ms")), 1000);
    assert_int_equal(tl__json_int(tl__json_get(doc, "window_s")), 60);
    const struct tl__json *groups = tl__json_get(doc, "groups");
    assert_int_equal(tl__json_length(groups), 3);
    const struct tl__json *g = tl__json_index(groups, 0);
    assert_string_equal(tl__json_string(tl__json_get(g, "trend")), "growing");
    assert_true(tl__json_number(tl__json_get(g, "growth_per_hour")) == 3600);
    const struct tl__json *at = tl__json_get(g, "created_at");
    assert_string_equal(tl__json_string(tl__json_get(at, "function")), "handle_request");
    assert_int_equal(tl__json_int(tl__json_get(at, "line")), 61);
    const struct tl__json *last = tl__json_index(tl__json_get(g, "samples"), 11);
    assert_true(tl__json_int(tl__json_index(last, 0)) == T0 + 11000);
    assert_int_equal(tl__json_int(tl__json_index(last, 1)), 12);
    const struct tl__json *nofile = tl__json_get(tl__json_index(groups, 2), "created_at");
    assert_true(tl__json_is_null(tl__json_get(nofile, "file")));
    tl__json_free(doc);
    free(text);
    growth_view_free(&v);
    growth_history_free(h);
}

static void test_metrics(void **state)
{
    (void)state;
    struct growth_history *h;
    struct growth_view v = sample_view(&h);
    char *text = render(growth_write_metrics, &v);
    assert_non_null(strstr(text, "# TYPE threadleak_threads_by_site gauge\n"
                                 "threadleak_threads_by_site{start_routine=\"worker\",site=\"/src/"
                                 "server.c:61\"} 12\n"));
    assert_non_null(strstr(text, "threadleak_threads_created_by_site_total{start_routine=\"pool\","
                                 "site=\"/src/pool.c:80\"} 4\n"));
    assert_non_null(strstr(text, "threadleak_group_growing{start_routine=\"worker\",site=\"/src/"
                                 "server.c:61\"} 1\n"));
    assert_non_null(strstr(text, "threadleak_group_growing{start_routine=\"lib+0x10\",site=\"lib+"
                                 "0x20\"} 0\n"));
    assert_non_null(strstr(text, "threadleak_growth_sites_omitted 0\n"));
    assert_non_null(strstr(text, "threadleak_growth_samples_total 12\n"));
    free(text);
    growth_view_free(&v);
    growth_history_free(h);
}

/* Past GROWTH_METRICS_MAX_SITES sites, the rest are counted, not written. */
static void test_metrics_cap_label_sets(void **state)
{
    (void)state;
    struct growth_view v = {.ngroups = GROWTH_METRICS_MAX_SITES + 5};
    v.groups = calloc(v.ngroups, sizeof *v.groups);
    char files[GROWTH_METRICS_MAX_SITES + 5][32];
    for (size_t i = 0; i < v.ngroups; i++) {
        snprintf(files[i], sizeof files[i], "f%zu.c", i);
        v.groups[i].site = (struct growth_site){"w", "f", files[i], 1};
    }
    char *text = render(growth_write_metrics, &v);
    size_t series = 0;
    for (const char *p = text; (p = strstr(p, "\nthreadleak_threads_by_site{")); p++)
        series++;
    assert_int_equal(series, GROWTH_METRICS_MAX_SITES);
    assert_non_null(strstr(text, "threadleak_growth_sites_omitted 5\n"));
    free(text);
    free(v.groups);
}

int main(void)
{
    setenv("TZ", "UTC", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_history_merges_keys_and_keeps_the_window),
        cmocka_unit_test(test_long_windows_are_sampled_less_often),
        cmocka_unit_test(test_text_page),
        cmocka_unit_test(test_json_page),
        cmocka_unit_test(test_metrics),
        cmocka_unit_test(test_metrics_cap_label_sets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
