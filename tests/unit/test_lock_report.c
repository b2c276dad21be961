/* The lock findings in the JSON report (docs/json-schema.md: deadlocks, lock_order, misuse,
 * lock_stats) and in the text report, read back from what the writers wrote. */
#define _GNU_SOURCE /* open_memstream */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json_reader.h"
#include "json_report.h"
#include "lock_findings.h"
#include "text_report.h"

static struct tl__frame held_frames[] = {
    {.pc = 0x401010,
     .function = "worker",
     .file = "/src/abba.c",
     .line = 10,
     .module = "/bin/abba"},
};
static struct tl__frame acquired_frames[] = {
    {.pc = 0x401020,
     .function = "worker",
     .file = "/src/abba.c",
     .line = 11,
     .module = "/bin/abba"},
    {.pc = 0x7f0000001000, .function = "start_thread", .module = "/lib/libc.so.6"},
};
static struct tl__lock_ref cycle_locks[] = {{0xa000, "mutex"}, {0xb000, "mutex"}};
static struct tl__lock_order_edge cycle_edges[] = {
    {.from = {0xa000, "mutex"},
     .to = {0xb000, "mutex"},
     .held_as = "write",
     .acquired_as = "write",
     .thread = {.tid = 11, .name = "w1", .start_routine = "a_then_b"},
     .held_at = {held_frames, 1},
     .acquired_at = {acquired_frames, 2}},
    {.from = {0xb000, "mutex"},
     .to = {0xa000, "mutex"},
     .held_as = "read",
     .acquired_as = "write",
     .thread = {.tid = 12, .name = "w2", .start_routine = NULL},
     .held_at = {held_frames, 1},
     .acquired_at = {acquired_frames, 1}},
};
static struct tl__lock_order_cycle cycles_fixture[] = {{cycle_locks, 2, cycle_edges, 2}};
static struct tl__lock_misuse misuse_fixture[] = {
    {.kind = "unlock_unlocked",
     .count = 3,
     .thread = {.tid = 7, .name = "main"},
     .stack = {acquired_frames, 1},
     .lock = {0xc000, "mutex"}},
};
static struct tl__lock_held_ref holds_fixture[] = {{{0xd000, "mutex"}, {held_frames, 1}}};
static struct tl__deadlocked_thread deadlocked_fixture[] = {
    {.thread = {.tid = 9, .name = "stuck", .start_routine = "relock"},
     .created_at = {acquired_frames, 1},
     .stack = {acquired_frames, 2},
     .waits_for = {0xd000, "mutex"},
     .waits_for_owner = 9,
     .holds = holds_fixture,
     .nholds = 1},
};
static struct tl__deadlock deadlocks_fixture[] = {{"self_lock", deadlocked_fixture, 1, 0}};

static struct tl__lock_findings locks_fixture = {
    .deadlocks = deadlocks_fixture,
    .ndeadlocks = 1,
    .cycles = cycles_fixture,
    .ncycles = 1,
    .misuse = misuse_fixture,
    .nmisuse = 1,
    .locks_tracked = 4,
    .locks_not_tracked = 2,
    .edges = 2,
};

static struct tl__findings findings_with(const struct tl__lock_findings *locks)
{
    return (struct tl__findings){.pid = 4242, .ppid = 1, .mode = "all", .locks = locks};
}

static char *written_json(const struct tl__findings *f)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_int_equal(report_write_json(out, f), 0);
    fclose(out);
    return text;
}

static struct tl__json *parsed(const struct tl__findings *f)
{
    char *text = written_json(f);
    char err[128];
    struct tl__json *root = tl__json_parse(text, strlen(text), err, sizeof err);
    free(text);
    assert_non_null(root);
    return root;
}

static const char *str(const struct tl__json *v, const char *key)
{
    const struct tl__json *m = tl__json_get(v, key);
    assert_non_null(m);
    return tl__json_string(m);
}

static void json_without_lock_module_has_no_lock_members(void **state)
{
    (void)state;
    struct tl__findings f = findings_with(NULL);
    struct tl__json *root = parsed(&f);
    assert_null(tl__json_get(root, "deadlocks"));
    assert_null(tl__json_get(root, "lock_order"));
    assert_null(tl__json_get(root, "misuse"));
    tl__json_free(root);
}

static void json_lock_order_has_every_edge_with_both_stacks(void **state)
{
    (void)state;
    struct tl__findings f = findings_with(&locks_fixture);
    struct tl__json *root = parsed(&f);
    const struct tl__json *order = tl__json_get(root, "lock_order");
    assert_int_equal(tl__json_length(order), 1);
    const struct tl__json *cycle = tl__json_index(order, 0);
    const struct tl__json *locks = tl__json_get(cycle, "locks");
    assert_int_equal(tl__json_length(locks), 2);
    assert_string_equal(str(tl__json_index(locks, 1), "address"), "0xb000");
    assert_string_equal(str(tl__json_index(locks, 1), "type"), "mutex");
    const struct tl__json *edges = tl__json_get(cycle, "edges");
    assert_int_equal(tl__json_length(edges), 2);
    const struct tl__json *e0 = tl__json_index(edges, 0);
    assert_string_equal(str(e0, "from"), "0xa000");
    assert_string_equal(str(e0, "to"), "0xb000");
    assert_string_equal(str(tl__json_get(e0, "thread"), "start_routine"), "a_then_b");
    const struct tl__json *held = tl__json_get(e0, "held_at");
    const struct tl__json *acquired = tl__json_get(e0, "acquired_at");
    assert_int_equal(tl__json_length(held), 1);
    assert_int_equal(tl__json_length(acquired), 2);
    assert_int_equal(tl__json_int(tl__json_get(tl__json_index(held, 0), "line")), 10);
    assert_int_equal(tl__json_int(tl__json_get(tl__json_index(acquired, 0), "line")), 11);
    const struct tl__json *e1 = tl__json_index(edges, 1);
    assert_string_equal(str(e1, "held_as"), "read");
    assert_true(tl__json_is_null(tl__json_get(tl__json_get(e1, "thread"), "start_routine")));
    tl__json_free(root);
}

static void json_misuse_and_deadlocks(void **state)
{
    (void)state;
    struct tl__findings f = findings_with(&locks_fixture);
    struct tl__json *root = parsed(&f);
    const struct tl__json *m = tl__json_index(tl__json_get(root, "misuse"), 0);
    assert_string_equal(str(m, "kind"), "unlock_unlocked");
    assert_int_equal(tl__json_int(tl__json_get(m, "count")), 3);
    assert_int_equal(tl__json_int(tl__json_get(tl__json_get(m, "thread"), "tid")), 7);
    assert_string_equal(str(tl__json_get(m, "lock"), "address"), "0xc000");
    assert_true(tl__json_is_null(tl__json_get(m, "other_lock")));
    assert_int_equal(tl__json_length(tl__json_get(m, "stack")), 1);

    const struct tl__json *d = tl__json_index(tl__json_get(root, "deadlocks"), 0);
    assert_string_equal(str(d, "kind"), "self_lock");
    const struct tl__json *t = tl__json_index(tl__json_get(d, "threads"), 0);
    assert_int_equal(tl__json_int(tl__json_get(t, "tid")), 9);
    assert_string_equal(str(t, "name"), "stuck");
    assert_string_equal(str(t, "start_routine"), "relock");
    assert_int_equal(tl__json_length(tl__json_get(t, "created_at")), 1);
    assert_int_equal(tl__json_length(tl__json_get(t, "stack")), 2);
    assert_string_equal(str(tl__json_get(t, "waits_for"), "address"), "0xd000");
    assert_int_equal(tl__json_int(tl__json_get(tl__json_get(t, "waits_for"), "held_by")), 9);
    assert_int_equal(tl__json_length(tl__json_get(t, "holds")), 1);

    const struct tl__json *stats = tl__json_get(root, "lock_stats");
    assert_int_equal(tl__json_int(tl__json_get(stats, "locks_not_tracked")), 2);
    tl__json_free(root);
}

static char *written_text(const struct tl__findings *f)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_int_equal(report_write_text(out, f, false), 0);
    fclose(out);
    return text;
}

static void text_has_a_block_per_finding_and_counts(void **state)
{
    (void)state;
    struct tl__findings f = findings_with(&locks_fixture);
    char *text = written_text(&f);
    assert_non_null(strstr(text, "==4242== threadleak: lock-order inversion (potential deadlock) "
                                 "of 2 locks: mutex 0xa000 -> mutex 0xb000 -> mutex 0xa000\n"));
    assert_non_null(strstr(text, "  mutex 0xb000 acquired (write) here while holding mutex "
                                 "0xa000, by thread 11 \"w1\" (start routine a_then_b):\n"));
    assert_non_null(strstr(text, "/src/abba.c:11"));
    assert_non_null(strstr(text, "  mutex 0xa000 taken (write) by the same thread here:\n"));
    assert_non_null(strstr(text, "/src/abba.c:10"));
    assert_non_null(strstr(text, "pthread misuse (unlock_unlocked) of mutex 0xc000, 3 times"));
    assert_non_null(strstr(text, "deadlock (self_lock) of 1 thread\n"));
    assert_non_null(strstr(text, "waits to lock mutex 0xd000 held by thread 9 (itself)"));
    assert_non_null(strstr(text, "bounded: 2 calls on locks not tracked"));
    assert_non_null(
        strstr(text, ", 1 lock-order inversion, 1 misuse, 1 deadlock\n")); /* SUMMARY's tail */
    free(text);
}

/* all_asleep: a thread per kind of wait, each waits_for in its own shape. */
static struct tl__deadlocked_thread asleep_fixture[] = {
    {.thread = {.tid = 20, .name = "main"},
     .stack = {acquired_frames, 1},
     .waits_for = {0x7f00, "thread"},
     .waits_for_owner = 21},
    {.thread = {.tid = 21, .name = "w"},
     .stack = {acquired_frames, 1},
     .waits_for = {0xe000, "cond"},
     .waits_for_mutex = 0xe100},
    {.thread = {.tid = 22, .name = "w"},
     .stack = {acquired_frames, 1},
     .waits_for = {0xe200, "barrier"}},
    {.thread = {.tid = 23, .name = "w"},
     .stack = {acquired_frames, 1},
     .waits_for = {0xe300, "semaphore"}},
    {.thread = {.tid = 24, .name = "w"},
     .stack = {acquired_frames, 1},
     .waits_for = {0xe400, "mutex"},
     .waits_for_owner = 20},
};
static struct tl__deadlock asleep_deadlock[] = {{"all_asleep", asleep_fixture, 5, 3}};
static struct tl__lock_findings asleep_findings = {.deadlocks = asleep_deadlock, .ndeadlocks = 1};

static void json_all_asleep_names_what_each_thread_waits_for(void **state)
{
    (void)state;
    struct tl__findings f = findings_with(&asleep_findings);
    struct tl__json *root = parsed(&f);
    const struct tl__json *d = tl__json_index(tl__json_get(root, "deadlocks"), 0);
    assert_string_equal(str(d, "kind"), "all_asleep");
    assert_int_equal(tl__json_int(tl__json_get(d, "threads_omitted")), 3);
    const struct tl__json *threads = tl__json_get(d, "threads");
    const struct tl__json *w[5];
    for (size_t i = 0; i < 5; i++)
        w[i] = tl__json_get(tl__json_index(threads, i), "waits_for");
    assert_string_equal(str(w[0], "type"), "thread");
    assert_string_equal(str(w[0], "address"), "0x7f00");
    assert_int_equal(tl__json_int(tl__json_get(w[0], "tid")), 21);
    assert_null(tl__json_get(w[0], "held_by"));
    assert_string_equal(str(w[1], "type"), "cond");
    assert_string_equal(str(w[1], "mutex"), "0xe100");
    assert_string_equal(str(w[2], "type"), "barrier");
    assert_null(tl__json_get(w[2], "held_by"));
    assert_string_equal(str(w[3], "type"), "semaphore");
    assert_int_equal(tl__json_int(tl__json_get(w[4], "held_by")), 20);
    tl__json_free(root);

    char *text = written_text(&f);
    assert_non_null(strstr(text, "==4242== threadleak: all threads are asleep - deadlock! "
                                 "(all_asleep) 8 threads, 3 not shown\n"));
    assert_non_null(strstr(text, "thread 20 \"main\" joins thread 21 (pthread_t 0x7f00):\n"));
    assert_non_null(strstr(text, " waits on cond 0xe000 with mutex 0xe100:\n"));
    assert_non_null(strstr(text, " waits at barrier 0xe200:\n"));
    assert_non_null(strstr(text, " waits at semaphore 0xe300:\n"));
    assert_non_null(strstr(text, " waits to lock mutex 0xe400 held by thread 20:\n"));
    free(text);
}

static void text_without_lock_module_is_unchanged(void **state)
{
    (void)state;
    struct tl__findings f = findings_with(NULL);
    char *text = written_text(&f);
    assert_null(strstr(text, "lock"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(json_without_lock_module_has_no_lock_members),
        cmocka_unit_test(json_lock_order_has_every_edge_with_both_stacks),
        cmocka_unit_test(json_misuse_and_deadlocks),
        cmocka_unit_test(text_has_a_block_per_finding_and_counts),
        cmocka_unit_test(text_without_lock_module_is_unchanged),
        cmocka_unit_test(json_all_asleep_names_what_each_thread_waits_for),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
