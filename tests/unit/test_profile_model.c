/* thread_profile.c, in-process: threads blocked in known functions appear with their stacks and
 * waits; registry records (made by hand, as the shim would) are merged by tid: tracked live
 * threads get their start routine and creation stack, exited-unjoined ones are listed once per
 * tid, tool threads are left out; states_only sends no signal; a churn of threads never gives a
 * tid twice; memory stays flat across 1,000 profiles (printed, generous bound). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "registry.h"
#include "stack_capture.h"
#include "thread_profile.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static bool release;
static int pipe_fds[2];

struct blocked {
    pthread_t handle;
    _Atomic pid_t tid;
};

__attribute__((noinline)) static void *blocked_in_cond_wait(void *arg)
{
    struct blocked *b = arg;
    pthread_mutex_lock(&lock);
    atomic_store(&b->tid, (pid_t)syscall(SYS_gettid));
    while (!release)
        pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    return NULL;
}

__attribute__((noinline)) static void *blocked_in_read(void *arg)
{
    struct blocked *b = arg;
    atomic_store(&b->tid, (pid_t)syscall(SYS_gettid));
    char c;
    while (read(pipe_fds[0], &c, 1) < 0 && errno == EINTR)
        ;
    return NULL;
}

static void start_blocked(struct blocked *b, void *(*fn)(void *))
{
    atomic_store(&b->tid, 0);
    assert_int_equal(pthread_create(&b->handle, NULL, fn, b), 0);
    for (int i = 0; i < 5000 && atomic_load(&b->tid) == 0; i++)
        usleep(1000);
    assert_true(atomic_load(&b->tid) != 0);
    usleep(20000); /* let it reach its blocking call */
}

static void stop_blocked(struct blocked *cond_waiter, struct blocked *reader)
{
    pthread_mutex_lock(&lock);
    release = true;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
    assert_int_equal(write(pipe_fds[1], "x", 1), 1);
    pthread_join(cond_waiter->handle, NULL);
    pthread_join(reader->handle, NULL);
}

/* ---- registry records made by hand ---- */

/* A stand-in creation stack: stack_capture leaves out "threadleak's own" frames, and linked into
 * this test, that is every frame of the program. A return address inside this function does. */
__attribute__((noinline)) static unsigned capture_creation_site(void **frames)
{
    frames[0] = (char *)(uintptr_t)capture_creation_site + 4;
    return 1;
}

static struct tl__thread_record *record(pid_t tid, uint32_t flags, void *start, uintptr_t handle)
{
    struct tl__thread_record *r = registry_new_record();
    assert_non_null(r);
    registry_write_begin(r);
    r->info.start_routine = start;
    r->info.creator_tid = getpid();
    snprintf(r->info.creator_name, TL_NAME_MAX, "creator");
    r->info.nframes = (uint16_t)capture_creation_site(r->info.frames);
    registry_write_end(r);
    registry_publish(r, (pthread_t)handle);
    registry_release_creator_hold(r);
    registry_thread_started(r, tid);
    if (flags)
        registry_set_flags(r, flags);
    return r;
}

static const struct thread_profile_thread *find(const struct thread_profile *p, pid_t tid)
{
    for (size_t i = 0; i < p->count; i++) {
        if (p->threads[i].tid == tid)
            return &p->threads[i];
    }
    return NULL;
}

static bool stack_has(const struct thread_profile *p, uint32_t stack, const char *function)
{
    if (stack == THREAD_PROFILE_NO_STACK)
        return false;
    const struct thread_profile_stack *s = &p->stacks[stack];
    for (uint32_t i = 0; i < s->depth; i++) {
        const struct tl__location *loc = &p->locations[s->locations[i]];
        for (uint32_t k = 0; k < loc->nframes; k++) {
            if (strcmp(loc->frames[k].function, function) == 0)
                return true;
        }
    }
    return false;
}

static void assert_unique_sorted_tids(const struct thread_profile *p)
{
    for (size_t i = 1; i < p->count; i++)
        assert_true(p->threads[i - 1].tid < p->threads[i].tid);
}

static void test_live_threads_and_records(void **state)
{
    (void)state;
    assert_true(stack_capture_init());
    assert_int_equal(pipe(pipe_fds), 0);
    struct blocked waiter, reader;
    start_blocked(&waiter, blocked_in_cond_wait);
    start_blocked(&reader, blocked_in_read);
    pid_t dead_tid = 0x3ffffff0; /* above any pid_max: never a live task */
    struct tl__thread_record *live = record(waiter.tid, 0, (void *)blocked_in_cond_wait, 0x1001);
    struct tl__thread_record *tool = record(reader.tid, TL_F_TOOL, (void *)blocked_in_read, 0x1002);
    struct tl__thread_record *old = record(dead_tid, 0, (void *)blocked_in_read, 0x1003);
    struct tl__thread_record *newer = record(dead_tid, 0, (void *)blocked_in_cond_wait, 0x1004);
    struct tl__thread_record *reused = record(waiter.tid, 0, (void *)blocked_in_read, 0x1005);
    registry_thread_exited(old, "old");
    registry_thread_exited(newer, "newer");
    registry_thread_exited(reused, "reused");

    struct thread_profile p;
    assert_int_equal(thread_profile_take(NULL, &p), 0);
    assert_unique_sorted_tids(&p);
    assert_int_equal(p.pid, getpid());
    assert_true(p.signalled);

    const struct thread_profile_thread *w = find(&p, waiter.tid);
    assert_non_null(w);
    assert_true(w->tracked);
    assert_int_equal(w->state, THREAD_PROFILE_WAITING);
    assert_non_null(strstr(w->kernel->wait, "futex"));
    assert_true(stack_has(&p, w->stack, "blocked_in_cond_wait"));
    assert_true(stack_has(&p, w->creation_stack, "capture_creation_site"));
    assert_string_equal(w->start_routine, "blocked_in_cond_wait");
    assert_true(w->creator_is_main);

    /* the tool's thread is left out and counted */
    assert_null(find(&p, reader.tid));
    assert_true(p.tool_threads >= 1);

    /* two exited records with one tid: the newest is listed, the other hidden */
    const struct thread_profile_thread *gone = find(&p, dead_tid);
    assert_non_null(gone);
    assert_int_equal(gone->state, THREAD_PROFILE_EXITED_UNJOINED);
    assert_string_equal(gone->name, "newer");
    assert_int_equal(gone->stack, THREAD_PROFILE_NO_STACK);
    assert_true(stack_has(&p, gone->start_stack, "blocked_in_cond_wait"));
    /* the exited record whose tid a live thread has now is hidden, the live one wins */
    assert_int_equal(p.hidden_reused_tid, 2);
    assert_int_equal(p.exited_unjoined, 3);
    thread_profile_free(&p);

    struct thread_profile_options states = {.states_only = true};
    assert_int_equal(thread_profile_take(&states, &p), 0);
    assert_false(p.signalled);
    w = find(&p, waiter.tid);
    assert_non_null(w);
    assert_int_equal(w->stack, THREAD_PROFILE_NO_STACK);
    assert_string_equal(w->start_routine, "blocked_in_cond_wait");
    thread_profile_free(&p);

    registry_thread_joined(live);
    registry_thread_joined(tool);
    registry_thread_joined(old);
    registry_thread_joined(newer);
    registry_thread_joined(reused);
    stop_blocked(&waiter, &reader);
}

/* ---- churn ---- */

static atomic_bool churning;

static void *short_lived(void *arg)
{
    return arg;
}

static void *churn(void *arg)
{
    (void)arg;
    while (atomic_load(&churning)) {
        pthread_t t;
        if (pthread_create(&t, NULL, short_lived, NULL) == 0)
            pthread_join(t, NULL);
    }
    return NULL;
}

static void test_churn_never_lists_a_tid_twice(void **state)
{
    (void)state;
    atomic_store(&churning, true);
    pthread_t churners[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&churners[i], NULL, churn, NULL), 0);
    size_t most = 0;
    for (int round = 0; round < 200; round++) {
        struct thread_profile p;
        assert_int_equal(thread_profile_take(NULL, &p), 0);
        assert_unique_sorted_tids(&p);
        if (p.count > most)
            most = p.count;
        thread_profile_free(&p);
    }
    atomic_store(&churning, false);
    for (int i = 0; i < 2; i++)
        pthread_join(churners[i], NULL);
    print_message("# churn: 200 profiles, at most %zu threads in one\n", most);
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof line, f)) {
        if (sscanf(line, "VmRSS: %ld", &kib) == 1)
            break;
    }
    if (f)
        fclose(f);
    return kib;
}

/* In an AddressSanitizer build freed blocks wait in a quarantine (256 MiB by default) before they
   are reused, so RSS grows across a loop that frees all it takes; without the quarantine the RSS
   bound measures our own allocations again (a leak still grows it, and LSan names it). The
   runtime calls this hook; other builds never do. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "quarantine_size_mb=0";
}

static void test_memory_across_profiles(void **state)
{
    (void)state;
    struct thread_profile p;
    for (int i = 0; i < 20; i++) { /* warm-up: symbol caches, libdw */
        assert_int_equal(thread_profile_take(NULL, &p), 0);
        thread_profile_free(&p);
    }
    long before = rss_kib();
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(thread_profile_take(NULL, &p), 0);
        thread_profile_free(&p);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long after = rss_kib();
    double ms = ((double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
    print_message("# 1000 profiles: %.3f ms each; RSS %ld KiB -> %ld KiB (%+ld KiB)\n", ms / 1000,
                  before, after, after - before);
    assert_true(after - before < 8 * 1024);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_live_threads_and_records),
        cmocka_unit_test(test_churn_never_lists_a_tid_twice),
        cmocka_unit_test(test_memory_across_profiles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
