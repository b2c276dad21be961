/* The shim's state: the real libc functions behind the wrappers, the configuration, each
 * thread's identity, and the registry's owner across fork. Everything here is safe to reach
 * before the constructor has run, from the first wrapper call of another library's constructor. */
#include "shim_state.h"

#include "cxx_threads.h"
#include "lazy_once.h"
#include "live_stacks.h"
#include "locks_hooks.h"
#include "registry.h"
#include "sanitizer_interplay.h"
#include "scopes.h"
#include "stack_capture.h"
#include "symbolize.h"

#include <dlfcn.h>
#include <stdatomic.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

void *_Atomic tl__real_cache[TL__INTERCEPTOR_COUNT];
/* The defaults from the first instruction on: start-up only applies THREADLEAK_OPTIONS over them.
 */
struct tl__config tl__cfg = {
#define TL__OPTION TL__OPTION_DEFAULT
#include "options.inc"
#undef TL__OPTION
};

TL_TLS struct tl__thread_record *tl__self;
TL_TLS pid_t tl__self_tid;
TL_TLS uint32_t tl__self_scope;
TL_TLS bool tl__self_is_tool;
TL_TLS unsigned tl__self_creations;

static struct tl__lazy_once real_once = TL_LAZY_ONCE_INIT;
static struct tl__lazy_once threads_once = TL_LAZY_ONCE_INIT;
static atomic_bool ready;
static pthread_key_t exit_key;

/* Set while a fork is under way (shim_fork_begin to shim_fork_end): a forked child may not have
 * adopted the registry yet (see shim_adopt_forked_child). */
static atomic_bool fork_in_progress;
static _Atomic pid_t registry_owner;

static void observe_thread_exit(void *value);

/* What fd 2 was at start-up. The identity (device, inode, and for devices the device number and
 * type), not the descriptor: holding a dup of it would be a descriptor the host can see. */
static struct {
    bool open;
    dev_t dev, rdev;
    ino_t ino;
    mode_t type;
} start_stderr;

void *shim_real_lookup(enum tl__interceptor_index index, const char *name)
{
    /* Threads racing here store the same answer. */
    void *f = dlsym(RTLD_NEXT, name);
    atomic_store_explicit(&tl__real_cache[index], f, memory_order_relaxed);
    return f;
}

/* The wrappers a signal handler or a vfork child may call: dlsym is async-signal-safe in neither,
 * so these are looked up at start-up (three of the table's entries, not all of them). */
#define TL__EAGER(name) (void)TL__REAL(name)

/* quick_exit is async-signal-safe and runs the program's at_quick_exit handlers, which only libc's
 * can: it is looked up now, not in a handler. _exit and _Exit are looked up when the process makes
 * its first thread (below); before that, their wrappers end the process with the system call
 * libc's would make (interpose_exit.c), so a thread-less process pays for neither lookup. */
static void resolve_real_once(void)
{
    TL__EAGER(quick_exit);
    atomic_store(&registry_owner, (pid_t)syscall(SYS_getpid));
}

/* The thread that makes the first thread, normally the main thread: registered then rather than
 * at start-up, since until a thread is created nothing reads its record (the verdict leaves the
 * main thread out anyway). */
static void register_first_creator(void)
{
    struct tl__thread_record *r = registry_new_record();
    if (!r)
        return;
    pid_t tid = shim_current_tid();
    bool is_main = tid == (pid_t)syscall(SYS_getpid);
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

/* What only thread creation needs, on the first creation (docs/startup.md). */
static void prepare_threads_once(void)
{
    TL__EAGER(_exit);
    TL__EAGER(_Exit);
    pthread_key_create(&exit_key, observe_thread_exit);
    sanitizer_interplay_init((void *)TL__REAL(pthread_create));
    cxx_threads_init();
    if (!tl__self)
        register_first_creator();
}

void shim_prepare_threads(void)
{
    lazy_once_run(&threads_once, prepare_threads_once);
}

void shim_resolve_real(void)
{
    lazy_once_run(&real_once, resolve_real_once);
}

bool shim_ready(void)
{
    return atomic_load_explicit(&ready, memory_order_acquire);
}

void shim_set_ready(void)
{
    atomic_store(&ready, true);
}

pid_t shim_current_tid(void)
{
    if (tl__self_tid == 0)
        tl__self_tid = (pid_t)syscall(SYS_gettid);
    return tl__self_tid;
}

void shim_note_start_stderr(void)
{
    struct stat st;
    /* The system call itself: libc's fstat would be one more function to bind in every process's
     * start-up, and struct stat is the kernel's on Linux's 64-bit targets. */
    start_stderr.open = syscall(SYS_fstat, STDERR_FILENO, &st) == 0;
    if (start_stderr.open) {
        start_stderr.dev = st.st_dev;
        start_stderr.ino = st.st_ino;
        start_stderr.rdev = st.st_rdev;
        start_stderr.type = st.st_mode & S_IFMT;
    }
}

const char *shim_stderr_changed(void)
{
    if (!start_stderr.open)
        return "skipped: the process started without fd 2";
    struct stat st;
    if (fstat(STDERR_FILENO, &st) != 0)
        return "skipped: fd 2 is no longer the stderr the process started with";
    if (st.st_dev != start_stderr.dev || st.st_ino != start_stderr.ino ||
        st.st_rdev != start_stderr.rdev || (st.st_mode & S_IFMT) != start_stderr.type)
        return "skipped: fd 2 is no longer the stderr the process started with";
    return NULL;
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
    locks_thread_exiting();
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
    lazy_once_fork_child(&real_once);
    lazy_once_fork_child(&threads_once);
    live_stacks_fork_child();   /* a dump running in another thread left its lock held */
    stack_capture_fork_child(); /* before any capture here: walks were held off during fork */
    symbolizer_fork_child();    /* a symbolisation in another thread left its lock held */
    scopes_fork_child();        /* so did a test naming a scope */
}

void shim_check_fork(void)
{
    if (atomic_load_explicit(&fork_in_progress, memory_order_relaxed))
        shim_adopt_forked_child();
}

/* docs/reliability.md, "Fork-safe", lists every lock and what keeps it out of the child. Only the
 * unwinders are waited for (briefly, and only while another thread is inside one): their locks are
 * libunwind's and the loader's, which we cannot reset. Ours are reset in the child. */
void shim_fork_begin(void)
{
    atomic_store(&fork_in_progress, true);
    stack_capture_fork_prepare();
}

void shim_fork_end(void)
{
    atomic_store(&fork_in_progress, false);
}

void shim_fork_parent(void)
{
    stack_capture_fork_parent(); /* the child's count was reset when it adopted the registry */
    shim_fork_end();
}
