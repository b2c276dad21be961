/* The test API's lock checks: tl_find_lock_findings, tl_verify_no_lock_findings,
 * tl_locks_checked and assert_no_lock_findings.
 *
 * ctest runs this suite four times, and TL_LOCK_TEST_EXPECT says which answers each run must give:
 *   checked     under libthreadleak-locks.so: findings since a snapshot, and only those;
 *   suppressed  the same, with test_lock_findings.supp as suppressions= (deadlock:take_in_order,
 *               mutex:unlock_site): those findings are gone, and counted as suppressed;
 *   absent      the plain libthreadleak.so: TL_LOCKS_NOT_CHECKED, never 0;
 *   off         the lock module with locks=0: TL_LOCKS_NOT_CHECKED too.
 * The runs under the lock module set exitcode=0: the findings made here on purpose would
 * otherwise fail the exit status as they fail a `threadleak run`. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "api_support.h"

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum expect { CHECKED, SUPPRESSED, ABSENT, OFF };

static enum expect expected(void)
{
    const char *e = getenv("TL_LOCK_TEST_EXPECT");
    assert_non_null(e); /* ctest sets it: a run without it would check nothing */
    if (strcmp(e, "checked") == 0)
        return CHECKED;
    if (strcmp(e, "suppressed") == 0)
        return SUPPRESSED;
    if (strcmp(e, "absent") == 0)
        return ABSENT;
    assert_string_equal(e, "off");
    return OFF;
}

static bool locks_expected(void)
{
    return expected() == CHECKED || expected() == SUPPRESSED;
}

/* Takes first, then second. The suppressions file names it. */
__attribute__((noinline)) static void take_in_order(pthread_mutex_t *first, pthread_mutex_t *second)
{
    pthread_mutex_lock(first);
    pthread_mutex_lock(second);
    pthread_mutex_unlock(second);
    pthread_mutex_unlock(first);
    __asm__ volatile("" ::: "memory"); /* no tail call: the frame stays on the stack */
}

/* One thread takes a and b in both orders: an inversion (potential deadlock), as lockdep says. */
static void make_inversion(pthread_mutex_t *a, pthread_mutex_t *b)
{
    take_in_order(a, b);
    take_in_order(b, a);
}

/* Unlocks a mutex nobody holds: unlock_unlocked misuse, at one call site. */
__attribute__((noinline)) static void unlock_site(pthread_mutex_t *m)
{
    pthread_mutex_unlock(m);
    __asm__ volatile("" ::: "memory");
}

static char *report_text(const tl_report *r, int format)
{
    char *text = tl_report_string(r, format);
    assert_non_null(text);
    return text;
}

static char *verify_text(const tl_snapshot *since, int *result)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    *result = tl_verify_no_lock_findings(since, out);
    fclose(out);
    return text;
}

static void test_locks_checked_says_whether_locks_are_checked(void **state)
{
    (void)state;
    assert_int_equal(tl_locks_checked(), locks_expected() ? 1 : 0);
}

static void test_inversion_after_the_snapshot_is_found(void **state)
{
    (void)state;
    static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
    tl_snapshot *s = tl_snapshot_take();
    assert_non_null(s);
    make_inversion(&a, &b);
    tl_report *r = (tl_report *)1;
    int n = tl_find_lock_findings(s, &r);
    int verified;
    char *verify_out = verify_text(s, &verified);
    printf("---- tl_verify_no_lock_findings: %d ----\n%s---- end ----\n", verified, verify_out);
    switch (expected()) {
    case CHECKED: {
        assert_int_equal(n, 1);
        assert_non_null(r);
        assert_int_equal(tl_report_count(r), 1);
        char *text = report_text(r, TL_FORMAT_TEXT);
        assert_non_null(strstr(text, "lock-order inversion (potential deadlock) of 2 locks"));
        assert_non_null(strstr(text, "take_in_order"));
        assert_non_null(
            strstr(text, "SUMMARY: threadleak: 1 lock finding, 1 lock-order inversion"));
        free(text);
        char *json = report_text(r, TL_FORMAT_JSON);
        assert_non_null(strstr(json, "\"lock_order\""));
        free(json);
        assert_int_equal(verified, 1);
        assert_non_null(strstr(verify_out, "take_in_order"));
        break;
    }
    case SUPPRESSED:
        assert_int_equal(n, 0);
        assert_null(r);
        assert_int_equal(verified, 0);
        assert_string_equal(verify_out, "");
        break;
    case ABSENT:
    case OFF:
        assert_int_equal(n, TL_LOCKS_NOT_CHECKED);
        assert_null(r);
        assert_int_equal(verified, TL_LOCKS_NOT_CHECKED);
        assert_non_null(strstr(verify_out, "threadleak: lock findings not checked: "));
        assert_non_null(strstr(verify_out, expected() == OFF ? "locks=0" : "not loaded"));
        break;
    }
    free(verify_out);
    tl_report_free(r);
    tl_snapshot_free(s);
}

static void test_inversion_before_the_snapshot_is_not_new(void **state)
{
    (void)state;
    if (!locks_expected())
        skip();
    static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
    make_inversion(&a, &b);
    tl_snapshot *s = tl_snapshot_take();
    make_inversion(&a, &b); /* the same cycle closed again */
    assert_int_equal(tl_find_lock_findings(s, NULL), 0);
    assert_int_equal(tl_verify_no_lock_findings(s, NULL), 0);
    /* Since the start, it is there (unless the file suppresses it). */
    assert_int_equal(tl_find_lock_findings(NULL, NULL) > 0, expected() == CHECKED);
    tl_snapshot_free(s);
}

static void test_misuse_counts_only_its_times_since_the_snapshot(void **state)
{
    (void)state;
    if (!locks_expected())
        skip();
    static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    unlock_site(&m);
    tl_snapshot *s = tl_snapshot_take();
    assert_int_equal(tl_find_lock_findings(s, NULL), 0);
    unlock_site(&m);
    unlock_site(&m);
    tl_report *r = NULL;
    int n = tl_find_lock_findings(s, &r);
    if (expected() == SUPPRESSED) {
        assert_int_equal(n, 0);
        assert_null(r);
    } else {
        assert_int_equal(n, 1);
        char *text = report_text(r, TL_FORMAT_TEXT);
        printf("%s", text);
        assert_non_null(strstr(text, "pthread misuse (unlock_unlocked)"));
        assert_non_null(strstr(text, ", 2 times, first by"));
        assert_non_null(strstr(text, "unlock_site"));
        free(text);
    }
    tl_report_free(r);
    tl_snapshot_free(s);
}

/* Runs cmocka_lock_demo (which inherits this process's LD_PRELOAD and THREADLEAK_OPTIONS) and
 * returns its output; *status is its exit status, the number of failed tests. */
static char *run_demo(const char *env, int *status)
{
    char command[4096];
    snprintf(command, sizeof command, "%s %s 2>&1", env, CMOCKA_LOCK_DEMO);
    FILE *child = popen(command, "r");
    assert_non_null(child);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, child)) > 0)
        fwrite(chunk, 1, got, out);
    fclose(out);
    int raw = pclose(child);
    *status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
    printf("---- cmocka_lock_demo (status %d) ----\n%s---- end ----\n", *status, text);
    return text;
}

static void test_assert_no_lock_findings_fails_the_test_that_inverted(void **state)
{
    (void)state;
    if (expected() == SUPPRESSED)
        skip(); /* the demo's functions are not in the file */
    int status = 0;
    char *text = run_demo("", &status);
    if (locks_expected()) {
        assert_int_equal(status, 1);
        assert_non_null(strstr(text, "[  FAILED  ] test_inverts_after_the_snapshot"));
        assert_non_null(strstr(text, "[       OK ] test_inverts_before_the_snapshot"));
        assert_non_null(strstr(text, "threadleak: 1 lock finding(s) since the snapshot"));
        assert_non_null(strstr(text, "demo_take_in_order"));
    } else {
        /* Nothing checked is no pass. */
        assert_int_equal(status, 2);
        assert_non_null(strstr(text, "threadleak: lock findings not checked"));
        assert_non_null(strstr(text, "[  FAILED  ] test_inverts_before_the_snapshot"));
    }
    free(text);
}

/* The exit report counts what the file took out: lock_stats.suppressed in its JSON. */
static void test_exit_report_counts_suppressed_lock_findings(void **state)
{
    (void)state;
    if (expected() != SUPPRESSED)
        skip();
    char dir[] = "/tmp/tl_lock_api_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char env[512];
    /* A file that names the demo's function: both its tests' inversions are taken out. */
    snprintf(env, sizeof env, "THREADLEAK_OPTIONS=suppressions=%s:report_dir=%s",
             LOCK_DEMO_SUPPRESSIONS, dir);
    int status = 0;
    char *text = run_demo(env, &status);
    free(text);
    DIR *d = opendir(dir);
    assert_non_null(d);
    char *json = NULL;
    for (struct dirent *e; (e = readdir(d));) {
        if (strncmp(e->d_name, "threadleak.", 11) != 0 || !strstr(e->d_name, ".json"))
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        json = calloc(1, 1 << 20);
        assert_true(fread(json, 1, (1 << 20) - 1, f) > 0);
        fclose(f);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
    assert_non_null(json);
    printf("%s\n", json);
    assert_non_null(strstr(json, "\"lock_order\": []"));
    assert_non_null(strstr(json, "\"suppressed\": 2,"));
    assert_non_null(strstr(json, "\"suppressed_by_default\": 0"));
    /* With the inversion suppressed, the demo's tests both pass, and so does the process. */
    assert_int_equal(status, 0);
    free(json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_locks_checked_says_whether_locks_are_checked),
        cmocka_unit_test(test_inversion_after_the_snapshot_is_found),
        cmocka_unit_test(test_inversion_before_the_snapshot_is_not_new),
        cmocka_unit_test(test_misuse_counts_only_its_times_since_the_snapshot),
        cmocka_unit_test(test_assert_no_lock_findings_fails_the_test_that_inverted),
        cmocka_unit_test(test_exit_report_counts_suppressed_lock_findings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
