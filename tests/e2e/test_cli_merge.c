/* report_merge_dir over hand-written per-process reports: order, headers, the summary line,
 * the merged JSON (checked by parsing it back), and reports that are corrupt in various ways. */
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

/* A report as the shim writes it (docs/json-schema.md), with leaked threads in summary.leaked. */
static void write_report(const char *dir, long pid, unsigned leaked, const char *extra)
{
    char path[4300], text[2048];
    snprintf(path, sizeof path, "%s/threadleak.%ld.json", dir, pid);
    snprintf(text, sizeof text,
             "{\n  \"tool\": \"threadleak\",\n  \"version\": \"0.1.0\",\n  \"schema\": 1,\n"
             "  \"pid\": %ld,\n  \"ppid\": 1,\n  \"exe\": \"/bin/prog%ld\",\n"
             "  \"argv\": [\"prog\", \"a\\nb\"],\n  \"mode\": \"all\",\n  \"leaks\": [],\n%s"
             "  \"summary\": {\"threads_created\": 9, \"leaked\": %u, \"suppressed\": 0}\n}\n",
             pid, pid, extra ? extra : "", leaked);
    write_text_file(path, text, 0644);
    if (leaked > 0) {
        snprintf(path, sizeof path, "%s/threadleak.%ld.txt", dir, pid);
        snprintf(text, sizeof text, "==%ld== text of %ld\n==%ld== SUMMARY\n", pid, pid, pid);
        write_text_file(path, text, 0644);
    }
}

static void write_raw(const char *dir, const char *name, const char *content)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    write_text_file(path, content, 0644);
}

static int setup(void **state)
{
    *state = make_temp_dir();
    return 0;
}

static int teardown(void **state)
{
    remove_tree(*state);
    free(*state);
    return 0;
}

/* Parses the merged JSON; the test fails when it is not valid. */
static struct tl__json *parse_merged(const struct tl__merge_result *m)
{
    char err[256] = "";
    struct tl__json *root = tl__json_parse(m->json, strlen(m->json), err, sizeof err);
    if (!root)
        fail_msg("merged JSON does not parse: %s\n%s", err, m->json);
    return root;
}

static int64_t summary_field(const struct tl__json *root, const char *key)
{
    return tl__json_int(tl__json_get(tl__json_get(root, "summary"), key));
}

static void test_empty_dir(void **state)
{
    struct tl__merge_result m;
    assert_int_equal(report_merge_dir(*state, 42, &m), 0);
    assert_string_equal(m.text, "");
    assert_string_equal(m.warnings, "");
    assert_int_equal(m.processes, 0);
    struct tl__json *root = parse_merged(&m);
    assert_int_equal(tl__json_length(tl__json_get(root, "processes")), 0);
    assert_int_equal(summary_field(root, "processes"), 0);
    tl__json_free(root);
    report_merge_free(&m);
}

static void test_clean_process_has_no_text_but_is_in_json(void **state)
{
    write_report(*state, 42, 0, NULL);
    struct tl__merge_result m;
    assert_int_equal(report_merge_dir(*state, 42, &m), 0);
    assert_string_equal(m.text, "");
    assert_string_equal(m.warnings, "");
    assert_int_equal(m.processes, 1);
    assert_int_equal(m.leaked_threads, 0);
    struct tl__json *root = parse_merged(&m);
    assert_string_equal(tl__json_string(tl__json_get(root, "tool")), "threadleak");
    assert_int_equal(tl__json_int(tl__json_get(root, "schema")), 1);
    const struct tl__json *p = tl__json_index(tl__json_get(root, "processes"), 0);
    assert_int_equal(tl__json_int(tl__json_get(p, "pid")), 42);
    /* Verbatim: the escaped newline inside a string survives re-indentation. */
    assert_string_equal(tl__json_string(tl__json_index(tl__json_get(p, "argv"), 1)), "a\nb");
    assert_int_equal(summary_field(root, "leaked_threads"), 0);
    tl__json_free(root);
    report_merge_free(&m);
}

static void test_target_first_then_pid_order(void **state)
{
    write_report(*state, 300, 2, NULL); /* the target */
    write_report(*state, 1000, 1, NULL);
    write_report(*state, 200, 0, NULL);
    write_report(*state, 99, 4, "  \"custom\": {\"kept\": [1, 2]},\n");
    struct tl__merge_result m;
    assert_int_equal(report_merge_dir(*state, 300, &m), 0);
    assert_int_equal(m.processes, 4);
    assert_int_equal(m.leaking_processes, 3);
    assert_int_equal(m.leaked_threads, 7);

    const char *t300 = strstr(m.text, "==300== text of 300");
    const char *t99 = strstr(m.text, "==99== text of 99");
    const char *t1000 = strstr(m.text, "==1000== text of 1000");
    assert_true(t300 && t99 && t1000);
    assert_true(t300 < t99 && t99 < t1000);
    assert_null(strstr(m.text, "text of 200"));
    assert_non_null(strstr(m.text, "==== threadleak: process 300 (/bin/prog300): 2 leaked threads"
                                   " ====\n==300== text of 300"));
    assert_non_null(strstr(m.text, "process 1000 (/bin/prog1000): 1 leaked thread ===="));
    const char *summary = "threadleak: 7 leaked threads in 3 of 4 processes\n";
    assert_string_equal(m.text + strlen(m.text) - strlen(summary), summary);

    struct tl__json *root = parse_merged(&m);
    const struct tl__json *procs = tl__json_get(root, "processes");
    assert_int_equal(tl__json_length(procs), 4);
    const int64_t order[] = {300, 99, 200, 1000};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(tl__json_int(tl__json_get(tl__json_index(procs, i), "pid")), order[i]);
    /* Fields this CLI does not know survive the merge. */
    const struct tl__json *custom = tl__json_get(tl__json_index(procs, 1), "custom");
    assert_int_equal(tl__json_int(tl__json_index(tl__json_get(custom, "kept"), 1)), 2);
    assert_int_equal(summary_field(root, "processes"), 4);
    assert_int_equal(summary_field(root, "leaking_processes"), 3);
    assert_int_equal(summary_field(root, "leaked_threads"), 7);
    tl__json_free(root);
    report_merge_free(&m);
}

static void test_single_leaking_process_has_no_header(void **state)
{
    write_report(*state, 7, 1, NULL);
    struct tl__merge_result m;
    assert_int_equal(report_merge_dir(*state, 7, &m), 0);
    assert_string_equal(m.text, "==7== text of 7\n==7== SUMMARY\n"
                                "threadleak: 1 leaked thread in 1 of 1 process\n");
    report_merge_free(&m);
}

/* Each corrupt report becomes one warning naming its file; the rest is merged as usual. */
static void test_corrupt_reports_are_warnings(void **state)
{
    const char *dir = *state;
    write_report(dir, 10, 2, NULL);
    write_raw(dir, "threadleak.11.json", "{\"pid\": 11, \"leaks\": [");   /* truncated */
    write_raw(dir, "threadleak.12.json", "");                             /* empty */
    write_raw(dir, "threadleak.13.json", "[1, 2]");                       /* no object */
    write_raw(dir, "threadleak.14.json", "{\"pid\": 14, \"leaks\": []}"); /* no summary */
    write_raw(dir, "threadleak.15.json",
              "{\"pid\": 99, \"leaks\": [], \"summary\": {\"leaked\": 1}}"); /* wrong pid */
    write_raw(dir, "threadleak.16.json",
              "\x7f"
              "ELF\x01\x02\x00garbage"); /* binary */
    write_raw(dir, "threadleak.17.json",
              "{\"pid\": 17, \"leaks\": [], \"summary\": {\"leaked\": -1}}"); /* negative */
    struct tl__merge_result m;
    assert_int_equal(report_merge_dir(dir, 10, &m), 0);
    assert_int_equal(m.processes, 8);
    assert_int_equal(m.unreadable, 7);
    assert_int_equal(m.leaked_threads, 2);
    for (int pid = 11; pid <= 17; pid++) {
        char name[64];
        snprintf(name, sizeof name, "/threadleak.%d.json ", pid);
        assert_non_null(strstr(m.warnings, name));
    }
    assert_non_null(strstr(m.warnings, "is not valid JSON"));
    assert_non_null(strstr(m.warnings, "names another pid"));
    assert_non_null(strstr(m.warnings, "summary.leaked"));
    assert_non_null(strstr(m.warnings, "process 11 counted as unknown"));
    assert_non_null(strstr(m.text, "==10== text of 10"));
    assert_non_null(strstr(m.text, "2 leaked threads in 1 of 8 processes; 7 reports unreadable\n"));

    struct tl__json *root = parse_merged(&m);
    assert_int_equal(tl__json_length(tl__json_get(root, "processes")), 1);
    const struct tl__json *unreadable = tl__json_get(root, "unreadable");
    assert_int_equal(tl__json_length(unreadable), 7);
    assert_string_equal(tl__json_string(tl__json_index(unreadable, 0)), "threadleak.11.json");
    tl__json_free(root);
    report_merge_free(&m);
}

static void test_corrupt_only_prints_no_report(void **state)
{
    write_raw(*state, "threadleak.5.json", "{");
    struct tl__merge_result m;
    assert_int_equal(report_merge_dir(*state, 5, &m), 0);
    assert_string_equal(m.text, "");
    assert_non_null(strstr(m.warnings, "threadleak.5.json"));
    report_merge_free(&m);
}

static void test_missing_text_report_is_a_warning(void **state)
{
    const char *dir = *state;
    write_report(dir, 20, 3, NULL);
    char path[4300];
    snprintf(path, sizeof path, "%s/threadleak.20.txt", dir);
    remove(path);
    struct tl__merge_result m;
    assert_int_equal(report_merge_dir(dir, 20, &m), 0);
    assert_non_null(strstr(m.warnings, "threadleak.20.txt is missing"));
    assert_non_null(strstr(m.text, "threadleak: 3 leaked threads in 1 of 1 process\n"));
    report_merge_free(&m);
}

static void test_other_files_are_ignored(void **state)
{
    const char *dir = *state;
    write_report(dir, 30, 0, NULL);
    write_raw(dir, "threadleak.abc.json", "{");
    write_raw(dir, "threadleak..json", "{");
    write_raw(dir, "threadleak.31.json.tmp", "{");
    write_raw(dir, ".threadleak.32.json", "{");
    write_raw(dir, "other.json", "{");
    write_raw(dir, "threadleak.33.txt", "stray text without JSON\n");
    struct tl__merge_result m;
    assert_int_equal(report_merge_dir(dir, 30, &m), 0);
    assert_int_equal(m.processes, 1);
    assert_string_equal(m.warnings, "");
    assert_string_equal(m.text, "");
    report_merge_free(&m);
}

static void test_unreadable_directory_fails(void **state)
{
    (void)state;
    struct tl__merge_result m;
    assert_int_equal(report_merge_dir("/nonexistent/threadleak-dir", 1, &m), -1);
    assert_null(m.json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_empty_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clean_process_has_no_text_but_is_in_json, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_target_first_then_pid_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_single_leaking_process_has_no_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_reports_are_warnings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_only_prints_no_report, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_text_report_is_a_warning, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_files_are_ignored, setup, teardown),
        cmocka_unit_test(test_unreadable_directory_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
