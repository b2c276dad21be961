/* Suppression files: TSan's pattern semantics, its line syntax, file errors, thread matching and
 * hit counts. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* mkstemp */
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "suppressions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ERR_MAX 512

struct pattern_case {
    const char *pattern;
    const char *text;
    bool matches;
};

/* Expected results are TSan's (compiler-rt TemplateMatch), including its quirks. */
static const struct pattern_case pattern_cases[] = {
    {"foo", "foo", true},
    {"foo", "xfooy", true}, /* unanchored: anywhere */
    {"foo", "fo", false},
    {"foo", "FOO", false}, /* case-sensitive */
    {"^foo", "foobar", true},
    {"^foo", "xfoo", false},
    {"foo$", "xfoo", true},
    {"foo$", "foox", false},
    {"foo$", "foofoo", false}, /* quirk: a piece is only looked for at its first occurrence */
    {"^foo$", "foo", true},
    {"^foo$", "foox", false},
    {"^foo$", "xfoo", false},
    {"*", "x", true},
    {"*", "", false},
    {"", "x", true}, /* an empty pattern matches any non-empty name */
    {"", "", false},
    {"^", "abc", true},
    {"$", "abc", false},
    {"^$", "abc", false},
    {"a*b*c", "aXbYc", true},
    {"a*b*c", "abc", true},
    {"a*b*c", "acb", false},
    {"a*b*c", "xxaxxbxxcxx", true},
    {"^a*c$", "abc", true},
    {"^a*c$", "abcd", false},
    {"foo*$", "foobar", true}, /* '$' right after '*' accepts any rest */
    {"*foo", "xfoo", true},
    {"^*foo", "xfoo", true}, /* '*' lifts the '^' anchor */
    {"a**b", "ab", true},
    {"foo$bar", "foo", true}, /* '$' ends the match; what follows it is never read */
    {"foo$bar", "foox", false},
    {"worker_*_loop", "worker_io_loop", true},
    {"worker_*_loop", "worker_io_loops", true},
    {"std::thread", "std::thread::_State_impl<std::thread::_Invoker<...>>::_M_run", true},
    {"^libfoo.so", "/usr/lib/libfoo.so.1", false},
    {"/libfoo.so", "/usr/lib/libfoo.so.1", true},
};

static void test_pattern_semantics(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof pattern_cases / sizeof pattern_cases[0]; i++) {
        const struct pattern_case *c = &pattern_cases[i];
        if (suppression_pattern_matches(c->pattern, c->text) != c->matches)
            fail_msg("pattern '%s' on '%s': expected %s", c->pattern, c->text,
                     c->matches ? "match" : "no match");
    }
    assert_false(suppression_pattern_matches("foo", NULL));
    assert_true(suppression_pattern_matches(NULL, "x"));
}

static struct tl__suppressions *parse_ok(const char *text)
{
    char err[ERR_MAX];
    struct tl__suppressions *s = suppressions_parse(text, err, sizeof err);
    if (!s)
        fail_msg("suppressions_parse failed: %s", err);
    return s;
}

static void assert_parse_error(const char *text, const char *message)
{
    char err[ERR_MAX];
    assert_null(suppressions_parse(text, err, sizeof err));
    assert_string_equal(err, message);
}

static struct tl__frame frame(const char *function, const char *file, const char *module)
{
    return (struct tl__frame){
        .pc = 0x1000, .function = function, .file = file, .line = 1, .module = module};
}

/* Whether a thread whose creation stack has one frame in function fn is suppressed. */
static bool suppresses_function(struct tl__suppressions *s, const char *fn)
{
    struct tl__frame f = frame(fn, NULL, NULL);
    return suppressions_match_thread(s, NULL, &f, 1);
}

static void test_syntax(void **state)
{
    (void)state;
    struct tl__suppressions *s = parse_ok("# leaks we live with\n"
                                          "\n"
                                          "   \t\n"
                                          "thread:alpha\n"
                                          "  \tthread:beta \t\r\n"
                                          "race:gamma\n"
                                          "race_top:delta\n"
                                          "mutex:m\n"
                                          "signal:s\n"
                                          "deadlock:d\n"
                                          "called_from_lib:libx.so\n"
                                          "   # indented comment\n"
                                          "thread:last-no-newline");
    assert_int_equal(suppressions_count(s), 9);
    assert_true(suppresses_function(s, "alpha"));
    assert_true(suppresses_function(s, "beta")); /* trimmed at both ends, \r included */
    assert_true(suppresses_function(s, "last-no-newline"));
    /* Only thread: entries apply to threads. */
    assert_false(suppresses_function(s, "gamma"));
    assert_false(suppresses_function(s, "delta"));
    assert_false(suppresses_function(s, "libx.so"));
    suppressions_free(s);
}

static void test_tsan_line_quirks(void **state)
{
    (void)state;
    /* As in TSan, '#' starts a comment only at the start of a line, and the pattern is everything
     * after the first ':', spaces included. */
    struct tl__suppressions *s = parse_ok("thread:foo # why\nthread: bar\n");
    assert_false(suppresses_function(s, "foo"));
    assert_true(suppresses_function(s, "foo # why"));
    assert_false(suppresses_function(s, "bar"));
    assert_true(suppresses_function(s, "a bar"));
    suppressions_free(s);

    /* An empty pattern suppresses every thread with a known name. */
    s = parse_ok("thread:\n");
    assert_true(suppresses_function(s, "anything"));
    suppressions_free(s);

    s = parse_ok("thread:a:b\n"); /* later colons belong to the pattern */
    assert_true(suppresses_function(s, "ns::a:b"));
    assert_false(suppresses_function(s, "a"));
    suppressions_free(s);
}

static void test_empty_inputs(void **state)
{
    (void)state;
    struct tl__suppressions *s = parse_ok("");
    assert_int_equal(suppressions_count(s), 0);
    assert_false(suppresses_function(s, "x"));
    suppressions_free(s);
    s = parse_ok("# only comments\n\n");
    assert_int_equal(suppressions_count(s), 0);
    suppressions_free(s);
    suppressions_free(NULL);
    assert_false(suppresses_function(NULL, "x"));
    assert_int_equal(suppressions_count(NULL), 0);
    assert_int_equal(suppressions_used(NULL, NULL, NULL, NULL, 0), 0);
}

static void test_syntax_errors(void **state)
{
    (void)state;
    assert_parse_error("thread:ok\n\nthred:x\n",
                       "line 3: unknown suppression type 'thred' (known: thread, race, race_top, "
                       "mutex, signal, deadlock, called_from_lib)");
    assert_parse_error("# c\nfoo\n",
                       "line 2: expected TYPE:PATTERN, got 'foo' (types: thread, race, race_top, "
                       "mutex, signal, deadlock, called_from_lib)");
    assert_parse_error("thread :x",
                       "line 1: unknown suppression type 'thread ' (known: thread, race, "
                       "race_top, mutex, signal, deadlock, called_from_lib)");
    assert_parse_error("leak:x",
                       "line 1: unknown suppression type 'leak' (known: thread, race, race_top, "
                       "mutex, signal, deadlock, called_from_lib)");
    assert_parse_error("Thread:x",
                       "line 1: unknown suppression type 'Thread' (known: thread, race, "
                       "race_top, mutex, signal, deadlock, called_from_lib)");
    assert_parse_error("thread",
                       "line 1: expected TYPE:PATTERN, got 'thread' (types: thread, race, "
                       "race_top, mutex, signal, deadlock, called_from_lib)");
}

static void test_match_sources(void **state)
{
    (void)state;
    struct tl__suppressions *s = parse_ok("thread:^start_worker$\n"
                                          "thread:pool_spawn\n"
                                          "thread:src/net/*.c\n"
                                          "thread:libvendor.so\n");
    struct tl__frame stack[3] = {
        frame("make_threads", "/src/app/main.c", "/usr/bin/app"),
        frame("helper", "/src/app/helper.c", "/usr/bin/app"),
        frame("main", "/src/app/main.c", "/usr/bin/app"),
    };
    assert_false(suppressions_match_thread(s, "other_routine", stack, 3));
    /* the start routine */
    assert_true(suppressions_match_thread(s, "start_worker", stack, 3));
    assert_false(suppressions_match_thread(s, "start_worker2", stack, 3));
    /* a function below the top of the creation stack */
    stack[1].function = "pool_spawn";
    assert_true(suppressions_match_thread(s, NULL, stack, 3));
    assert_false(suppressions_match_thread(s, NULL, stack, 1)); /* only frames given count */
    stack[1].function = "helper";
    /* a file */
    stack[2].file = "/home/me/src/net/listener.c";
    assert_true(suppressions_match_thread(s, NULL, stack, 3));
    stack[2].file = "/src/app/main.c";
    /* a module */
    stack[0].module = "/opt/vendor/lib/libvendor.so.2";
    assert_true(suppressions_match_thread(s, NULL, stack, 3));
    assert_false(suppressions_match_thread(s, NULL, NULL, 0));
    suppressions_free(s);
}

static void test_unknown_function_never_matches(void **state)
{
    (void)state;
    /* "??" is the symboliser's placeholder, not a name: TSan would have none to match. */
    struct tl__suppressions *s = parse_ok("thread:?\n");
    struct tl__frame f = frame("??", NULL, NULL);
    assert_false(suppressions_match_thread(s, "??", &f, 1));
    f.function = "a?b";
    assert_true(suppressions_match_thread(s, NULL, &f, 1));
    suppressions_free(s);
}

static void test_hit_counts(void **state)
{
    (void)state;
    struct tl__suppressions *s = parse_ok("thread:never\n"
                                          "race:foo\n"
                                          "thread:foo\n"
                                          "thread:fo\n" /* also matches foo, but comes later */
                                          "thread:bar\n");
    assert_int_equal(suppressions_used(s, NULL, NULL, NULL, 0), 0);
    assert_true(suppresses_function(s, "foo"));
    assert_true(suppresses_function(s, "foo"));
    assert_true(suppresses_function(s, "bar"));
    assert_false(suppresses_function(s, "baz"));

    const char *types[4], *patterns[4];
    unsigned hits[4];
    assert_int_equal(suppressions_used(s, types, patterns, hits, 4), 2);
    assert_string_equal(types[0], "thread");
    assert_string_equal(patterns[0], "foo");
    assert_int_equal(hits[0], 2);
    assert_string_equal(types[1], "thread");
    assert_string_equal(patterns[1], "bar");
    assert_int_equal(hits[1], 1);

    /* cap limits what is written, not what is counted */
    patterns[1] = "untouched";
    assert_int_equal(suppressions_used(s, NULL, patterns, NULL, 1), 2);
    assert_string_equal(patterns[0], "foo");
    assert_string_equal(patterns[1], "untouched");
    suppressions_free(s);
}

static void test_stack_is_credited_before_start_routine(void **state)
{
    (void)state;
    /* TSan only looks at the creation stack, so an entry it would also use gets the hit. */
    struct tl__suppressions *s = parse_ok("thread:routine\nthread:creator\n");
    struct tl__frame f = frame("creator", NULL, NULL);
    assert_true(suppressions_match_thread(s, "routine", &f, 1));
    const char *patterns[2];
    assert_int_equal(suppressions_used(s, NULL, patterns, NULL, 2), 1);
    assert_string_equal(patterns[0], "creator");
    suppressions_free(s);
}

/* Lock findings use TSan's report types: mutex: for misuse, deadlock: for inversions; a thread:
 * entry matches neither, and neither matches a thread. */
static void test_lock_types_match_their_own_findings(void **state)
{
    (void)state;
    struct tl__suppressions *s = parse_ok("thread:spawner\n"
                                          "mutex:unlock_site\n"
                                          "deadlock:libinverted.so$\n");
    struct tl__frame misuse[] = {frame("unlock_site", "app.c", "/bin/app"),
                                 frame("main", "app.c", "/bin/app")};
    struct tl__frame inversion[] = {frame("take", NULL, "/usr/lib/libinverted.so"),
                                    frame("main", "app.c", "/bin/app")};
    struct tl__frame outer[] = {frame("main", "app.c", "/bin/app"),
                                frame("unlock_site", "app.c", "/bin/app")};
    assert_true(suppressions_match_stack(s, "mutex", misuse, 2));
    assert_false(suppressions_match_stack(s, "deadlock", misuse, 2));
    assert_true(suppressions_match_stack(s, "deadlock", inversion, 2));
    assert_false(suppressions_match_stack(s, "mutex", inversion, 2));
    /* Any frame, as TSan's IsSuppressed walks the whole stack. */
    assert_true(suppressions_match_stack(s, "mutex", outer, 2));
    struct tl__frame spawner = frame("spawner", NULL, NULL);
    assert_false(suppressions_match_stack(s, "mutex", &spawner, 1));
    assert_false(suppressions_match_thread(s, "unlock_site", misuse, 2));
    assert_false(suppressions_match_stack(s, "no_such_type", misuse, 2));
    assert_false(suppressions_match_stack(NULL, "mutex", misuse, 2));
    const char *types[3];
    unsigned hits[3];
    assert_int_equal(suppressions_used(s, types, NULL, hits, 3), 2);
    assert_string_equal(types[0], "mutex");
    assert_int_equal(hits[0], 2);
    assert_string_equal(types[1], "deadlock");
    assert_int_equal(hits[1], 1);
    suppressions_free(s);
}

/* Writes text to a fresh temporary file; returns its path in path. */
static void write_temp(char *path, size_t len, const char *text)
{
    snprintf(path, len, "/tmp/tl_supp_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t n = strlen(text);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    close(fd);
}

static void test_load_file(void **state)
{
    (void)state;
    char path[64], err[ERR_MAX];
    write_temp(path, sizeof path, "# tsan file\nthread:from_file\r\nrace:x\n");
    struct tl__suppressions *s = suppressions_load(path, err, sizeof err);
    unlink(path);
    assert_non_null(s);
    assert_int_equal(suppressions_count(s), 2);
    assert_true(suppresses_function(s, "from_file"));
    suppressions_free(s);
}

static void test_load_large_file(void **state)
{
    (void)state;
    /* Far past the first read buffer, so that growing it is exercised. */
    size_t entries = 3000;
    char *text = malloc(entries * 32);
    assert_non_null(text);
    size_t len = 0;
    for (size_t i = 0; i < entries; i++)
        len += (size_t)sprintf(text + len, "thread:^fn_%zu$\n", i);
    char path[64], err[ERR_MAX];
    write_temp(path, sizeof path, text);
    free(text);
    struct tl__suppressions *s = suppressions_load(path, err, sizeof err);
    unlink(path);
    assert_non_null(s);
    assert_int_equal(suppressions_count(s), entries);
    assert_true(suppresses_function(s, "fn_0"));
    assert_true(suppresses_function(s, "fn_2999"));
    assert_false(suppresses_function(s, "fn_3000"));
    suppressions_free(s);
}

static void test_load_errors(void **state)
{
    (void)state;
    char path[64], err[ERR_MAX], expected[ERR_MAX];
    assert_null(suppressions_load("/nonexistent/threadleak.supp", err, sizeof err));
    assert_string_equal(err, "cannot read suppressions file '/nonexistent/threadleak.supp': No "
                             "such file or directory");
    assert_null(suppressions_load("/tmp", err, sizeof err));
    assert_string_equal(err, "cannot read suppressions file '/tmp': Is a directory");

    write_temp(path, sizeof path, "thread:ok\nrace:ok\nthreads:bad\n");
    assert_null(suppressions_load(path, err, sizeof err));
    snprintf(expected, sizeof expected,
             "%s:3: unknown suppression type 'threads' (known: thread, race, race_top, mutex, "
             "signal, deadlock, called_from_lib)",
             path);
    unlink(path);
    assert_string_equal(err, expected);
}

static void test_small_error_buffer(void **state)
{
    (void)state;
    char err[16];
    memset(err, '#', sizeof err);
    assert_null(suppressions_parse("bad", err, 10));
    assert_string_equal(err, "line 1: e");
    assert_int_equal(err[10], '#');
    assert_null(suppressions_parse("bad", NULL, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pattern_semantics),
        cmocka_unit_test(test_syntax),
        cmocka_unit_test(test_tsan_line_quirks),
        cmocka_unit_test(test_empty_inputs),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_match_sources),
        cmocka_unit_test(test_unknown_function_never_matches),
        cmocka_unit_test(test_hit_counts),
        cmocka_unit_test(test_stack_is_credited_before_start_routine),
        cmocka_unit_test(test_lock_types_match_their_own_findings),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_load_large_file),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_small_error_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
