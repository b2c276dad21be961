/* Start-up: reading THREADLEAK_OPTIONS and wiring the fork and exit hooks, then the services (only
 * when an option asks for them). Nothing heavy is loaded here: the unwinder loads on the first
 * capture, libdw on the first report that symbolises, the HTTP module when `http=` is set
 * (docs/startup.md). Runs from the constructor, or earlier from the first wrapper call when another
 * library's constructor creates a thread before ours has run. The state all this fills in is
 * shim_state.c's. */
#include "shim_init.h"

#include "shim_state.h"

#include "endpoint.h"
#include "gate_notice.h"
#include "interpose_exit.h"
#include "lazy_once.h"
#include "live_stacks.h"
#include "locks_hooks.h"
#include "sanitizer_interplay.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Not pthread_once: our own once costs no libc call to bind at start-up (lazy_once.h). */
static struct tl__lazy_once init_once = TL_LAZY_ONCE_INIT;

static void fork_prepare(void)
{
    shim_fork_begin();
}

static void fork_parent(void)
{
    shim_fork_parent();
}

static void fork_child(void)
{
    shim_adopt_forked_child();
    shim_fork_end();
}

static void read_options(void)
{
    /* A bad item must not take the host down, nor the good items with it: each one is named
     * once, on its own line, and every other option applies, as with the sanitizers. */
    /* tl__cfg holds the defaults already (shim_state.c): an unset variable costs a getenv. */
    options_apply(getenv("THREADLEAK_OPTIONS"), &tl__cfg, options_warn_stderr, NULL);
    /* help=1 lists the options and the program runs on, as the sanitizers' help=1 does. Once
     * per process: this runs once, and an exec'd child that inherits the variable lists again. */
    if (tl__cfg.help)
        options_print_help();
}

static void init_once_body(void)
{
    int saved_errno = errno;
    shim_note_start_stderr();
    shim_resolve_real();
    read_options();
    /* Before main: a later setuid, chroot or close of every descriptor cannot undo it, so the
     * gate hears of this process even if its report never comes (docs/reliability.md). */
    gate_notice_start();
    pthread_atfork(fork_prepare, fork_parent, fork_child);
    shim_register_exit_hooks();
    /* Dumps show each thread's locks (the plain shim's probe answers "none"). */
    live_stacks_set_locks_probe(locks_thread_state);
    shim_set_ready();
    errno = saved_errno;
}

void shim_init(void)
{
    lazy_once_run(&init_once, init_once_body);
}

__attribute__((constructor(101))) static void shim_constructor(void)
{
    shim_init();
    /* Outside shim_init: it creates a thread, and pthread_create calls shim_init. */
    endpoint_services_start();
}
