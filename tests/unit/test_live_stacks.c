/* live_stacks.c: stacks of threads blocked in a condvar, a mutex, a pipe read, nanosleep and poll,
 * and of a spinner, each checked for its own function and its wait description; a thread that
 * blocks the signal; nosignal mode and the EINTR side effect; the loader guard; a thread that
 * cannot answer (vfork) and its late signal; forged signals; wait durations across dumps; fork
 * while another thread dumps; the signal moving when the application owns it; a churn of threads
 * during 200 dumps. Prints the time of a 1,000-thread dump and the memory growth over 1,000 dumps
 * (no timing asserts). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kernel_state.h"
#include "live_stacks.h"
#include "stack_capture.h"
#include "symbolize.h"

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static pid_t gettid_now(void)
{
    return (pid_t)syscall(SYS_gettid);
}

/* ---- blocked threads, each in a function of its own ---- */

struct blocker {
    pthread_t handle;
    _Atomic pid_t tid;
    const char *function; /* what its stack must contain */
    char wait[64];        /* what its wait must be described as */
};

static atomic_bool stop;
static pthread_mutex_t cond_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t held_mutex = PTHREAD_MUTEX_INITIALIZER;
static int read_pipe[2], poll_pipe[2];
static _Atomic unsigned nanosleep_eintr;
static atomic_bool stop_blocked_spinner;

static void announce(struct blocker *b)
{
    atomic_store(&b->tid, gettid_now());
}

static void wait_on_cond(void)
{
    pthread_mutex_lock(&cond_lock);
    while (!atomic_load(&stop))
        pthread_cond_wait(&cond, &cond_lock);
    pthread_mutex_unlock(&cond_lock);
}

static __attribute__((noinline)) void *blocked_in_cond_wait(void *arg)
{
    announce(arg);
    wait_on_cond();
    return NULL;
}

static __attribute__((noinline)) void *blocked_in_mutex_lock(void *arg)
{
    announce(arg);
    pthread_mutex_lock(&held_mutex);
    pthread_mutex_unlock(&held_mutex);
    return NULL;
}

static __attribute__((noinline)) void *blocked_in_pipe_read(void *arg)
{
    announce(arg);
    char c;
    while (read(read_pipe[0], &c, 1) < 0 && errno == EINTR)
        ;
    return NULL;
}

static __attribute__((noinline)) void *blocked_in_nanosleep(void *arg)
{
    announce(arg);
    while (!atomic_load(&stop)) {
        struct timespec ts = {30, 0};
        if (nanosleep(&ts, NULL) != 0 && errno == EINTR)
            atomic_fetch_add(&nanosleep_eintr, 1);
    }
    return NULL;
}

static __attribute__((noinline)) void *blocked_in_poll(void *arg)
{
    announce(arg);
    struct pollfd pfd = {.fd = poll_pipe[0], .events = POLLIN};
    while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
        ;
    return NULL;
}

static __attribute__((noinline)) void *spinning_in_place(void *arg)
{
    announce(arg);
    while (!atomic_load(&stop))
        __asm__ volatile("" ::: "memory");
    return NULL;
}

/* Blocks every signal, then waits like the cond waiter. */
static __attribute__((noinline)) void *blocking_all_signals(void *arg)
{
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    announce(arg);
    wait_on_cond();
    return NULL;
}

/* Pretends to be inside dlopen while it waits. */
static __attribute__((noinline)) void *waiting_inside_loader(void *arg)
{
    live_stacks_enter_loader();
    announce(arg);
    wait_on_cond();
    live_stacks_leave_loader();
    return NULL;
}

enum { COND, MUTEX, PIPE, SLEEP, POLL, SPIN, BLOCKS_SIGNALS, IN_LOADER, NBLOCKERS };
static struct blocker blockers[NBLOCKERS];

static pid_t start_thread_in(struct blocker *b, void *(*fn)(void *), size_t stack)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    if (stack)
        pthread_attr_setstacksize(&attr, stack);
    atomic_store(&b->tid, 0);
    assert_int_equal(pthread_create(&b->handle, &attr, fn, b), 0);
    pthread_attr_destroy(&attr);
    while (atomic_load(&b->tid) == 0)
        sleep_ms(1);
    return atomic_load(&b->tid);
}

static void start_blocker(int which, void *(*fn)(void *), const char *function, const char *wait)
{
    struct blocker *b = &blockers[which];
    b->function = function;
    snprintf(b->wait, sizeof b->wait, "%s", wait);
    start_thread_in(b, fn, 0);
}

/* Waits until every blocker is where its description says it is. */
static void await_blocked(void)
{
    for (int i = 0; i < NBLOCKERS; i++) {
        struct kernel_thread_state st;
        int tries = 0;
        while (kernel_state_read(-1, blockers[i].tid, 0, 0, &st) == 0 &&
               strcmp(st.wait, blockers[i].wait) != 0 && tries++ < 5000)
            sleep_ms(1);
        if (strcmp(st.wait, blockers[i].wait) != 0)
            fail_msg("%s: wait is \"%s\", expected \"%s\"", blockers[i].function, st.wait,
                     blockers[i].wait);
    }
}

static int start_all(void **state)
{
    (void)state;
    if (!stack_capture_init() || pipe(read_pipe) || pipe(poll_pipe))
        return -1;
    char want[64];
    pthread_mutex_lock(&held_mutex);
    start_blocker(COND, blocked_in_cond_wait, "blocked_in_cond_wait", "futex wait (condition)");
    start_blocker(MUTEX, blocked_in_mutex_lock, "blocked_in_mutex_lock", "futex wait (mutex)");
    snprintf(want, sizeof want, "read fd %d (pipe)", read_pipe[0]);
    start_blocker(PIPE, blocked_in_pipe_read, "blocked_in_pipe_read", want);
    start_blocker(SLEEP, blocked_in_nanosleep, "blocked_in_nanosleep", "nanosleep");
    snprintf(want, sizeof want, "poll fd %d (pipe)", poll_pipe[0]);
    start_blocker(POLL, blocked_in_poll, "blocked_in_poll", want);
    start_blocker(SPIN, spinning_in_place, "spinning_in_place", "running");
    start_blocker(BLOCKS_SIGNALS, blocking_all_signals, "blocking_all_signals",
                  "futex wait (condition)");
    start_blocker(IN_LOADER, waiting_inside_loader, "waiting_inside_loader",
                  "futex wait (condition)");
    return 0;
}

static int stop_all(void **state)
{
    (void)state;
    atomic_store(&stop, true);
    pthread_mutex_lock(&cond_lock);
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&cond_lock);
    pthread_mutex_unlock(&held_mutex);
    if (write(read_pipe[1], "x", 1) != 1 || write(poll_pipe[1], "x", 1) != 1)
        return -1;
    for (int i = 0; i < NBLOCKERS; i++)
        pthread_join(blockers[i].handle, NULL);
    return 0;
}

/* ---- helpers over a dump ---- */

static const struct live_stack_thread *find_thread(const struct live_stacks_dump *d, pid_t tid)
{
    for (size_t i = 0; i < d->count; i++)
        if (d->threads[i].tid == tid)
            return &d->threads[i];
    return NULL;
}

static bool stack_contains(const struct live_stack_thread *t, const char *function)
{
    struct tl__frame frames[LIVE_STACK_MAX_FRAMES];
    symbolize_frames(t->frames, t->nframes, true, frames);
    for (unsigned i = 0; i < t->nframes; i++)
        if (strcmp(frames[i].function, function) == 0)
            return true;
    return false;
}

static void print_stack(const struct live_stack_thread *t)
{
    struct tl__frame frames[LIVE_STACK_MAX_FRAMES];
    symbolize_frames(t->frames, t->nframes, true, frames);
    printf("# tid %d [%s] %s:\n", (int)t->tid, t->kernel.wait, live_stack_status_name(t->status));
    for (unsigned i = 0; i < t->nframes; i++)
        printf("#   %2u %p %s\n", i, t->frames[i], frames[i].function);
}

/* Sorted by tid and each tid once: the promise the dump makes. */
static void assert_unique_sorted(const struct live_stacks_dump *d)
{
    for (size_t i = 1; i < d->count; i++)
        if (d->threads[i - 1].tid >= d->threads[i].tid)
            fail_msg("tid %d then %d at %zu", (int)d->threads[i - 1].tid, (int)d->threads[i].tid,
                     i);
}

static bool signal_pending(pid_t tid, int signo)
{
    char path[64], buf[2048];
    snprintf(path, sizeof path, "/proc/self/task/%d/status", (int)tid);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *pending = strstr(buf, "SigPnd:");
    assert_non_null(pending);
    return strtoull(pending + 7, NULL, 16) & (1ull << (signo - 1));
}

/* ---- tests ---- */

static void test_blocked_threads_stacks_and_waits(void **state)
{
    (void)state;
    await_blocked();
    struct live_stacks_dump d;
    assert_int_equal(live_stacks_dump(NULL, &d), 0);
    assert_unique_sorted(&d);
    assert_int_equal(d.signal, SIGRTMIN + LIVE_STACKS_SIGNAL_OFFSET);
    assert_string_equal(d.message, "");
    int checked[] = {COND, MUTEX, PIPE, SLEEP, POLL, SPIN};
    for (size_t i = 0; i < sizeof checked / sizeof checked[0]; i++) {
        const struct blocker *b = &blockers[checked[i]];
        const struct live_stack_thread *t = find_thread(&d, b->tid);
        assert_non_null(t);
        if (t->status != LIVE_STACK_OK || !stack_contains(t, b->function)) {
            print_stack(t);
            fail_msg("%s: status %s, %u frames", b->function, live_stack_status_name(t->status),
                     t->nframes);
        }
        assert_true(t->first_frame_is_pc);
        assert_false(t->is_collector);
        assert_string_equal(t->kernel.wait, b->wait);
    }
    print_stack(find_thread(&d, blockers[COND].tid));
    const struct live_stack_thread *self = find_thread(&d, gettid_now());
    assert_non_null(self);
    assert_true(self->is_collector);
    assert_int_equal(self->status, LIVE_STACK_OK);
    assert_string_equal(self->kernel.wait, "running");
    printf("# %zu threads, %u signalled, %u answered, %.2f ms\n", d.count, d.signalled, d.answered,
           d.elapsed_ns / 1e6);
    live_stacks_free(&d);
    assert_null(d.threads);
}

/* Blocks every signal, then spins: the one thread whose current stack nobody can take. */
static __attribute__((noinline)) void *spinning_with_signals_blocked(void *arg)
{
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    announce(arg);
    while (!atomic_load(&stop_blocked_spinner))
        __asm__ volatile("" ::: "memory");
    return NULL;
}

static void test_thread_blocking_the_signal_is_not_waited_for(void **state)
{
    (void)state;
    await_blocked();
    struct blocker spinner;
    atomic_store(&stop_blocked_spinner, false);
    pid_t spinner_tid = start_thread_in(&spinner, spinning_with_signals_blocked, 0);
    struct live_stacks_dump d;
    assert_int_equal(live_stacks_dump(NULL, &d), 0);
    atomic_store(&stop_blocked_spinner, true);
    pthread_join(spinner.handle, NULL);
    /* Running with every signal blocked: no stack, and the reason. */
    const struct live_stack_thread *t = find_thread(&d, spinner_tid);
    assert_non_null(t);
    assert_int_equal(t->status, LIVE_STACK_SIGNALS_BLOCKED);
    assert_int_equal(t->nframes, 0);
    assert_string_equal(live_stack_status_name(t->status), "signals blocked");
    /* Blocking every signal while waiting in a syscall: its stack is taken from /proc. */
    t = find_thread(&d, blockers[BLOCKS_SIGNALS].tid);
    assert_non_null(t);
    assert_int_equal(t->status, LIVE_STACK_OK);
    assert_true(t->parked);
    assert_true(stack_contains(t, "blocking_all_signals"));
    assert_string_equal(t->kernel.wait, "futex wait (condition)");
    /* Never sent a signal, so there was nothing to wait for: none is pending in it. */
    assert_false(signal_pending(t->tid, d.signal));
    unsigned expected_signalled = 0;
    for (size_t i = 0; i < d.count; i++) {
        const struct live_stack_thread *other = &d.threads[i];
        expected_signalled +=
            (other->status == LIVE_STACK_OK && !other->is_collector && !other->parked) ||
            other->status == LIVE_STACK_BUSY_IN_LOADER ||
            other->status == LIVE_STACK_BUSY_UNWINDING;
    }
    assert_int_equal(d.signalled, expected_signalled);
    assert_int_equal(d.answered, expected_signalled);
    live_stacks_free(&d);
}

static void test_loader_guard(void **state)
{
    (void)state;
    await_blocked();
    struct live_stacks_dump d;
    assert_int_equal(live_stacks_dump(NULL, &d), 0);
    const struct live_stack_thread *t = find_thread(&d, blockers[IN_LOADER].tid);
    assert_int_equal(t->status, LIVE_STACK_BUSY_IN_LOADER);
    assert_int_equal(t->nframes, 0);
    live_stacks_free(&d);
}

/* A thread caught inside the dynamic loader itself, with no hook around its dlopen: the handler
 * sees the interrupted pc in ld.so and does not unwind (libunwind would walk a link map that
 * dlopen is changing). Loading and unloading spends most of its time in ld.so, so some of the
 * dumps catch it there. */
static atomic_bool loading;

static void *load_and_unload(void *arg)
{
    (void)arg;
    while (atomic_load(&loading)) {
        void *lib = dlopen("libz.so.1", RTLD_NOW | RTLD_LOCAL);
        if (lib)
            dlclose(lib);
    }
    return NULL;
}

static void test_thread_inside_the_loader_is_not_unwound(void **state)
{
    (void)state;
    atomic_store(&loading, true);
    pthread_t loader;
    pthread_create(&loader, NULL, load_and_unload, NULL);
    pid_t tid = 0;
    unsigned in_loader = 0, unwound = 0;
    for (int i = 0; i < 60; i++) {
        struct live_stacks_dump d;
        assert_int_equal(live_stacks_dump(NULL, &d), 0);
        for (size_t k = 0; k < d.count && !tid; k++) {
            if (d.threads[k].nframes && stack_contains(&d.threads[k], "load_and_unload"))
                tid = d.threads[k].tid;
        }
        const struct live_stack_thread *t = tid ? find_thread(&d, tid) : NULL;
        in_loader += t && t->status == LIVE_STACK_BUSY_IN_LOADER;
        unwound += t && t->status == LIVE_STACK_OK;
        live_stacks_free(&d);
    }
    atomic_store(&loading, false);
    pthread_join(loader, NULL);
    print_message("loader thread: %u dumps found it in ld.so, %u unwound it\n", in_loader, unwound);
    assert_true(tid != 0);
    assert_true(in_loader > 0);
}

static void test_nosignal_mode_and_eintr(void **state)
{
    (void)state;
    await_blocked();
    unsigned before = atomic_load(&nanosleep_eintr);
    struct live_stacks_dump d;
    struct live_stacks_options nosignal = {.nosignal = true};
    assert_int_equal(live_stacks_dump(&nosignal, &d), 0);
    assert_int_equal(d.signal, 0);
    assert_int_equal(d.signalled, 0);
    for (int i = 0; i < NBLOCKERS; i++) {
        const struct live_stack_thread *t = find_thread(&d, blockers[i].tid);
        assert_non_null(t);
        assert_int_equal(t->status, LIVE_STACK_NOT_SIGNALLED);
        assert_int_equal(t->nframes, 0);
        assert_string_equal(t->kernel.wait, blockers[i].wait);
    }
    live_stacks_free(&d);
    sleep_ms(20);
    assert_int_equal(atomic_load(&nanosleep_eintr), before);

    /* A signalled dump leaves nanosleep alone: its stack comes from /proc, and no EINTR. */
    await_blocked();
    assert_int_equal(live_stacks_dump(NULL, &d), 0);
    const struct live_stack_thread *sleeper = find_thread(&d, blockers[SLEEP].tid);
    assert_int_equal(sleeper->status, LIVE_STACK_OK);
    assert_true(sleeper->parked);
    assert_true(stack_contains(sleeper, "blocked_in_nanosleep"));
    live_stacks_free(&d);
    sleep_ms(50);
    assert_int_equal(atomic_load(&nanosleep_eintr), before);

    /* interrupt_calls asks for the old way, and gets its price: nanosleep returns EINTR despite
     * SA_RESTART. */
    await_blocked();
    struct live_stacks_options interrupt = {.interrupt_calls = true};
    assert_int_equal(live_stacks_dump(&interrupt, &d), 0);
    sleeper = find_thread(&d, blockers[SLEEP].tid);
    assert_int_equal(sleeper->status, LIVE_STACK_OK);
    assert_false(sleeper->parked);
    live_stacks_free(&d);
    for (int i = 0; i < 2000 && atomic_load(&nanosleep_eintr) == before; i++)
        sleep_ms(1);
    assert_int_equal(atomic_load(&nanosleep_eintr), before + 1);
}

/* Not dumpable (setuid daemons, PR_SET_DUMPABLE 0): /proc will not say which call a sleeping
 * thread is in, so none of them is signalled (any could be in nanosleep), and each says why. The
 * spinner, running, still answers. As root, a non-root fsuid puts the collector in an ordinary
 * user's position, as in test_kernel_state. */
static void test_not_dumpable_threads_are_left_alone(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip();
    await_blocked();
    unsigned before = atomic_load(&nanosleep_eintr);
    prctl(PR_SET_DUMPABLE, 0);
    setfsuid(65534);
    struct live_stacks_dump d;
    int rc = live_stacks_dump(NULL, &d);
    setfsuid(0);
    prctl(PR_SET_DUMPABLE, 1);
    assert_int_equal(rc, 0);
    const struct live_stack_thread *sleeper = find_thread(&d, blockers[SLEEP].tid);
    assert_int_equal(sleeper->status, LIVE_STACK_CALL_UNREADABLE);
    assert_string_equal(live_stack_status_name(sleeper->status),
                        "its call is unreadable (not dumpable)");
    assert_int_equal(find_thread(&d, blockers[COND].tid)->status, LIVE_STACK_CALL_UNREADABLE);
    assert_int_equal(find_thread(&d, blockers[SPIN].tid)->status, LIVE_STACK_OK);
    live_stacks_free(&d);
    sleep_ms(50);
    assert_int_equal(atomic_load(&nanosleep_eintr), before);
}

/* vfork suspends the calling thread uninterruptibly until the child exits: a thread that cannot
 * answer. */
static __attribute__((noinline)) void *stuck_in_vfork(void *arg)
{
    announce(arg);
    pid_t child = vfork();
    if (child == 0) {
        struct timespec ts = {0, 600 * 1000000L};
        syscall(SYS_nanosleep, &ts, NULL);
        _exit(0);
    }
    waitpid(child, NULL, 0);
    return NULL;
}

static void test_unanswered_thread_times_out_and_late_signal_is_harmless(void **state)
{
    (void)state;
    struct blocker stuck;
    pid_t tid = start_thread_in(&stuck, stuck_in_vfork, 0);
    struct kernel_thread_state st;
    while (kernel_state_read(-1, tid, 0, 0, &st) == 0 && st.state != 'D')
        sleep_ms(1);
    assert_int_equal(st.state, 'D');
    struct live_stacks_dump d;
    /* vfork is a call a signal would show in: only interrupt_calls signals it. */
    struct live_stacks_options quick = {.deadline_ms = 100, .interrupt_calls = true};
    assert_int_equal(live_stacks_dump(&quick, &d), 0);
    const struct live_stack_thread *t = find_thread(&d, tid);
    assert_non_null(t);
    assert_int_equal(t->status, LIVE_STACK_TIMED_OUT);
    assert_non_null(strstr(t->kernel.wait, "[uninterruptible]"));
    live_stacks_free(&d);
    /* The child exits, the thread runs the old request's handler: it must find nothing to claim,
     * and the next dump must see the thread normally. */
    pthread_join(stuck.handle, NULL);
    await_blocked();
    assert_int_equal(live_stacks_dump(NULL, &d), 0);
    assert_int_equal(find_thread(&d, blockers[COND].tid)->status, LIVE_STACK_OK);
    assert_null(find_thread(&d, tid));
    live_stacks_free(&d);
}

static void send_forged(pid_t tid, int signo, int code, uint64_t value)
{
    siginfo_t info;
    memset(&info, 0, sizeof info);
    info.si_signo = signo;
    info.si_code = code;
    info.si_pid = getpid();
    info.si_uid = getuid();
    info.si_value.sival_ptr = (void *)(uintptr_t)value;
    assert_int_equal(syscall(SYS_rt_tgsigqueueinfo, getpid(), tid, signo, &info), 0);
}

static void test_forged_and_stale_signals_are_ignored(void **state)
{
    (void)state;
    await_blocked();
    struct live_stacks_dump d;
    assert_int_equal(live_stacks_dump(NULL, &d), 0);
    int signo = d.signal;
    live_stacks_free(&d);
    pid_t tid = blockers[COND].tid;
    send_forged(tid, signo, SI_QUEUE, 0);                           /* generation 0, slot 0 */
    send_forged(tid, signo, SI_QUEUE, (1ull << 32) | 3);            /* an old generation */
    send_forged(tid, signo, SI_QUEUE, (7ull << 32) | 0xfffffff);    /* no such slot */
    send_forged(tid, signo, -60, 0);                                /* not a SI_QUEUE */
    assert_int_equal(syscall(SYS_tgkill, getpid(), tid, signo), 0); /* plain kill */
    await_blocked();
    assert_int_equal(live_stacks_dump(NULL, &d), 0);
    const struct live_stack_thread *t = find_thread(&d, tid);
    assert_int_equal(t->status, LIVE_STACK_OK);
    assert_true(stack_contains(t, "blocked_in_cond_wait"));
    live_stacks_free(&d);
}

/* ---- churn ---- */

#define CHURN_DUMPS    200
#define CHURN_CREATORS 2

static atomic_bool churning;
static _Atomic unsigned long churned;

static void *short_lived(void *arg)
{
    if (arg) { /* some threads block the dump signal around their work */
        sigset_t all;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, NULL);
    }
    for (volatile int i = 0; i < 1000; i++)
        ;
    return NULL;
}

static void *churn_creator(void *arg)
{
    (void)arg;
    unsigned long n = 0;
    pthread_attr_t detached;
    pthread_attr_init(&detached);
    pthread_attr_setdetachstate(&detached, PTHREAD_CREATE_DETACHED);
    while (atomic_load(&churning)) {
        pthread_t t;
        if (n % 3 == 0) {
            if (pthread_create(&t, &detached, short_lived, NULL) == 0)
                n++;
            continue;
        }
        if (pthread_create(&t, NULL, short_lived, n % 3 == 1 ? &n : NULL) == 0) {
            pthread_join(t, NULL);
            n++;
        }
    }
    pthread_attr_destroy(&detached);
    atomic_fetch_add(&churned, n);
    return NULL;
}

/* Unwinds its own stack in a loop, so that dumps sometimes catch it inside libunwind. */
static void *unwinding_in_a_loop(void *arg)
{
    (void)arg;
    void *frames[32];
    while (atomic_load(&churning))
        stack_capture(frames, 32, false);
    return NULL;
}

static void test_churn(void **state)
{
    (void)state;
    atomic_store(&churning, true);
    pthread_t creators[CHURN_CREATORS], unwinder;
    for (int i = 0; i < CHURN_CREATORS; i++)
        assert_int_equal(pthread_create(&creators[i], NULL, churn_creator, NULL), 0);
    assert_int_equal(pthread_create(&unwinder, NULL, unwinding_in_a_loop, NULL), 0);
    unsigned long statuses[LIVE_STACK_STATUS_COUNT] = {0};
    size_t threads_seen = 0;
    uint64_t worst = 0, t0 = now_ns();
    for (int i = 0; i < CHURN_DUMPS; i++) {
        struct live_stacks_dump d;
        assert_int_equal(live_stacks_dump(NULL, &d), 0);
        assert_unique_sorted(&d);
        threads_seen += d.count;
        for (size_t k = 0; k < d.count; k++) {
            assert_true(d.threads[k].status < LIVE_STACK_STATUS_COUNT);
            assert_true(d.threads[k].nframes <= LIVE_STACK_MAX_FRAMES);
            statuses[d.threads[k].status]++;
        }
        if (d.elapsed_ns > worst)
            worst = d.elapsed_ns;
        live_stacks_free(&d);
    }
    uint64_t total = now_ns() - t0;
    atomic_store(&churning, false);
    for (int i = 0; i < CHURN_CREATORS; i++)
        pthread_join(creators[i], NULL);
    pthread_join(unwinder, NULL);
    printf("# churn: %d dumps in %.0f ms (worst %.1f ms), %zu thread entries, %lu threads "
           "created meanwhile\n",
           CHURN_DUMPS, total / 1e6, worst / 1e6, threads_seen, atomic_load(&churned));
    printf("#   statuses:");
    for (int s = 0; s < LIVE_STACK_STATUS_COUNT; s++)
        printf(" %s=%lu", live_stack_status_name((enum live_stack_status)s), statuses[s]);
    printf("\n");
    assert_true(atomic_load(&churned) > 0);
}

/* ---- scale and memory ---- */

#define MANY_THREADS 1000

static void test_thousand_threads(void **state)
{
    (void)state;
    atomic_store(&stop, false);
    static struct blocker many[MANY_THREADS];
    for (int i = 0; i < MANY_THREADS; i++)
        start_thread_in(&many[i], blocked_in_cond_wait, 128 * 1024);
    for (int i = 0; i < MANY_THREADS; i++) {
        struct kernel_thread_state st;
        while (kernel_state_read(-1, many[i].tid, 0, 0, &st) == 0 &&
               strcmp(st.wait, "futex wait (condition)") != 0)
            sleep_ms(1);
    }
    struct live_stacks_options generous = {.deadline_ms = 20000}; /* count, don't time */
    for (int round = 0; round < 3; round++) {
        struct live_stacks_dump d;
        assert_int_equal(live_stacks_dump(&generous, &d), 0);
        unsigned ok = 0;
        for (int i = 0; i < MANY_THREADS; i++) {
            const struct live_stack_thread *t = find_thread(&d, many[i].tid);
            assert_non_null(t);
            ok += t->status == LIVE_STACK_OK && t->nframes > 0;
        }
        assert_int_equal(ok, MANY_THREADS);
        assert_true(
            stack_contains(find_thread(&d, many[MANY_THREADS / 2].tid), "blocked_in_cond_wait"));
        printf("# dump %d of %zu threads: %.1f ms (%.1f us per thread)\n", round + 1, d.count,
               d.elapsed_ns / 1e6, d.elapsed_ns / 1e3 / d.count);
        live_stacks_free(&d);
    }
    struct live_stacks_dump d;
    struct live_stacks_options nosignal = {.nosignal = true};
    assert_int_equal(live_stacks_dump(&nosignal, &d), 0);
    printf("# nosignal dump of %zu threads: %.1f ms\n", d.count, d.elapsed_ns / 1e6);
    live_stacks_free(&d);

    pthread_mutex_lock(&cond_lock);
    atomic_store(&stop, true);
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&cond_lock);
    for (int i = 0; i < MANY_THREADS; i++)
        pthread_join(many[i].handle, NULL);
    atomic_store(&stop, false);
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

static size_t resident_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, resident = 0;
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%lu %lu", &size, &resident), 2);
    fclose(f);
    return resident * (size_t)sysconf(_SC_PAGESIZE);
}

#define MEMORY_DUMPS 1000

static void test_memory_across_dumps(void **state)
{
    (void)state;
    await_blocked();
    struct live_stacks_dump d;
    assert_int_equal(live_stacks_dump(NULL, &d), 0); /* warm-up: mailbox, tracker, libunwind */
    live_stacks_free(&d);
    size_t before = resident_bytes();
    uint64_t t0 = now_ns();
    for (int i = 0; i < MEMORY_DUMPS; i++) {
        assert_int_equal(live_stacks_dump(NULL, &d), 0);
        assert_int_equal(find_thread(&d, blockers[COND].tid)->status, LIVE_STACK_OK);
        live_stacks_free(&d);
    }
    uint64_t elapsed = now_ns() - t0;
    size_t after = resident_bytes();
    long growth = (long)after - (long)before;
    printf("# %d dumps of %d threads: %.2f ms each; RSS %zu KiB -> %zu KiB (%+ld KiB)\n",
           MEMORY_DUMPS, NBLOCKERS + 1, elapsed / 1e6 / MEMORY_DUMPS, before / 1024, after / 1024,
           growth / 1024);
    assert_true(growth < 8 * 1024 * 1024);
}

static void test_waits_keep_their_duration_across_dumps(void **state)
{
    (void)state;
    await_blocked();
    struct live_stacks_dump first, second;
    assert_int_equal(live_stacks_dump(NULL, &first), 0);
    sleep_ms(50);
    assert_int_equal(live_stacks_dump(NULL, &second), 0);
    const struct kernel_thread_state *before = &find_thread(&first, blockers[COND].tid)->kernel;
    const struct kernel_thread_state *after = &find_thread(&second, blockers[COND].tid)->kernel;
    /* Our own signal woke it in between, and the tracker must not count that as a new wait: the
     * two durations share one start, so they differ by the time between the dumps (>= 50 ms). */
    assert_int_equal(after->duration_source, kernel_sched_clock_supported()
                                                 ? KERNEL_DURATION_OBSERVED
                                                 : KERNEL_DURATION_AT_LEAST);
    assert_true(after->waiting_ns >= before->waiting_ns + 50000000u);
    const struct kernel_thread_state *spin = &find_thread(&second, blockers[SPIN].tid)->kernel;
    assert_int_equal(spin->duration_source, KERNEL_DURATION_NONE);
    assert_int_equal(spin->waiting_ns, 0);
    printf("# cond waiter: %.1f ms, then %.1f ms (%s)\n", before->waiting_ns / 1e6,
           after->waiting_ns / 1e6, kernel_duration_source_name(after->duration_source));
    live_stacks_free(&first);
    live_stacks_free(&second);
}

/* ---- fork while another thread dumps ---- */

static atomic_bool dumping;

static void *dump_in_a_loop(void *arg)
{
    (void)arg;
    while (atomic_load(&dumping)) {
        struct live_stacks_dump d;
        if (live_stacks_dump(NULL, &d) == 0)
            live_stacks_free(&d);
    }
    return NULL;
}

/* What the shim's atfork handlers do (shim_state.c), in their order: the prepare handler holds
 * the fork off until no other thread is inside a stack walk, so the child never inherits the
 * loader's or the unwinder's lock held by a walk that will never finish. Without them, a fork
 * while the dumper thread walks could leave the child hung in its first walk. */
static void child_after_fork(void)
{
    live_stacks_fork_child();
    stack_capture_fork_child();
}

/* The child dumps itself: one thread, the collector. Exit status 0 when that is what it saw. */
static void dump_in_child(void)
{
    struct live_stacks_dump d;
    struct live_stacks_options quick = {.deadline_ms = 500};
    int rc = live_stacks_dump(&quick, &d);
    _exit(rc == 0 && d.count == 1 && d.threads[0].is_collector &&
                  d.threads[0].status == LIVE_STACK_OK
              ? 0
              : 1);
}

static void register_fork_handlers(void)
{
    pthread_atfork(stack_capture_fork_prepare, stack_capture_fork_parent, child_after_fork);
}

static void test_fork_while_dumping(void **state)
{
    (void)state;
    static pthread_once_t handlers = PTHREAD_ONCE_INIT;
    pthread_once(&handlers, register_fork_handlers);
    atomic_store(&dumping, true);
    pthread_t dumper;
    assert_int_equal(pthread_create(&dumper, NULL, dump_in_a_loop, NULL), 0);
    int failures = 0, hangs = 0;
    for (int i = 0; i < 40; i++) {
        pid_t child = fork();
        assert_true(child >= 0);
        if (child == 0)
            dump_in_child();
        int status = 0, waited = 0;
        while (waitpid(child, &status, WNOHANG) == 0 && waited++ < 3000)
            sleep_ms(1);
        if (waited > 3000) {
            hangs++;
            kill(child, SIGKILL);
            waitpid(child, &status, 0);
            break;
        } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            failures++;
        }
    }
    atomic_store(&dumping, false);
    pthread_join(dumper, NULL);
    assert_int_equal(hangs, 0);
    assert_int_equal(failures, 0);
}

/* ---- signal choice (last: it leaves the default signal taken) ---- */

static _Atomic unsigned foreign_handler_calls;
static void foreign_handler(int signo)
{
    (void)signo;
    atomic_fetch_add(&foreign_handler_calls, 1);
}

static void test_signal_moves_when_the_application_owns_it(void **state)
{
    (void)state;
    int taken = SIGRTMIN + LIVE_STACKS_SIGNAL_OFFSET;
    struct sigaction act = {.sa_handler = foreign_handler, .sa_flags = SA_RESTART};
    sigaction(taken, &act, NULL); /* the application took "our" signal after us */
    await_blocked();
    struct live_stacks_dump d;
    assert_int_equal(live_stacks_dump(NULL, &d), 0);
    assert_int_equal(d.signal, taken + 1);
    char want[LIVE_STACKS_MESSAGE_MAX];
    snprintf(want, sizeof want, "SIGRTMIN+%d has another handler; using SIGRTMIN+%d",
             LIVE_STACKS_SIGNAL_OFFSET, LIVE_STACKS_SIGNAL_OFFSET + 1);
    assert_string_equal(d.message, want);
    assert_int_equal(find_thread(&d, blockers[COND].tid)->status, LIVE_STACK_OK);
    live_stacks_free(&d);
    assert_int_equal(live_stacks_current_signal(), taken + 1);

    /* Asked for explicitly, it still moves, and says so. */
    struct live_stacks_options explicit_signal = {.signal = taken};
    assert_int_equal(live_stacks_dump(&explicit_signal, &d), 0);
    assert_int_equal(d.signal, taken + 1);
    assert_string_equal(d.message, want);
    live_stacks_free(&d);

    /* Not a real-time signal: refused. */
    struct live_stacks_options standard = {.signal = SIGUSR1};
    assert_int_equal(live_stacks_dump(&standard, &d), 0);
    assert_int_not_equal(d.signal, SIGUSR1);
    assert_non_null(strstr(d.message, "is not a real-time signal"));
    live_stacks_free(&d);
    assert_int_equal(atomic_load(&foreign_handler_calls), 0);
}

static void test_find_by_tid(void **state)
{
    (void)state;
    struct live_stack_thread threads[3] = {{.tid = 3}, {.tid = 7}, {.tid = 9}};
    struct live_stacks_dump dump = {.threads = threads, .count = 3};
    assert_ptr_equal(live_stacks_find(&dump, 3), &threads[0]);
    assert_ptr_equal(live_stacks_find(&dump, 7), &threads[1]);
    assert_ptr_equal(live_stacks_find(&dump, 9), &threads[2]);
    assert_null(live_stacks_find(&dump, 4));
    assert_null(live_stacks_find(&dump, 10));
    assert_null(live_stacks_find(NULL, 3));
}

int main(void)
{
    const struct CMUnitTest blocked[] = {
        cmocka_unit_test(test_blocked_threads_stacks_and_waits),
        cmocka_unit_test(test_thread_inside_the_loader_is_not_unwound),
        cmocka_unit_test(test_thread_blocking_the_signal_is_not_waited_for),
        cmocka_unit_test(test_loader_guard),
        cmocka_unit_test(test_find_by_tid),
        cmocka_unit_test(test_nosignal_mode_and_eintr),
        cmocka_unit_test(test_not_dumpable_threads_are_left_alone),
        cmocka_unit_test(test_unanswered_thread_times_out_and_late_signal_is_harmless),
        cmocka_unit_test(test_forged_and_stale_signals_are_ignored),
        cmocka_unit_test(test_churn),
        cmocka_unit_test(test_memory_across_dumps),
        cmocka_unit_test(test_waits_keep_their_duration_across_dumps),
        cmocka_unit_test(test_fork_while_dumping),
        cmocka_unit_test(test_signal_moves_when_the_application_owns_it),
    };
    const struct CMUnitTest scale[] = {
        cmocka_unit_test(test_thousand_threads),
    };
    int failed = cmocka_run_group_tests_name("live stacks", blocked, start_all, stop_all);
    if (stack_capture_init())
        failed += cmocka_run_group_tests_name("live stacks at scale", scale, NULL, NULL);
    return failed;
}
