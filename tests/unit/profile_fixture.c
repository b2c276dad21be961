/* The renderer tests' profile, built through the builder functions of thread_profile_store.h. */
#include "profile_fixture.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#define NS_PER_SEC 1000000000ull

static struct kernel_thread_state kernel[FIXTURE_THREADS];

/* A function at a location, as the stacks below list them. */
struct fixture_line {
    const char *function, *file;
    int line;
};

#define MAX_LINES 4

static uint32_t location(struct thread_profile *p, uintptr_t pc, bool ret, const char *module,
                         uintptr_t offset, const struct fixture_line *lines, uint32_t nlines)
{
    struct tl__frame frames[MAX_LINES];
    assert(nlines <= MAX_LINES);
    for (uint32_t k = 0; k < nlines; k++)
        frames[k] = (struct tl__frame){.pc = pc,
                                       .function = lines[k].function,
                                       .file = lines[k].file,
                                       .line = lines[k].line,
                                       .module = module,
                                       .inlined = k + 1 < nlines};
    struct tl__location loc = {
        .pc = pc,
        .return_address = ret,
        .offset_known = offset != 0,
        .offset = offset,
        .frames = frames,
        .nframes = nlines,
    };
    uint32_t id = thread_profile_add_location(p, &loc);
    assert(id != THREAD_PROFILE_NO_LOCATION);
    return id;
}

#define LINES(...)                                                                                 \
    (const struct fixture_line[])                                                                  \
    {                                                                                              \
        __VA_ARGS__                                                                                \
    }
#define NLINES(...)                                                                                \
    (uint32_t)(sizeof((const struct fixture_line[]){__VA_ARGS__}) / sizeof(struct fixture_line))
#define LOC(p, pc, ret, module, offset, ...)                                                       \
    location(p, pc, ret, module, offset, LINES(__VA_ARGS__), NLINES(__VA_ARGS__))

struct fixture_stacks {
    uint32_t worker, creation, spinner, exited_start, worker_start, nasty, main_stack;
};

static struct fixture_stacks add_stacks(struct thread_profile *p)
{
    const char *libc = "/lib/libc.so.6";
    uint32_t futex = LOC(p, 0x7f0000001000u, true, libc, 0,
                         {"__futex_abstimed_wait_common64", "nptl/futex-internal.c", 57},
                         {"__futex_abstimed_wait_common", "nptl/futex-internal.c", 87});
    uint32_t cond = LOC(p, 0x7f0000002000u, true, libc, 0x1e8,
                        {"pthread_cond_wait", "nptl/pthread_cond_wait.c", 618});
    uint32_t worker = LOC(p, 0x401000u, true, "/bin/server", 0x1b,
                          {FIXTURE_WORKER_FN, FIXTURE_WORKER_FILE, FIXTURE_WORKER_LINE});
    uint32_t start = LOC(p, 0x7f0000003000u, true, libc, 0, {"start_thread", NULL, 0});
    uint32_t spawn =
        LOC(p, 0x402000u, true, "/bin/server", 0x33, {FIXTURE_SPAWN_FN, "/src/server.c", 80});
    uint32_t main_loc = LOC(p, 0x403000u, true, "/bin/server", 0, {"main", "/src/server.c", 120});
    uint32_t spin =
        LOC(p, 0x404000u, false, "/bin/server", 0, {FIXTURE_INLINED_FN, "/src/spin.c", 7},
            {FIXTURE_SPINNER_FN, "/src/spin.c", 20});
    uint32_t fast =
        LOC(p, 0x405000u, false, "/bin/server", 0, {FIXTURE_EXITED_FN, "/src/fast.c", 3});
    uint32_t worker_start =
        LOC(p, 0x406000u, false, "/bin/server", 0, {FIXTURE_WORKER_FN, FIXTURE_WORKER_FILE, 30});
    uint32_t nasty = LOC(p, 0x407000u, true, "/bin/server", 0, {FIXTURE_NASTY_FN, "/src/q.cc", 5});
    struct fixture_stacks s = {
        .worker = thread_profile_add_stack(p, (uint32_t[]){futex, cond, worker, start}, 4),
        .creation = thread_profile_add_stack(p, (uint32_t[]){spawn, main_loc}, 2),
        .spinner = thread_profile_add_stack(p, (uint32_t[]){spin, start}, 2),
        .exited_start = thread_profile_add_stack(p, &fast, 1),
        .worker_start = thread_profile_add_stack(p, &worker_start, 1),
        .nasty = thread_profile_add_stack(p, (uint32_t[]){nasty, start}, 2),
        .main_stack = thread_profile_add_stack(p, &main_loc, 1),
    };
    return s;
}

static const struct kernel_thread_state *waiting_in(size_t i, pid_t tid, const char *wait)
{
    kernel[i] = (struct kernel_thread_state){.tid = tid, .state = 'S'};
    snprintf(kernel[i].wait, sizeof kernel[i].wait, "%s", wait);
    snprintf(kernel[i].wchan, sizeof kernel[i].wchan, "futex_do_wait");
    return &kernel[i];
}

static struct thread_profile_thread tracked(pid_t tid, const char *name, uint64_t serial,
                                            const struct fixture_stacks *s)
{
    struct thread_profile_thread t = {
        .tid = tid,
        .tracked = true,
        .serial = serial,
        .flags = TL_F_IN_USE | TL_F_STARTED,
        .creator_tid = FIXTURE_PID,
        .creator_is_main = true,
        .creator_name = "server",
        .stack_status = LIVE_STACK_OK,
        .creation_stack = s->creation,
        .stack = THREAD_PROFILE_NO_STACK,
        .start_stack = THREAD_PROFILE_NO_STACK,
    };
    snprintf(t.name, sizeof t.name, "%s", name);
    return t;
}

static void add(struct thread_profile *p, const struct thread_profile_thread *t)
{
    struct thread_profile_thread *added = thread_profile_add_thread(p, t);
    assert(added);
    (void)added;
}

static void add_main_and_workers(struct thread_profile *p, const struct fixture_stacks *s)
{
    struct thread_profile_thread main_thread = tracked(FIXTURE_PID, "server", 1, s);
    main_thread.flags |= TL_F_MAIN;
    main_thread.creator_tid = 0;
    main_thread.creator_is_main = false;
    main_thread.creator_name[0] = '\0';
    main_thread.creation_stack = THREAD_PROFILE_NO_STACK;
    main_thread.state = THREAD_PROFILE_WAITING;
    main_thread.kernel = waiting_in(0, FIXTURE_PID, "nanosleep");
    main_thread.stack = s->main_stack;
    add(p, &main_thread);
    for (int i = 0; i < FIXTURE_WORKERS; i++) {
        struct thread_profile_thread w =
            tracked(FIXTURE_WORKER_TID + i, "worker", 2 + (uint64_t)i, s);
        w.state = THREAD_PROFILE_WAITING;
        w.kernel = waiting_in(1 + (size_t)i, w.tid, FIXTURE_WAIT);
        w.duration = THREAD_PROFILE_DURATION_KNOWN;
        w.state_ns = 5 * NS_PER_SEC;
        w.start_routine = FIXTURE_WORKER_FN;
        w.stack = s->worker;
        w.start_stack = s->worker_start;
        add(p, &w);
    }
}

static void add_others(struct thread_profile *p, const struct fixture_stacks *s)
{
    struct thread_profile_thread spinner = tracked(FIXTURE_SPINNER_TID, "spinner", 5, s);
    spinner.state = THREAD_PROFILE_RUNNING;
    spinner.creator_tid = FIXTURE_WORKER_TID;
    spinner.creator_is_main = false;
    snprintf(spinner.creator_name, sizeof spinner.creator_name, "worker");
    spinner.start_routine = FIXTURE_SPINNER_FN;
    spinner.stack = s->spinner;
    add(p, &spinner);

    struct thread_profile_thread exited = tracked(FIXTURE_EXITED_TID, "fast", 6, s);
    exited.flags |= TL_F_EXITED;
    exited.state = THREAD_PROFILE_EXITED_UNJOINED;
    exited.stack_status = LIVE_STACK_EXITED;
    exited.duration = THREAD_PROFILE_DURATION_KNOWN;
    exited.state_ns = 2 * NS_PER_SEC;
    exited.start_routine = FIXTURE_EXITED_FN;
    exited.start_stack = s->exited_start;
    add(p, &exited);

    struct thread_profile_thread untracked = {
        .tid = FIXTURE_UNTRACKED,
        .name = "helper",
        .state = THREAD_PROFILE_WAITING,
        .kernel = waiting_in(6, FIXTURE_UNTRACKED, "read fd 3 (pipe)"),
        .stack_status = LIVE_STACK_SIGNALS_BLOCKED,
        .stack = THREAD_PROFILE_NO_STACK,
        .creation_stack = THREAD_PROFILE_NO_STACK,
        .start_stack = THREAD_PROFILE_NO_STACK,
    };
    add(p, &untracked);

    struct thread_profile_thread nasty = tracked(FIXTURE_NASTY_TID, FIXTURE_NASTY_NAME, 7, s);
    nasty.state = THREAD_PROFILE_WAITING;
    nasty.kernel = waiting_in(7, FIXTURE_NASTY_TID, "poll");
    nasty.duration = THREAD_PROFILE_DURATION_AT_LEAST;
    nasty.state_ns = NS_PER_SEC;
    nasty.start_routine = FIXTURE_NASTY_FN;
    nasty.stack = s->nasty;
    add(p, &nasty);
}

void fixture_profile(struct thread_profile *p)
{
    int rc = thread_profile_init_empty(p);
    assert(rc == 0);
    (void)rc;
    p->pid = FIXTURE_PID;
    p->taken_ns = 1700000000ull * NS_PER_SEC;
    p->elapsed_ns = 1500000;
    p->signalled = true;
    p->signal = 37;
    struct fixture_stacks s = add_stacks(p);
    add_main_and_workers(p, &s);
    add_others(p, &s);
    p->created_total = FIXTURE_CREATED;
    p->exited_unjoined = FIXTURE_EXITED_UNJ;
    p->process_threads = FIXTURE_THREADS + 2;
    p->tool_threads = 2;
    thread_profile_count_states(p);
}
