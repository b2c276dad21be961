/* report_merge_dirs, the merge over several runs' report directories (`threadleak merge`): runs
 * in the order given, the same pid in two runs counted twice (they are different processes), and
 * an unreadable report named by its directory. */
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
#include <sys/stat.h>

#include <cmocka.h>

static void write_report(const char *dir, long pid, unsigned leaked)
{
    char path[4300], text[8192]; /* room for any dir the caller passes */
    snprintf(path, sizeof path, "%s/threadleak.%ld.json", dir, pid);
    snprintf(text, sizeof text,
             "{\"tool\": \"threadleak\", \"schema\": 1, \"pid\": %ld, \"exe\": \"%s\", "
             "\"leaks\": [], \"summary\": {\"leaked\": %u}}\n",
             pid, dir, leaked);
    write_text_file(path, text, 0644);
    if (leaked > 0) {
        snprintf(path, sizeof path, "%s/threadleak.%ld.txt", dir, pid);
        snprintf(text, sizeof text, "text of %ld in %s\n", pid, dir);
        write_text_file(path, text, 0644);
    }
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

static void test_two_runs_with_the_same_pid(void **state)
{
    char a[4200], b[4200];
    snprintf(a, sizeof a, "%s/run.b", (char *)*state); /* given first, sorts last by name */
    snprintf(b, sizeof b, "%s/run.a", (char *)*state);
    assert_int_equal(mkdir(a, 0755), 0);
    assert_int_equal(mkdir(b, 0755), 0);
    write_report(a, 300, 1);
    write_report(a, 100, 0);
    write_report(b, 300, 2);
    char bad[4300];
    snprintf(bad, sizeof bad, "%s/threadleak.7.json", b);
    write_text_file(bad, "{\"pid\": 7", 0644);

    const char *dirs[] = {a, b};
    struct tl__merge_result m;
    assert_int_equal(report_merge_dirs(dirs, 2, 0, NULL, &m), 0);
    assert_int_equal(m.processes, 4);
    assert_int_equal(m.unreadable, 1);
    assert_int_equal(m.leaking_processes, 2);
    assert_int_equal(m.leaked_threads, 3);
    /* a's leaking process before b's: the order given, not the names. */
    char *in_a = strstr(m.text, "text of 300 in "),
         *in_b = in_a ? strstr(in_a + 1, "text of 300 in ") : NULL;
    assert_non_null(in_b);
    assert_int_equal(strncmp(in_a + strlen("text of 300 in "), a, strlen(a)), 0);
    assert_int_equal(strncmp(in_b + strlen("text of 300 in "), b, strlen(b)), 0);
    assert_non_null(strstr(m.text, "threadleak: 3 leaked threads in 2 of 4 processes; 1 report "
                                   "unreadable\n"));
    assert_non_null(strstr(m.warnings, bad));

    char err[256] = "";
    struct tl__json *root = tl__json_parse(m.json, strlen(m.json), err, sizeof err);
    if (!root)
        fail_msg("merged JSON does not parse: %s\n%s", err, m.json);
    const struct tl__json *processes = tl__json_get(root, "processes");
    assert_int_equal(tl__json_length(processes), 3);
    assert_string_equal(tl__json_string(tl__json_get(tl__json_index(processes, 0), "exe")), a);
    assert_int_equal(tl__json_int(tl__json_get(tl__json_index(processes, 0), "pid")), 100);
    assert_string_equal(tl__json_string(tl__json_get(tl__json_index(processes, 2), "exe")), b);
    const struct tl__json *unreadable = tl__json_get(root, "unreadable");
    assert_int_equal(tl__json_length(unreadable), 1);
    assert_string_equal(tl__json_string(tl__json_index(unreadable, 0)), bad); /* with its dir */
    tl__json_free(root);
    report_merge_free(&m);
}

static void test_a_missing_dir_fails(void **state)
{
    char missing[4200];
    snprintf(missing, sizeof missing, "%s/none", (char *)*state);
    const char *dirs[] = {*state, missing};
    struct tl__merge_result m;
    assert_int_equal(report_merge_dirs(dirs, 2, 0, NULL, &m), -1);
    assert_null(m.json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_two_runs_with_the_same_pid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_missing_dir_fails, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
