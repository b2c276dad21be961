/* The lock module end to end: each program of this directory runs with libthreadleak-locks.so
 * preloaded, and its JSON report says what it should, with stacks at the right file:line (the
 * lines are found by the markers in the sources). Arguments: the programs' directory, their
 * sources' directory, libthreadleak-locks.so, libthreadleak.so. */
#include "json_reader.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

static const char *programs_dir, *sources_dir, *locks_lib, *plain_lib, *cli;
/* The exit status of a run with findings whose program exited 0: exitcode's 66, except in the
 * sanitizer build, where the shim (the plain one too) leaves the status alone today. */
static int found_status = 66;

struct run {
    int status; /* exit status, 128+N when killed by signal N */
    char out[16384];
    struct tl__json *report; /* the process's JSON report; NULL when none was written */
};

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    static char text[1 << 20];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

/* The process's JSON report. A child it forked (and that exited through the shim) writes one
 * too: the program's is the one whose parent wrote none. The others are freed. */
#define REPORTS_MAX 8

static int64_t report_int(const struct tl__json *root, const char *key)
{
    const struct tl__json *v = tl__json_get(root, key);
    return v ? tl__json_int(v) : -1;
}

static struct tl__json *read_report(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct tl__json *roots[REPORTS_MAX];
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strncmp(e->d_name, "threadleak.", 11) != 0 || !strstr(e->d_name, ".json"))
            continue;
        char path[4096], err[128];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        char *text = read_all(path);
        assert_non_null(text);
        assert_true(n < REPORTS_MAX);
        roots[n] = tl__json_parse(text, strlen(text), err, sizeof err);
        assert_non_null(roots[n]);
        n++;
        unlink(path);
    }
    closedir(d);
    struct tl__json *root = NULL;
    for (size_t i = 0; i < n; i++) {
        bool child = false;
        for (size_t j = 0; j < n; j++)
            child = child || report_int(roots[i], "ppid") == report_int(roots[j], "pid");
        if (!child && !root)
            root = roots[i];
        else
            tl__json_free(roots[i]);
    }
    return root;
}

/* Runs PROGRAM ARGS with lib preloaded (NULL: none) and THREADLEAK_OPTIONS options plus a fresh
 * report_dir; stdout into r->out (stderr is the test's). In the sanitizer build the programs link
 * libasan, which wants to come first: ASAN_OPTIONS lets the preloaded module go before it (and
 * leaves leak checking to the unit tests), the same for both runs of a comparison. */
static void run(struct run *r, const char *lib, const char *options, const char *program,
                const char *args)
{
    char dir[] = "/tmp/tl-locks-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char command[8192];
    snprintf(command, sizeof command,
             "env ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0 "
             "THREADLEAK_OPTIONS='report_dir=%s:%s' LD_PRELOAD='%s' %s/%s %s",
             dir, options, lib ? lib : "", programs_dir, program, args);
    FILE *p = popen(command, "r");
    assert_non_null(p);
    size_t got = fread(r->out, 1, sizeof r->out - 1, p);
    r->out[got] = '\0';
    int status = pclose(p);
    r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r->report = read_report(dir);
    rmdir(dir);
}

static void done(struct run *r)
{
    tl__json_free(r->report);
}

/* The line of source that holds marker. */
static int line_of(const char *source, const char *marker)
{
    char path[4096], line[1024];
    snprintf(path, sizeof path, "%s/%s", sources_dir, source);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    for (int n = 1; fgets(line, sizeof line, f); n++)
        if (strstr(line, marker)) {
            fclose(f);
            return n;
        }
    fclose(f);
    fail_msg("no %s in %s", marker, source);
    return 0;
}

static const struct tl__json *member(const struct tl__json *v, const char *key)
{
    const struct tl__json *m = tl__json_get(v, key);
    if (!m)
        fail_msg("no member %s", key);
    return m;
}

static size_t count(const struct run *r, const char *key)
{
    return tl__json_length(member(r->report, key));
}

static int frame_line(const struct tl__json *stack, size_t i)
{
    return (int)tl__json_int(member(tl__json_index(stack, i), "line"));
}

static const char *frame_file(const struct tl__json *stack, size_t i)
{
    return tl__json_string(member(tl__json_index(stack, i), "file"));
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), m = strlen(tail);
    return s && n >= m && strcmp(s + n - m, tail) == 0;
}

static void assert_clean(const struct run *r)
{
    assert_non_null(r->report);
    assert_int_equal(count(r, "lock_order"), 0);
    assert_int_equal(count(r, "misuse"), 0);
    assert_int_equal(count(r, "deadlocks"), 0);
}

/* --- lock-order inversions --- */

static void abba_is_one_inversion_with_both_stacks(void **state)
{
    (void)state;
    struct run r;
    run(&r, locks_lib, "", "lock_abba", "");
    assert_int_equal(r.status, found_status); /* exitcode: a finding fails the run */
    assert_int_equal(count(&r, "lock_order"), 1);
    const struct tl__json *cycle = tl__json_index(member(r.report, "lock_order"), 0);
    assert_int_equal(tl__json_length(member(cycle, "locks")), 2);
    const struct tl__json *edges = member(cycle, "edges");
    assert_int_equal(tl__json_length(edges), 2);
    int a_held = line_of("lock_abba.c", "LINE_A_HELD"),
        b_acq = line_of("lock_abba.c", "LINE_B_ACQUIRED");
    int b_held = line_of("lock_abba.c", "LINE_B_HELD"),
        a_acq = line_of("lock_abba.c", "LINE_A_ACQUIRED");
    bool seen_ab = false, seen_ba = false;
    for (size_t i = 0; i < 2; i++) {
        const struct tl__json *e = tl__json_index(edges, i);
        const struct tl__json *held = member(e, "held_at"), *acquired = member(e, "acquired_at");
        assert_true(ends_with(frame_file(held, 0), "lock_abba.c"));
        assert_true(ends_with(frame_file(acquired, 0), "lock_abba.c"));
        int h = frame_line(held, 0), a = frame_line(acquired, 0);
        seen_ab = seen_ab || (h == a_held && a == b_acq);
        seen_ba = seen_ba || (h == b_held && a == a_acq);
        /* Both locks were taken in the same frame: H's stack goes on to the thread's start. */
        assert_true(tl__json_length(held) > 1);
        const char *routine = tl__json_string(member(member(e, "thread"), "start_routine"));
        assert_true(strcmp(routine, "a_then_b") == 0 || strcmp(routine, "b_then_a") == 0);
    }
    assert_true(seen_ab);
    assert_true(seen_ba);
    done(&r);
}

/* The fast path skips a pair it knows; an identity that ends in between must not let it skip the
 * new lock's edge (the test fails when init and destroy do not advance lock_epoch). */
static void reinit_while_held_is_a_new_edge(void **state)
{
    (void)state;
    struct run r;
    run(&r, locks_lib, "", "lock_identity", "reinit_under_held");
    assert_int_equal(r.status, found_status);
    assert_int_equal(count(&r, "lock_order"), 1);
    const struct tl__json *edges =
        member(tl__json_index(member(r.report, "lock_order"), 0), "edges");
    assert_int_equal(tl__json_length(edges), 2);
    int under_index = line_of("lock_identity.c", "LINE_TABLE_UNDER_INDEX"),
        under_table = line_of("lock_identity.c", "LINE_INDEX_UNDER_TABLE");
    bool seen_under_index = false, seen_under_table = false;
    for (size_t i = 0; i < 2; i++) {
        int line = frame_line(member(tl__json_index(edges, i), "acquired_at"), 0);
        seen_under_index = seen_under_index || line == under_index;
        seen_under_table = seen_under_table || line == under_table;
    }
    assert_true(seen_under_index);
    assert_true(seen_under_table);
    done(&r);

    run(&r, locks_lib, "", "lock_identity", "same_pair");
    assert_int_equal(r.status, 0);
    assert_clean(&r);
    done(&r);
}

static void consistent_order_under_contention_is_clean(void **state)
{
    (void)state;
    struct run r;
    run(&r, locks_lib, "", "lock_consistent", "");
    assert_int_equal(r.status, 0);
    assert_clean(&r);
    /* The two locks and the one edge between them, nothing else. */
    const struct tl__json *stats = member(r.report, "lock_stats");
    assert_int_equal(tl__json_int(member(stats, "edges")), 1);
    done(&r);
}

static void trylock_back_off_is_clean(void **state)
{
    (void)state;
    struct run r;
    run(&r, locks_lib, "", "lock_trylock_backoff", "");
    assert_int_equal(r.status, 0);
    assert_clean(&r);
    done(&r);
}

static void clean_uses_are_clean(void **state)
{
    (void)state;
    struct run r;
    run(&r, locks_lib, "", "lock_clean", "");
    assert_int_equal(r.status, 0);
    assert_clean(&r);
    done(&r);
}

static void c11_abba_is_found(void **state)
{
    (void)state;
    struct run r;
    run(&r, locks_lib, "", "lock_c11_abba", "");
    assert_int_equal(r.status, found_status);
    assert_int_equal(count(&r, "lock_order"), 1);
    const struct tl__json *cycle = tl__json_index(member(r.report, "lock_order"), 0);
    const struct tl__json *lock = tl__json_index(member(cycle, "locks"), 0);
    assert_string_equal(tl__json_string(member(lock, "type")), "mtx");
    bool seen = false;
    const struct tl__json *edges = member(cycle, "edges");
    for (size_t i = 0; i < tl__json_length(edges); i++) {
        const struct tl__json *acquired = member(tl__json_index(edges, i), "acquired_at");
        seen = seen || frame_line(acquired, 0) == line_of("lock_c11_abba.c", "C11_B_ACQUIRED");
    }
    assert_true(seen);
    done(&r);
}

/* std::mutex reaches pthread_mutex_lock through the PLT: the pthread wrappers see it. */
static void cxx_std_mutex_abba_is_found(void **state)
{
    (void)state;
    struct run r;
    run(&r, locks_lib, "", "lock_cxx_abba", "");
    assert_int_equal(r.status, found_status);
    assert_int_equal(count(&r, "lock_order"), 1);
    const struct tl__json *edges =
        member(tl__json_index(member(r.report, "lock_order"), 0), "edges");
    int b_line = line_of("lock_cxx_abba.cpp", "CXX_B_ACQUIRED");
    int a_line = line_of("lock_cxx_abba.cpp", "CXX_A_ACQUIRED");
    unsigned seen = 0;
    for (size_t i = 0; i < tl__json_length(edges); i++) {
        const struct tl__json *acquired = member(tl__json_index(edges, i), "acquired_at");
        for (size_t j = 0; j < tl__json_length(acquired); j++) {
            const char *file = frame_file(acquired, j);
            if (file && ends_with(file, "lock_cxx_abba.cpp")) {
                int line = frame_line(acquired, j);
                seen |= (line == b_line ? 1u : 0u) | (line == a_line ? 2u : 0u);
                break;
            }
        }
    }
    assert_int_equal(seen, 3);
    done(&r);
}

/* std::shared_mutex is a pthread_rwlock_t: readers in both orders are clean (lockdep's rule for
 * shared acquisitions), a writer against them is an inversion. */
static void cxx_shared_mutex_follows_the_read_rule(void **state)
{
    (void)state;
    struct run r;
    run(&r, locks_lib, "", "lock_cxx_shared", "");
    assert_int_equal(r.status, 0);
    assert_clean(&r);
    done(&r);
    run(&r, locks_lib, "", "lock_cxx_shared", "write");
    assert_int_equal(r.status, found_status);
    assert_int_equal(count(&r, "lock_order"), 1);
    const struct tl__json *cycle = tl__json_index(member(r.report, "lock_order"), 0);
    const struct tl__json *lock = tl__json_index(member(cycle, "locks"), 0);
    assert_string_equal(tl__json_string(member(lock, "type")), "rwlock");
    done(&r);
}

static void off_when_locks_is_0(void **state)
{
    (void)state;
    struct run r;
    run(&r, locks_lib, "locks=0", "lock_abba", "");
    assert_int_equal(r.status, 0);
    assert_clean(&r);
    done(&r);
}

/* The plain shim has no lock module: no lock members in its report, and no finding. */
static void plain_shim_reports_no_lock_members(void **state)
{
    (void)state;
    struct run r;
    run(&r, plain_lib, "", "lock_abba", "");
    assert_int_equal(r.status, 0);
    assert_non_null(r.report);
    assert_null(tl__json_get(r.report, "lock_order"));
    assert_null(tl__json_get(r.report, "misuse"));
    done(&r);
}

/* --- misuse --- */

static void assert_misuse(const char *kind, const char *arg, const char *marker)
{
    struct run with, without;
    run(&with, locks_lib, "", "lock_misuse", arg);
    run(&without, NULL, "", "lock_misuse", arg);
    assert_int_equal(with.status, found_status);
    assert_int_equal(without.status, 0);
    assert_string_equal(with.out, without.out); /* what libc returned */
    assert_int_equal(count(&with, "misuse"), 1);
    const struct tl__json *m = tl__json_index(member(with.report, "misuse"), 0);
    assert_string_equal(tl__json_string(member(m, "kind")), kind);
    const struct tl__json *stack = member(m, "stack");
    assert_true(ends_with(frame_file(stack, 0), "lock_misuse.c"));
    assert_int_equal(frame_line(stack, 0), line_of("lock_misuse.c", marker));
    assert_int_equal(count(&with, "lock_order"), 0);
    done(&with);
}

static void unlock_unlocked(void **state)
{
    (void)state;
    assert_misuse("unlock_unlocked", "unlock_unlocked", "MISUSE_UNLOCKED");
}

static void unlock_not_owner(void **state)
{
    (void)state;
    assert_misuse("unlock_not_owner", "unlock_not_owner", "MISUSE_NOT_OWNER");
}

static void destroy_locked(void **state)
{
    (void)state;
    assert_misuse("destroy_locked", "destroy_locked", "MISUSE_DESTROY");
}

static void exit_holding_lock(void **state)
{
    (void)state;
    assert_misuse("exit_holding_lock", "exit_holding_lock", "MISUSE_EXIT_HOLDING");
}

static void cond_wrong_mutex(void **state)
{
    (void)state;
    assert_misuse("cond_wrong_mutex", "cond_wrong_mutex", "MISUSE_COND");
}

static void lock_destroyed(void **state)
{
    (void)state;
    assert_misuse("lock_destroyed", "lock_destroyed", "MISUSE_LOCK_DESTROYED");
}

static void rwlock_unlock_unlocked(void **state)
{
    (void)state;
    assert_misuse("unlock_unlocked", "rwlock_unlock_unlocked", "MISUSE_RW_UNLOCKED");
}

static void join_detached(void **state)
{
    (void)state;
    assert_misuse("join_detached", "join_detached", "MISUSE_JOIN_DETACHED");
}

/* glibc's answer to a second join is undefined (2.36 with its stack cache: ESRCH); the shim
 * passes on whatever it is. */
static void double_join(void **state)
{
    (void)state;
    assert_misuse("double_join", "double_join", "MISUSE_DOUBLE_JOIN");
}

/* --- self_lock: a live deadlock of one thread --- */

static void assert_self_lock(const struct run *r)
{
    assert_non_null(r->report);
    assert_int_equal(count(r, "deadlocks"), 1);
    const struct tl__json *d = tl__json_index(member(r->report, "deadlocks"), 0);
    assert_string_equal(tl__json_string(member(d, "kind")), "self_lock");
    const struct tl__json *t = tl__json_index(member(d, "threads"), 0);
    int64_t tid = tl__json_int(member(t, "tid"));
    assert_int_equal(tl__json_int(member(member(t, "waits_for"), "held_by")), tid);
    assert_string_equal(tl__json_string(member(t, "start_routine")), "lock_twice");
    assert_int_equal(frame_line(member(t, "stack"), 0), line_of("lock_misuse.c", "SELF_LOCK"));
    assert_int_equal(tl__json_length(member(t, "holds")), 1);
    assert_true(tl__json_length(member(t, "created_at")) > 0);
}

static void self_lock_is_reported_and_waits(void **state)
{
    (void)state;
    struct run r;
    run(&r, locks_lib, "", "lock_misuse", "self_lock");
    assert_int_equal(r.status, found_status);
    assert_self_lock(&r);
    done(&r);
}

static void self_lock_aborts_when_asked(void **state)
{
    (void)state;
    struct run r;
    run(&r, locks_lib, "deadlock=abort", "lock_misuse", "self_lock 2>/dev/null");
    assert_int_equal(r.status, 128 + 6); /* SIGABRT, after the report was written */
    assert_self_lock(&r);
    done(&r);
}

/* --- lock_cycle: threads waiting for each other's locks --- */

static const struct tl__json *thread_of_tid(const struct tl__json *threads, int64_t tid)
{
    for (size_t i = 0; i < tl__json_length(threads); i++)
        if (tl__json_int(member(tl__json_index(threads, i), "tid")) == tid)
            return tl__json_index(threads, i);
    fail_msg("no thread %lld in the cycle", (long long)tid);
    return NULL;
}

/* One lock_cycle of n threads: each waits for a lock held by the next, which holds exactly that
 * lock, and the chain of owners closes; every thread is named and has its stack at marker. */
static void assert_lock_cycle(const struct run *r, size_t n, const char *type, const char *marker,
                              const char *start_routine)
{
    assert_non_null(r->report);
    assert_int_equal(count(r, "deadlocks"), 1);
    const struct tl__json *d = tl__json_index(member(r->report, "deadlocks"), 0);
    assert_string_equal(tl__json_string(member(d, "kind")), "lock_cycle");
    const struct tl__json *threads = member(d, "threads");
    assert_int_equal(tl__json_length(threads), n);
    const struct tl__json *t = tl__json_index(threads, 0);
    for (size_t i = 0; i < n; i++) {
        const struct tl__json *waits = member(t, "waits_for");
        assert_string_equal(tl__json_string(member(waits, "type")), type);
        const struct tl__json *owner =
            thread_of_tid(threads, tl__json_int(member(waits, "held_by")));
        assert_true(owner != t);
        const struct tl__json *holds = member(owner, "holds");
        assert_int_equal(tl__json_length(holds), 1);
        assert_string_equal(tl__json_string(member(tl__json_index(holds, 0), "address")),
                            tl__json_string(member(waits, "address")));
        if (start_routine)
            assert_string_equal(tl__json_string(member(t, "start_routine")), start_routine);
        const struct tl__json *stack = member(t, "stack");
        assert_true(ends_with(frame_file(stack, 0), "lock_cycle.c"));
        if (marker)
            assert_int_equal(frame_line(stack, 0), line_of("lock_cycle.c", marker));
        assert_true(tl__json_length(member(t, "created_at")) > 0);
        t = owner;
    }
    assert_ptr_equal(t, tl__json_index(threads, 0)); /* n steps along the owners close it */
}

static void abba_deadlock_is_a_lock_cycle(void **state)
{
    (void)state;
    struct run r;
    run(&r, locks_lib, "", "lock_cycle", "abba 2");
    assert_int_equal(r.status, found_status);
    assert_lock_cycle(&r, 2, "mutex", "LOCK_CYCLE_WAIT", "cycle_member");
    done(&r);
}

static void three_thread_cycle(void **state)
{
    (void)state;
    struct run r;
    run(&r, locks_lib, "", "lock_cycle", "three 2");
    assert_int_equal(r.status, found_status);
    assert_lock_cycle(&r, 3, "mutex", "LOCK_CYCLE_WAIT", "cycle_member");
    done(&r);
}

static void rwlock_cycle(void **state)
{
    (void)state;
    struct run r;
    run(&r, locks_lib, "", "lock_cycle", "rwlock 2");
    assert_int_equal(r.status, found_status);
    assert_lock_cycle(&r, 2, "rwlock", NULL, NULL);
    done(&r);
}

static void lock_cycle_aborts_when_asked(void **state)
{
    (void)state;
    struct run r;
    run(&r, locks_lib, "deadlock=abort", "lock_cycle", "abba 30 2>/dev/null");
    assert_int_equal(r.status, 128 + 6); /* SIGABRT, long before main's 30 s */
    assert_lock_cycle(&r, 2, "mutex", "LOCK_CYCLE_WAIT", "cycle_member");
    done(&r);
}

static int64_t lock_stat(const struct run *r, const char *key)
{
    return tl__json_int(member(member(r->report, "lock_stats"), key));
}

/* The cycle is seen (B is in the re-check's sleep when A lets go), and gone at the re-check. */
static void dissolving_cycle_is_no_deadlock(void **state)
{
    (void)state;
    struct run with, without;
    run(&with, locks_lib, "exitcode=0", "lock_cycle", "dissolve sleep");
    run(&without, NULL, "", "lock_cycle", "dissolve futex");
    assert_int_equal(with.status, 0);
    assert_int_equal(count(&with, "deadlocks"), 0);
    assert_int_equal(lock_stat(&with, "cycles_dissolved"), 1);
    assert_int_equal(without.status, 0);
    assert_string_equal(with.out, without.out);
    done(&with);
}

static void timed_wait_in_a_cycle_is_no_deadlock(void **state)
{
    (void)state;
    struct run with, without;
    run(&with, locks_lib, "exitcode=0", "lock_cycle", "timed");
    run(&without, NULL, "", "lock_cycle", "timed");
    assert_int_equal(with.status, 0);
    assert_int_equal(count(&with, "deadlocks"), 0);
    assert_int_equal(lock_stat(&with, "cycles_dissolved"), 0);
    assert_int_equal(without.status, 0);
    assert_string_equal(with.out, without.out);
    done(&with);
}

static void chain_of_waits_is_clean(void **state)
{
    (void)state;
    struct run with, without;
    run(&with, locks_lib, "", "lock_cycle", "chain");
    run(&without, NULL, "", "lock_cycle", "chain");
    assert_int_equal(with.status, 0);
    assert_clean(&with);
    assert_int_equal(lock_stat(&with, "cycles_dissolved"), 0);
    assert_int_equal(without.status, 0);
    assert_string_equal(with.out, without.out);
    done(&with);
}

/* --- join_cycle and all_asleep: waits for threads, conditions, barriers, semaphores --- */

static void assert_not_asleep(const char *mode);

static const struct tl__json *waits_for(const struct tl__json *thread)
{
    return member(thread, "waits_for");
}

static const char *waits_type(const struct tl__json *thread)
{
    return tl__json_string(member(waits_for(thread), "type"));
}

/* The one deadlock of the run, of kind and n threads, every thread with a creation stack or none
 * (main) and its stack's first frame in wait_deadlocks.c. */
static const struct tl__json *the_deadlock(const struct run *r, const char *kind, size_t n)
{
    assert_non_null(r->report);
    assert_int_equal(count(r, "deadlocks"), 1);
    const struct tl__json *d = tl__json_index(member(r->report, "deadlocks"), 0);
    assert_string_equal(tl__json_string(member(d, "kind")), kind);
    const struct tl__json *threads = member(d, "threads");
    assert_int_equal(tl__json_length(threads), n);
    for (size_t i = 0; i < n; i++)
        assert_true(ends_with(frame_file(member(tl__json_index(threads, i), "stack"), 0),
                              "wait_deadlocks.c"));
    return threads;
}

static const struct tl__json *thread_waiting_on(const struct tl__json *threads, const char *type)
{
    for (size_t i = 0; i < tl__json_length(threads); i++)
        if (strcmp(waits_type(tl__json_index(threads, i)), type) == 0)
            return tl__json_index(threads, i);
    fail_msg("no thread waits on a %s", type);
    return NULL;
}

static int stack_line(const struct tl__json *thread)
{
    return frame_line(member(thread, "stack"), 0);
}

static void join_cycle_is_reported(void **state)
{
    (void)state;
    struct run r;
    run(&r, locks_lib, "deadlock=abort", "wait_deadlocks", "join_cycle 30 2>/dev/null");
    assert_int_equal(r.status, 128 + 6);
    const struct tl__json *threads = the_deadlock(&r, "join_cycle", 2);
    for (size_t i = 0; i < 2; i++) {
        const struct tl__json *t = tl__json_index(threads, i);
        const struct tl__json *other = tl__json_index(threads, 1 - i);
        assert_string_equal(waits_type(t), "thread");
        assert_int_equal(tl__json_int(member(waits_for(t), "tid")),
                         tl__json_int(member(other, "tid")));
        assert_string_equal(tl__json_string(member(t, "start_routine")), "joiner");
        assert_int_equal(stack_line(t), line_of("wait_deadlocks.c", "JOIN_CYCLE_WAIT"));
    }
    done(&r);
}

/* main holds m and joins a thread that waits for m: one join_cycle, not also an all_asleep. */
static void join_of_a_thread_waiting_for_a_held_lock(void **state)
{
    (void)state;
    struct run r;
    run(&r, locks_lib, "deadlock=abort", "wait_deadlocks", "join_lock 30 2>/dev/null");
    assert_int_equal(r.status, 128 + 6);
    const struct tl__json *threads = the_deadlock(&r, "join_cycle", 2);
    const struct tl__json *joiner = thread_waiting_on(threads, "thread");
    const struct tl__json *locker = thread_waiting_on(threads, "mutex");
    assert_int_equal(tl__json_int(member(waits_for(joiner), "tid")),
                     tl__json_int(member(locker, "tid")));
    assert_int_equal(tl__json_int(member(waits_for(locker), "held_by")),
                     tl__json_int(member(joiner, "tid")));
    assert_int_equal(tl__json_length(member(joiner, "holds")), 1);
    assert_int_equal(stack_line(joiner), line_of("wait_deadlocks.c", "JOIN_LOCK_JOIN"));
    assert_int_equal(stack_line(locker), line_of("wait_deadlocks.c", "JOIN_LOCK_WAIT"));
    done(&r);
}

/* main joins a worker that waits on a condition nobody signals. With deadlock=report the report
 * is written at once and the process waits until its alarm, as it would without threadleak. */
static void forgotten_signal_is_all_asleep(void **state)
{
    (void)state;
    struct run r;
    run(&r, locks_lib, "", "wait_deadlocks", "cond_forgotten 2");
    assert_int_equal(r.status, 128 + 14); /* SIGALRM: the program's own end */
    const struct tl__json *threads = the_deadlock(&r, "all_asleep", 2);
    const struct tl__json *waiter = thread_waiting_on(threads, "cond");
    const struct tl__json *joiner = thread_waiting_on(threads, "thread");
    assert_int_equal(tl__json_int(member(waits_for(joiner), "tid")),
                     tl__json_int(member(waiter, "tid")));
    assert_true(strncmp(tl__json_string(member(waits_for(waiter), "mutex")), "0x", 2) == 0);
    assert_string_equal(tl__json_string(member(waiter, "start_routine")), "cond_waiter");
    assert_int_equal(stack_line(waiter), line_of("wait_deadlocks.c", "COND_FORGOTTEN_WAIT"));
    assert_int_equal(stack_line(joiner), line_of("wait_deadlocks.c", "ASLEEP_JOIN"));
    done(&r);
}

/* The worker's condition wait is the last to start: the check runs while it holds its mutex. */
static void forgotten_signal_found_by_the_condition_wait(void **state)
{
    (void)state;
    struct run r;
    run(&r, locks_lib, "deadlock=abort", "wait_deadlocks", "cond_last 30 2>/dev/null");
    assert_int_equal(r.status, 128 + 6);
    const struct tl__json *threads = the_deadlock(&r, "all_asleep", 2);
    /* The thread that found it comes first. */
    assert_string_equal(waits_type(tl__json_index(threads, 0)), "cond");
    assert_int_equal(stack_line(tl__json_index(threads, 0)),
                     line_of("wait_deadlocks.c", "COND_FORGOTTEN_WAIT"));
    done(&r);
}

/* main signals a waiting worker and, holding the mutex, waits for its answer: the worker sleeps
 * retaking the mutex, which main's wait is about to release. Failed before the condition wait's
 * mutex was looked at (an all_asleep in every run). */
static void signal_then_wait_is_not_asleep(void **state)
{
    (void)state;
    assert_not_asleep("handoff");
}

static void c11_forgotten_signal_is_all_asleep(void **state)
{
    (void)state;
    struct run r;
    run(&r, locks_lib, "deadlock=abort", "wait_deadlocks", "c11_forgotten 30 2>/dev/null");
    assert_int_equal(r.status, 128 + 6);
    const struct tl__json *threads = the_deadlock(&r, "all_asleep", 2);
    assert_int_equal(stack_line(thread_waiting_on(threads, "cond")),
                     line_of("wait_deadlocks.c", "C11_WAIT"));
    thread_waiting_on(threads, "thread");
    done(&r);
}

static void barrier_with_a_party_missing_is_all_asleep(void **state)
{
    (void)state;
    struct run r;
    run(&r, locks_lib, "deadlock=abort", "wait_deadlocks", "barrier_missing 30 2>/dev/null");
    assert_int_equal(r.status, 128 + 6);
    const struct tl__json *threads = the_deadlock(&r, "all_asleep", 3);
    size_t at_barrier = 0;
    for (size_t i = 0; i < 3; i++)
        if (strcmp(waits_type(tl__json_index(threads, i)), "barrier") == 0) {
            at_barrier++;
            assert_int_equal(stack_line(tl__json_index(threads, i)),
                             line_of("wait_deadlocks.c", "BARRIER_WAIT"));
        }
    assert_int_equal(at_barrier, 2);
    done(&r);
}

static void sem_wait_nobody_posts_is_all_asleep(void **state)
{
    (void)state;
    struct run r;
    run(&r, locks_lib, "deadlock=abort", "wait_deadlocks", "sem_nobody 30 2>/dev/null");
    assert_int_equal(r.status, 128 + 6);
    const struct tl__json *threads = the_deadlock(&r, "all_asleep", 2);
    assert_int_equal(stack_line(thread_waiting_on(threads, "semaphore")),
                     line_of("wait_deadlocks.c", "SEM_WAIT"));
    done(&r);
}

/* Nobody is asleep for good: printed and exited the same with and without the module. */
static void assert_not_asleep(const char *mode)
{
    struct run with, without;
    run(&with, locks_lib, "", "wait_deadlocks", mode);
    run(&without, NULL, "", "wait_deadlocks", mode);
    assert_int_equal(without.status, 0);
    assert_int_equal(with.status, 0);
    assert_clean(&with);
    assert_true(strlen(without.out) > 10);
    assert_string_equal(with.out, without.out);
    done(&with);
    done(&without);
}

static void server_in_accept_is_not_asleep(void **state)
{
    (void)state;
    assert_not_asleep("accept_server");
}

static void timed_wait_is_not_asleep(void **state)
{
    (void)state;
    assert_not_asleep("timed_wait");
}

static void sem_posted_by_a_signal_handler_is_not_asleep(void **state)
{
    (void)state;
    assert_not_asleep("sem_signal");
}

static void read_from_a_pipe_is_not_asleep(void **state)
{
    (void)state;
    assert_not_asleep("read_pipe");
}

/* --- the host sees libc, and only libc --- */

static void return_values_errno_and_status_are_libcs(void **state)
{
    (void)state;
    struct run with, without;
    run(&with, locks_lib, "exitcode=0", "lock_semantics", "");
    run(&without, NULL, "", "lock_semantics", "");
    assert_int_equal(without.status, 3);
    assert_int_equal(with.status, 3);
    assert_true(strlen(without.out) > 1000);
    assert_string_equal(with.out, without.out);
    done(&with);
}

/* --- under the CLI: `threadleak run --locks` (docs/cli.md) with the real lock module --- */

static int cli_status(const char *program_and_args)
{
    char command[8192];
    snprintf(command, sizeof command,
             "env ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0 THREADLEAK_SHIM='%s' %s "
             "run --locks -- %s/%s >/dev/null 2>&1",
             plain_lib, cli, programs_dir, program_and_args);
    int status = system(command);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void cli_run_locks_gates_on_the_findings(void **state)
{
    (void)state;
    assert_int_equal(cli_status("lock_clean"), 0);
    assert_int_equal(cli_status("lock_abba"), 66);
    assert_int_equal(cli_status("lock_misuse unlock_unlocked"), 66);
    assert_int_equal(cli_status("lock_misuse self_lock"), 68); /* deadlock=abort, then 68 */
    assert_int_equal(cli_status("lock_cycle abba 30"), 68);
    assert_int_equal(cli_status("lock_cycle three 30"), 68);
    assert_int_equal(cli_status("lock_cycle chain"), 0);
    assert_int_equal(cli_status("wait_deadlocks join_cycle 30"), 68);
    assert_int_equal(cli_status("wait_deadlocks cond_forgotten 30"), 68);
    assert_int_equal(cli_status("wait_deadlocks sem_nobody 30"), 68);
    assert_int_equal(cli_status("wait_deadlocks accept_server"), 0);
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: %s PROGRAMS SOURCES LIBLOCKS LIBPLAIN FOUND_STATUS CLI\n", argv[0]);
        return 2;
    }
    found_status = atoi(argv[5]);
    cli = argv[6];
    programs_dir = argv[1];
    sources_dir = argv[2];
    locks_lib = argv[3];
    plain_lib = argv[4];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(abba_is_one_inversion_with_both_stacks),
        cmocka_unit_test(reinit_while_held_is_a_new_edge),
        cmocka_unit_test(consistent_order_under_contention_is_clean),
        cmocka_unit_test(trylock_back_off_is_clean),
        cmocka_unit_test(clean_uses_are_clean),
        cmocka_unit_test(c11_abba_is_found),
        cmocka_unit_test(cxx_std_mutex_abba_is_found),
        cmocka_unit_test(cxx_shared_mutex_follows_the_read_rule),
        cmocka_unit_test(off_when_locks_is_0),
        cmocka_unit_test(plain_shim_reports_no_lock_members),
        cmocka_unit_test(unlock_unlocked),
        cmocka_unit_test(unlock_not_owner),
        cmocka_unit_test(destroy_locked),
        cmocka_unit_test(exit_holding_lock),
        cmocka_unit_test(cond_wrong_mutex),
        cmocka_unit_test(lock_destroyed),
        cmocka_unit_test(rwlock_unlock_unlocked),
        cmocka_unit_test(join_detached),
        cmocka_unit_test(double_join),
        cmocka_unit_test(self_lock_is_reported_and_waits),
        cmocka_unit_test(self_lock_aborts_when_asked),
        cmocka_unit_test(abba_deadlock_is_a_lock_cycle),
        cmocka_unit_test(three_thread_cycle),
        cmocka_unit_test(rwlock_cycle),
        cmocka_unit_test(lock_cycle_aborts_when_asked),
        cmocka_unit_test(dissolving_cycle_is_no_deadlock),
        cmocka_unit_test(timed_wait_in_a_cycle_is_no_deadlock),
        cmocka_unit_test(chain_of_waits_is_clean),
        cmocka_unit_test(join_cycle_is_reported),
        cmocka_unit_test(join_of_a_thread_waiting_for_a_held_lock),
        cmocka_unit_test(forgotten_signal_is_all_asleep),
        cmocka_unit_test(forgotten_signal_found_by_the_condition_wait),
        cmocka_unit_test(signal_then_wait_is_not_asleep),
        cmocka_unit_test(c11_forgotten_signal_is_all_asleep),
        cmocka_unit_test(barrier_with_a_party_missing_is_all_asleep),
        cmocka_unit_test(sem_wait_nobody_posts_is_all_asleep),
        cmocka_unit_test(server_in_accept_is_not_asleep),
        cmocka_unit_test(timed_wait_is_not_asleep),
        cmocka_unit_test(sem_posted_by_a_signal_handler_is_not_asleep),
        cmocka_unit_test(read_from_a_pipe_is_not_asleep),
        cmocka_unit_test(return_values_errno_and_status_are_libcs),
        cmocka_unit_test(cli_run_locks_gates_on_the_findings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
