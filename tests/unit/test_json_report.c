/* The per-process JSON report: every schema field read back with the strict reader, hostile
 * names, absent optional data, write errors, and the atomic file. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* open_memstream */
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"
#include "json_reader.h"
#include "json_report.h"

/* ---- a hand-built findings: two groups, one of each state ---- */

static struct tl__frame creation_a[] = {
    {0x55d4c1a2b3c4, "start_workers", "/src/server.c", 42, "/opt/bin/server", true},
    {0x55d4c1a2b400, "main", NULL, 0, NULL, false},
};
static struct tl__frame current_a[] = {
    {0x7f0000001000, "pthread_cond_wait", NULL, 0, "/lib/x86_64-linux-gnu/libc.so.6", false},
};
static struct tl__frame creation_b[] = {
    {0x1000, "spawn_helper", "helper.c", 7, "/opt/bin/server", false},
};

static struct tl__leaked_thread threads_a[] = {
    {.tid = 4243,
     .serial = 2,
     .name = "work\"er\n1",
     .cancelled = true,
     .wait = "futex wait (condition)"},
    {.tid = 4244, .serial = 3, .name = "\x01\xff\xfe", .cancelled = false, .wait = ""},
};
static struct tl__leaked_thread threads_b[] = {
    /* A name that fills TL_NAME_MAX with no NUL: the writer must stop at the array's end. */
    {.tid = 4245,
     .serial = 4,
     .name = {'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p'}},
};

static char *argv_fixture[] = {"server", "--flag \"x\"", "tab\there", NULL};

static struct tl__leak_group groups_fixture[] = {
    {
        .count = 2,
        .state = TL_LEAK_RUNNING,
        .detached = false,
        .c11 = false,
        .start_routine = "worker_loop",
        .scope = "test_foo",
        .creator_tid = 4242,
        .creator_is_main = true,
        .creator_name = "server",
        .creation_stack = creation_a,
        .creation_depth = 2,
        .site = &creation_a[0],
        .site_offset = 0x13c4,
        .current_stack = current_a,
        .current_depth = 1,
        .current_tid = 4243,
        .stack_status = "ok",
        .threads = threads_a,
    },
    {
        .count = 1,
        .state = TL_LEAK_EXITED,
        .detached = true,
        .c11 = true,
        .start_routine = "??",
        .scope = NULL,
        .creator_tid = 4243,
        .creator_is_main = false,
        .creator_name = "w",
        .creation_stack = creation_b,
        .creation_depth = 1,
        .current_stack = NULL,
        .current_depth = 0,
        .stack_status = "exited",
        .threads = threads_b,
    },
};

static struct tl__findings findings_fixture(void)
{
    return (struct tl__findings){
        .pid = 4242,
        .ppid = 1,
        .exe = "/opt/bin/server",
        .argv = argv_fixture,
        .mode = "tsan",
        .threads_created = 5,
        .leaked = 3,
        .suppressed = 1,
        .suppressed_by_default = 12,
        .default_hits = {{"JVM", "/libjvm.so$", 10}, {"JVM", "/libjli.so$", 2}},
        .ndefault_hits = 2,
        .groups = groups_fixture,
        .ngroups = 2,
    };
}

/* Writes the report to memory and parses it back; fails the test on either error. */
static struct tl__json *report_round_trip(const struct tl__findings *f, char **text_out)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    assert_int_equal(report_write_json(out, f), 0);
    fclose(out);
    char err[160];
    struct tl__json *root = tl__json_parse(text, len, err, sizeof err);
    if (root == NULL)
        fail_msg("report does not parse: %s\n%s", err, text);
    if (text_out != NULL)
        *text_out = text;
    else
        free(text);
    return root;
}

static const char *str(const struct tl__json *obj, const char *key)
{
    const char *s = tl__json_string(tl__json_get(obj, key));
    if (s == NULL)
        fail_msg("\"%s\" is not a string", key);
    return s;
}

static int64_t num(const struct tl__json *obj, const char *key)
{
    int64_t v;
    if (!tl__json_get_int64(tl__json_get(obj, key), &v))
        fail_msg("\"%s\" is not an integer", key);
    return v;
}

static void expect_bool(const struct tl__json *obj, const char *key, bool expected)
{
    const struct tl__json *v = tl__json_get(obj, key);
    assert_int_equal(tl__json_type(v), TL_JSON_BOOL);
    assert_int_equal(tl__json_bool(v), expected);
}

/* ---- top level ---- */

static void test_top_level_fields(void **state)
{
    (void)state;
    struct tl__findings f = findings_fixture();
    struct tl__json *root = report_round_trip(&f, NULL);
    assert_string_equal(str(root, "tool"), "threadleak");
#ifdef THREADLEAK_VERSION_STRING
    assert_string_equal(str(root, "version"), THREADLEAK_VERSION_STRING);
#else
    assert_true(strlen(str(root, "version")) > 0);
#endif
    assert_int_equal(num(root, "schema"), 1);
    assert_int_equal(num(root, "pid"), 4242);
    assert_int_equal(num(root, "ppid"), 1);
    assert_string_equal(str(root, "exe"), "/opt/bin/server");
    assert_string_equal(str(root, "mode"), "tsan");

    const struct tl__json *argv = tl__json_get(root, "argv");
    assert_int_equal(tl__json_length(argv), 3);
    assert_string_equal(tl__json_string(tl__json_index(argv, 0)), "server");
    assert_string_equal(tl__json_string(tl__json_index(argv, 1)), "--flag \"x\"");
    assert_string_equal(tl__json_string(tl__json_index(argv, 2)), "tab\there");

    assert_int_equal(tl__json_length(tl__json_get(root, "leaks")), 2);

    const struct tl__json *summary = tl__json_get(root, "summary");
    assert_int_equal(num(summary, "threads_created"), 5);
    assert_int_equal(num(summary, "leaked"), 3);
    assert_int_equal(num(summary, "suppressed"), 1);
    assert_int_equal(num(summary, "suppressed_by_default"), 12);
    assert_int_equal(tl__json_length(summary), 4);

    /* Which default suppressions took the 12, and how many each. */
    const struct tl__json *hits = tl__json_get(root, "default_suppressions");
    assert_int_equal(tl__json_length(hits), 2);
    assert_string_equal(str(tl__json_index(hits, 0), "runtime"), "JVM");
    assert_string_equal(str(tl__json_index(hits, 0), "pattern"), "/libjvm.so$");
    assert_int_equal(num(tl__json_index(hits, 0), "threads"), 10);
    assert_string_equal(str(tl__json_index(hits, 1), "pattern"), "/libjli.so$");
    assert_int_equal(num(tl__json_index(hits, 1), "threads"), 2);
    tl__json_free(root);
}

static void test_member_order_and_summary_last(void **state)
{
    (void)state;
    static const char *const order[] = {
        "tool",   "version", "schema", "pid",   "ppid",
        "exe",    "argv",    "mode",   "leaks", "default_suppressions",
        "summary"};
    struct tl__findings f = findings_fixture();
    struct tl__json *root = report_round_trip(&f, NULL);
    assert_int_equal(tl__json_length(root), sizeof order / sizeof order[0]);
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        const char *key = NULL;
        assert_non_null(tl__json_member(root, i, &key));
        assert_string_equal(key, order[i]);
    }
    tl__json_free(root);
}

/* ---- leak groups ---- */

static void expect_frame(const struct tl__json *frame, const char *pc, const char *function,
                         const char *file, int line, const char *module)
{
    assert_string_equal(str(frame, "pc"), pc);
    assert_string_equal(str(frame, "function"), function);
    if (file != NULL)
        assert_string_equal(str(frame, "file"), file);
    else
        assert_true(tl__json_is_null(tl__json_get(frame, "file")));
    if (line > 0)
        assert_int_equal(num(frame, "line"), line);
    else
        assert_true(tl__json_is_null(tl__json_get(frame, "line")));
    if (module != NULL)
        assert_string_equal(str(frame, "module"), module);
    else
        assert_true(tl__json_is_null(tl__json_get(frame, "module")));
}

static void test_running_group(void **state)
{
    (void)state;
    struct tl__findings f = findings_fixture();
    struct tl__json *root = report_round_trip(&f, NULL);
    const struct tl__json *g = tl__json_index(tl__json_get(root, "leaks"), 0);

    assert_int_equal(num(g, "count"), 2);
    assert_string_equal(str(g, "state"), "running");
    expect_bool(g, "detached", false);
    expect_bool(g, "c11", false);
    assert_string_equal(str(g, "start_routine"), "worker_loop");
    assert_string_equal(str(g, "scope"), "test_foo");

    const struct tl__json *names = tl__json_get(g, "thread_names");
    assert_int_equal(tl__json_length(names), 2);
    assert_string_equal(tl__json_string(tl__json_index(names, 0)), "work\"er\n1");
    /* A control byte survives exactly; each invalid byte becomes one U+FFFD. */
    assert_string_equal(tl__json_string(tl__json_index(names, 1)), "\x01\xEF\xBF\xBD\xEF\xBF\xBD");

    const struct tl__json *tids = tl__json_get(g, "tids");
    assert_int_equal(tl__json_length(tids), 2);
    assert_int_equal(tl__json_int(tl__json_index(tids, 0)), 4243);
    assert_int_equal(tl__json_int(tl__json_index(tids, 1)), 4244);

    const struct tl__json *serials = tl__json_get(g, "serials");
    assert_int_equal(tl__json_int(tl__json_index(serials, 0)), 2);
    assert_int_equal(tl__json_int(tl__json_index(serials, 1)), 3);

    const struct tl__json *cancelled = tl__json_get(g, "cancelled");
    assert_int_equal(tl__json_length(cancelled), 1);
    assert_int_equal(tl__json_int(tl__json_index(cancelled, 0)), 4243);

    const struct tl__json *wait = tl__json_get(g, "wait");
    assert_int_equal(tl__json_length(wait), 2);
    assert_string_equal(tl__json_string(tl__json_index(wait, 0)), "futex wait (condition)");
    assert_string_equal(tl__json_string(tl__json_index(wait, 1)), "");

    const struct tl__json *creator = tl__json_get(g, "created_by");
    assert_int_equal(num(creator, "tid"), 4242);
    assert_string_equal(str(creator, "name"), "server");
    expect_bool(creator, "main", true);

    const struct tl__json *stack = tl__json_get(g, "creation_stack");
    assert_int_equal(tl__json_length(stack), 2);
    expect_frame(tl__json_index(stack, 0), "0x55d4c1a2b3c4", "start_workers", "/src/server.c", 42,
                 "/opt/bin/server");
    expect_frame(tl__json_index(stack, 1), "0x55d4c1a2b400", "main", NULL, 0, NULL);
    expect_bool(tl__json_index(stack, 0), "inlined", true);
    expect_bool(tl__json_index(stack, 1), "inlined", false);

    const struct tl__json *created_at = tl__json_get(g, "created_at");
    assert_string_equal(str(created_at, "function"), "start_workers");
    assert_string_equal(str(created_at, "file"), "/src/server.c");
    assert_int_equal(num(created_at, "line"), 42);
    assert_string_equal(str(created_at, "module"), "/opt/bin/server");
    assert_string_equal(str(created_at, "offset"), "0x13c4");

    const struct tl__json *current = tl__json_get(g, "current_stack");
    assert_int_equal(tl__json_length(current), 1);
    expect_frame(tl__json_index(current, 0), "0x7f0000001000", "pthread_cond_wait", NULL, 0,
                 "/lib/x86_64-linux-gnu/libc.so.6");
    assert_string_equal(str(g, "stack_status"), "ok");
    tl__json_free(root);
}

static void test_exited_group(void **state)
{
    (void)state;
    struct tl__findings f = findings_fixture();
    struct tl__json *root = report_round_trip(&f, NULL);
    const struct tl__json *g = tl__json_index(tl__json_get(root, "leaks"), 1);

    assert_int_equal(num(g, "count"), 1);
    assert_string_equal(str(g, "state"), "exited");
    expect_bool(g, "detached", true);
    expect_bool(g, "c11", true);
    assert_string_equal(str(g, "start_routine"), "??");
    assert_true(tl__json_is_null(tl__json_get(g, "scope")));
    assert_string_equal(tl__json_string(tl__json_index(tl__json_get(g, "thread_names"), 0)),
                        "abcdefghijklmnop");
    assert_int_equal(tl__json_length(tl__json_get(g, "cancelled")), 0);
    assert_int_equal(tl__json_type(tl__json_get(g, "cancelled")), TL_JSON_ARRAY);

    const struct tl__json *creator = tl__json_get(g, "created_by");
    assert_int_equal(num(creator, "tid"), 4243);
    expect_bool(creator, "main", false);

    expect_frame(tl__json_index(tl__json_get(g, "creation_stack"), 0), "0x1000", "spawn_helper",
                 "helper.c", 7, "/opt/bin/server");
    assert_true(tl__json_is_null(tl__json_get(g, "current_stack")));
    assert_string_equal(str(g, "stack_status"), "exited");
    tl__json_free(root);
}

/* A running thread that blocks every signal: no current stack, and the report says why. */
static void test_running_group_without_stack_says_why(void **state)
{
    (void)state;
    struct tl__leaked_thread t = {.tid = 9, .wait = "read fd 5 (pipe)"};
    struct tl__leak_group g = {.count = 1,
                               .state = TL_LEAK_RUNNING,
                               .start_routine = "deaf_reader",
                               .stack_status = "signals blocked",
                               .threads = &t};
    struct tl__findings f = {.pid = 7, .groups = &g, .ngroups = 1, .leaked = 1};
    struct tl__json *root = report_round_trip(&f, NULL);
    const struct tl__json *leak = tl__json_index(tl__json_get(root, "leaks"), 0);
    assert_true(tl__json_is_null(tl__json_get(leak, "current_stack")));
    assert_string_equal(str(leak, "stack_status"), "signals blocked");
    assert_false(tl__json_bool(tl__json_get(leak, "current_stack_partial")));
    tl__json_free(root);
}

/* A current stack read from /proc that ends early is flagged. */
static void test_partial_current_stack_is_flagged(void **state)
{
    (void)state;
    struct tl__frame frame = {.pc = 0x1000, .function = "poll"};
    struct tl__leaked_thread t = {.tid = 9, .wait = "poll"};
    struct tl__leak_group g = {.count = 1,
                               .state = TL_LEAK_RUNNING,
                               .start_routine = "poller",
                               .current_stack = &frame,
                               .current_depth = 1,
                               .current_partial = true,
                               .stack_status = "ok",
                               .threads = &t};
    struct tl__findings f = {.pid = 7, .groups = &g, .ngroups = 1, .leaked = 1};
    struct tl__json *root = report_round_trip(&f, NULL);
    const struct tl__json *leak = tl__json_index(tl__json_get(root, "leaks"), 0);
    assert_true(tl__json_bool(tl__json_get(leak, "current_stack_partial")));
    tl__json_free(root);
}

/* ---- absent data ---- */

static void test_minimal_findings(void **state)
{
    (void)state;
    struct tl__leaked_thread t = {.tid = 9};
    struct tl__leak_group g = {.count = 1, .threads = &t}; /* everything else unknown */
    struct tl__findings f = {.pid = 7, .groups = &g, .ngroups = 1, .leaked = 1};
    struct tl__json *root = report_round_trip(&f, NULL);
    assert_true(tl__json_is_null(tl__json_get(root, "exe")));
    assert_int_equal(tl__json_type(tl__json_get(root, "argv")), TL_JSON_ARRAY);
    assert_int_equal(tl__json_length(tl__json_get(root, "argv")), 0);
    assert_string_equal(str(root, "mode"), "all");

    const struct tl__json *leak = tl__json_index(tl__json_get(root, "leaks"), 0);
    assert_string_equal(str(leak, "start_routine"), "??");
    assert_true(tl__json_is_null(tl__json_get(tl__json_get(leak, "created_by"), "tid")));
    assert_string_equal(str(tl__json_get(leak, "created_by"), "name"), "");
    assert_int_equal(tl__json_type(tl__json_get(leak, "creation_stack")), TL_JSON_ARRAY);
    assert_int_equal(tl__json_length(tl__json_get(leak, "creation_stack")), 0);
    assert_int_equal(tl__json_type(tl__json_get(leak, "created_at")), TL_JSON_NULL);
    assert_true(tl__json_is_null(tl__json_get(leak, "current_stack")));
    /* Live state not asked for: no reason either, and still a member. */
    assert_int_equal(tl__json_type(tl__json_get(leak, "stack_status")), TL_JSON_NULL);
    assert_int_equal(tl__json_type(tl__json_get(root, "default_suppressions")), TL_JSON_ARRAY);
    assert_int_equal(tl__json_length(tl__json_get(root, "default_suppressions")), 0);
    assert_int_equal(num(tl__json_get(root, "summary"), "suppressed_by_default"), 0);
    tl__json_free(root);
}

static void test_no_leaks(void **state)
{
    (void)state;
    struct tl__findings f = {.pid = 7, .ppid = 6, .threads_created = 12};
    char *text = NULL;
    struct tl__json *root = report_round_trip(&f, &text);
    assert_int_equal(tl__json_type(tl__json_get(root, "leaks")), TL_JSON_ARRAY);
    assert_int_equal(tl__json_length(tl__json_get(root, "leaks")), 0);
    assert_int_equal(num(tl__json_get(root, "summary"), "threads_created"), 12);
    assert_int_equal(num(tl__json_get(root, "summary"), "leaked"), 0);
    assert_non_null(strstr(text, "\"leaks\": [],\n"));
    assert_true(text[strlen(text) - 1] == '\n');
    tl__json_free(root);
    free(text);
}

static void test_write_error(void **state)
{
    (void)state;
    FILE *full = fopen("/dev/full", "w");
    if (full == NULL)
        skip();
    struct tl__findings f = findings_fixture();
    assert_int_equal(report_write_json(full, &f), -1);
    fclose(full);
}

/* ---- the atomic file ---- */

static size_t count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *in = fopen(path, "r");
    assert_non_null(in);
    char *text = NULL;
    size_t cap = 0;
    *len = 0;
    for (;;) {
        text = realloc(text, cap += 4096);
        size_t got = fread(text + *len, 1, cap - *len, in);
        *len += got;
        if (got == 0)
            break;
    }
    fclose(in);
    return text;
}

static void test_atomic_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/tl-json-report-XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct tl__findings f = findings_fixture();
    char path[256];
    mode_t old_mask = umask(077); /* the file must be 0644 whatever the umask */
    assert_int_equal(report_write_json_file_atomic(dir, &f, path, sizeof path), 0);
    /* Written twice: replaced, never duplicated. */
    assert_int_equal(report_write_json_file_atomic(dir, &f, path, sizeof path), 0);
    umask(old_mask);

    char expected[256];
    snprintf(expected, sizeof expected, "%s/threadleak.4242.json", dir);
    assert_string_equal(path, expected);
    assert_int_equal(count_entries(dir), 1); /* no temporary file left */
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);

    size_t len;
    char *text = read_file(path, &len);
    char err[128];
    struct tl__json *root = tl__json_parse(text, len, err, sizeof err);
    if (root == NULL)
        fail_msg("%s", err);
    assert_int_equal(num(root, "pid"), 4242);
    tl__json_free(root);
    free(text);
    unlink(path);
    rmdir(dir);
}

static void test_atomic_file_failure(void **state)
{
    (void)state;
    struct tl__findings f = findings_fixture();
    char path[64] = "unchanged";
    errno = 0;
    assert_int_equal(report_write_json_file_atomic("/nonexistent/tl-dir", &f, path, sizeof path),
                     -1);
    assert_int_equal(errno, ENOENT);
    assert_string_equal(path, "unchanged");
}

static int failing_content(FILE *out, const void *ctx)
{
    (void)ctx;
    fputs("partial", out);
    return -1;
}

static int some_content(FILE *out, const void *ctx)
{
    return fputs(ctx, out) < 0 ? -1 : 0;
}

/* Failures after the temporary file exists must remove it and leave the old report alone. */
static void test_atomic_file_cleans_up(void **state)
{
    (void)state;
    char dir[] = "/tmp/tl-atomic-XXXXXX";
    assert_non_null(mkdtemp(dir));

    errno = 0;
    assert_int_equal(tl__write_file_atomic(dir, "r.json", failing_content, NULL, NULL, 0), -1);
    assert_int_equal(errno, EIO);
    assert_int_equal(count_entries(dir), 0);

    /* The target name is taken by a directory: rename fails. */
    char sub[300];
    snprintf(sub, sizeof sub, "%s/r.json", dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    assert_int_equal(tl__write_file_atomic(dir, "r.json", some_content, "x", NULL, 0), -1);
    assert_int_equal(count_entries(dir), 1);
    rmdir(sub);

    /* A good write, then a failing one: the good file survives intact. */
    assert_int_equal(tl__write_file_atomic(dir, "r.json", some_content, "good\n", NULL, 0), 0);
    assert_int_equal(tl__write_file_atomic(dir, "r.json", failing_content, NULL, NULL, 0), -1);
    assert_int_equal(count_entries(dir), 1);
    size_t len;
    char *text = read_file(sub, &len);
    assert_int_equal(len, 5);
    assert_memory_equal(text, "good\n", 5);
    free(text);
    unlink(sub);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_top_level_fields),
        cmocka_unit_test(test_member_order_and_summary_last),
        cmocka_unit_test(test_running_group),
        cmocka_unit_test(test_exited_group),
        cmocka_unit_test(test_running_group_without_stack_says_why),
        cmocka_unit_test(test_partial_current_stack_is_flagged),
        cmocka_unit_test(test_minimal_findings),
        cmocka_unit_test(test_no_leaks),
        cmocka_unit_test(test_write_error),
        cmocka_unit_test(test_atomic_file),
        cmocka_unit_test(test_atomic_file_failure),
        cmocka_unit_test(test_atomic_file_cleans_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
