/* The lock-order graph: edges once, cycles of two and three locks found when the closing edge
 * is added and recorded once, identities ended by destroy, and lockdep's rule for read locks. */
#include "lock_order.h"
#include "lock_table.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static int fresh_graph(void **state)
{
    (void)state;
    lock_order_reset_for_tests();
    lock_table_reset_for_tests(1u << 10, 1u << 9);
    return 0;
}

static bool add_modes(uint32_t from, uint32_t to, bool held_read, bool acquired_read)
{
    struct tl__order_edge e;
    memset(&e, 0, sizeof e);
    e.from = from;
    e.to = to;
    e.from_addr = 0x1000u * from;
    e.to_addr = 0x1000u * to;
    e.held_read = held_read;
    e.acquired_read = acquired_read;
    e.site.tid = (pid_t)(100 + from);
    e.site.nframes = 1;
    e.site.frames[0] = (void *)(uintptr_t)(0x400000u + from * 16 + to);
    return lock_order_add(&e);
}

static bool add(uint32_t from, uint32_t to)
{
    return add_modes(from, to, false, false);
}

static size_t cycles(struct tl__order_cycle *out)
{
    return lock_order_cycles(out, TL_ORDER_MAX_CYCLES);
}

/* The cycle's edges chain: each one's to is the next one's from, the last one's to the first's. */
static void assert_chain(const struct tl__order_cycle *c)
{
    for (uint32_t i = 0; i < c->nedges; i++) {
        struct tl__order_edge a, b;
        assert_true(lock_order_edge(c->edges[i], &a));
        assert_true(lock_order_edge(c->edges[(i + 1) % c->nedges], &b));
        assert_int_equal(a.to, b.from);
    }
}

static void edge_is_added_once(void **state)
{
    (void)state;
    assert_false(lock_order_known(1, 2, false, false));
    assert_true(add(1, 2));
    assert_true(lock_order_known(1, 2, false, false));
    assert_false(lock_order_known(2, 1, false, false));
    assert_false(lock_order_known(1, 2, true, false)); /* another mode is another edge */
    assert_false(add(1, 2));
    assert_int_equal(lock_order_stats().edges, 1);
}

static void cycle_of_two(void **state)
{
    (void)state;
    struct tl__order_cycle c[TL_ORDER_MAX_CYCLES];
    add(1, 2);
    assert_int_equal(cycles(c), 0);
    add(2, 1);
    assert_int_equal(cycles(c), 1);
    assert_int_equal(c[0].nedges, 2);
    assert_chain(&c[0]);
    struct tl__order_edge first;
    assert_true(lock_order_edge(c[0].edges[0], &first));
    assert_int_equal(first.from, 2); /* the closing edge comes first */
    assert_int_equal(first.site.tid, 102);
    assert_ptr_equal(first.site.frames[0], (void *)(uintptr_t)(0x400000u + 2 * 16 + 1));
}

static void cycle_of_three(void **state)
{
    (void)state;
    struct tl__order_cycle c[TL_ORDER_MAX_CYCLES];
    add(1, 2);
    add(2, 3);
    add(2, 4); /* consistent so far */
    assert_int_equal(cycles(c), 0);
    add(3, 1);
    assert_int_equal(cycles(c), 1);
    assert_int_equal(c[0].nedges, 3);
    assert_chain(&c[0]);
}

static void consistent_order_has_no_cycle(void **state)
{
    (void)state;
    struct tl__order_cycle c[TL_ORDER_MAX_CYCLES];
    for (uint32_t i = 1; i < 20; i++)
        for (uint32_t j = i + 1; j <= 20; j++)
            add(i, j);
    assert_int_equal(cycles(c), 0);
    assert_int_equal(lock_order_stats().edges, 190);
}

static void cycle_is_recorded_once(void **state)
{
    (void)state;
    struct tl__order_cycle c[TL_ORDER_MAX_CYCLES];
    add(1, 2);
    add(2, 1);
    add(2, 1);                    /* known: nothing new */
    add_modes(1, 2, false, true); /* the same two locks, another mode */
    assert_int_equal(cycles(c), 1);
    add(3, 4);
    add(4, 3); /* another pair: another cycle */
    assert_int_equal(cycles(c), 2);
}

static void destroy_and_reuse_is_a_new_node(void **state)
{
    (void)state;
    struct tl__order_cycle c[TL_ORDER_MAX_CYCLES];
    struct tl__lock *a = lock_table_get(0xa000, TL_LOCK_MUTEX);
    struct tl__lock *b = lock_table_get(0xb000, TL_LOCK_MUTEX);
    uint32_t a1 = lock_identity(a), b1 = lock_identity(b);
    add(a1, b1);
    lock_end_identity(a, true); /* destroyed; a new mutex at the same address */
    uint32_t a2 = lock_identity(a);
    assert_int_not_equal(a2, a1);
    add(b1, a2);
    assert_int_equal(cycles(c), 0);
    add(a2, b1); /* but the new mutex against b in both orders is a cycle */
    assert_int_equal(cycles(c), 1);
}

/* Two threads holding read locks do not wait for each other (lockdep's recursive read rule). */
static void readers_do_not_deadlock(void **state)
{
    (void)state;
    struct tl__order_cycle c[TL_ORDER_MAX_CYCLES];
    add_modes(1, 2, true, true); /* read A, then read B */
    add_modes(2, 1, true, true); /* read B, then read A */
    assert_int_equal(cycles(c), 0);
}

static void reader_against_writer_deadlocks(void **state)
{
    (void)state;
    struct tl__order_cycle c[TL_ORDER_MAX_CYCLES];
    add_modes(1, 2, true, true);   /* read A, then read B */
    add_modes(2, 1, false, false); /* write B, then write A */
    assert_int_equal(cycles(c), 1);
}

static void readers_holding_wait_for_writes(void **state)
{
    (void)state;
    struct tl__order_cycle c[TL_ORDER_MAX_CYCLES];
    add_modes(1, 2, true, false); /* read A, then write B */
    add_modes(2, 1, true, false); /* read B, then write A */
    assert_int_equal(cycles(c), 1);
}

/* A -> B read-acquired, B held for reading -> C, C -> A: at B the arriving read meets a read
 * hold, so this path is no cycle; a write path around it is. */
static void read_rule_applies_inside_longer_cycles(void **state)
{
    (void)state;
    struct tl__order_cycle c[TL_ORDER_MAX_CYCLES];
    add_modes(1, 2, false, true);
    add_modes(2, 3, true, false);
    add_modes(3, 1, false, false);
    assert_int_equal(cycles(c), 0);
    add_modes(2, 3, false, false); /* B also held for writing when C is taken */
    assert_int_equal(cycles(c), 1);
    assert_int_equal(c[0].nedges, 3);
}

static void edges_are_bounded(void **state)
{
    (void)state;
    for (uint32_t i = 0; i < TL_ORDER_MAX_EDGES + 10; i++)
        add(1000 + i, 1000 + i + 1);
    struct tl__order_stats s = lock_order_stats();
    assert_int_equal(s.edges, TL_ORDER_MAX_EDGES);
    assert_int_equal(s.edges_not_tracked, 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(edge_is_added_once, fresh_graph),
        cmocka_unit_test_setup(cycle_of_two, fresh_graph),
        cmocka_unit_test_setup(cycle_of_three, fresh_graph),
        cmocka_unit_test_setup(consistent_order_has_no_cycle, fresh_graph),
        cmocka_unit_test_setup(cycle_is_recorded_once, fresh_graph),
        cmocka_unit_test_setup(destroy_and_reuse_is_a_new_node, fresh_graph),
        cmocka_unit_test_setup(readers_do_not_deadlock, fresh_graph),
        cmocka_unit_test_setup(reader_against_writer_deadlocks, fresh_graph),
        cmocka_unit_test_setup(readers_holding_wait_for_writes, fresh_graph),
        cmocka_unit_test_setup(read_rule_applies_inside_longer_cycles, fresh_graph),
        cmocka_unit_test_setup(edges_are_bounded, fresh_graph),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
