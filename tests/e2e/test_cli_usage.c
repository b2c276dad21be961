/* threadleak's command line: --help, --version, subcommands and option errors. */
#include "test_cli_helpers.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

static const char *const *stub_env(void)
{
    return with_stub(NULL);
}

static void test_version_prints_project_version(void **state)
{
    (void)state;
    struct cli_result r = cli_run(ARGS("--version"), NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "threadleak " TL_EXPECTED_VERSION "\n");
    assert_string_equal(r.err, "");
    cli_result_free(&r);
}

static void test_help_lists_run_on_stdout(void **state)
{
    (void)state;
    struct cli_result r = cli_run(ARGS("--help"), NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "threadleak run [options] -- PROG"));
    assert_string_equal(r.err, "");
    cli_result_free(&r);
}

static void test_no_arguments_is_a_usage_error(void **state)
{
    (void)state;
    struct cli_result r = cli_run((const char *const[]){NULL}, NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "Usage: threadleak COMMAND"));
    cli_result_free(&r);
}

static void test_unknown_command_names_it_and_suggests_run(void **state)
{
    (void)state;
    struct cli_result r = cli_run(ARGS("frobnicate", "x"), NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "unknown command 'frobnicate'"));
    assert_non_null(strstr(r.err, "threadleak run -- frobnicate"));
    cli_result_free(&r);
}

static void test_unknown_top_level_option(void **state)
{
    (void)state;
    struct cli_result r = cli_run(ARGS("--frob"), NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "unknown option '--frob'"));
    cli_result_free(&r);
}

static void test_run_help_lists_every_option(void **state)
{
    (void)state;
    static const char *const options[] = {"--json",  "--exitcode",        "--linger-ms",
                                          "--mode",  "--color",           "--keep-reports",
                                          "--quiet", "--children-timeout"};
    struct cli_result r = cli_run(ARGS("run", "--help"), NULL);
    assert_int_equal(r.status, 0);
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++)
        assert_non_null(strstr(r.out, options[i]));
    cli_result_free(&r);
    r = cli_run(ARGS("help", "run"), NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "--children-timeout"));
    cli_result_free(&r);
}

static void test_run_unknown_option_does_not_run_the_program(void **state)
{
    (void)state;
    struct cli_result r = cli_run(ARGS("run", "--bogus", "--", "sh", "-c", "echo ran"), stub_env());
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "unknown option '--bogus'"));
    assert_string_equal(r.out, "");
    cli_result_free(&r);
}

static void test_run_without_program(void **state)
{
    (void)state;
    struct cli_result r = cli_run(ARGS("run", "--"), stub_env());
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "no program given"));
    cli_result_free(&r);
    r = cli_run(ARGS("run", "--json"), stub_env());
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "'--json' needs a value"));
    cli_result_free(&r);
}

static void test_run_bad_option_values_are_named(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"--exitcode", "256"},        {"--exitcode", "x"},   {"--mode", "fast"},
        {"--color", "sometimes"},     {"--linger-ms", "-1"}, {"--children-timeout", "soon"},
        {"--children-timeout", "-3"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct cli_result r =
            cli_run(ARGS("run", cases[i][0], cases[i][1], "--", "true"), stub_env());
        assert_int_equal(r.status, 2);
        assert_non_null(strstr(r.err, cases[i][0]));
        cli_result_free(&r);
    }
}

static void test_run_options_after_program_belong_to_it(void **state)
{
    (void)state;
    /* Without "--", the first non-option ends threadleak's options. */
    struct cli_result r = cli_run(ARGS("run", "sh", "-c", "echo $0 $1", "--bogus"), stub_env());
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "--bogus\n");
    cli_result_free(&r);
}

static void test_bad_user_threadleak_options_are_refused_before_running(void **state)
{
    (void)state;
    struct cli_result r = cli_run(ARGS("run", "--", "sh", "-c", "echo ran"),
                                  with_stub(ARGS("THREADLEAK_OPTIONS=no_such_key=1")));
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "THREADLEAK_OPTIONS"));
    assert_non_null(strstr(r.err, "no_such_key"));
    assert_string_equal(r.out, "");
    cli_result_free(&r);
}

int main(int argc, char **argv)
{
    cli_paths_from_args(argc, argv, 3);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_prints_project_version),
        cmocka_unit_test(test_help_lists_run_on_stdout),
        cmocka_unit_test(test_no_arguments_is_a_usage_error),
        cmocka_unit_test(test_unknown_command_names_it_and_suggests_run),
        cmocka_unit_test(test_unknown_top_level_option),
        cmocka_unit_test(test_run_help_lists_every_option),
        cmocka_unit_test(test_run_unknown_option_does_not_run_the_program),
        cmocka_unit_test(test_run_without_program),
        cmocka_unit_test(test_run_bad_option_values_are_named),
        cmocka_unit_test(test_run_options_after_program_belong_to_it),
        cmocka_unit_test(test_bad_user_threadleak_options_are_refused_before_running),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
