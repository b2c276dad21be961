/* threadleak's command line: --help, --version, subcommands and option errors. */
#include "test_cli_helpers.h"

#include "run_options.h"
#include "suggest.h"

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

static void test_version_subcommand(void **state)
{
    (void)state;
    struct cli_result r = cli_run(ARGS("version"), NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "threadleak " TL_EXPECTED_VERSION "\n");
    cli_result_free(&r);
}

static void test_typos_suggest_the_nearest_word(void **state)
{
    (void)state;
    static const char *const cases[][3] = {
        /* argument, the suggestion expected, what must not run */
        {"rn", "(did you mean 'run'?)"},       {"mrege", "(did you mean 'merge'?)"},
        {"dumb", "(did you mean 'dump'?)"},    {"--verison", "(did you mean '--version'?)"},
        {"--hlp", "(did you mean '--help'?)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct cli_result r = cli_run(ARGS(cases[i][0]), NULL);
        assert_int_equal(r.status, 2);
        if (!strstr(r.err, cases[i][1]))
            fail_msg("threadleak %s: expected %s in: %s", cases[i][0], cases[i][1], r.err);
        cli_result_free(&r);
    }
    /* Too far from any command: no guess, the hint to use `run`. */
    struct cli_result r = cli_run(ARGS("frobnicate"), NULL);
    assert_null(strstr(r.err, "did you mean"));
    cli_result_free(&r);
}

static void test_option_typos_suggest_from_the_getopt_tables(void **state)
{
    (void)state;
    static const char *const cases[][3] = {
        {"run", "--jsn", "(did you mean '--json'?)"},
        {"run", "--sarfi=x", "(did you mean '--sarif'?)"},
        {"run", "--suppresions", "(did you mean '--suppressions'?)"},
        {"run", "--lable", "(did you mean '--label'?)"},
        {"merge", "--jnuit", "(did you mean '--junit'?)"},
        {"dump", "--timout", "(did you mean '--timeout'?)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct cli_result r =
            cli_run(ARGS(cases[i][0], cases[i][1], "x", "--", "sh", "-c", "echo ran"), stub_env());
        assert_int_equal(r.status, 2);
        assert_string_equal(r.out, "");
        if (!strstr(r.err, cases[i][2]))
            fail_msg("%s %s: expected %s in: %s", cases[i][0], cases[i][1], cases[i][2], r.err);
        cli_result_free(&r);
    }
    /* The table itself, with a name no engineer will add: nothing near, no guess. */
    assert_null(suggest_long_option("--zzzzzzzz", run_options_table()));
    assert_string_equal(suggest_long_option("--keep-report", run_options_table()), "keep-reports");
}

static void test_suggest_distance(void **state)
{
    (void)state;
    assert_int_equal(suggest_distance("run", "run"), 0);
    assert_int_equal(suggest_distance("rn", "run"), 1);
    assert_int_equal(suggest_distance("jsno", "json"), 1); /* a swap is one edit */
    assert_int_equal(suggest_distance("kitten", "sitting"), 3);
    assert_int_equal(suggest_distance("", "abc"), 3);
    /* One-letter words are never a typo of anything. */
    static const char *const words[] = {"a", "b"};
    assert_null(suggest_nearest("x", words, 2));
}

/* Every long option of run's getopt table is in `run --help`: the help cannot fall behind the
 * parser, whoever adds an option. */
static void test_run_help_names_every_getopt_option(void **state)
{
    (void)state;
    struct cli_result r = cli_run(ARGS("run", "--help"), NULL);
    assert_int_equal(r.status, 0);
    size_t checked = 0;
    for (const struct option *o = run_options_table(); o->name; o++) {
        char needle[96];
        snprintf(needle, sizeof needle, "--%s%s", o->name,
                 o->has_arg == required_argument ? " " : "");
        if (!strstr(r.out, needle))
            fail_msg("run --help does not list %s", needle);
        checked++;
    }
    assert_true(checked >= 18);
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
        {"--exitcode", "256"},        {"--exitcode", "x"},
        {"--mode", "fast"},           {"--color", "sometimes"},
        {"--linger-ms", "-1"},        {"--children-timeout", "soon"},
        {"--children-timeout", "-3"}, {"--verbosity", "4"},
        {"--verbosity", "x"},         {"--suppressions", "/nonexistent/threadleak.supp"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct cli_result r =
            cli_run(ARGS("run", cases[i][0], cases[i][1], "--", "true"), stub_env());
        assert_int_equal(r.status, 2);
        assert_non_null(strstr(r.err, cases[i][0]));
        cli_result_free(&r);
    }
}

static void test_run_passes_suppressions_and_verbosity_on(void **state)
{
    (void)state;
    struct cli_result r = cli_run(ARGS("run", "--suppressions", "/dev/null", "--verbosity", "2",
                                       "--", "sh", "-c", "echo \"$THREADLEAK_OPTIONS\""),
                                  stub_env());
    assert_int_equal(r.status, 0);
    if (!strstr(r.out, ":suppressions='/dev/null'") || !strstr(r.out, ":verbosity=2"))
        fail_msg("THREADLEAK_OPTIONS of the program: %s", r.out);
    cli_result_free(&r);
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
        cmocka_unit_test(test_version_subcommand),
        cmocka_unit_test(test_typos_suggest_the_nearest_word),
        cmocka_unit_test(test_option_typos_suggest_from_the_getopt_tables),
        cmocka_unit_test(test_suggest_distance),
        cmocka_unit_test(test_run_help_names_every_getopt_option),
        cmocka_unit_test(test_run_unknown_option_does_not_run_the_program),
        cmocka_unit_test(test_run_without_program),
        cmocka_unit_test(test_run_bad_option_values_are_named),
        cmocka_unit_test(test_run_passes_suppressions_and_verbosity_on),
        cmocka_unit_test(test_run_options_after_program_belong_to_it),
        cmocka_unit_test(test_bad_user_threadleak_options_are_refused_before_running),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
