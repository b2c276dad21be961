/* From leaked threads to findings: grouping, symbolisation and naming. Runs at report time only,
 * so it may allocate and read files. */
#include "findings.h"

#include "kernel_state.h"
#include "live_stacks.h"
#include "registry.h"
#include "scopes.h"
#include "symbolize.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *findings_mode_name(enum tl_mode mode)
{
    return mode == TL_MODE_TSAN ? "tsan" : "all";
}

static bool is_interceptor_frame(const char *function)
{
    static const char *const prefixes[] = {"__interceptor_", "___interceptor_", "__tsan",
                                           "__sanitizer",    "_ZN6__tsan",      "_ZN11__sanitizer"};
    if (!function)
        return false;
    if (strcmp(function, "pthread_create") == 0 || strcmp(function, "thrd_create") == 0)
        return true;
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++) {
        if (strncmp(function, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    }
    return false;
}

size_t findings_creation_stack(const struct tl__thread_info *t, struct tl__frame *out)
{
    size_t depth = symbolize_frames_inlined(t->frames, t->nframes, true, out, TL_MAX_FRAMES);
    size_t skip = 0;
    while (skip < depth && is_interceptor_frame(out[skip].function))
        skip++;
    memmove(out, out + skip, (depth - skip) * sizeof *out);
    return depth - skip;
}

static enum tl__leak_state leak_state(const struct tl__thread_info *t)
{
    return (t->flags & TL_F_EXITED) ? TL_LEAK_EXITED : TL_LEAK_RUNNING;
}

bool findings_function_below_main(const char *function)
{
    static const char *const names[] = {"__libc_start_call_main", "__libc_start_main",
                                        "__libc_start_main_impl", "_start"};
    for (size_t i = 0; function && i < sizeof names / sizeof *names; i++)
        if (strcmp(function, names[i]) == 0)
            return true;
    return false;
}

bool findings_frame_below_main(const struct tl__frame *frame)
{
    return findings_function_below_main(frame->function);
}

/* std::thread, std::jthread and std::async reach pthread_create through the standard library's
 * own functions (std::thread::_M_start_thread, the constructor's template); the user's call is
 * the first frame after them. */
static bool is_standard_library_frame(const struct tl__frame *frame)
{
    return frame->function && strncmp(frame->function, "std::", 5) == 0;
}

const struct tl__frame *findings_creation_site(const struct tl__frame *stack, size_t depth)
{
    for (size_t i = 0; i < depth && !findings_frame_below_main(&stack[i]); i++)
        if (!is_standard_library_frame(&stack[i]))
            return &stack[i];
    return depth ? &stack[0] : NULL;
}

/* Orders leaks so that identical ones are adjacent: the first, cheap grouping by raw frames.
 * Leaks that differ only in pcs of one source line are joined afterwards (merge_same_source). */
static int compare_group_key(const void *pa, const void *pb)
{
    const struct tl__thread_info *a = pa, *b = pb;
    if (a->start_routine != b->start_routine)
        return a->start_routine < b->start_routine ? -1 : 1;
    if (leak_state(a) != leak_state(b))
        return leak_state(a) < leak_state(b) ? -1 : 1;
    uint32_t da = a->flags & TL_F_DETACHED, db = b->flags & TL_F_DETACHED;
    if (da != db)
        return da < db ? -1 : 1;
    if (a->creator_tid != b->creator_tid)
        return a->creator_tid < b->creator_tid ? -1 : 1;
    if (a->scope != b->scope)
        return a->scope < b->scope ? -1 : 1;
    if (a->nframes != b->nframes)
        return a->nframes < b->nframes ? -1 : 1;
    int frames = memcmp(a->frames, b->frames, a->nframes * sizeof *a->frames);
    if (frames)
        return frames;
    return a->serial < b->serial ? -1 : a->serial > b->serial;
}

static bool same_group(const struct tl__thread_info *a, const struct tl__thread_info *b)
{
    return a->start_routine == b->start_routine && leak_state(a) == leak_state(b) &&
           (a->flags & TL_F_DETACHED) == (b->flags & TL_F_DETACHED) &&
           a->creator_tid == b->creator_tid && a->scope == b->scope && a->nframes == b->nframes &&
           memcmp(a->frames, b->frames, a->nframes * sizeof *a->frames) == 0;
}

static char *read_exe_path(void)
{
    char buf[4096];
    ssize_t n = readlink("/proc/thread-self/exe", buf, sizeof buf - 1);
    if (n < 0)
        return strdup("?");
    buf[n] = '\0';
    return strdup(buf);
}

static char **read_argv(void)
{
    FILE *f = fopen("/proc/thread-self/cmdline", "re");
    char *text = NULL;
    size_t len = 0;
    if (f) {
        char chunk[4096];
        size_t got;
        while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
            char *grown = realloc(text, len + got + 1);
            if (!grown)
                break;
            text = grown;
            memcpy(text + len, chunk, got);
            len += got;
        }
        fclose(f);
    }
    size_t count = 0;
    for (size_t i = 0; i < len; i++)
        count += text[i] == '\0';
    char **argv = calloc(count + 1, sizeof *argv);
    for (size_t i = 0, start = 0, k = 0; argv && i < len; i++) {
        if (text[i] == '\0') {
            argv[k++] = strdup(text + start);
            start = i + 1;
        }
    }
    free(text);
    return argv;
}

/* std::thread's start routine is recorded as the _M_run of its _State (shim/cxx_threads.h):
 * "std::thread::_State_impl<std::thread::_Invoker<std::tuple<F, Args...> > >::_M_run()". The
 * reader wants F: "ConfigWatcher::start()::{lambda()#1}", or a functor's type. */
static const char *display_start_routine(const char *name)
{
    static const char prefix[] = "std::thread::_State_impl<std::thread::_Invoker<std::tuple<";
    if (strncmp(name, prefix, sizeof prefix - 1) != 0)
        return name;
    const char *callable = name + sizeof prefix - 1;
    int depth = 0;
    const char *end = callable;
    for (; *end; end++) {
        if (*end == '<' || *end == '(' || *end == '{')
            depth++;
        else if ((*end == '>' || *end == ')' || *end == '}') && depth-- == 0)
            break;
        else if (*end == ',' && depth == 0)
            break;
    }
    if (end == callable || !*end)
        return name;
    char *copy = strndup(callable, (size_t)(end - callable));
    if (!copy)
        return name;
    const char *interned = symbolize_intern(copy);
    free(copy);
    return interned;
}

const char *findings_start_routine(const void *routine)
{
    return display_start_routine(symbolize_function_or_offset(routine));
}

/* A running thread's name as the kernel has it now (set by prctl, or inherited). */
static void read_live_name(pid_t tid, char name[TL_NAME_MAX])
{
    char path[64];
    snprintf(path, sizeof path, "/proc/thread-self/../%d/comm", (int)tid);
    FILE *f = fopen(path, "re");
    if (!f)
        return;
    if (fgets(name, TL_NAME_MAX, f))
        name[strcspn(name, "\n")] = '\0';
    fclose(f);
}

static void fill_group(struct tl__leak_group *g, const struct tl__thread_info *first, size_t count)
{
    memset(g, 0, sizeof *g);
    g->count = (unsigned)count;
    g->state = leak_state(first);
    g->detached = (first->flags & TL_F_DETACHED) != 0;
    g->c11 = (first->flags & TL_F_C11) != 0;
    g->start_routine = findings_start_routine(first->start_routine);
    g->scope = scope_name(first->scope);
    g->creator_tid = first->creator_tid;
    g->creator_is_main = first->creator_tid == getpid();
    memcpy(g->creator_name, first->creator_name, TL_NAME_MAX);
    g->creation_stack = calloc(TL_MAX_FRAMES, sizeof *g->creation_stack);
    if (g->creation_stack)
        g->creation_depth = findings_creation_stack(first, g->creation_stack);
    g->site = findings_creation_site(g->creation_stack, g->creation_depth);
    Dl_info module;
    if (g->site && dladdr((void *)g->site->pc, &module) && module.dli_fbase)
        g->site_offset = g->site->pc - (uintptr_t)module.dli_fbase;
    if (g->state == TL_LEAK_EXITED)
        g->stack_status = live_stack_status_name(LIVE_STACK_EXITED);
    g->threads = calloc(count, sizeof *g->threads);
    for (size_t i = 0; g->threads && i < count; i++) {
        struct tl__leaked_thread *lt = &g->threads[i];
        lt->tid = first[i].tid;
        lt->serial = first[i].serial;
        memcpy(lt->name, first[i].name, TL_NAME_MAX);
        if (!lt->name[0] && !(first[i].flags & TL_F_EXITED))
            read_live_name(lt->tid, lt->name);
        lt->cancelled = (first[i].flags & TL_F_CANCELLED) != 0;
    }
}

/* ---- joining groups of one source line ----
 *
 * Raw frames tell apart two calls that the compiler made of one source line (an unrolled loop, a
 * duplicated tail): different pcs, same function, file and line. A group is what the reader
 * fixes, so the groups are joined by their symbolised creation stacks: every frame by function,
 * file and line. A frame without line info has only its address to tell it apart (its module and
 * offset; in one process that is the pc). Only the groups' first stacks are compared, which the
 * report symbolises anyway: no thread is symbolised for this alone. */

static int compare_strings(const char *a, const char *b)
{
    if (!a || !b)
        return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

static int compare_numbers(uintptr_t a, uintptr_t b)
{
    return (a > b) - (a < b);
}

static int compare_source_frame(const struct tl__frame *a, const struct tl__frame *b)
{
    int c = compare_strings(a->function, b->function);
    if (c == 0)
        c = compare_strings(a->file, b->file);
    if (c == 0 && a->file)
        c = compare_numbers((uintptr_t)a->line, (uintptr_t)b->line);
    if (c == 0 && !a->file)
        c = compare_numbers(a->pc, b->pc);
    return c;
}

static int compare_source_stack(const struct tl__leak_group *a, const struct tl__leak_group *b)
{
    size_t da = a->creation_stack ? a->creation_depth : 0;
    size_t db = b->creation_stack ? b->creation_depth : 0;
    if (da != db)
        return da < db ? -1 : 1;
    for (size_t i = 0; i < da; i++) {
        int c = compare_source_frame(&a->creation_stack[i], &b->creation_stack[i]);
        if (c)
            return c;
    }
    return 0;
}

/* The grouping key: start routine (by name), state, detachment, scope, creator and the creation
 * stack by source line. */
static int compare_source_key(const struct tl__leak_group *a, const struct tl__leak_group *b)
{
    int c = compare_strings(a->start_routine, b->start_routine);
    if (c == 0)
        c = compare_numbers(a->state, b->state);
    if (c == 0)
        c = compare_numbers(a->detached, b->detached);
    if (c == 0)
        c = compare_strings(a->scope, b->scope);
    if (c == 0)
        c = compare_numbers((uintptr_t)a->creator_tid, (uintptr_t)b->creator_tid);
    if (c == 0)
        c = compare_source_stack(a, b);
    return c;
}

static uint64_t first_serial(const struct tl__leak_group *g)
{
    return g->threads ? g->threads[0].serial : 0;
}

static int compare_source_key_then_serial(const void *pa, const void *pb)
{
    const struct tl__leak_group *a = pa, *b = pb;
    int c = compare_source_key(a, b);
    return c ? c : compare_numbers(first_serial(a), first_serial(b));
}

static int compare_thread_serial(const void *pa, const void *pb)
{
    const struct tl__leaked_thread *a = pa, *b = pb;
    return (a->serial > b->serial) - (a->serial < b->serial);
}

static void free_group(struct tl__leak_group *g)
{
    free(g->creation_stack);
    free(g->current_stack);
    free(g->threads);
}

/* Moves from's threads into into, which keeps its own stacks (its first thread is the older).
 * false when memory runs out: both stay as they were. */
static bool absorb_group(struct tl__leak_group *into, struct tl__leak_group *from)
{
    if (!into->threads || !from->threads)
        return false;
    size_t count = (size_t)into->count + from->count;
    struct tl__leaked_thread *threads = realloc(into->threads, count * sizeof *threads);
    if (!threads)
        return false;
    memcpy(threads + into->count, from->threads, from->count * sizeof *threads);
    qsort(threads, count, sizeof *threads, compare_thread_serial);
    into->threads = threads;
    into->count = (unsigned)count;
    free_group(from);
    return true;
}

static void merge_same_source(struct tl__findings *f)
{
    if (f->ngroups < 2)
        return;
    qsort(f->groups, f->ngroups, sizeof *f->groups, compare_source_key_then_serial);
    size_t kept = 0;
    for (size_t i = 0; i < f->ngroups; i++) {
        struct tl__leak_group *last = kept ? &f->groups[kept - 1] : NULL;
        if (last && compare_source_key(last, &f->groups[i]) == 0 &&
            absorb_group(last, &f->groups[i]))
            continue;
        f->groups[kept++] = f->groups[i];
    }
    f->ngroups = kept;
}

static int compare_group_size(const void *pa, const void *pb)
{
    const struct tl__leak_group *a = pa, *b = pb;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return a->threads && b->threads ? (a->threads[0].serial > b->threads[0].serial) -
                                          (a->threads[0].serial < b->threads[0].serial)
                                    : 0;
}

struct tl__findings *findings_build(const struct tl__thread_info *leaks, size_t n,
                                    enum tl_mode mode, unsigned suppressed)
{
    struct tl__findings *f = calloc(1, sizeof *f);
    struct tl__thread_info *sorted = n ? malloc(n * sizeof *sorted) : NULL;
    if (!f || (n && !sorted)) {
        free(f);
        free(sorted);
        return NULL;
    }
    /* No leaks means no arrays: glibc declares memcpy's and qsort's pointers nonnull even for a
       count of 0, so calling them with NULL is undefined (UBSan stops on it). */
    if (n) {
        memcpy(sorted, leaks, n * sizeof *sorted);
        qsort(sorted, n, sizeof *sorted, compare_group_key);
    }
    f->groups = n ? calloc(n, sizeof *f->groups) : NULL;
    for (size_t i = 0; i < n && f->groups;) {
        size_t j = i + 1;
        while (j < n && same_group(&sorted[i], &sorted[j]))
            j++;
        fill_group(&f->groups[f->ngroups++], &sorted[i], j - i);
        i = j;
    }
    merge_same_source(f);
    if (f->ngroups)
        qsort(f->groups, f->ngroups, sizeof *f->groups, compare_group_size);
    free(sorted);
    f->pid = getpid();
    f->ppid = getppid();
    f->exe = read_exe_path();
    f->argv = read_argv();
    f->mode = findings_mode_name(mode);
    f->threads_created = registry_threads_created();
    f->leaked = (unsigned)n;
    f->suppressed = suppressed;
    return f;
}

static void attach_current_stack(struct tl__leak_group *g, const struct live_stack_thread *t)
{
    if (!t || t->status != LIVE_STACK_OK || t->nframes == 0 || g->current_stack)
        return;
    g->current_stack = calloc(TL_MAX_FRAMES, sizeof *g->current_stack);
    if (!g->current_stack)
        return;
    /* A signal frame's first pc is the interrupted instruction itself, not a return address. */
    size_t first = t->first_frame_is_pc ? 1 : 0;
    size_t depth = 0;
    if (first)
        depth = symbolize_frames_inlined(t->frames, 1, false, g->current_stack, TL_MAX_FRAMES);
    depth += symbolize_frames_inlined(t->frames + first, t->nframes - first, true,
                                      g->current_stack + depth, TL_MAX_FRAMES - depth);
    g->current_depth = depth;
    g->current_tid = t->tid;
    g->current_partial = t->partial;
}

/* Why t (a running leak, found or not in the dump) has no current stack. A thread that is not in
 * the dump has left /proc/self/task since the verdict. */
static const char *missing_stack_reason(const struct live_stack_thread *t, bool dumped)
{
    if (!dumped)
        return live_stack_status_name(LIVE_STACK_NOT_SIGNALLED);
    if (!t)
        return live_stack_status_name(LIVE_STACK_EXITED);
    if (t->status == LIVE_STACK_OK)
        return "empty stack"; /* as the endpoint says it */
    return live_stack_status_name(t->status);
}

/* The group's stack comes from its first thread that has one; without any, the first thread's
 * reason stands for the group, as its tid does in the text report. */
static void note_stack_status(struct tl__leak_group *g, const struct live_stack_thread *t,
                              bool dumped)
{
    if (g->current_stack)
        g->stack_status = live_stack_status_name(LIVE_STACK_OK);
    else if (!g->stack_status)
        g->stack_status = missing_stack_reason(t, dumped);
}

void findings_attach_live(struct tl__findings *f, const struct live_stacks_dump *live)
{
    int task_dir = kernel_state_open_task_dir();
    for (size_t i = 0; i < f->ngroups; i++) {
        struct tl__leak_group *g = &f->groups[i];
        if (g->state != TL_LEAK_RUNNING)
            continue;
        for (unsigned k = 0; k < g->count; k++) {
            struct tl__leaked_thread *lt = &g->threads[k];
            const struct live_stack_thread *t = live_stacks_find(live, lt->tid);
            struct kernel_thread_state st;
            if (t && t->kernel.tid == lt->tid)
                st = t->kernel;
            else if (kernel_state_read(task_dir, lt->tid, 0, 0, &st) != 0)
                continue;
            snprintf(lt->wait, sizeof lt->wait, "%s", st.wait);
            attach_current_stack(g, t);
            note_stack_status(g, t, live != NULL);
        }
    }
    if (task_dir >= 0)
        close(task_dir);
}

void findings_free(struct tl__findings *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->ngroups; i++)
        free_group(&f->groups[i]);
    free(f->groups);
    for (size_t i = 0; f->argv && f->argv[i]; i++)
        free(f->argv[i]);
    free(f->argv);
    free(f->exe);
    free(f);
}
