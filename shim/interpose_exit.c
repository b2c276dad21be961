/* Every way out of a process: return from main or exit() from any thread (on_exit handlers),
 * _exit/_Exit (wrappers), quick_exit (an at_quick_exit handler), and the last thread exiting after
 * main called pthread_exit (libc calls exit(0) then, which reaches the on_exit handlers).
 *
 * Order matters, and it is set by when each handler is registered (they run last-in, first-out):
 *   1. the program's own atexit handlers;
 *   2. report_at_exit, registered by our main wrapper (interpose_start.c), so the verdict runs
 *      while every library is still intact;
 *   3. _dl_fini: library destructors (libc registered it just before calling main);
 *   4. finish_at_exit, registered by our constructor, which runs before libc's start-up code:
 *      it reports if step 2 never ran, then applies the leak exit status with _exit;
 *   5. sanitizer runtimes' handlers, registered even earlier (ThreadSanitizer reports thread
 *      leaks there). When one is present we leave the status alone rather than cut it off. */
#include "interpose_exit.h"

#include "exit_report.h"
#include "shim_state.h"

#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static pid_t process_pid;        /* getpid() as of start-up or the last fork */
static int status_override = -1; /* what the leak verdict wants the exit status to be */
static int quick_exit_status;

/* After vfork the child shares our memory until it execs or _exits: it must not touch state. */
static bool in_vfork_child(void)
{
    return (pid_t)syscall(SYS_getpid) != process_pid;
}

static void after_fork_in_child(void)
{
    process_pid = (pid_t)syscall(SYS_getpid);
    status_override = -1;
}

static bool sanitizer_exit_handler_pending(void)
{
    return dlsym(RTLD_DEFAULT, "__tsan_init") != NULL || dlsym(RTLD_DEFAULT, "__asan_init") != NULL;
}

static void report_at_exit(int status, void *unused)
{
    (void)unused;
    int wanted = exit_report_run(status);
    if (wanted != status)
        status_override = wanted;
}

static void finish_at_exit(int status, void *unused)
{
    report_at_exit(status, unused);
    if (status_override < 0 || status_override == status || in_vfork_child())
        return;
    if (sanitizer_exit_handler_pending()) {
        if (tl__cfg.verbosity > 0)
            fprintf(stderr, "threadleak: a sanitizer runtime ends this process; exit status "
                            "left to it (use `threadleak run` for a leak gate)\n");
        return;
    }
    /* stdio is flushed after all exit handlers, which we are about to cut short. */
    fflush(NULL);
    TL__REAL(_exit)(status_override);
}

static void quick_exit_observer(void)
{
    int wanted = exit_report_run(quick_exit_status);
    if (wanted != quick_exit_status) {
        fflush(NULL);
        TL__REAL(_exit)(wanted);
    }
}

void shim_register_exit_hooks(void)
{
    process_pid = (pid_t)syscall(SYS_getpid);
    pthread_atfork(NULL, NULL, after_fork_in_child);
    on_exit(finish_at_exit, NULL);
    at_quick_exit(quick_exit_observer);
}

void shim_register_main_exit_hook(void)
{
    on_exit(report_at_exit, NULL);
}

/* _exit and _Exit may be called from a signal handler or a vfork child, where dlsym must not
 * run. Once the process has made a thread they are looked up (shim_state.c); before that, the
 * exit_group system call is exactly what glibc's _exit and _Exit make. */
static TL__NORETURN void end_process(enum tl__interceptor_index index, int status)
{
    void (*real)(int) = atomic_load_explicit(&tl__real_cache[index], memory_order_relaxed);
    if (real)
        real(status);
    for (;;)
        syscall(SYS_exit_group, status);
}

TL__WRAPPER(void, _exit, int status)
{
    shim_resolve_real();
    if (shim_ready() && !in_vfork_child())
        status = exit_report_run(status);
    end_process(TL__INDEX__exit, status);
}

TL__WRAPPER(void, _Exit, int status)
{
    shim_resolve_real();
    if (shim_ready() && !in_vfork_child())
        status = exit_report_run(status);
    end_process(TL__INDEX__Exit, status);
}

TL__WRAPPER(void, quick_exit, int status)
{
    shim_resolve_real();
    quick_exit_status = status;
    TL__REAL(quick_exit)(status);
}
