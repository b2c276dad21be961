/* profile_metrics.c: every line of the fixture's exposition checked against the text format
 * (HELP/TYPE before samples, metric names, label syntax and escaping, numeric values), and the
 * values against the fixture. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile_fixture.h"
#include "profile_metrics.h"

#define NAME        "[a-zA-Z_:][a-zA-Z0-9_:]*"
#define LABEL_VALUE "\"([^\"\\\\\n]|\\\\[\\\\\"n])*\""
#define LABELS                                                                                     \
    "\\{[a-zA-Z_][a-zA-Z0-9_]*=" LABEL_VALUE "(,[a-zA-Z_][a-zA-Z0-9_]*=" LABEL_VALUE ")*\\}"
#define SAMPLE_LINE "^(" NAME ")(" LABELS ")? [0-9]+$"
#define HELP_LINE   "^# HELP (" NAME ") [^\n]+$"
#define TYPE_LINE   "^# TYPE (" NAME ") (counter|gauge)$"

static char *render(void)
{
    struct thread_profile p;
    fixture_profile(&p);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    assert_int_equal(profile_write_metrics(out, &p), 0);
    assert_int_equal(fclose(out), 0);
    thread_profile_free(&p);
    return text;
}

/* The first capture group of pattern in s, or "" when it does not match. */
static bool match_name(const char *pattern, const char *s, char *name, size_t len)
{
    regex_t re;
    regmatch_t m[2];
    assert_int_equal(regcomp(&re, pattern, REG_EXTENDED), 0);
    bool ok = regexec(&re, s, 2, m, 0) == 0;
    regfree(&re);
    if (ok)
        snprintf(name, len, "%.*s", (int)(m[1].rm_eo - m[1].rm_so), s + m[1].rm_so);
    return ok;
}

static void test_every_line_is_valid_exposition(void **state)
{
    (void)state;
    char *text = render();
    assert_true(strlen(text) > 0 && text[strlen(text) - 1] == '\n');
    char help[128] = "", type[128] = "", name[128];
    size_t samples = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (match_name(HELP_LINE, line, name, sizeof name)) {
            snprintf(help, sizeof help, "%s", name);
        } else if (match_name(TYPE_LINE, line, name, sizeof name)) {
            assert_string_equal(name, help); /* HELP then TYPE for each family */
            snprintf(type, sizeof type, "%s", name);
        } else if (match_name(SAMPLE_LINE, line, name, sizeof name)) {
            assert_string_equal(name, type); /* a sample belongs to the family just declared */
            samples++;
        } else {
            fail_msg("not an exposition line: '%s'", line);
        }
    }
    assert_true(samples >= 9);
    free(text);
}

static void test_values(void **state)
{
    (void)state;
    char *text = render();
    assert_non_null(strstr(text, "\nthreadleak_threads{state=\"waiting\"} 6\n"));
    assert_non_null(strstr(text, "\nthreadleak_threads{state=\"running\"} 1\n"));
    assert_non_null(strstr(text, "\nthreadleak_threads{state=\"exited_unjoined\"} 1\n"));
    assert_non_null(strstr(text, "\nthreadleak_threads{state=\"stopped\"} 0\n"));
    assert_non_null(strstr(text, "\nthreadleak_threads_created_total 1234\n"));
    assert_non_null(strstr(text, "# TYPE threadleak_threads_created_total counter\n"));
    assert_non_null(strstr(text, "\nthreadleak_threads_exited_unjoined 1\n"));
    assert_non_null(strstr(text, "\nthreadleak_process_threads 10\n"));
    assert_non_null(
        strstr(text, "\nthreadleak_threads_by_start_routine{start_routine=\"" FIXTURE_WORKER_FN
                     "\"} 3\n"));
    /* the quotes in the C++ operator's name are escaped */
    assert_non_null(strstr(text, "{start_routine=\"operator\\\"\\\" _q<T>\"} 1\n"));
    free(text);
}

static void test_label_escaping(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    profile_metrics_write_label_value(out, "a\\b\"c\nd");
    fclose(out);
    assert_string_equal(text, "a\\\\b\\\"c\\nd");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_line_is_valid_exposition),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_label_escaping),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
