/* The merged JSON's leak_groups over hand-written per-process reports: what is in the key (start
 * routine, site by function/file/line, or by module and offset without line info, state) and what
 * is not (pids, pcs, detachment), reports from before created_at, the order, and byte-identical
 * output for the same reports. */
#include "json_reader.h"
#include "report_merge.h"
#include "test_cli_helpers.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* One leak object. site is the created_at member's value ("" to leave the member out, as a
 * report from before it did); stack is the creation_stack array. */
static char *leak(const char *routine, const char *state, unsigned count, const char *site,
                  const char *stack)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    fprintf(out,
            "{\"count\": %u, \"state\": \"%s\", \"detached\": false, \"c11\": false, "
            "\"start_routine\": \"%s\", \"scope\": null, \"creation_stack\": %s",
            count, state, routine, stack);
    if (site[0])
        fprintf(out, ", \"created_at\": %s", site);
    fputc('}', out);
    fclose(out);
    return text;
}

/* A report as the shim writes it (docs/json-schema.md) with these leak objects. */
static void write_report(const char *dir, long pid, const char *const *leaks, size_t n)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/threadleak.%ld.json", dir, pid);
    FILE *out = fopen(path, "w");
    assert_non_null(out);
    fprintf(out,
            "{\"tool\": \"threadleak\", \"version\": \"0.1.0\", \"schema\": 1, \"pid\": %ld, "
            "\"ppid\": 1, \"exe\": \"/bin/prog\", \"argv\": [\"prog\"], \"mode\": \"all\", "
            "\"leaks\": [",
            pid);
    unsigned leaked = 0;
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "%s%s", i ? ", " : "", leaks[i]);
        const char *count = strstr(leaks[i], "\"count\": ");
        leaked += (unsigned)atoi(count + 9);
    }
    fprintf(out, "], \"summary\": {\"threads_created\": 9, \"leaked\": %u, \"suppressed\": 0}}\n",
            leaked);
    fclose(out);
}

#define SITE_MAIN_41                                                                               \
    "{\"function\": \"main\", \"file\": \"/src/server.c\", \"line\": 41, \"module\": "             \
    "\"/bin/server\", \"offset\": \"0x1189\"}"
/* Another build: another offset, the same line. */
#define SITE_MAIN_41_REBUILT                                                                       \
    "{\"function\": \"main\", \"file\": \"/src/server.c\", \"line\": 41, \"module\": "             \
    "\"/bin/server\", \"offset\": \"0x2aa0\"}"
#define SITE_MAIN_44                                                                               \
    "{\"function\": \"main\", \"file\": \"/src/server.c\", \"line\": 44, \"module\": "             \
    "\"/bin/server\", \"offset\": \"0x11c0\"}"
#define SITE_LIB(off)                                                                              \
    "{\"function\": \"lzma_start\", \"file\": null, \"line\": null, \"module\": "                  \
    "\"/lib/liblzma.so.5\", \"offset\": \"" off "\"}"
/* The stack of a report from before created_at: std::thread's own frames first, then the
 * user's, then the C library's start-up. */
#define OLD_STACK_MAIN_41                                                                          \
    "[{\"pc\": \"0x7f01\", \"function\": \"std::thread::_M_start_thread(...)\", \"file\": null, "  \
    "\"line\": null, \"module\": \"/lib/libstdc++.so.6\", \"inlined\": false}, "                   \
    "{\"pc\": \"0x5501\", \"function\": \"main\", \"file\": \"/src/server.c\", \"line\": 41, "     \
    "\"module\": \"/bin/server\", \"inlined\": false}, "                                           \
    "{\"pc\": \"0x7f02\", \"function\": \"__libc_start_main\", \"file\": null, \"line\": null, "   \
    "\"module\": \"/lib/libc.so.6\", \"inlined\": false}]"

static const struct tl__json *group_at(const struct tl__json *root, size_t i)
{
    return tl__json_index(tl__json_get(root, "leak_groups"), i);
}

static int64_t int_of(const struct tl__json *g, const char *key)
{
    return tl__json_int(tl__json_get(g, key));
}

static void expect_pids(const struct tl__json *g, const long *pids, size_t n)
{
    const struct tl__json *list = tl__json_get(g, "processes");
    assert_int_equal(tl__json_length(list), n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(tl__json_int(tl__json_index(list, i)), pids[i]);
}

static void test_key_and_order(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    char *a[] = {
        leak("reader", "running", 2, SITE_MAIN_41, "[]"),
        leak("reader", "running", 1, SITE_MAIN_44, "[]"),       /* another line */
        leak("reader", "exited", 1, SITE_MAIN_41, "[]"),        /* another state */
        leak("writer", "running", 1, SITE_MAIN_41, "[]"),       /* another routine */
        leak("worker", "running", 1, SITE_LIB("0xcce0"), "[]"), /* no line info */
    };
    char *b[] = {
        leak("reader", "running", 3, SITE_MAIN_41_REBUILT, "[]"), /* same line, other pc */
        leak("reader", "running", 1, "", OLD_STACK_MAIN_41),      /* from before created_at */
        leak("worker", "running", 1, SITE_LIB("0xcce0"), "[]"),
        leak("worker", "running", 1, SITE_LIB("0xd000"), "[]"), /* no line info: the offset */
    };
    write_report(dir, 300, (const char *const *)a, 5);
    write_report(dir, 200, (const char *const *)b, 4);

    struct tl__merge_result m;
    assert_int_equal(report_merge_dir(dir, 300, &m), 0);
    char err[256];
    struct tl__json *root = tl__json_parse(m.json, strlen(m.json), err, sizeof err);
    if (!root)
        fail_msg("%s:\n%s", err, m.json);
    assert_int_equal(tl__json_length(tl__json_get(root, "leak_groups")), 6);

    /* reader at line 41, running: 2 + 3 + 1, in 300 (the target, first) and 200. */
    const struct tl__json *g = group_at(root, 0);
    assert_string_equal(tl__json_string(tl__json_get(g, "start_routine")), "reader");
    assert_string_equal(tl__json_string(tl__json_get(g, "state")), "running");
    assert_int_equal(int_of(g, "count"), 6);
    assert_int_equal(int_of(tl__json_get(g, "created_at"), "line"), 41);
    /* The first leak's site: the offset of process 300's build. */
    assert_string_equal(tl__json_string(tl__json_get(tl__json_get(g, "created_at"), "offset")),
                        "0x1189");
    expect_pids(g, (const long[]){300, 200}, 2);
    assert_int_equal(tl__json_length(tl__json_get(g, "labels")), 0);

    /* Then worker at liblzma+0xcce0 in both: 2. */
    g = group_at(root, 1);
    assert_string_equal(tl__json_string(tl__json_get(g, "start_routine")), "worker");
    assert_int_equal(int_of(g, "count"), 2);
    assert_true(tl__json_is_null(tl__json_get(tl__json_get(g, "created_at"), "line")));
    expect_pids(g, (const long[]){300, 200}, 2);

    /* The four of one thread, by start routine, state, file, line, function, module, offset. */
    static const char *const rest[][2] = {
        {"reader", "exited"},
        {"reader", "running"},
        {"worker", "running"},
        {"writer", "running"},
    };
    for (size_t i = 0; i < 4; i++) {
        g = group_at(root, 2 + i);
        assert_int_equal(int_of(g, "count"), 1);
        assert_string_equal(tl__json_string(tl__json_get(g, "start_routine")), rest[i][0]);
        assert_string_equal(tl__json_string(tl__json_get(g, "state")), rest[i][1]);
    }
    assert_int_equal(int_of(tl__json_get(group_at(root, 3), "created_at"), "line"), 44);
    assert_string_equal(
        tl__json_string(tl__json_get(tl__json_get(group_at(root, 4), "created_at"), "offset")),
        "0xd000");

    /* The same reports, the same bytes. */
    struct tl__merge_result again;
    assert_int_equal(report_merge_dir(dir, 300, &again), 0);
    assert_string_equal(m.json, again.json);
    report_merge_free(&again);

    tl__json_free(root);
    report_merge_free(&m);
    for (size_t i = 0; i < 5; i++)
        free(a[i]);
    for (size_t i = 0; i < 4; i++)
        free(b[i]);
    remove_tree(dir);
    free(dir);
}

/* Nothing leaked: an empty array, still there. */
static void test_clean_run_has_empty_groups(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    write_report(dir, 10, NULL, 0);
    struct tl__merge_result m;
    assert_int_equal(report_merge_dir(dir, 10, &m), 0);
    char err[256];
    struct tl__json *root = tl__json_parse(m.json, strlen(m.json), err, sizeof err);
    assert_non_null(root);
    assert_int_equal(tl__json_type(tl__json_get(root, "leak_groups")), TL_JSON_ARRAY);
    assert_int_equal(tl__json_length(tl__json_get(root, "leak_groups")), 0);
    tl__json_free(root);
    report_merge_free(&m);
    remove_tree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_and_order),
        cmocka_unit_test(test_clean_run_has_empty_groups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
