/* THREADLEAK_OPTIONS parsing: every key, every error message, overrides, the skip-only-the-bad-
 * item rule, help=1, and the docs and public header against the table of options. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "options.h"
/* After options.h, whose enums it then leaves alone: only its defaults are checked here. */
#include "threadleak.h"

#include <stdio.h>
#include <stdlib.h>
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

/* Parses text that holds exactly one bad item with this message; returns what the rest set. */
static struct tl__config one_bad(const char *text, const char *message)
{
    struct tl__config cfg;
    char err[ERR_MAX];
    options_defaults(&cfg);
    assert_int_equal(options_parse(text, &cfg, err, sizeof err), -1);
    assert_string_equal(err, message);
    assert_int_equal(options_apply(text, &cfg, NULL, NULL), 1);
    return cfg;
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
    assert_int_equal(parsed("stacks=interrupt").stacks, TL_STACKS_INTERRUPT);
    assert_true(parsed("").locks);
    assert_false(parsed("locks=0").locks);
    assert_int_equal(parsed("").deadlock, TL_DEADLOCK_REPORT);
    assert_int_equal(parsed("deadlock=abort").deadlock, TL_DEADLOCK_ABORT);
    assert_int_equal(parsed("deadlock=abort:deadlock=report").deadlock, TL_DEADLOCK_REPORT);
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

/* label= goes into report lines: any text but control characters, at most TL_LABEL_MAX bytes. */
static void test_label(void **state)
{
    (void)state;
    assert_string_equal(parsed("").label, "");
    assert_string_equal(parsed("label=shard-2").label, "shard-2");
    assert_string_equal(parsed("label='unit: shard 2':exitcode=3").label, "unit: shard 2");
    assert_string_equal(parsed("label=\"\xc3\xa9tape\"").label, "\xc3\xa9tape");
    assert_rejected("label='a\tb'", "value for 'label' has a control character");
    assert_rejected("label=a\x7f", "value for 'label' has a control character");
    char text[TL_LABEL_MAX + 16], expected[128];
    snprintf(text, sizeof text, "label=%0*d", TL_LABEL_MAX, 0);
    assert_int_equal(strlen(parsed(text).label), TL_LABEL_MAX);
    snprintf(text, sizeof text, "label=%0*d", TL_LABEL_MAX + 1, 0);
    snprintf(expected, sizeof expected, "value for 'label' is too long (%d bytes, at most %d)",
             TL_LABEL_MAX + 1, TL_LABEL_MAX);
    assert_rejected(text, expected);
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
    assert_string_equal(one_bad("http=localhost:6060:7070", "missing '=' after '7070'").http,
                        "localhost:6060");
    assert_string_equal(one_bad("http=localhost:web", "missing '=' after 'web'").http, "localhost");
    /* Other keys take no port: ':' ends their value. */
    assert_string_equal(one_bad("report_dir=/tmp:1", "missing '=' after '1'").report_dir, "/tmp");
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
    assert_rejected("stacks=yes",
                    "bad value 'yes' for 'stacks' (expected signal, nosignal or interrupt)");
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
                    "dump_timeout_ms, help, default_suppressions, locks, deadlock, label, "
                    "growth_sample_ms, growth_window_s)");
    assert_rejected("exitcode", "missing '=' after 'exitcode'");
    assert_rejected("exitcode:mode=all", "missing '=' after 'exitcode'");
    assert_rejected("mode=all:verbose", "missing '=' after 'verbose'");
    assert_rejected("=5", "missing key before '='");
    assert_rejected(" exitcode=1",
                    "unknown key ' exitcode' (known: exitcode, linger_ms, mode, report_dir, "
                    "log_path, suppressions, color, verbosity, quiet, http, stacks, dump_signal, "
                    "dump_timeout_ms, help, default_suppressions, locks, deadlock, label, "
                    "growth_sample_ms, growth_window_s)");
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

/* A bad item is skipped, not the text: the good items around it apply, as with the sanitizers. */
static void test_error_skips_only_the_bad_item(void **state)
{
    (void)state;
    struct tl__config cfg, before;
    char err[ERR_MAX];
    options_defaults(&cfg);
    before = cfg;
    assert_int_equal(options_parse("exitcode=3:report_dir=/x:mode=bad", &cfg, err, sizeof err), -1);
    assert_int_equal(cfg.exitcode, 3);
    assert_string_equal(cfg.report_dir, "/x");
    assert_int_equal(cfg.mode, before.mode);
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
                             "dump_signal, dump_timeout_ms, help, default_suppressions, locks, "
                             "deadlock, label, growth_sample_ms, growth_window_s)");
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
    static const char *const keys[] = {"exitcode",
                                       "linger_ms",
                                       "mode",
                                       "report_dir",
                                       "log_path",
                                       "suppressions",
                                       "color",
                                       "verbosity",
                                       "quiet",
                                       "http",
                                       "stacks",
                                       "dump_signal",
                                       "dump_timeout_ms",
                                       "help",
                                       "default_suppressions",
                                       "locks",
                                       "deadlock",
                                       "label",
                                       "growth_sample_ms",
                                       "growth_window_s"};
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

struct warnings {
    size_t count;
    char text[4][ERR_MAX];
};

static void collect(void *ctx, const char *message)
{
    struct warnings *w = ctx;
    if (w->count < 4)
        snprintf(w->text[w->count], sizeof w->text[0], "%s", message);
    w->count++;
}

/* One warning per bad item, in order, each naming its item; the good items between apply. */
static void test_one_warning_per_bad_item(void **state)
{
    (void)state;
    struct tl__config cfg;
    struct warnings w = {0};
    options_defaults(&cfg);
    assert_int_equal(
        options_apply("exitcode=1:bogus_key=1:mode=fast:verbosity=2:linger=5", &cfg, collect, &w),
        3);
    assert_int_equal(w.count, 3);
    assert_true(strncmp(w.text[0], "unknown key 'bogus_key' (known: ", 32) == 0);
    assert_string_equal(w.text[1], "bad value 'fast' for 'mode' (expected all or tsan)");
    assert_true(strncmp(w.text[2], "unknown key 'linger' (known: ", 29) == 0);
    assert_int_equal(cfg.exitcode, 1);
    assert_int_equal(cfg.verbosity, 2);
    assert_int_equal(options_apply("exitcode=2", &cfg, collect, &w), 0);
    assert_int_equal(w.count, 3);
}

/* The table's defaults as help=1 and the docs spell them. */
static void test_key_defaults(void **state)
{
    (void)state;
    static const char *const defaults[] = {"66", "500", "all",    "",       "",      "",     "auto",
                                           "0",  "0",   "",       "signal", "0",     "1000", "0",
                                           "1",  "1",   "report", "",       "10000", "3600"};
    size_t n = sizeof defaults / sizeof defaults[0];
    char text[64];
    for (size_t i = 0; i < n; i++) {
        assert_true(options_key_default(i, text, sizeof text));
        assert_string_equal(text, defaults[i]);
    }
    assert_false(options_key_default(n, text, sizeof text));
    assert_false(options_key_default(0, text, 2)); /* "66" needs 3 bytes: never cut */
    assert_true(options_key_default(0, text, 3));
}

static void test_help_entries(void **state)
{
    (void)state;
    char text[512];
    assert_true(options_help_entry(0, text, sizeof text));
    assert_string_equal(text, "  exitcode=66\n      exit status when leaks are found and the "
                              "program exited 0; 0 = only report (an integer 0..255)\n");
    assert_true(options_help_entry(2, text, sizeof text));
    assert_non_null(strstr(text, "  mode=all\n"));
    assert_non_null(strstr(text, "(all or tsan)\n"));
    assert_true(options_help_entry(3, text, sizeof text));
    assert_true(strncmp(text, "  report_dir=\n", 14) == 0);
    assert_non_null(strstr(text, "(a path)\n"));
    size_t n = 0;
    while (options_help_entry(n, text, sizeof text))
        n++;
    assert_true(options_key_info(n - 1, NULL, NULL));
    assert_false(options_key_info(n, NULL, NULL));
    assert_true(options_help_entry(0, text, 8)); /* cut, never overrun */
    assert_string_equal(text, "  exitc");
}

/* The growth sampler's interval and window: positive, and a window of at most a week. */
static void test_growth_options(void **state)
{
    (void)state;
    struct tl__config cfg;
    char err[ERR_MAX];
    options_defaults(&cfg);
    assert_int_equal(cfg.growth_sample_ms, 10000);
    assert_int_equal(cfg.growth_window_s, 3600);
    assert_int_equal(options_parse("growth_sample_ms=50:growth_window_s=10", &cfg, err, sizeof err),
                     0);
    assert_int_equal(cfg.growth_sample_ms, 50);
    assert_int_equal(cfg.growth_window_s, 10);
    assert_int_equal(options_parse("growth_sample_ms=0", &cfg, err, sizeof err), -1);
    assert_string_equal(err,
                        "bad value '0' for 'growth_sample_ms' (expected an integer 1..600000)");
    assert_int_equal(options_parse("growth_window_s=604801", &cfg, err, sizeof err), -1);
    assert_string_equal(err,
                        "bad value '604801' for 'growth_window_s' (expected an integer 1..604800)");
    assert_int_equal(cfg.growth_window_s, 10);
}

/* The public header cannot include the table, so its copy of a default is checked here. */
static void test_public_header_defaults(void **state)
{
    (void)state;
    struct tl__config cfg;
    options_defaults(&cfg);
    assert_int_equal(cfg.linger_ms, TL_LINGER_DEFAULT_MS);
}

/* The `| key | default | meaning |` table of a Markdown file must list the table's keys in its
 * order, each with its default: `66`, `all`..., and for a string option (default "") a word
 * such as *(none)* that is not in backticks. The meaning column is the docs' own prose. */
static void assert_doc_table_matches(const char *file)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", TL_SOURCE_DIR, file);
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot read %s", path);
    char line[4096];
    bool in_table = false;
    size_t row = 0;
    while (fgets(line, sizeof line, f)) {
        if (!in_table) {
            in_table = strncmp(line, "| key | default | meaning |", 27) == 0;
            continue;
        }
        if (strncmp(line, "|---", 4) == 0)
            continue;
        if (line[0] != '|')
            break;
        char key[128], cell[128];
        if (sscanf(line, "| `%127[^`]` | %127[^|]|", key, cell) != 2)
            fail_msg("%s: unreadable row: %s", file, line);
        size_t len = strlen(cell);
        while (len && cell[len - 1] == ' ')
            cell[--len] = '\0';
        const char *name;
        char want[128], quoted[140];
        if (!options_key_info(row, &name, NULL))
            fail_msg("%s lists '%s', which options.inc does not have", file, key);
        if (strcmp(key, name) != 0)
            fail_msg("%s: row %zu is '%s'; options.inc has '%s' there", file, row + 1, key, name);
        assert_true(options_key_default(row, want, sizeof want));
        snprintf(quoted, sizeof quoted, "`%s`", want);
        if (want[0] ? strcmp(cell, quoted) != 0 : cell[0] == '`')
            fail_msg("%s: '%s' has the default %s; options.inc says \"%s\"", file, key, cell, want);
        row++;
    }
    fclose(f);
    if (!in_table)
        fail_msg("%s: no '| key | default | meaning |' table", file);
    if (options_key_info(row, NULL, NULL))
        fail_msg("%s: its table stops after %zu keys; options.inc has more", file, row);
}

static void test_docs_list_the_table(void **state)
{
    (void)state;
    assert_doc_table_matches("docs/options.md");
    assert_doc_table_matches("README.md");
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
        cmocka_unit_test(test_label),
        cmocka_unit_test(test_http_host_port),
        cmocka_unit_test(test_later_keys_override),
        cmocka_unit_test(test_empty_segments),
        cmocka_unit_test(test_bad_numbers),
        cmocka_unit_test(test_bad_words),
        cmocka_unit_test(test_strict_spacing),
        cmocka_unit_test(test_key_errors),
        cmocka_unit_test(test_too_long_values),
        cmocka_unit_test(test_long_value_is_cut_in_message),
        cmocka_unit_test(test_error_skips_only_the_bad_item),
        cmocka_unit_test(test_bad_item_keeps_the_others),
        cmocka_unit_test(test_resumes_after_a_bad_item),
        cmocka_unit_test(test_small_error_buffer),
        cmocka_unit_test(test_key_info_lists_every_key),
        cmocka_unit_test(test_one_warning_per_bad_item),
        cmocka_unit_test(test_key_defaults),
        cmocka_unit_test(test_help_entries),
        cmocka_unit_test(test_growth_options),
        cmocka_unit_test(test_public_header_defaults),
        cmocka_unit_test(test_docs_list_the_table),
        cmocka_unit_test(test_log_file_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
