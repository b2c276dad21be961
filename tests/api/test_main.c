/* tl_verify_main's status rules, and tl_marked_name's refusal to read what it should not. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "api_support.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct gate release = GATE_INIT;
static pthread_t leaked_thread;

static void *suite_worker(void *arg)
{
    (void)arg;
    gate_wait(&release);
    return NULL;
}

struct suite {
    int status;
    bool leak;
    bool ran;
};

static int run_suite(void *ctx)
{
    struct suite *s = ctx;
    s->ran = true;
    if (s->leak)
        pthread_create(&leaked_thread, NULL, suite_worker, NULL);
    return s->status;
}

static void clean_up_leak(struct suite *s)
{
    if (!s->leak)
        return;
    gate_open(&release);
    pthread_join(leaked_thread, NULL);
    gate_close(&release);
}

static int verify_main_with(struct suite *s)
{
    return tl_verify_main(run_suite, s, &(tl_options){.linger_ms = 20, .out = stdout});
}

static void test_verify_main_status(void **state)
{
    (void)state;
    struct suite cases[] = {
        {.status = 0, .leak = false},
        {.status = 3, .leak = false},
        {.status = 0, .leak = true},
        {.status = 7, .leak = true},
    };
    int expected[] = {0, 3, 1, 7};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int status = verify_main_with(&cases[i]);
        clean_up_leak(&cases[i]);
        assert_true(cases[i].ran);
        assert_int_equal(status, expected[i]);
    }
}

static void test_verify_main_with_default_options(void **state)
{
    (void)state;
    struct suite clean = {.status = 0};
    assert_int_equal(tl_verify_main(run_suite, &clean, NULL), 0);
}

static const char marked[] = TL_MARKED_NAME("test_with_a_name");

static void test_marked_name_recognised_only_in_literals(void **state)
{
    (void)state;
    assert_string_equal(tl_marked_name(TL_MARKED_NAME("my_test")), "my_test");
    assert_string_equal(tl_marked_name(marked), "test_with_a_name");
    /* The same bytes on the heap or the stack are not a literal. */
    char *heap = strdup(TL_MARKED_NAME("my_test"));
    char stack[32];
    strcpy(stack, TL_MARKED_NAME("my_test"));
    assert_null(tl_marked_name(heap));
    assert_null(tl_marked_name(stack));
    free(heap);
    /* Integers posing as pointers, read-only data without the marker, unmapped addresses. */
    assert_null(tl_marked_name(NULL));
    assert_null(tl_marked_name((void *)(uintptr_t)1));
    assert_null(tl_marked_name((void *)(uintptr_t)1337));
    assert_null(tl_marked_name("a plain literal"));
    assert_null(tl_marked_name((void *)(uintptr_t)0xfffffffffff0ull));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verify_main_status),
        cmocka_unit_test(test_verify_main_with_default_options),
        cmocka_unit_test(test_marked_name_recognised_only_in_literals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
