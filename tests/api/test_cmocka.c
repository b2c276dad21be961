/* The cmocka helpers: scopes named after tests, clean tests passing, and (in a child process,
 * cmocka_leak_demo) a leaking test failing in its teardown with the report. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "threadleak_cmocka.h"

#include "api_support.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static void *exits_soon(void *arg)
{
    sleep_ms((unsigned)(size_t)arg);
    return NULL;
}

static void test_scope_is_named_after_the_test(void **state)
{
    (void)state;
    assert_string_equal(tl_scope_current(), "test_scope_is_named_after_the_test");
}

/* Threads that are joined, or detached and finish while the teardown lingers, are clean. */
static void test_clean_threads_pass(void **state)
{
    (void)state;
    pthread_t joined, detached;
    assert_int_equal(pthread_create(&joined, NULL, exits_soon, (void *)(size_t)1), 0);
    assert_int_equal(pthread_create(&detached, NULL, exits_soon, (void *)(size_t)30), 0);
    pthread_detach(detached);
    pthread_join(joined, NULL);
    assert_no_thread_leaks();
}

static void test_without_prestate_gets_a_generated_name(void **state)
{
    (void)state;
    const char *scope = tl_scope_current();
    assert_non_null(scope);
    assert_true(strncmp(scope, "cmocka test #", 13) == 0);
}

/* Runs the demo suite and returns its combined output; *status is its exit status. */
static char *run_demo(int *status)
{
    FILE *child = popen(CMOCKA_LEAK_DEMO " 2>&1", "r");
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
    return text;
}

static void test_leaking_test_fails_with_the_report(void **state)
{
    (void)state;
    int status = 0;
    char *text = run_demo(&status);
    printf("---- cmocka_leak_demo (status %d) ----\n%s---- end ----\n", status, text);
    /* Two of three tests failed, and nothing was left for the exit report. */
    assert_int_equal(status, 2);
    assert_null(strstr(text, "SUMMARY: threadleak: 2"));
    assert_non_null(strstr(text, "[  ERROR   ] test_leaks_a_worker"));
    assert_non_null(strstr(text, "[       OK ] test_after_the_leak"));
    assert_non_null(strstr(text, "[  FAILED  ] test_asserts_in_body"));
    /* The report names thread, start routine, scope and creation site. */
    assert_non_null(strstr(text, "threadleak: 1 thread(s) leaked in scope test_leaks_a_worker"));
    assert_non_null(strstr(text, "start routine: leaking_worker"));
    assert_non_null(strstr(text, "in scope test_leaks_a_worker"));
    assert_non_null(strstr(text, "in scope test_asserts_in_body"));
    assert_null(strstr(text, "in scope test_after_the_leak"));
    int sites[2], assert_line = 0;
    const char *at = strstr(text, "site=");
    for (int i = 0; i < 2; i++) {
        assert_non_null(at);
        sites[i] = atoi(at + 5);
        at = strstr(at + 5, "site=");
    }
    assert_true(mentions_site(text, "cmocka_leak_demo.c", sites[0]));
    assert_true(mentions_site(text, "cmocka_leak_demo.c", sites[1]));
    /* assert_no_thread_leaks fails at its own line. */
    const char *line = strstr(text, "assert_line=");
    assert_non_null(line);
    assert_line = atoi(line + 12);
    assert_true(mentions_site(text, "cmocka_leak_demo.c", assert_line));
    free(text);
}

static int group_value = 42;

static int set_group_state(void **state)
{
    *state = &group_value;
    return 0;
}

/* cmocka passes the group state instead of the prestate: the helpers fall back to a generated
 * name and leave the state alone. */
static void test_group_state_is_left_alone(void **state)
{
    assert_ptr_equal(*state, &group_value);
    const char *scope = tl_scope_current();
    assert_non_null(scope);
    assert_true(strncmp(scope, "cmocka test #", 13) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        tl_cmocka_unit_test(test_scope_is_named_after_the_test),
        tl_cmocka_unit_test(test_clean_threads_pass),
        cmocka_unit_test_setup_teardown(test_without_prestate_gets_a_generated_name,
                                        tl_cmocka_setup, tl_cmocka_teardown),
        cmocka_unit_test(test_leaking_test_fails_with_the_report),
    };
    const struct CMUnitTest with_group_state[] = {
        tl_cmocka_unit_test(test_group_state_is_left_alone),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    failed += cmocka_run_group_tests(with_group_state, set_group_state, NULL);
    return failed;
}
