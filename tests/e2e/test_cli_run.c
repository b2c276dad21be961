/* `threadleak run` end to end, under the stub shim (test_cli_stub_shim.c), which writes reports
 * the way the real shim does: exit statuses, the environment the program gets, signal
 * forwarding, waiting for orphaned children, and the merged report. */
#include "test_cli_helpers.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

static const char *tsan_prog_path; /* "" when gcc -fsanitize=thread was unavailable */

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
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

static void test_exit_status_is_the_programs(void **state)
{
    (void)state;
    struct cli_result r = cli_run(ARGS("run", "--", "sh", "-c", "exit 3"), with_stub(NULL));
    assert_int_equal(r.status, 3);
    assert_false(r.signalled);
    assert_string_equal(r.err, "");
    cli_result_free(&r);
}

static void test_killed_program_gives_128_plus_signal(void **state)
{
    (void)state;
    struct cli_result r = cli_run(ARGS("run", "--", "sh", "-c", "kill -USR1 $$"), with_stub(NULL));
    assert_int_equal(r.status, 128 + SIGUSR1);
    assert_false(r.signalled);
    cli_result_free(&r);
}

static void test_ld_preload_keeps_existing_entries(void **state)
{
    (void)state;
    struct cli_result r = cli_run(ARGS("run", "--", "sh", "-c", "echo \"$LD_PRELOAD\""),
                                  with_stub(ARGS("LD_PRELOAD=libm.so.6 libdl.so.2")));
    assert_int_equal(r.status, 0);
    char want[4400];
    snprintf(want, sizeof want, "%s:libm.so.6:libdl.so.2\n", stub_shim_path);
    assert_string_equal(r.out, want);
    cli_result_free(&r);
}

static void test_ld_preload_puts_libtsan_first(void **state)
{
    (void)state;
    if (!tsan_prog_path[0]) {
        print_message("no gcc -fsanitize=thread program was built: skipped\n");
        skip();
    }
    struct cli_result r = cli_run(ARGS("run", "--", tsan_prog_path), with_stub(NULL));
    assert_int_equal(r.status, 0);
    char want[4400];
    snprintf(want, sizeof want, "libtsan.so.2:%s\n", stub_shim_path);
    assert_string_equal(r.out, want);
    cli_result_free(&r);
}

static void test_threadleak_options_follow_the_users(void **state)
{
    (void)state;
    struct cli_result r = cli_run(ARGS("run", "--linger-ms", "70", "--mode", "tsan", "--color",
                                       "always", "--", "sh", "-c", "echo \"$THREADLEAK_OPTIONS\""),
                                  with_stub(ARGS("THREADLEAK_OPTIONS=verbosity=1")));
    assert_int_equal(r.status, 0);
    assert_true(starts_with(r.out, "verbosity=1:report_dir='/"));
    assert_non_null(strstr(r.out, "':quiet=1:exitcode=0:color=always:linger_ms=70:mode=tsan\n"));
    cli_result_free(&r);

    /* stderr is a pipe here, so auto means never. */
    r = cli_run(ARGS("run", "--", "sh", "-c", "echo \"$THREADLEAK_OPTIONS\""), with_stub(NULL));
    assert_true(starts_with(r.out, "report_dir='/"));
    assert_non_null(strstr(r.out, ":color=never\n"));
    assert_null(strstr(r.out, "linger_ms"));
    cli_result_free(&r);
}

static void test_real_shim_is_found_beside_the_cli(void **state)
{
    (void)state;
    struct cli_result r =
        cli_run(ARGS("run", "--", "sh", "-c", "echo \"$LD_PRELOAD\""), ARGS("THREADLEAK_SHIM"));
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "/lib/libthreadleak.so\n"));
    assert_true(r.out[0] == '/');
    cli_result_free(&r);
}

static void test_missing_shim_is_a_clear_error(void **state)
{
    (void)state;
    struct cli_result r =
        cli_run(ARGS("run", "--", "true"), ARGS("THREADLEAK_SHIM=/nonexistent/libthreadleak.so"));
    assert_int_equal(r.status, 125);
    assert_non_null(strstr(r.err, "THREADLEAK_SHIM=/nonexistent/libthreadleak.so"));
    cli_result_free(&r);
}

/* Starts `threadleak run -- sh -c SCRIPT`, waits for the script's "ready" line, sends signo to
 * the CLI and returns the CLI's exit status. */
static int signal_cli_when_ready(const char *script, int signo, bool *signalled)
{
    int out;
    pid_t cli = cli_start(ARGS("run", "--", "sh", "-c", script), with_stub(NULL), &out);
    char line[64];
    assert_true(read_line(out, line, sizeof line));
    assert_string_equal(line, "ready");
    assert_int_equal(kill(cli, signo), 0);
    int status = wait_status(cli, signalled);
    close(out);
    return status;
}

static void test_sigterm_is_forwarded_to_the_program(void **state)
{
    (void)state;
    bool signalled;
    int status = signal_cli_when_ready("echo ready; exec sleep 60", SIGTERM, &signalled);
    assert_false(signalled); /* the CLI survived to report the program's death */
    assert_int_equal(status, 128 + SIGTERM);
}

static void test_forwarded_signal_can_be_handled_by_the_program(void **state)
{
    (void)state;
    bool signalled;
    int status = signal_cli_when_ready(
        "trap 'exit 7' INT; echo ready; while :; do sleep 0.05; done", SIGINT, &signalled);
    assert_false(signalled);
    assert_int_equal(status, 7);
}

static void test_clean_run_prints_nothing(void **state)
{
    (void)state;
    struct cli_result r =
        cli_run(ARGS("run", "--", "sh", "-c", "sh -c true; true"), with_stub(NULL));
    assert_int_equal(r.status, 0);
    assert_string_equal(r.err, "");
    assert_string_equal(r.out, "");
    cli_result_free(&r);
}

static void test_leak_gives_66_and_one_summary(void **state)
{
    (void)state;
    struct cli_result r =
        cli_run(ARGS("run", "--", "sh", "-c", "exit 0"), with_stub(ARGS("TL_STUB_LEAKS=2")));
    assert_int_equal(r.status, 66);
    assert_non_null(strstr(r.err, "stub: 2 leaked threads\n"));
    assert_non_null(strstr(r.err, "threadleak: 2 leaked threads in 1 of 1 process\n"));
    assert_null(strstr(r.err, "====")); /* one process: no per-process header */
    cli_result_free(&r);
}

static void test_exitcode_option_and_failing_program(void **state)
{
    (void)state;
    const char *const *env = with_stub(ARGS("TL_STUB_LEAKS=1"));
    struct cli_result r = cli_run(ARGS("run", "--exitcode", "9", "--", "true"), env);
    assert_int_equal(r.status, 9);
    cli_result_free(&r);
    r = cli_run(ARGS("run", "--exitcode", "0", "--", "true"), env);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.err, "1 leaked thread in 1 of 1 process"));
    cli_result_free(&r);
    /* A failing program keeps its own status. */
    r = cli_run(ARGS("run", "--", "false"), env);
    assert_int_equal(r.status, 1);
    cli_result_free(&r);
}

static void test_quiet_prints_no_report_but_keeps_the_status(void **state)
{
    (void)state;
    struct cli_result r =
        cli_run(ARGS("run", "-q", "--", "true"), with_stub(ARGS("TL_STUB_LEAKS=1")));
    assert_int_equal(r.status, 66);
    assert_string_equal(r.err, "");
    cli_result_free(&r);
}

/* Only the grandchild leaks: its report is merged and the header names each process. */
static void test_reports_of_children_are_merged_in_pid_order(void **state)
{
    (void)state;
    struct cli_result r = cli_run(
        ARGS("run", "--", "sh", "-c", "TL_STUB_LEAKS=3 sh -c true; TL_STUB_LEAKS=1 sh -c true"),
        with_stub(NULL));
    assert_int_equal(r.status, 66);
    const char *first = strstr(r.err, "stub: 3 leaked threads");
    const char *second = strstr(r.err, "stub: 1 leaked threads");
    assert_non_null(first);
    assert_non_null(second);
    assert_true(first < second);
    assert_non_null(strstr(r.err, "==== threadleak: process "));
    assert_non_null(strstr(r.err, "threadleak: 4 leaked threads in 2 of 3 processes\n"));
    cli_result_free(&r);
}

static void test_orphans_are_waited_for_and_merged(void **state)
{
    char *dir = *state;
    char script[4400];
    snprintf(script, sizeof script, "(sleep 0.2; TL_STUB_LEAKS=1 sh -c 'echo late > %s/late') &",
             dir);
    struct cli_result r = cli_run(ARGS("run", "--", "sh", "-c", script), with_stub(NULL));
    char path[4300];
    snprintf(path, sizeof path, "%s/late", dir);
    assert_true(file_exists(path)); /* the CLI returned only after the orphan had finished */
    assert_int_equal(r.status, 66);
    assert_non_null(strstr(r.err, "1 leaked thread in 1 of"));
    cli_result_free(&r);
}

static void test_children_timeout_reports_stragglers(void **state)
{
    (void)state;
    /* The shell waits until its background child has become `sleep`: a child still between fork
     * and exec is named `sh` in /proc, and the warning names what it sees. */
    struct cli_result r =
        cli_run(ARGS("run", "--children-timeout", "0", "--", "sh", "-c",
                     "sleep 30 >/dev/null 2>&1 & pid=$!; "
                     "while [ \"$(cat /proc/$pid/comm 2>/dev/null)\" != sleep ]; do :; done; "
                     "echo $pid"),
                with_stub(NULL));
    assert_int_equal(r.status, 0);
    long straggler = strtol(r.out, NULL, 10);
    assert_true(straggler > 0);
    char want[64];
    snprintf(want, sizeof want, " %ld (sleep)", straggler);
    assert_non_null(strstr(r.err, "threadleak: warning: 1 process still running"));
    assert_non_null(strstr(r.err, want));
    kill((pid_t)straggler, SIGKILL);
    cli_result_free(&r);
}

static void test_json_is_written_when_clean(void **state)
{
    char *dir = *state;
    char path[4300];
    snprintf(path, sizeof path, "%s/merged.json", dir);
    struct cli_result r = cli_run(ARGS("run", "--json", path, "--", "true"), with_stub(NULL));
    assert_int_equal(r.status, 0);
    assert_string_equal(r.err, "");
    char *json = read_text_file(path);
    assert_non_null(json);
    assert_non_null(strstr(json, "\"tool\": \"threadleak\""));
    assert_non_null(strstr(json, "\"leaked_threads\": 0"));
    assert_non_null(strstr(json, "\"processes\": 1,"));
    free(json);
    cli_result_free(&r);
}

/* --keep-reports DIR: the reports stay, in a subdirectory of DIR that belongs to this run and
 * whose path is printed; a second run into the same DIR gets another one (no mixing). */
static void test_keep_reports_keeps_them_in_a_run_subdir(void **state)
{
    char *dir = *state;
    char kept[4300], path[4500], first[4400];
    snprintf(kept, sizeof kept, "%s/kept", dir);
    struct cli_result r = cli_run(ARGS("run", "--keep-reports", kept, "--", "sh", "-c", "echo $$"),
                                  with_stub(ARGS("TL_STUB_LEAKS=1")));
    assert_int_equal(r.status, 66);
    long pid = strtol(r.out, NULL, 10);
    static const char line[] = "threadleak: reports kept in ";
    assert_int_equal(strncmp(r.err, line, sizeof line - 1), 0);
    snprintf(first, sizeof first, "%.*s", (int)strcspn(r.err + sizeof line - 1, "\n"),
             r.err + sizeof line - 1);
    assert_int_equal(strncmp(first, kept, strlen(kept)), 0);
    snprintf(path, sizeof path, "%s/threadleak.%ld.json", first, pid);
    assert_true(file_exists(path));
    snprintf(path, sizeof path, "%s/threadleak.%ld.txt", first, pid);
    assert_true(file_exists(path));
    cli_result_free(&r);

    r = cli_run(ARGS("run", "--keep-reports", kept, "--", "true"), with_stub(NULL));
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.err, line));
    assert_null(strstr(r.err, first)); /* another subdirectory */
    assert_null(strstr(r.err, "leaked"));
    cli_result_free(&r);
}

static void test_private_report_dir_is_removed(void **state)
{
    char *dir = *state;
    char tmpdir[4300];
    snprintf(tmpdir, sizeof tmpdir, "TMPDIR=%s", dir);
    struct cli_result r = cli_run(ARGS("run", "--", "sh", "-c", "echo \"$THREADLEAK_OPTIONS\""),
                                  with_stub(ARGS(tmpdir, "TL_STUB_LEAKS=1")));
    assert_int_equal(r.status, 66);
    char *start = strstr(r.out, "report_dir='");
    assert_non_null(start);
    start += strlen("report_dir='");
    *strchr(start, '\'') = '\0';
    assert_true(strncmp(start, dir, strlen(dir)) == 0); /* made under $TMPDIR */
    assert_false(file_exists(start));
    cli_result_free(&r);
}

static void test_no_report_at_all_is_a_warning(void **state)
{
    (void)state;
    /* A "shim" that writes no reports stands for one the loader could not use. */
    struct cli_result r =
        cli_run(ARGS("run", "--", "true"), ARGS("THREADLEAK_SHIM=" SILENT_SHIM_PATH));
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.err, "no process wrote a report"));
    cli_result_free(&r);
}

int main(int argc, char **argv)
{
    cli_paths_from_args(argc, argv, 4);
    tsan_prog_path = cli_optional_path(argv[3]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exit_status_is_the_programs),
        cmocka_unit_test(test_killed_program_gives_128_plus_signal),
        cmocka_unit_test(test_ld_preload_keeps_existing_entries),
        cmocka_unit_test(test_ld_preload_puts_libtsan_first),
        cmocka_unit_test(test_threadleak_options_follow_the_users),
        cmocka_unit_test(test_real_shim_is_found_beside_the_cli),
        cmocka_unit_test(test_missing_shim_is_a_clear_error),
        cmocka_unit_test(test_sigterm_is_forwarded_to_the_program),
        cmocka_unit_test(test_forwarded_signal_can_be_handled_by_the_program),
        cmocka_unit_test(test_clean_run_prints_nothing),
        cmocka_unit_test(test_leak_gives_66_and_one_summary),
        cmocka_unit_test(test_exitcode_option_and_failing_program),
        cmocka_unit_test(test_quiet_prints_no_report_but_keeps_the_status),
        cmocka_unit_test(test_reports_of_children_are_merged_in_pid_order),
        cmocka_unit_test_setup_teardown(test_orphans_are_waited_for_and_merged, setup, teardown),
        cmocka_unit_test(test_children_timeout_reports_stragglers),
        cmocka_unit_test_setup_teardown(test_json_is_written_when_clean, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keep_reports_keeps_them_in_a_run_subdir, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_private_report_dir_is_removed, setup, teardown),
        cmocka_unit_test(test_no_report_at_all_is_a_warning),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
