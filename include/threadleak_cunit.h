/* threadleak for CUnit: every test fails when it leaves a thread behind. Header-only C; include
 * it after <CUnit/CUnit.h>, and create suites with the per-test setup and teardown:
 *
 *     CU_pSuite s = CU_add_suite_with_setup_and_teardown("pool", NULL, NULL,
 *                                                        tl_cunit_setup, tl_cunit_teardown);
 *
 * CUnit runs tests in its own process, one after another. The setup opens a threadleak scope
 * named after the test (CU_get_current_test()) and takes a snapshot; the teardown, after the test
 * body, checks that scope, ignoring the snapshot's threads, and records a CUnit failure per place
 * that leaked, at the creation site (FILE:LINE), naming the test, the start routine and the wait:
 * the test fails, in the basic and console runners' output and in the automated runner's XML.
 * The full report goes to stderr. Threads leaked by earlier tests are not blamed on later ones.
 *
 * CUnit starts no threads of its own. Options for every check: tl_cunit_options. A suite that
 * has setup and teardown of its own can call these two from them. */
#ifndef THREADLEAK_CUNIT_H
#define THREADLEAK_CUNIT_H

#ifndef CUNIT_CUNIT_H_SEEN
#error "include <CUnit/CUnit.h> before <threadleak_cunit.h>"
#endif

#include "threadleak.h"
#include "threadleak_frameworks.h"

#include <stdio.h>
#include <stdlib.h>

/* The options every check uses (zero: the defaults); scope and ignore_current are the fixture's. */
static tl_options tl_cunit_options;

static tl_snapshot *tl_cunit__before;
static char tl_cunit__scope[256];

static inline void tl_cunit_setup(void)
{
    /* Numbered, so that a test name used in two suites is two scopes. */
    static unsigned tests;
    CU_pTest test = CU_get_current_test();
    snprintf(tl_cunit__scope, sizeof tl_cunit__scope, "%s #%u",
             test && test->pName ? test->pName : "cunit test", ++tests);
    tl_cunit__before = tl_snapshot_take();
    tl_scope_begin(tl_cunit__scope);
}

static inline void tl_cunit_teardown(void)
{
    tl_options o = tl_cunit_options;
    o.ignore_current = tl_cunit__before;
    tl_fw_result r;
    if (tl_fw_check(&o, tl_cunit__scope, &r) > 0) {
        CU_pTest test = CU_get_current_test();
        const char *name = test && test->pName ? test->pName : tl_cunit__scope;
        for (size_t i = 0; i < r.ngroups; i++) {
            char *msg = tl_fw_message(name, &r.groups[i]);
            /* CUnit copies the strings of a failure. */
            CU_assertImplementation(CU_FALSE, (unsigned)r.groups[i].site_line,
                                    msg ? msg : "threadleak: a thread leaked",
                                    r.groups[i].site_file ? r.groups[i].site_file : "threadleak",
                                    "", CU_FALSE);
            free(msg);
        }
        if (r.text)
            fputs(r.text, stderr);
    }
    tl_fw_result_free(&r);
    tl_scope_end();
    tl_snapshot_free(tl_cunit__before);
    tl_cunit__before = NULL;
}

#endif
