/* THREADLEAK_OPTIONS parsing: every key, every error message, overrides and the no-partial-update
 * rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "options.h"

#include <stdio.h>
#include <string.h>

#define ERR_MAX 512

static struct tl__config parsed(const char *text)
{
    struct tl__config cfg;
    char err[ERR_MAX];
    options_defaults(&cfg);
    int rc = options_parse(text, &cfg, err, sizeof err);
    if (rc != 0)
        fail_msg("options_parse(\"%s\") failed: %s", text, err);
    assert_string_equal(err, "");
    return cfg;
}

/* Parses text that must be rejected and checks the message; cfg must stay at the defaults. */
static void assert_rejected(const char *text, const char *message)
{
    struct tl__config cfg, defaults;
    char err[ERR_MAX];
    options_defaults(&cfg);
    options_defaults(&defaults);
    assert_int_equal(options_parse(text, &cfg, err, sizeof err), -1);
    assert_string_equal(err, message);
    assert_memory_equal(&cfg, &defaults, sizeof cfg);
}

static void test_defaults(void **state)
{
    (void)state;
    struct tl__config cfg;
    memset(&cfg, 0x5a, sizeof cfg);
    options_defaults(&cfg);
    assert_int_equal(cfg.exitcode, 66);
    assert_int_equal(cfg.linger_ms, 500);
    assert_int_equal(cfg.mode, TL_MODE_ALL);
    assert_string_equal(cfg.report_dir, "");
    assert_string_equal(cfg.log_path, "");
    assert_string_equal(cfg.suppressions, "");
    assert_int_equal(cfg.color, TL_COLOR_AUTO);
    assert_int_equal(cfg.verbosity, 0);
    assert_false(cfg.quiet);
    assert_string_equal(cfg.http, "");
    assert_int_equal(cfg.stacks, TL_STACKS_SIGNAL);
    assert_int_equal(cfg.dump_signal, 0);
    assert_int_equal(cfg.dump_timeout_ms, 1000);
}

static void test_null_and_empty_change_nothing(void **state)
{
    (void)state;
    struct tl__config cfg, before;
    char err[ERR_MAX] = "stale";
    options_defaults(&cfg);
    cfg.exitcode = 7;
    before = cfg;
    assert_int_equal(options_parse(NULL, &cfg, err, sizeof err), 0);
    assert_int_equal(options_parse("", &cfg, err, sizeof err), 0);
    assert_int_equal(options_parse(":::", &cfg, err, sizeof err), 0);
    assert_memory_equal(&cfg, &before, sizeof cfg);
}

static void test_numeric_keys(void **state)
{
    (void)state;
    assert_int_equal(parsed("exitcode=0").exitcode, 0);
    assert_int_equal(parsed("exitcode=255").exitcode, 255);
    assert_int_equal(parsed("exitcode=007").exitcode, 7);
    assert_int_equal(parsed("linger_ms=0").linger_ms, 0);
    assert_int_equal(parsed("linger_ms=600000").linger_ms, 600000);
    assert_int_equal(parsed("verbosity=0").verbosity, 0);
    assert_int_equal(parsed("verbosity=3").verbosity, 3);
    assert_int_equal(parsed("dump_signal=0").dump_signal, 0);
    assert_int_equal(parsed("dump_signal=1").dump_signal, 1);
    assert_int_equal(parsed("dump_signal=64").dump_signal, 64);
    assert_int_equal(parsed("dump_timeout_ms=1").dump_timeout_ms, 1);
    assert_int_equal(parsed("dump_timeout_ms=600000").dump_timeout_ms, 600000);
}

static void test_word_keys(void **state)
{
    (void)state;
    assert_int_equal(parsed("mode=tsan").mode, TL_MODE_TSAN);
    assert_int_equal(parsed("mode=tsan:mode=all").mode, TL_MODE_ALL);
    assert_int_equal(parsed("color=always").color, TL_COLOR_ALWAYS);
    assert_int_equal(parsed("color=never").color, TL_COLOR_NEVER);
    assert_int_equal(parsed("color=never:color=auto").color, TL_COLOR_AUTO);
    assert_true(parsed("quiet=1").quiet);
    assert_false(parsed("quiet=1:quiet=0").quiet);
    assert_int_equal(parsed("stacks=nosignal").stacks, TL_STACKS_NOSIGNAL);
    assert_int_equal(parsed("stacks=nosignal:stacks=signal").stacks, TL_STACKS_SIGNAL);
}

static void test_path_keys(void **state)
{
    (void)state;
    assert_string_equal(parsed("report_dir=/tmp/r").report_dir, "/tmp/r");
    assert_string_equal(parsed("report_dir=/tmp/r:report_dir=").report_dir, "");
    assert_string_equal(parsed("suppressions=tl.supp").suppressions, "tl.supp");
    assert_string_equal(parsed("log_path=/tmp/log").log_path, "/tmp/log");
    assert_string_equal(parsed("log_path=/tmp/log:log_path=stderr").log_path, "");
    assert_string_equal(parsed("log_path=/tmp/log:log_path=").log_path, "");
    /* A value may hold '=' and spaces; only ':' ends it. */
    assert_string_equal(parsed("report_dir=/a=b c").report_dir, "/a=b c");
}

static void test_quoted_values(void **state)
{
    (void)state;
    assert_string_equal(parsed("report_dir='/a:b'").report_dir, "/a:b");
    assert_string_equal(parsed("report_dir=\"/c:d\":exitcode=3").report_dir, "/c:d");
    assert_int_equal(parsed("report_dir=\"/c:d\":exitcode=3").exitcode, 3);
    assert_int_equal(parsed("mode='tsan'").mode, TL_MODE_TSAN);
    assert_string_equal(parsed("log_path=''").log_path, "");
    assert_rejected("report_dir='/a:b", "unterminated quote in the value for 'report_dir'");
    assert_rejected("report_dir='/a'b", "unexpected text after the quoted value for 'report_dir'");
}

static void test_http_host_port(void **state)
{
    (void)state;
    assert_string_equal(parsed("http=127.0.0.1:6060").http, "127.0.0.1:6060");
    assert_string_equal(parsed("http=localhost:6060:mode=tsan").http, "localhost:6060");
    assert_int_equal(parsed("http=localhost:6060:mode=tsan").mode, TL_MODE_TSAN);
    assert_string_equal(parsed("http=[::1]:6060:exitcode=1").http, "[::1]:6060");
    assert_string_equal(parsed("http=[::1]:6060:").http, "[::1]:6060");
    assert_string_equal(parsed("http=localhost").http, "localhost");
    assert_string_equal(parsed("http=:6060").http, ":6060");
    assert_string_equal(parsed("http='h:1':http=").http, "");
    assert_string_equal(parsed("http=\"[fe80::1%lo]:80\"").http, "[fe80::1%lo]:80");
    /* Only one port; anything else after a ':' is the next key. */
    assert_rejected("http=localhost:6060:7070", "missing '=' after '7070'");
    assert_rejected("http=localhost:web", "missing '=' after 'web'");
    /* Other keys take no port: ':' ends their value. */
    assert_rejected("report_dir=/tmp:1", "missing '=' after '1'");
}

static void test_later_keys_override(void **state)
{
    (void)state;
    /* As the CLI appends its own keys to the user's. */
    struct tl__config cfg =
        parsed("exitcode=3:linger_ms=10:quiet=0:exitcode=4:quiet=1:linger_ms=20");
    assert_int_equal(cfg.exitcode, 4);
    assert_int_equal(cfg.linger_ms, 20);
    assert_true(cfg.quiet);
    /* Parsing twice layers: the second text only changes what it names. */
    char err[ERR_MAX];
    assert_int_equal(options_parse("verbosity=2", &cfg, err, sizeof err), 0);
    assert_int_equal(cfg.verbosity, 2);
    assert_int_equal(cfg.exitcode, 4);
}

static void test_empty_segments(void **state)
{
    (void)state;
    struct tl__config cfg = parsed("exitcode=1::verbosity=2:");
    assert_int_equal(cfg.exitcode, 1);
    assert_int_equal(cfg.verbosity, 2);
    assert_int_equal(parsed(":exitcode=9").exitcode, 9);
}

static void test_bad_numbers(void **state)
{
    (void)state;
    assert_rejected("exitcode=256", "bad value '256' for 'exitcode' (expected an integer 0..255)");
    assert_rejected("exitcode=-1", "bad value '-1' for 'exitcode' (expected an integer 0..255)");
    assert_rejected("exitcode=+1", "bad value '+1' for 'exitcode' (expected an integer 0..255)");
    assert_rejected("exitcode=0x10",
                    "bad value '0x10' for 'exitcode' (expected an integer 0..255)");
    assert_rejected("exitcode=", "bad value '' for 'exitcode' (expected an integer 0..255)");
    assert_rejected("exitcode=99999999999999999999999999",
                    "bad value '99999999999999999999999999' for 'exitcode' (expected an integer "
                    "0..255)");
    assert_rejected("linger_ms=600001",
                    "bad value '600001' for 'linger_ms' (expected an integer 0..600000)");
    assert_rejected("linger_ms=1.5",
                    "bad value '1.5' for 'linger_ms' (expected an integer 0..600000)");
    assert_rejected("verbosity=4", "bad value '4' for 'verbosity' (expected an integer 0..3)");
    assert_rejected("dump_signal=65",
                    "bad value '65' for 'dump_signal' (expected an integer 0..64)");
    assert_rejected("dump_timeout_ms=0",
                    "bad value '0' for 'dump_timeout_ms' (expected an integer 1..600000)");
    assert_rejected("dump_timeout_ms=600001",
                    "bad value '600001' for 'dump_timeout_ms' (expected an integer 1..600000)");
}

static void test_bad_words(void **state)
{
    (void)state;
    assert_rejected("mode=fast", "bad value 'fast' for 'mode' (expected all or tsan)");
    assert_rejected("mode=ALL", "bad value 'ALL' for 'mode' (expected all or tsan)");
    assert_rejected("color=red", "bad value 'red' for 'color' (expected auto, always or never)");
    assert_rejected("quiet=2", "bad value '2' for 'quiet' (expected 0 or 1)");
    assert_rejected("quiet=true", "bad value 'true' for 'quiet' (expected 0 or 1)");
    assert_rejected("stacks=yes", "bad value 'yes' for 'stacks' (expected signal or nosignal)");
}

static void test_strict_spacing(void **state)
{
    (void)state;
    assert_rejected("mode= all", "bad value ' all' for 'mode' (expected all or tsan)");
    assert_rejected("exitcode=1 ", "bad value '1 ' for 'exitcode' (expected an integer 0..255)");
    assert_rejected("exitcode=1, linger_ms=2",
                    "bad value '1, linger_ms=2' for 'exitcode' (expected an integer 0..255)");
}

static void test_key_errors(void **state)
{
    (void)state;
    assert_rejected("lnger_ms=5",
                    "unknown key 'lnger_ms' (known: exitcode, linger_ms, mode, report_dir, "
                    "log_path, suppressions, color, verbosity, quiet, http, stacks, dump_signal, "
                    "dump_timeout_ms)");
    assert_rejected("exitcode", "missing '=' after 'exitcode'");
    assert_rejected("exitcode:mode=all", "missing '=' after 'exitcode'");
    assert_rejected("mode=all:verbose", "missing '=' after 'verbose'");
    assert_rejected("=5", "missing key before '='");
    assert_rejected(" exitcode=1",
                    "unknown key ' exitcode' (known: exitcode, linger_ms, mode, report_dir, "
                    "log_path, suppressions, color, verbosity, quiet, http, stacks, dump_signal, "
                    "dump_timeout_ms)");
}

static void test_too_long_values(void **state)
{
    (void)state;
    static char text[PATH_MAX + 64];
    char expected[256];

    /* PATH_MAX - 1 bytes fit, with the NUL. */
    strcpy(text, "report_dir=");
    memset(text + strlen(text), 'x', PATH_MAX - 1);
    text[strlen("report_dir=") + PATH_MAX - 1] = '\0';
    assert_int_equal(strlen(parsed(text).report_dir), PATH_MAX - 1);

    strcat(text, "y");
    snprintf(expected, sizeof expected, "value for 'report_dir' is too long (%d bytes, at most %d)",
             PATH_MAX, PATH_MAX - 1);
    assert_rejected(text, expected);

    strcpy(text, "http=");
    memset(text + 5, 'h', TL_HTTP_ADDR_MAX);
    text[5 + TL_HTTP_ADDR_MAX] = '\0';
    snprintf(expected, sizeof expected, "value for 'http' is too long (%d bytes, at most %d)",
             TL_HTTP_ADDR_MAX, TL_HTTP_ADDR_MAX - 1);
    assert_rejected(text, expected);
}

static void test_long_value_is_cut_in_message(void **state)
{
    (void)state;
    assert_rejected("mode=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                    "bad value 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' for 'mode' (expected "
                    "all or tsan)");
}

static void test_error_leaves_config_untouched(void **state)
{
    (void)state;
    struct tl__config cfg, before;
    char err[ERR_MAX];
    options_defaults(&cfg);
    before = cfg;
    assert_int_equal(options_parse("exitcode=3:report_dir=/x:mode=bad", &cfg, err, sizeof err), -1);
    assert_memory_equal(&cfg, &before, sizeof cfg);
}

/* The case: a typo must not take http=, exitcode=, report_dir= or suppressions= with it.
 * Every good item applies; the error names the first bad one. */
static void test_bad_item_keeps_the_others(void **state)
{
    (void)state;
    struct tl__config cfg;
    char err[ERR_MAX];
    options_defaults(&cfg);
    assert_int_equal(options_parse("http=127.0.0.1:6060:exitcode=0:bogus_key=1:report_dir=/r:"
                                   "mode=fast:suppressions=s.supp",
                                   &cfg, err, sizeof err),
                     -1);
    assert_true(strncmp(err, "unknown key 'bogus_key' (known: exitcode, ", 41) == 0);
    assert_string_equal(cfg.http, "127.0.0.1:6060");
    assert_int_equal(cfg.exitcode, 0);
    assert_string_equal(cfg.report_dir, "/r");
    assert_int_equal(cfg.mode, TL_MODE_ALL); /* its bad value is skipped, the default stays */
    assert_string_equal(cfg.suppressions, "s.supp");
}

/* After a bad item parsing resumes at the next ':' that can start an item. */
static void test_resumes_after_a_bad_item(void **state)
{
    (void)state;
    struct tl__config cfg;
    char err[ERR_MAX];
    options_defaults(&cfg);
    assert_int_equal(options_parse("exitcode:verbosity=1", &cfg, err, sizeof err), -1);
    assert_int_equal(cfg.verbosity, 1);
    assert_int_equal(options_parse("=5:verbosity=2", &cfg, err, sizeof err), -1);
    assert_int_equal(cfg.verbosity, 2);
    assert_int_equal(options_parse("bogus='a:b':verbosity=3", &cfg, err, sizeof err), -1);
    assert_string_equal(err, "unknown key 'bogus' (known: exitcode, linger_ms, mode, report_dir, "
                             "log_path, suppressions, color, verbosity, quiet, http, stacks, "
                             "dump_signal, dump_timeout_ms, help)");
    assert_int_equal(cfg.verbosity, 3);
    assert_int_equal(options_parse("report_dir='/a'b:exitcode=5", &cfg, err, sizeof err), -1);
    assert_string_equal(err, "unexpected text after the quoted value for 'report_dir'");
    assert_string_equal(cfg.report_dir, "");
    assert_int_equal(cfg.exitcode, 5);
    /* An open quote takes the rest of the text: there is no telling where the value ends. */
    assert_int_equal(options_parse("report_dir='/a:exitcode=6", &cfg, err, sizeof err), -1);
    assert_int_equal(cfg.exitcode, 5);
}

static void test_small_error_buffer(void **state)
{
    (void)state;
    struct tl__config cfg;
    char buf[16];
    options_defaults(&cfg);
    memset(buf, '#', sizeof buf);
    assert_int_equal(options_parse("mode=fast", &cfg, buf, 8), -1);
    assert_string_equal(buf, "bad val");
    assert_int_equal(buf[8], '#'); /* nothing written past errlen */
    assert_int_equal(options_parse("mode=fast", &cfg, buf, 0), -1);
    assert_int_equal(buf[0], 'b');
    assert_int_equal(options_parse("mode=fast", &cfg, NULL, 0), -1);
}

static void test_key_info_lists_every_key(void **state)
{
    (void)state;
    static const char *const keys[] = {
        "exitcode",  "linger_ms", "mode", "report_dir", "log_path",    "suppressions",    "color",
        "verbosity", "quiet",     "http", "stacks",     "dump_signal", "dump_timeout_ms",
    };
    size_t n = sizeof keys / sizeof keys[0];
    for (size_t i = 0; i < n; i++) {
        const char *name = NULL, *help = NULL;
        assert_true(options_key_info(i, &name, &help));
        assert_string_equal(name, keys[i]);
        assert_non_null(help);
        assert_true(strlen(help) > 0);
    }
    assert_false(options_key_info(n, NULL, NULL));
}

static void test_log_file_name(void **state)
{
    (void)state;
    struct tl__config cfg;
    char out[64];
    options_defaults(&cfg);
    assert_false(options_log_file(&cfg, 42, out, sizeof out));
    cfg = parsed("log_path=/tmp/tl");
    assert_true(options_log_file(&cfg, 1234, out, sizeof out));
    assert_string_equal(out, "/tmp/tl.1234");
    assert_true(options_log_file(&cfg, 1234, out, strlen("/tmp/tl.1234") + 1));
    assert_false(options_log_file(&cfg, 1234, out, strlen("/tmp/tl.1234")));
    cfg = parsed("log_path=stderr");
    assert_false(options_log_file(&cfg, 1234, out, sizeof out));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_null_and_empty_change_nothing),
        cmocka_unit_test(test_numeric_keys),
        cmocka_unit_test(test_word_keys),
        cmocka_unit_test(test_path_keys),
        cmocka_unit_test(test_quoted_values),
        cmocka_unit_test(test_http_host_port),
        cmocka_unit_test(test_later_keys_override),
        cmocka_unit_test(test_empty_segments),
        cmocka_unit_test(test_bad_numbers),
        cmocka_unit_test(test_bad_words),
        cmocka_unit_test(test_strict_spacing),
        cmocka_unit_test(test_key_errors),
        cmocka_unit_test(test_too_long_values),
        cmocka_unit_test(test_long_value_is_cut_in_message),
        cmocka_unit_test(test_error_leaves_config_untouched),
        cmocka_unit_test(test_bad_item_keeps_the_others),
        cmocka_unit_test(test_resumes_after_a_bad_item),
        cmocka_unit_test(test_small_error_buffer),
        cmocka_unit_test(test_key_info_lists_every_key),
        cmocka_unit_test(test_log_file_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
