/* The lock module's lock table (address -> lock state, identities, the bound) and the held set. */
#include "held_locks.h"
#include "lock_table.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

static int fresh_table(void **state)
{
    (void)state;
    lock_table_reset_for_tests(1u << 12, 1u << 11);
    return 0;
}

static void same_address_same_slot(void **state)
{
    (void)state;
    struct tl__lock *a = lock_table_get(0x1000, TL_LOCK_MUTEX);
    struct tl__lock *b = lock_table_get(0x2000, TL_LOCK_RWLOCK);
    assert_non_null(a);
    assert_non_null(b);
    assert_ptr_not_equal(a, b);
    assert_ptr_equal(lock_table_get(0x1000, TL_LOCK_MUTEX), a);
    assert_ptr_equal(lock_table_find(0x2000), b);
    assert_null(lock_table_find(0x3000));
    assert_int_equal(atomic_load(&b->type), TL_LOCK_RWLOCK);
    assert_int_equal(lock_table_stats().tracked, 2);
}

static void neighbours_do_not_collide(void **state)
{
    (void)state;
    /* An array of 40-byte mutexes: every one its own slot, every one found again. */
    for (uintptr_t i = 0; i < 1000; i++)
        assert_non_null(lock_table_get(0x10000 + i * 40, TL_LOCK_MUTEX));
    for (uintptr_t i = 0; i < 1000; i++)
        assert_int_equal(atomic_load(&lock_table_find(0x10000 + i * 40)->addr), 0x10000 + i * 40);
    assert_int_equal(lock_table_stats().tracked, 1000);
}

static void identity_is_stable_until_init_or_destroy(void **state)
{
    (void)state;
    struct tl__lock *l = lock_table_get(0x1000, TL_LOCK_MUTEX);
    uint32_t first = lock_identity(l);
    assert_int_not_equal(first, 0);
    assert_int_equal(lock_identity(l), first);
    lock_end_identity(l, true);
    assert_true(atomic_load(&l->flags) & TL_LOCKF_DESTROYED);
    uint32_t second = lock_identity(l);
    assert_int_not_equal(second, 0);
    assert_int_not_equal(second, first);
    lock_end_identity(l, false);
    assert_false(atomic_load(&l->flags) & TL_LOCKF_DESTROYED);
    assert_true(atomic_load(&l->flags) & TL_LOCKF_INITED);
    assert_int_not_equal(lock_identity(l), second);
    assert_ptr_equal(lock_table_find(0x1000), l); /* the slot stays the address's */
}

static void full_table_counts_what_it_cannot_take(void **state)
{
    (void)state;
    lock_table_reset_for_tests(16, 4);
    for (uintptr_t i = 1; i <= 4; i++)
        assert_non_null(lock_table_get(i * 64, TL_LOCK_MUTEX));
    assert_null(lock_table_get(5 * 64, TL_LOCK_MUTEX));
    assert_null(lock_table_get(6 * 64, TL_LOCK_MUTEX));
    assert_non_null(lock_table_get(2 * 64, TL_LOCK_MUTEX)); /* the tracked ones still are */
    struct tl__lock_table_stats s = lock_table_stats();
    assert_int_equal(s.tracked, 4);
    assert_int_equal(s.not_tracked, 2);
}

struct racer {
    struct tl__lock *seen[500];
};

static void *race_inserts(void *arg)
{
    struct racer *r = arg;
    for (uintptr_t i = 0; i < 500; i++)
        r->seen[i] = lock_table_get(0x40000 + i * 8, TL_LOCK_MUTEX);
    return NULL;
}

static void racing_inserts_agree_on_one_slot(void **state)
{
    (void)state;
    static struct racer racers[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, race_inserts, &racers[i]);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 500; i++) {
        assert_non_null(racers[0].seen[i]);
        for (int j = 1; j < 4; j++)
            assert_ptr_equal(racers[j].seen[i], racers[0].seen[i]);
    }
    assert_int_equal(lock_table_stats().tracked, 500);
}

static void held_set_keeps_order_and_counts_overflow(void **state)
{
    (void)state;
    static struct tl__lock locks[TL_HELD_MAX + 2];
    struct tl__held_set s = {0};
    for (unsigned i = 0; i < TL_HELD_MAX; i++)
        assert_true(held_push(
            &s, &(struct tl__held){.addr = (uintptr_t)&locks[i], .lock = &locks[i], .id = i + 1}));
    assert_false(held_push(&s, &(struct tl__held){.addr = (uintptr_t)&locks[TL_HELD_MAX]}));
    assert_int_equal(s.overflow, 1);
    assert_int_equal(held_find(&s, (uintptr_t)&locks[3]), 3);
    assert_int_equal(held_find(&s, (uintptr_t)&locks[TL_HELD_MAX]), -1);
    held_remove(&s, 3);
    assert_int_equal(s.n, TL_HELD_MAX - 1);
    assert_int_equal(held_find(&s, (uintptr_t)&locks[3]), -1);
    assert_int_equal(held_find(&s, (uintptr_t)&locks[4]), 3); /* the others keep their order */
    assert_int_equal(s.e[3].id, 5);
    held_remove(&s, held_find(&s, (uintptr_t)&locks[TL_HELD_MAX - 1]));
    assert_int_equal(held_find(&s, (uintptr_t)&locks[0]), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(same_address_same_slot, fresh_table),
        cmocka_unit_test_setup(neighbours_do_not_collide, fresh_table),
        cmocka_unit_test_setup(identity_is_stable_until_init_or_destroy, fresh_table),
        cmocka_unit_test_setup(full_table_counts_what_it_cannot_take, fresh_table),
        cmocka_unit_test_setup(racing_inserts_agree_on_one_slot, fresh_table),
        cmocka_unit_test(held_set_keeps_order_and_counts_overflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
