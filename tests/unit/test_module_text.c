/* module_text: finding a module's code range, and removing frames that lie in it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "module_text.h"

static void test_remove_keeps_order_of_the_others(void **state)
{
    (void)state;
    struct tl__text_range own = {100, 200, false};
    void *frames[] = {(void *)150, (void *)50, (void *)120, (void *)300, (void *)199, (void *)200};
    unsigned n = text_range_remove(frames, 6, 0, &own);
    assert_int_equal(n, 3);
    assert_ptr_equal(frames[0], (void *)50);
    assert_ptr_equal(frames[1], (void *)300);
    assert_ptr_equal(frames[2], (void *)200); /* end is exclusive */
}

static void test_remove_spares_frames_before_from(void **state)
{
    (void)state;
    struct tl__text_range own = {100, 200, false};
    void *frames[] = {(void *)150, (void *)50, (void *)120, (void *)300};
    unsigned n = text_range_remove(frames, 4, 1, &own);
    assert_int_equal(n, 3);
    assert_ptr_equal(frames[0], (void *)150);
    assert_ptr_equal(frames[1], (void *)50);
    assert_ptr_equal(frames[2], (void *)300);
    assert_int_equal(text_range_remove(frames, 3, 5, &own), 3); /* from past the end */
}

static void test_containing_finds_this_program_and_libc(void **state)
{
    (void)state;
    struct tl__text_range self, libc;
    assert_true(module_text_containing((const void *)test_remove_keeps_order_of_the_others, &self));
    assert_true(text_range_holds(&self, (uintptr_t)test_remove_keeps_order_of_the_others));
    assert_true(module_text_containing((const void *)abs, &libc));
    assert_true(text_range_holds(&libc, (uintptr_t)abs));
    assert_false(text_range_holds(&self, (uintptr_t)abs));
    assert_true(self.in_program);
    assert_false(libc.in_program);
    struct tl__text_range none;
    assert_false(module_text_containing((const void *)16, &none));
    assert_int_equal(none.begin, 0);
    assert_int_equal(none.end, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_remove_keeps_order_of_the_others),
        cmocka_unit_test(test_remove_spares_frames_before_from),
        cmocka_unit_test(test_containing_finds_this_program_and_libc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
