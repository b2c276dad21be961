/* The registry: record lifetimes, the handle index, lock-free copies, exit events, and the race
 * between the two publishers of a new thread. */
#include "registry.h"
#include "toolbox.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static pthread_t fake_handle(uintptr_t n)
{
    return (pthread_t)(0x7f0000000000u + n * 0x801000u);
}

static struct tl__thread_record *published(uintptr_t n)
{
    struct tl__thread_record *r = registry_new_record();
    assert_non_null(r);
    registry_publish(r, fake_handle(n));
    registry_release_creator_hold(r);
    return r;
}

static bool is_live(uint64_t serial)
{
    struct tl__thread_info all[4096];
    size_t n = registry_copy_all(all, 4096);
    for (size_t i = 0; i < n && i < 4096; i++) {
        if (all[i].serial == serial)
            return true;
    }
    return false;
}

static void joined_records_are_freed(void **state)
{
    (void)state;
    struct tl__thread_record *r = published(1);
    uint64_t serial = r->info.serial;
    assert_ptr_equal(registry_find(fake_handle(1)), r);
    registry_thread_started(r, 1234);
    registry_thread_exited(r, "worker");
    assert_true(is_live(serial)); /* finished, not joined: still a record */
    registry_thread_joined(r);
    assert_null(registry_find(fake_handle(1)));
    assert_false(is_live(serial));
}

static void detached_records_are_freed_on_exit_whatever_the_order(void **state)
{
    (void)state;
    struct tl__thread_record *a = published(2);
    uint64_t serial_a = a->info.serial;
    registry_thread_detached(a);
    assert_true(is_live(serial_a));
    registry_thread_exited(a, NULL);
    assert_false(is_live(serial_a));

    struct tl__thread_record *b = published(3);
    uint64_t serial_b = b->info.serial;
    registry_thread_exited(b, NULL);
    assert_true(is_live(serial_b));
    registry_thread_detached(b);
    assert_false(is_live(serial_b));
    assert_null(registry_find(fake_handle(3)));
}

static void creator_hold_keeps_a_finished_record(void **state)
{
    (void)state;
    struct tl__thread_record *r = registry_new_record();
    uint64_t serial = r->info.serial;
    registry_publish(r, fake_handle(4));
    registry_thread_detached(r);
    registry_thread_exited(r, NULL); /* the thread is gone before its creator returned */
    assert_true(is_live(serial));
    registry_release_creator_hold(r);
    assert_false(is_live(serial));
}

static void no_growth_under_churn(void **state)
{
    (void)state;
    uint64_t live_before = registry_threads_live();
    for (uintptr_t i = 0; i < 100000; i++) {
        struct tl__thread_record *r = published(100 + i % 64);
        registry_thread_exited(r, NULL);
        registry_thread_joined(r);
    }
    assert_int_equal(registry_threads_live(), live_before);
    struct tl__thread_info all[8];
    assert_true(registry_copy_all(all, 8) <= 8); /* the pool reuses records */
}

static void copy_reports_the_true_count_when_short_of_room(void **state)
{
    (void)state;
    struct tl__thread_record *r[10];
    for (int i = 0; i < 10; i++)
        r[i] = published(500 + (uintptr_t)i);
    struct tl__thread_info few[3];
    size_t n = registry_copy_all(few, 3);
    assert_true(n >= 10);
    for (int i = 0; i < 10; i++) {
        registry_thread_exited(r[i], NULL);
        registry_thread_joined(r[i]);
    }
}

static void wait_returns_false_at_the_deadline(void **state)
{
    (void)state;
    uint32_t epoch = registry_exit_epoch();
    uint64_t deadline = tl__monotonic_ns() + 20 * 1000 * 1000;
    assert_false(registry_wait_exit(epoch, deadline));
    assert_true(tl__monotonic_ns() >= deadline);
}

static void *exit_one_record(void *arg)
{
    registry_thread_exited(arg, NULL);
    return NULL;
}

static void wait_wakes_on_an_exit(void **state)
{
    (void)state;
    struct tl__thread_record *r = published(600);
    uint32_t epoch = registry_exit_epoch();
    pthread_t t;
    pthread_create(&t, NULL, exit_one_record, r);
    assert_true(registry_wait_exit(epoch, tl__monotonic_ns() + 10ull * 1000 * 1000 * 1000));
    pthread_join(t, NULL);
    registry_thread_joined(r);
}

/* Two publishers of one record, as the creator and the new thread are: whichever returns second
 * must find the record already, or a join made right after pthread_create is never recorded. The
 * rival spins on `round` so that both publish at the same moment on two CPUs. */
struct publish_race {
    _Atomic uintptr_t round; /* the round the rival should publish in; UINTPTR_MAX = stop */
    _Atomic uintptr_t done;  /* the last round the rival published in */
    struct tl__thread_record *_Atomic record;
    _Atomic(pthread_t) handle;
};

static void *rival_publisher(void *arg)
{
    struct publish_race *race = arg;
    for (uintptr_t seen = 0;;) {
        uintptr_t round;
        while ((round = atomic_load(&race->round)) == seen)
            ;
        if (round == UINTPTR_MAX)
            return NULL;
        registry_publish(atomic_load(&race->record), atomic_load(&race->handle));
        atomic_store(&race->done, round);
        seen = round;
    }
}

static void second_publisher_always_finds_the_record(void **state)
{
    (void)state;
    static struct publish_race race;
    pthread_t rival;
    pthread_create(&rival, NULL, rival_publisher, &race);
    unsigned misses = 0;
    for (uintptr_t round = 1; round <= 200000; round++) {
        struct tl__thread_record *r = registry_new_record();
        pthread_t handle = fake_handle(1000 + round % 128);
        atomic_store(&race.record, r);
        atomic_store(&race.handle, handle);
        atomic_store(&race.round, round);
        registry_publish(r, handle);
        misses += registry_find(handle) != r;
        while (atomic_load(&race.done) != round)
            ;
        registry_release_creator_hold(r);
        registry_thread_joined(r);
    }
    atomic_store(&race.round, UINTPTR_MAX);
    pthread_join(rival, NULL);
    print_message("publisher race: %u misses in 200000 rounds\n", misses);
    assert_int_equal(misses, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(joined_records_are_freed),
        cmocka_unit_test(detached_records_are_freed_on_exit_whatever_the_order),
        cmocka_unit_test(creator_hold_keeps_a_finished_record),
        cmocka_unit_test(no_growth_under_churn),
        cmocka_unit_test(copy_reports_the_true_count_when_short_of_room),
        cmocka_unit_test(wait_returns_false_at_the_deadline),
        cmocka_unit_test(wait_wakes_on_an_exit),
        cmocka_unit_test(second_publisher_always_finds_the_record),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
