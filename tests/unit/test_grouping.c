/* Grouping leaked threads into findings: identical leaks share a group; start routine, creation
 * stack (by source line, not by pc), state, detachment and creator each split groups; the largest
 * group comes first. */
#include "findings.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static __attribute__((noinline)) void *worker_loop(void *arg)
{
    return arg;
}

static __attribute__((noinline)) void *flusher(void *arg)
{
    return arg;
}

/* The address a call returns to: two calls on one source line give two pcs of that line, as an
 * unrolled loop of pthread_create calls does. The asm keeps the compiler from folding the calls. */
static __attribute__((noinline)) void *return_address(void)
{
    void *pc = __builtin_return_address(0);
    __asm__ volatile("" : "+r"(pc));
    return pc;
}

static struct tl__thread_info leak(uint64_t serial, void *(*routine)(void *), uintptr_t site,
                                   uint32_t flags, pid_t creator)
{
    struct tl__thread_info t;
    memset(&t, 0, sizeof t);
    t.serial = serial;
    t.tid = (pid_t)(100000 + serial);
    t.flags = TL_F_IN_USE | TL_F_STARTED | flags;
    t.start_routine = (void *)routine;
    t.creator_tid = creator;
    t.nframes = 2;
    t.frames[0] = (void *)site;
    t.frames[1] = (void *)0x1000;
    return t;
}

static const struct tl__leak_group *group_of(const struct tl__findings *f, const char *routine,
                                             enum tl__leak_state state, bool detached)
{
    for (size_t i = 0; i < f->ngroups; i++) {
        const struct tl__leak_group *g = &f->groups[i];
        if (strcmp(g->start_routine, routine) == 0 && g->state == state && g->detached == detached)
            return g;
    }
    return NULL;
}

static void identical_leaks_share_one_group(void **state)
{
    (void)state;
    struct tl__thread_info leaks[5];
    for (uint64_t i = 0; i < 5; i++)
        leaks[i] = leak(i + 2, worker_loop, 0x2000, 0, getpid());
    struct tl__findings *f = findings_build(leaks, 5, TL_MODE_ALL, 3);
    assert_non_null(f);
    assert_int_equal(f->ngroups, 1);
    assert_int_equal(f->leaked, 5);
    assert_int_equal(f->suppressed, 3);
    assert_string_equal(f->mode, "all");
    const struct tl__leak_group *g = &f->groups[0];
    assert_int_equal(g->count, 5);
    assert_string_equal(g->start_routine, "worker_loop");
    assert_true(g->creator_is_main);
    for (unsigned i = 0; i < 5; i++)
        assert_int_equal(g->threads[i].serial, i + 2); /* in creation order */
    findings_free(f);
}

static void each_difference_splits_a_group(void **state)
{
    (void)state;
    pid_t main_tid = getpid();
    struct tl__thread_info leaks[] = {
        leak(2, worker_loop, 0x2000, 0, main_tid),
        leak(3, worker_loop, 0x2000, 0, main_tid),
        leak(4, worker_loop, 0x2000, 0, main_tid),
        leak(5, worker_loop, 0x2000, TL_F_EXITED, main_tid),   /* state */
        leak(6, worker_loop, 0x2000, TL_F_DETACHED, main_tid), /* detachment */
        leak(7, worker_loop, 0x3000, 0, main_tid),             /* creation site */
        leak(8, worker_loop, 0x2000, 0, main_tid + 1),         /* creator */
        leak(9, flusher, 0x2000, 0, main_tid),                 /* start routine */
        leak(10, flusher, 0x2000, 0, main_tid),
    };
    size_t n = sizeof leaks / sizeof *leaks;
    struct tl__findings *f = findings_build(leaks, n, TL_MODE_ALL, 0);
    assert_non_null(f);
    assert_int_equal(f->ngroups, 6);
    assert_int_equal(f->leaked, n);
    /* Largest first: the three identical worker_loop leaks, then flusher's two. */
    assert_int_equal(f->groups[0].count, 3);
    assert_string_equal(f->groups[0].start_routine, "worker_loop");
    assert_int_equal(f->groups[1].count, 2);
    assert_string_equal(f->groups[1].start_routine, "flusher");
    const struct tl__leak_group *exited = group_of(f, "worker_loop", TL_LEAK_EXITED, false);
    assert_non_null(exited);
    assert_int_equal(exited->count, 1);
    const struct tl__leak_group *detached = group_of(f, "worker_loop", TL_LEAK_RUNNING, true);
    assert_non_null(detached);
    assert_int_equal(detached->count, 1);
    size_t by_other_creator = 0;
    for (size_t i = 0; i < f->ngroups; i++)
        by_other_creator += !f->groups[i].creator_is_main;
    assert_int_equal(by_other_creator, 1);
    findings_free(f);
}

/* Failed before grouping by source line: two groups of one thread each. */
static void two_pcs_of_one_line_share_a_group(void **state)
{
    (void)state;
    void *pcs[2] = {return_address(), return_address()}; /* one line, two calls */
    assert_true(pcs[0] != pcs[1]);
    struct tl__thread_info leaks[] = {
        leak(2, worker_loop, (uintptr_t)pcs[1], 0, getpid()),
        leak(3, worker_loop, (uintptr_t)pcs[0], 0, getpid()),
        leak(4, worker_loop, (uintptr_t)pcs[1], 0, getpid()),
    };
    struct tl__findings *f = findings_build(leaks, 3, TL_MODE_ALL, 0);
    assert_non_null(f);
    assert_int_equal(f->ngroups, 1);
    const struct tl__leak_group *g = &f->groups[0];
    assert_int_equal(g->count, 3);
    for (unsigned i = 0; i < 3; i++)
        assert_int_equal(g->threads[i].serial, i + 2); /* still in creation order */
    assert_non_null(g->site);
    assert_string_equal(g->site->function, "two_pcs_of_one_line_share_a_group");
    assert_non_null(strstr(g->site->file, "test_grouping.c"));
    assert_true(g->site_offset != 0);
    findings_free(f);
}

static void cancelled_threads_are_marked(void **state)
{
    (void)state;
    struct tl__thread_info leaks[] = {
        leak(2, worker_loop, 0x2000, TL_F_EXITED | TL_F_CANCELLED, getpid()),
        leak(3, worker_loop, 0x2000, TL_F_EXITED, getpid()),
    };
    struct tl__findings *f = findings_build(leaks, 2, TL_MODE_TSAN, 0);
    assert_int_equal(f->ngroups, 1);
    assert_string_equal(f->mode, "tsan");
    assert_true(f->groups[0].threads[0].cancelled);
    assert_false(f->groups[0].threads[1].cancelled);
    findings_free(f);
}

static void no_leaks_build_an_empty_report(void **state)
{
    (void)state;
    struct tl__findings *f = findings_build(NULL, 0, TL_MODE_ALL, 0);
    assert_non_null(f);
    assert_int_equal(f->ngroups, 0);
    assert_int_equal(f->leaked, 0);
    assert_int_equal(f->pid, getpid());
    assert_non_null(f->exe);
    assert_non_null(f->argv);
    assert_non_null(strstr(f->argv[0], "test_grouping"));
    findings_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(identical_leaks_share_one_group),
        cmocka_unit_test(each_difference_splits_a_group),
        cmocka_unit_test(two_pcs_of_one_line_share_a_group),
        cmocka_unit_test(cancelled_threads_are_marked),
        cmocka_unit_test(no_leaks_build_an_empty_report),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
