/* Scopes: tests that run at the same time on different threads each see only their own leaks,
 * including threads their threads created; begin/end nest. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "api_support.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static struct gate release = GATE_INIT;

static void *parked(void *arg)
{
    (void)arg;
    gate_wait(&release);
    return NULL;
}

/* A leaked thread that leaks a thread of its own, then reports that it has. */
struct leaker {
    pthread_t grandchild;
    sem_t ready;
};

static void *grandchild_of_a(void *arg)
{
    return parked(arg);
}

static void *grandchild_of_b(void *arg)
{
    return parked(arg);
}

static void *leaker_in_a(void *arg)
{
    struct leaker *l = arg;
    pthread_create(&l->grandchild, NULL, grandchild_of_a, NULL);
    sem_post(&l->ready);
    gate_wait(&release);
    pthread_join(l->grandchild, NULL);
    return NULL;
}

static void *leaker_in_b(void *arg)
{
    struct leaker *l = arg;
    pthread_create(&l->grandchild, NULL, grandchild_of_b, NULL);
    sem_post(&l->ready);
    gate_wait(&release);
    pthread_join(l->grandchild, NULL);
    return NULL;
}

static void *finishes_at_once(void *arg)
{
    return arg;
}

/* One "test" on its own thread: open a scope, leak (or not), wait until every test has, check. */
struct concurrent_test {
    const char *scope;
    void *(*leaker)(void *); /* NULL: a clean test, which joins what it creates */
    pthread_barrier_t *all_started;
    pthread_t leaked;
    struct leaker state;
    size_t found;
    char *text;
};

static void *run_concurrent_test(void *arg)
{
    struct concurrent_test *t = arg;
    tl_scope_begin(t->scope);
    sem_init(&t->state.ready, 0, 0);
    if (t->leaker) {
        pthread_create(&t->leaked, NULL, t->leaker, &t->state);
        sem_wait(&t->state.ready);
    } else {
        pthread_t clean;
        pthread_create(&clean, NULL, finishes_at_once, NULL);
        pthread_join(clean, NULL);
    }
    pthread_barrier_wait(t->all_started);
    tl_report *r = tl_find(&(tl_options){.scope = t->scope, .linger_ms = 100});
    t->found = tl_report_count(r);
    t->text = r ? tl_report_string(r, TL_FORMAT_TEXT) : strdup("");
    tl_report_free(r);
    tl_scope_end();
    return NULL;
}

static void test_concurrent_tests_see_only_their_own_leaks(void **state)
{
    (void)state;
    gate_close(&release);
    pthread_barrier_t all_started;
    pthread_barrier_init(&all_started, NULL, 3);
    struct concurrent_test tests[3] = {
        {.scope = "test_a", .leaker = leaker_in_a, .all_started = &all_started},
        {.scope = "test_b", .leaker = leaker_in_b, .all_started = &all_started},
        {.scope = "test_clean", .leaker = NULL, .all_started = &all_started},
    };
    pthread_t runners[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_create(&runners[i], NULL, run_concurrent_test, &tests[i]), 0);
    for (int i = 0; i < 3; i++)
        pthread_join(runners[i], NULL);
    pthread_barrier_destroy(&all_started);

    printf("%s%s", tests[0].text, tests[1].text);
    /* Each leaking test: its thread and that thread's child, named with its scope. */
    assert_int_equal(tests[0].found, 2);
    assert_non_null(strstr(tests[0].text, "leaker_in_a"));
    assert_non_null(strstr(tests[0].text, "grandchild_of_a"));
    assert_non_null(strstr(tests[0].text, "in scope test_a"));
    assert_null(strstr(tests[0].text, "_of_b"));
    assert_null(strstr(tests[0].text, "leaker_in_b"));
    assert_int_equal(tests[1].found, 2);
    assert_non_null(strstr(tests[1].text, "leaker_in_b"));
    assert_non_null(strstr(tests[1].text, "grandchild_of_b"));
    assert_non_null(strstr(tests[1].text, "in scope test_b"));
    assert_null(strstr(tests[1].text, "_of_a"));
    assert_int_equal(tests[2].found, 0);
    /* Unscoped, every leak shows. */
    assert_int_equal(tl_verify_none(&(tl_options){.linger_ms = TL_LINGER_NONE, .out = stdout}), 4);

    gate_open(&release);
    for (int i = 0; i < 3; i++) {
        if (tests[i].leaker)
            pthread_join(tests[i].leaked, NULL);
        sem_destroy(&tests[i].state.ready);
        free(tests[i].text);
    }
    assert_int_equal(tl_verify_none(NULL), 0);
}

static void test_unscoped_threads_are_not_in_a_scope(void **state)
{
    (void)state;
    gate_close(&release);
    pthread_t outside;
    assert_int_equal(pthread_create(&outside, NULL, parked, NULL), 0);
    tl_scope_begin("quiet_test");
    assert_int_equal(tl_verify_none(&(tl_options){.scope = "quiet_test"}), 0);
    /* A scope nobody opened has no threads either. */
    assert_int_equal(tl_verify_none(&(tl_options){.scope = "never_opened"}), 0);
    tl_scope_end();
    gate_open(&release);
    pthread_join(outside, NULL);
}

static void test_scopes_nest(void **state)
{
    (void)state;
    gate_close(&release);
    assert_null(tl_scope_current());
    assert_int_equal(tl_scope_begin("outer"), 0);
    assert_int_equal(tl_scope_begin("inner"), 0);
    assert_string_equal(tl_scope_current(), "inner");
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, parked, NULL), 0);
    tl_scope_end();
    assert_string_equal(tl_scope_current(), "outer");
    /* The thread belongs to the innermost scope open at its creation only. */
    tl_options in_outer = {.scope = "outer", .linger_ms = TL_LINGER_NONE};
    tl_options in_inner = {.scope = "inner", .linger_ms = TL_LINGER_NONE, .out = stdout};
    assert_int_equal(tl_verify_none(&in_outer), 0);
    assert_int_equal(tl_verify_none(&in_inner), 1);
    tl_scope_end();
    assert_null(tl_scope_current());
    tl_scope_end(); /* one end too many does nothing */
    assert_null(tl_scope_current());
    gate_open(&release);
    pthread_join(t, NULL);
}

static void test_failed_begins_still_pair_with_ends(void **state)
{
    (void)state;
    assert_int_equal(tl_scope_begin("kept"), 0);
    assert_int_equal(tl_scope_begin(""), -1);
    assert_int_equal(tl_scope_begin(NULL), -1);
    assert_string_equal(tl_scope_current(), "kept");
    tl_scope_end();
    tl_scope_end();
    assert_string_equal(tl_scope_current(), "kept");
    tl_scope_end();
    assert_null(tl_scope_current());

    char name[32];
    for (int i = 0; i < TL_SCOPE_DEPTH; i++) {
        snprintf(name, sizeof name, "level%d", i);
        assert_int_equal(tl_scope_begin(name), 0);
    }
    assert_int_equal(tl_scope_begin("too_deep"), -1);
    snprintf(name, sizeof name, "level%d", TL_SCOPE_DEPTH - 1);
    assert_string_equal(tl_scope_current(), name);
    tl_scope_end(); /* pairs with too_deep */
    assert_string_equal(tl_scope_current(), name);
    for (int i = 0; i < TL_SCOPE_DEPTH; i++)
        tl_scope_end();
    assert_null(tl_scope_current());
}

/* Names scopes as fast as it can until told to stop: scope_intern holds its lock while it
 * looks a name up among all the names so far, so a fork lands inside it often. */
static atomic_bool interning;

static void *intern_names(void *arg)
{
    (void)arg;
    char name[32];
    for (unsigned i = 0; atomic_load(&interning); i++) {
        snprintf(name, sizeof name, "fork-scope-%u", i % 4000);
        if (tl_scope_begin(name) == 0)
            tl_scope_end();
    }
    return NULL;
}

/* A child of fork names a scope of its own: it must not find the parent's lock held. A hung
 * child is ended by its alarm and counted. */
static void test_fork_while_naming_scopes(void **state)
{
    (void)state;
    atomic_store(&interning, true);
    pthread_t namer;
    assert_int_equal(pthread_create(&namer, NULL, intern_names, NULL), 0);
    int hung = 0;
    for (int i = 0; i < 200 && hung == 0; i++) {
        pid_t child = fork();
        assert_true(child >= 0);
        if (child == 0) {
            alarm(3);
            if (tl_scope_begin("in-the-child") == 0)
                tl_scope_end();
            _exit(0);
        }
        int status;
        assert_int_equal(waitpid(child, &status, 0), child);
        hung += WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM;
    }
    atomic_store(&interning, false);
    pthread_join(namer, NULL);
    assert_int_equal(hung, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_concurrent_tests_see_only_their_own_leaks),
        cmocka_unit_test(test_unscoped_threads_are_not_in_a_scope),
        cmocka_unit_test(test_scopes_nest),
        cmocka_unit_test(test_failed_begins_still_pair_with_ends),
        cmocka_unit_test(test_fork_while_naming_scopes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
