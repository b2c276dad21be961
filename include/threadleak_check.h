/* threadleak for Check (libcheck): every test fails when it leaves a thread behind. Header-only
 * C; include it after <check.h>, and add the checked fixture to each TCase:
 *
 *     tcase_add_checked_fixture(tc, tl_check_setup, tl_check_teardown);
 *
 * A checked fixture runs around each test, in the test's own process in fork mode (CK_FORK, the
 * default: each test runs in a child of its own, so the threads the check sees are that test's
 * by construction) and in the runner's in no-fork mode. The setup opens a threadleak scope of its
 * own and takes a snapshot; the teardown checks that scope, ignoring the snapshot's threads, and
 * fails the test with Check's own failure at the creation site (FILE:LINE), naming the test
 * (tcase_name(): the START_TEST name), the start routine and the wait. Check reports one failure
 * per test: the other places that leaked are in the same message. The full report is the exit
 * report's: the test's child process prints it as it exits (fork mode), the runner at its end
 * (no-fork mode). Threads leaked by earlier tests are not blamed on later ones.
 *
 * Check starts no threads of its own (its timeouts are timers that signal). Options for every
 * check: tl_check_options. */
#ifndef THREADLEAK_CHECK_H
#define THREADLEAK_CHECK_H

#ifndef CHECK_H
#error "include <check.h> before <threadleak_check.h>"
#endif

#include "threadleak.h"
#include "threadleak_frameworks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The options every check uses (zero: the defaults); scope and ignore_current are the fixture's. */
static tl_options tl_check_options;

static tl_snapshot *tl_check__before;
static char tl_check__scope[256];

static inline void tl_check_setup(void)
{
    /* tcase_name() is not set yet in a checked setup (it is in the teardown): a numbered scope
     * keeps tests apart in no-fork mode, where they share a process. */
    static unsigned tests;
    snprintf(tl_check__scope, sizeof tl_check__scope, "check test #%u", ++tests);
    tl_check__before = tl_snapshot_take();
    tl_scope_begin(tl_check__scope);
}

static inline void tl_check_teardown(void)
{
    tl_options o = tl_check_options;
    o.ignore_current = tl_check__before;
    tl_fw_result r;
    size_t leaked = tl_fw_check(&o, tl_check__scope, &r);
    tl_scope_end();
    tl_snapshot_free(tl_check__before);
    tl_check__before = NULL;
    if (leaked == 0) {
        tl_fw_result_free(&r);
        return;
    }
    const char *name = tcase_name();
    if (!name || !*name)
        name = tl_check__scope;
    /* One message with every place that leaked; the report itself on stderr. */
    size_t len = 1;
    char **lines = (char **)calloc(r.ngroups ? r.ngroups : 1, sizeof *lines);
    for (size_t i = 0; lines && i < r.ngroups; i++) {
        lines[i] = tl_fw_message(name, &r.groups[i]);
        len += lines[i] ? strlen(lines[i]) + 2 : 0;
    }
    char *msg = (char *)malloc(len);
    if (msg) {
        msg[0] = '\0';
        for (size_t i = 0; lines && i < r.ngroups; i++) {
            if (!lines[i])
                continue;
            if (msg[0])
                strcat(msg, "; ");
            strcat(msg, lines[i]);
        }
    }
    for (size_t i = 0; lines && i < r.ngroups; i++)
        free(lines[i]);
    free(lines);
    /* _ck_assert_failed does not return (it exits the child, or longjmps in no-fork mode): copy
     * what it needs to static storage first, and free the rest. */
    static char file[1024], text[4096];
    snprintf(file, sizeof file, "%s",
             r.ngroups && r.groups[0].site_file ? r.groups[0].site_file : "threadleak");
    int line = r.ngroups ? r.groups[0].site_line : 0;
    snprintf(text, sizeof text, "%s", msg && msg[0] ? msg : "threadleak: a thread leaked");
    free(msg);
    tl_fw_result_free(&r);
    _ck_assert_failed(file, line, "threadleak", "%s", text);
}

#endif
