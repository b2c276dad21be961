/* Start-up: finding the real libc functions, reading THREADLEAK_OPTIONS, loading libunwind and
 * registering the main thread. Runs from the constructor, or earlier from the first wrapper call
 * when another library's constructor creates a thread before ours has run. */
#include "shim_state.h"

#include "endpoint.h"
#include "cxx_threads.h"
#include "live_stacks.h"
#include "registry.h"
#include "sanitizer_interplay.h"
#include "stack_capture.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

struct tl__real_functions tl__real;
struct tl__config tl__cfg;

TL_TLS struct tl__thread_record *tl__self;
TL_TLS pid_t tl__self_tid;
TL_TLS uint32_t tl__self_scope;
TL_TLS bool tl__self_is_tool;
TL_TLS unsigned tl__self_creations;

static pthread_once_t real_once = PTHREAD_ONCE_INIT;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static atomic_bool ready;
static pthread_key_t exit_key;

/* Set by our fork prepare handler and cleared by the parent and child handlers: while it is
 * set, a forked child may not have adopted the registry yet (see shim_adopt_forked_child). */
static atomic_bool fork_in_progress;
static _Atomic pid_t registry_owner;

#define RESOLVE(field, name) tl__real.field = (__typeof__(tl__real.field))dlsym(RTLD_NEXT, name)

static void observe_thread_exit(void *value);

static void resolve_real_once(void)
{
    RESOLVE(pthread_create, "pthread_create");
    RESOLVE(pthread_join, "pthread_join");
    RESOLVE(pthread_tryjoin_np, "pthread_tryjoin_np");
    RESOLVE(pthread_timedjoin_np, "pthread_timedjoin_np");
    RESOLVE(pthread_clockjoin_np, "pthread_clockjoin_np");
    RESOLVE(pthread_detach, "pthread_detach");
    RESOLVE(pthread_exit, "pthread_exit");
    RESOLVE(pthread_cancel, "pthread_cancel");
    RESOLVE(pthread_setname_np, "pthread_setname_np");
    RESOLVE(thrd_create, "thrd_create");
    RESOLVE(thrd_join, "thrd_join");
    RESOLVE(thrd_detach, "thrd_detach");
    RESOLVE(thrd_exit, "thrd_exit");
    RESOLVE(exit_now, "_exit");
    RESOLVE(exit_now_c99, "_Exit");
    RESOLVE(quick_exit, "quick_exit");

    sanitizer_interplay_init((void *)tl__real.pthread_create);
    cxx_threads_init();
    atomic_store(&registry_owner, (pid_t)syscall(SYS_getpid));
    pthread_key_create(&exit_key, observe_thread_exit);
}

void shim_resolve_real(void)
{
    pthread_once(&real_once, resolve_real_once);
}

pid_t shim_current_tid(void)
{
    if (tl__self_tid == 0)
        tl__self_tid = (pid_t)syscall(SYS_gettid);
    return tl__self_tid;
}

void shim_mark_current_thread_as_tool(void)
{
    tl__self_is_tool = true;
    if (tl__self)
        registry_set_flags(tl__self, TL_F_TOOL);
}

static void observe_thread_exit(void *value)
{
    struct tl__thread_record *r = value;
    char name[TL_NAME_MAX] = "";
    prctl(PR_GET_NAME, name, 0, 0, 0);
    if (tl__self == r)
        tl__self = NULL;
    registry_thread_exited(r, name);
}

void shim_attach_exit_observer(struct tl__thread_record *r)
{
    pthread_setspecific(exit_key, r);
}

static void register_main_thread(void)
{
    struct tl__thread_record *r = registry_new_record();
    if (!r)
        return;
    pid_t tid = shim_current_tid();
    bool is_main = tid == getpid();
    registry_write_begin(r);
    r->info.tid = tid;
    r->info.creator_tid = 0;
    prctl(PR_GET_NAME, r->info.name, 0, 0, 0);
    registry_write_end(r);
    registry_set_flags(r, TL_F_STARTED | (is_main ? TL_F_MAIN : 0));
    registry_publish(r, pthread_self());
    registry_release_creator_hold(r);
    tl__self = r;
    shim_attach_exit_observer(r);
}

/* The child of a fork keeps only the forking thread. This runs from whichever comes first in
 * the child: our atfork handler, or a thread creation from another library's atfork handler that
 * ran before ours (ThreadSanitizer restarts its background thread there). No lock is held across
 * fork, so that creation cannot deadlock; the child simply starts the registry afresh. */
void shim_adopt_forked_child(void)
{
    pid_t now = (pid_t)syscall(SYS_getpid);
    pid_t owner = atomic_load(&registry_owner);
    if (owner == now || !atomic_compare_exchange_strong(&registry_owner, &owner, now))
        return;
    tl__self_tid = 0;
    struct tl__thread_record *self = tl__self;
    if (self) {
        self->info.tid = shim_current_tid();
        self->info.handle = pthread_self();
        atomic_store(&self->flags, TL_F_IN_USE | TL_F_STARTED | TL_F_MAIN | TL_F_PUBLISHED);
    }
    registry_fork_child(self);
    live_stacks_fork_child(); /* a dump running in another thread left its lock held */
}

void shim_check_fork(void)
{
    if (atomic_load_explicit(&fork_in_progress, memory_order_relaxed))
        shim_adopt_forked_child();
}

static void fork_prepare(void)
{
    atomic_store(&fork_in_progress, true);
}

static void fork_parent(void)
{
    atomic_store(&fork_in_progress, false);
}

static void fork_child(void)
{
    shim_adopt_forked_child();
    atomic_store(&fork_in_progress, false);
}

static void read_options(void)
{
    /* A bad item must not take the host down, nor the good items with it: each one is named
     * once, on its own line, and every other option applies, as with the sanitizers. */
    options_defaults(&tl__cfg);
    options_apply(getenv("THREADLEAK_OPTIONS"), &tl__cfg, options_warn_stderr, NULL);
    /* help=1 lists the options and the program runs on, as the sanitizers' help=1 does. Once
     * per process: this runs once, and an exec'd child that inherits the variable lists again. */
    if (tl__cfg.help)
        options_print_help();
}

static void init_once_body(void)
{
    int saved_errno = errno;
    shim_resolve_real();
    read_options();
    stack_capture_init();
    if (sanitizer_below_tsan())
        stack_capture_use_libgcc();
    if (!tl__self)
        register_main_thread();
    pthread_atfork(fork_prepare, fork_parent, fork_child);
    shim_register_exit_hooks();
    atomic_store(&ready, true);
    errno = saved_errno;
}

void shim_init(void)
{
    pthread_once(&init_once, init_once_body);
}

bool shim_ready(void)
{
    return atomic_load_explicit(&ready, memory_order_acquire);
}

__attribute__((constructor(101))) static void shim_constructor(void)
{
    shim_init();
    /* Outside shim_init: it creates a thread, and pthread_create calls shim_init. */
    endpoint_services_start();
}
