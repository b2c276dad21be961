/* threadleak helpers for cmocka tests. Header-only; include it after <cmocka.h>.
 *
 * Per test, with the test's name as its scope (recommended):
 *
 *     const struct CMUnitTest tests[] = {
 *         tl_cmocka_unit_test(test_worker_pool),
 *     };
 *
 * The setup opens a scope named after the test, so the threads the test creates (and the threads
 * those create) carry its name; the teardown checks that scope only, then closes it. A test that
 * leaks fails in its teardown, with threadleak's report (thread, start routine, creation stack)
 * printed through cmocka's print_error. Tests running at the same time in other threads, and
 * threads that earlier tests leaked, are not blamed on this one.
 *
 * cmocka has no portable way to ask for the running test's name, so tl_cmocka_unit_test passes
 * it as the test's initial state, tagged with TL_MARKED_NAME. The test function then receives
 * that tag as *state and should not use it. When the group setup sets a group state, cmocka passes
 * that instead, and the setup falls back to a generated scope name ("cmocka test #N@ADDR"), as it
 * does with plain cmocka_unit_test_setup_teardown(f, tl_cmocka_setup, tl_cmocka_teardown). The
 * group state itself is never touched.
 *
 * Inside a test body, assert_no_thread_leaks() checks the current scope (every thread outside a
 * scope) and fails the test at that line when something leaked.
 *
 * assert_no_lock_findings(snapshot) fails the test at that line when the lock module found a
 * lock-order inversion, a misuse or a deadlock after the snapshot was taken (NULL: ever), or when
 * locks are not checked at all (the test runs without libthreadleak-locks.so): see
 * tl_find_lock_findings. */
#ifndef THREADLEAK_CMOCKA_H
#define THREADLEAK_CMOCKA_H

#ifndef cmocka_unit_test
#error "include <cmocka.h> before <threadleak_cmocka.h>"
#endif

#include "threadleak.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define tl_cmocka_unit_test(f)                                                                     \
    cmocka_unit_test_prestate_setup_teardown(f, tl_cmocka_setup, tl_cmocka_teardown,               \
                                             (void *)TL_MARKED_NAME(#f))

/* Set when assert_no_thread_leaks failed the running test, so that its teardown does not report
 * the same threads a second time. */
static int tl_cmocka_failed_in_body;

/* Prints text through cmocka one line at a time: print_error formats into a 1 KiB buffer. */
static inline void tl_cmocka_print_lines(const char *text)
{
    while (text && *text) {
        const char *newline = strchr(text, '\n');
        int len = newline ? (int)(newline - text) : (int)strlen(text);
        print_error("%.*s\n", len, text);
        text += len + (newline != NULL);
    }
}

/* Checks with opts (NULL = defaults, scope = the current scope). Returns 0 when clean; otherwise
 * prints the report through cmocka and returns -1. */
static inline int tl_cmocka_check(const tl_options *opts)
{
    tl_options o;
    memset(&o, 0, sizeof o);
    if (opts)
        o = *opts;
    if (!o.scope)
        o.scope = tl_scope_current();
    tl_report *r = tl_find(&o);
    if (!r)
        return 0;
    char *text = tl_report_string(r, TL_FORMAT_TEXT);
    print_error("threadleak: %zu thread(s) leaked%s%s\n", tl_report_count(r),
                o.scope ? " in scope " : "", o.scope ? o.scope : "");
    tl_cmocka_print_lines(text);
    free(text);
    tl_report_free(r);
    return -1;
}

static inline int tl_cmocka_setup(void **state)
{
    static unsigned generated;
    char fallback[64];
    const char *name = tl_marked_name(state ? *state : NULL);
    tl_cmocka_failed_in_body = 0;
    if (!name) {
        /* The counter's address keeps names from two translation units apart. */
        snprintf(fallback, sizeof fallback, "cmocka test #%u@%p", ++generated, (void *)&generated);
        name = fallback;
    }
    if (tl_scope_begin(name) != 0) {
        /* cmocka runs no teardown after a failed setup: close the level here. */
        tl_scope_end();
        print_error("threadleak: cannot open scope %s\n", name);
        return -1;
    }
    return 0;
}

static inline int tl_cmocka_teardown(void **state)
{
    (void)state;
    /* The test already failed with this report; a failing teardown would only repeat it. */
    int rc = tl_cmocka_failed_in_body ? 0 : tl_cmocka_check(NULL);
    tl_cmocka_failed_in_body = 0;
    tl_scope_end();
    return rc;
}

/* The lock findings since since (NULL: all). Returns 0 when there are none; otherwise prints them,
 * or why locks are not checked, through cmocka and returns -1. */
static inline int tl_cmocka_check_locks(const tl_snapshot *since)
{
    tl_report *r = NULL;
    int n = tl_find_lock_findings(since, &r);
    if (n == 0)
        return 0;
    if (n == TL_LOCKS_NOT_CHECKED) {
        print_error("threadleak: lock findings not checked: run with libthreadleak-locks.so "
                    "(threadleak run --locks) and locks=1\n");
        return -1;
    }
    if (n < 0) {
        print_error("threadleak: lock findings: out of memory\n");
        return -1;
    }
    char *text = tl_report_string(r, TL_FORMAT_TEXT);
    print_error("threadleak: %d lock finding(s)%s\n", n, since ? " since the snapshot" : "");
    tl_cmocka_print_lines(text);
    free(text);
    tl_report_free(r);
    return -1;
}

#define assert_no_lock_findings(since)                                                             \
    do {                                                                                           \
        if (tl_cmocka_check_locks(since) != 0)                                                     \
            _fail(__FILE__, __LINE__);                                                             \
    } while (0)

#define assert_no_thread_leaks()                                                                   \
    do {                                                                                           \
        if (tl_cmocka_check(NULL) != 0) {                                                          \
            tl_cmocka_failed_in_body = 1;                                                          \
            _fail(__FILE__, __LINE__);                                                             \
        }                                                                                          \
    } while (0)

#endif
