/* The merged report's findings as one list, for the CI formats. Every finding is read from the
 * merged JSON alone (leaks, the lock module's arrays, the sanitizers' findings), so `run` and
 * `merge` give the same list for the same reports, in the same order: process by process as the
 * JSON has them, then the sanitizer findings as they were collected. */
#include "ci_findings.h"

#include "gate_status.h"
#include "findings.h"
#include "json_reader.h"
#include "source_root.h"
#include "text_format.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_NAME_BYTES 200 /* a test case name past this is cut, at a character boundary */

static const struct tl__ci_rule_info rules[TL_CI_NRULES] = {
    [TL_CI_LEAK_RUNNING] = {"TL1001", "LeakedRunningThread", "running",
                            "A thread was still running when its process exited.",
                            "The thread was neither joined nor told to stop before the process "
                            "exited: it was still running at exit. Join it, or stop it before "
                            "exit.",
                            TL_FAIL_ON_LEAKS},
    [TL_CI_LEAK_UNJOINED] = {"TL1002", "UnjoinedFinishedThread", "exited",
                             "A thread finished but was never joined.",
                             "The thread returned, but no pthread_join or thrd_join collected "
                             "it and it was not detached: its stack and result leak.",
                             TL_FAIL_ON_LEAKS},
    [TL_CI_SELF_LOCK] = {"TL2001", "SelfLock", "self_lock",
                         "A thread locked a non-recursive mutex it already held.",
                         "The thread waits forever for itself: a deadlock.", TL_FAIL_ON_DEADLOCKS},
    [TL_CI_LOCK_CYCLE] = {"TL2002", "LockCycle", "lock_cycle",
                          "Threads waited for each other's locks in a cycle.",
                          "A live deadlock: each thread of the cycle holds a lock the next one "
                          "waits for.",
                          TL_FAIL_ON_DEADLOCKS},
    [TL_CI_DEADLOCK_OTHER] = {"TL2099", "Deadlock", NULL, "A deadlock.",
                              "A live deadlock of a kind this version does not name.",
                              TL_FAIL_ON_DEADLOCKS},
    [TL_CI_LOCK_ORDER] = {"TL2101", "LockOrderInversion", "lock_order",
                          "Locks were taken in both orders: a potential deadlock.",
                          "Two or more locks were taken in an order that forms a cycle; threads "
                          "taking them at the same time can deadlock. Take them in one order.",
                          TL_FAIL_ON_LOCK_ORDER},
    [TL_CI_UNLOCK_NOT_OWNER] = {"TL2201", "UnlockNotOwner", "unlock_not_owner",
                                "A thread unlocked a mutex held by another thread.",
                                "Unlocking a mutex the caller does not hold is undefined "
                                "behaviour for a default mutex.",
                                TL_FAIL_ON_MISUSE},
    [TL_CI_UNLOCK_UNLOCKED] = {"TL2202", "UnlockUnlocked", "unlock_unlocked",
                               "A thread unlocked a mutex that was not locked.",
                               "Unlocking an unlocked mutex is undefined behaviour for a default "
                               "mutex.",
                               TL_FAIL_ON_MISUSE},
    [TL_CI_DESTROY_LOCKED] = {"TL2203", "DestroyLocked", "destroy_locked",
                              "A locked mutex was destroyed.",
                              "Destroying a lock that is held is undefined behaviour.",
                              TL_FAIL_ON_MISUSE},
    [TL_CI_EXIT_HOLDING_LOCK] = {"TL2204", "ExitHoldingLock", "exit_holding_lock",
                                 "A thread exited while holding a lock.",
                                 "Nobody can unlock the lock now; whoever locks it next waits "
                                 "forever.",
                                 TL_FAIL_ON_MISUSE},
    [TL_CI_COND_WRONG_MUTEX] = {"TL2205", "CondWrongMutex", "cond_wrong_mutex",
                                "A condition variable was waited on with two different mutexes.",
                                "Concurrent waits on one condition variable must use the same "
                                "mutex.",
                                TL_FAIL_ON_MISUSE},
    [TL_CI_LOCK_DESTROYED] = {"TL2206", "LockDestroyed", "lock_destroyed",
                              "A destroyed lock was used.",
                              "Using a lock after pthread_mutex_destroy is undefined behaviour.",
                              TL_FAIL_ON_MISUSE},
    [TL_CI_JOIN_DETACHED] = {"TL2207", "JoinDetached", "join_detached",
                             "A detached thread was joined.",
                             "Joining a detached thread is undefined behaviour.",
                             TL_FAIL_ON_MISUSE},
    [TL_CI_DOUBLE_JOIN] = {"TL2208", "DoubleJoin", "double_join", "A thread was joined twice.",
                           "The second join names a thread that no longer exists.",
                           TL_FAIL_ON_MISUSE},
    [TL_CI_MISUSE_OTHER] = {"TL2299", "PthreadMisuse", NULL, "A pthread misuse.",
                            "A misuse of the pthread API of a kind this version does not name.",
                            TL_FAIL_ON_MISUSE},
    [TL_CI_TSAN_RACE] = {"TL3001", "DataRace", "data race", "ThreadSanitizer found a data race.",
                         "Two threads accessed the same memory without synchronisation, and at "
                         "least one access was a write.",
                         TL_FAIL_ON_RACES},
    [TL_CI_TSAN_OTHER] = {"TL3002", "ThreadSanitizerReport", NULL,
                          "ThreadSanitizer reported a problem.",
                          "A ThreadSanitizer report other than a data race (thread leak, "
                          "lock-order inversion, signal-unsafe call, ...).",
                          TL_FAIL_ON_RACES},
    [TL_CI_MEMORY_LEAK] = {"TL4001", "MemoryLeak", "detected memory leaks",
                           "LeakSanitizer found leaked memory.",
                           "Memory allocated here was never freed.", TL_FAIL_ON_MEMORY},
    [TL_CI_ASAN_ERROR] = {"TL4002", "AddressSanitizerError", NULL,
                          "AddressSanitizer found a memory error.",
                          "An invalid memory access or allocator misuse.", TL_FAIL_ON_MEMORY},
};

const struct tl__ci_rule_info *ci_rule_info(enum tl__ci_rule rule)
{
    return &rules[rule];
}

/* The rule whose key is word, among [first, last]; other when none is. */
static enum tl__ci_rule rule_by_key(const char *word, enum tl__ci_rule first, enum tl__ci_rule last,
                                    enum tl__ci_rule other)
{
    for (int r = first; word && r <= (int)last; r++)
        if (rules[r].key && strcmp(rules[r].key, word) == 0)
            return (enum tl__ci_rule)r;
    return other;
}

/* --- building strings --- */

static const char *plural(unsigned long n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* --- paths --- */

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static const char *relative_to_root(const struct tl__ci_model *m, const char *file)
{
    return source_root_relative(m->source_root, file);
}

/* RFC 3986: unreserved characters and '/' stay, every other byte becomes %XX. */
static char *percent_encode(const char *prefix, const char *path)
{
    size_t n = strlen(prefix), len = strlen(path);
    char *out = malloc(n + 3 * len + 1);
    if (!out)
        return NULL;
    memcpy(out, prefix, n);
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~/", *p))
            out[n++] = (char)*p;
        else
            n += (size_t)sprintf(out + n, "%%%02X", *p);
    }
    out[n] = '\0';
    return out;
}

char *ci_frame_uri(const struct tl__ci_model *model, const struct tl__ci_frame *frame,
                   bool *in_tree)
{
    *in_tree = false;
    if (!frame->file)
        return NULL;
    const char *rel = relative_to_root(model, frame->file);
    if (rel) {
        *in_tree = true;
        return percent_encode("", rel);
    }
    if (frame->file[0] != '/')
        return NULL; /* relative to a directory nobody knows */
    return percent_encode("file://", frame->file);
}

char *ci_root_uri(const struct tl__ci_model *model)
{
    char path[sizeof model->source_root + 1];
    snprintf(path, sizeof path, "%s/", model->source_root);
    return percent_encode("file://", path);
}

/* The file as a reader of a message knows it: relative to the root, else its base name. */
static const char *display_file(const struct tl__ci_model *m, const char *file)
{
    return source_root_display(m->source_root, file);
}

char *ci_frame_text(const struct tl__ci_model *model, const struct tl__ci_frame *frame)
{
    if (!frame->file)
        return text_format("%s", frame->function);
    if (frame->line > 0)
        return text_format("%s:%ld in %s", display_file(model, frame->file), frame->line,
                           frame->function);
    return text_format("%s in %s", display_file(model, frame->file), frame->function);
}

/* --- frames and stacks --- */

static struct tl__ci_frame read_frame(const struct tl__json *f)
{
    const char *function = tl__json_string(tl__json_get(f, "function"));
    int64_t line = 0;
    if (!tl__json_get_int64(tl__json_get(f, "line"), &line) || line < 0)
        line = 0;
    return (struct tl__ci_frame){
        .function = function && function[0] ? function : "??",
        .file = tl__json_string(tl__json_get(f, "file")),
        .line = (long)line,
        .module = tl__json_string(tl__json_get(f, "module")),
    };
}

/* Frames below main, which TSan trims from its stacks too: never a site. */
static bool below_main(const struct tl__ci_frame *f)
{
    return findings_function_below_main(f->function);
}

/* The frame a finding is located at: the first in the source tree, else the first with a file,
 * above main's callers; SIZE_MAX when none has a file (a library without line info). */
static size_t pick_site(const struct tl__ci_model *m, const struct tl__ci_frame *stack, size_t n)
{
    for (size_t i = 0; i < n && !below_main(&stack[i]); i++)
        if (stack[i].file && relative_to_root(m, stack[i].file))
            return i;
    for (size_t i = 0; i < n && !below_main(&stack[i]); i++)
        if (stack[i].file)
            return i;
    return SIZE_MAX;
}

static int read_stack(const struct tl__ci_model *m, const struct tl__json *frames,
                      struct tl__ci_finding *f)
{
    size_t n = tl__json_length(frames);
    f->stack = calloc(n ? n : 1, sizeof *f->stack);
    if (!f->stack)
        return -1;
    for (size_t i = 0; i < n; i++)
        f->stack[i] = read_frame(tl__json_index(frames, i));
    f->nstack = n;
    f->site = pick_site(m, f->stack, n);
    return 0;
}

const struct tl__ci_frame *ci_finding_frame(const struct tl__ci_finding *f)
{
    if (f->site != SIZE_MAX)
        return &f->stack[f->site];
    for (size_t i = 0; i < f->nstack; i++)
        if (strcmp(f->stack[i].function, "??") != 0)
            return &f->stack[i];
    return f->nstack ? &f->stack[0] : NULL;
}

/* "server.c:42 in start_workers"; without a file "lzma_code (liblzma.so.5)"; or "an unknown
 * site". */
static char *site_text(const struct tl__ci_model *m, const struct tl__ci_finding *f)
{
    const struct tl__ci_frame *frame = ci_finding_frame(f);
    if (!frame)
        return text_format("an unknown site");
    if (f->site == SIZE_MAX && frame->module)
        return text_format("%s (%s)", frame->function, base_name(frame->module));
    return ci_frame_text(m, frame);
}

/* --- fingerprints --- */

static uint64_t fnv1a(uint64_t h, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ull;
    }
    h ^= 0xff; /* a separator no UTF-8 string holds */
    return h * 0x100000001b3ull;
}

/* Rule, start routine, and the located frame's function and file (relative to the root, else its
 * base name): what survives a rebuild at another -O level or in another directory. Never an
 * address, and never the line alone. */
static void fingerprint(const struct tl__ci_model *m, struct tl__ci_finding *f, const char *extra)
{
    const struct tl__ci_frame *site = ci_finding_frame(f);
    uint64_t h = 0xcbf29ce484222325ull;
    h = fnv1a(h, rules[f->rule].id);
    h = fnv1a(h, f->start_routine ? f->start_routine : "");
    h = fnv1a(h, site ? site->function : "");
    h = fnv1a(h, site && site->file ? display_file(m, site->file) : "");
    h = fnv1a(h, extra ? extra : "");
    snprintf(f->fingerprint, sizeof f->fingerprint, "%016llx", (unsigned long long)h);
}

/* The site of a JSON stack, as text ("file:line in function") or, with key, as a fingerprint's
 * part ("file function": no line); "the main thread" for an empty stack. */
static char *stack_site(const struct tl__ci_model *m, const struct tl__json *frames, bool key)
{
    struct tl__ci_finding tmp = {0};
    if (read_stack(m, frames, &tmp) != 0)
        return NULL;
    char *text;
    if (tmp.nstack == 0)
        text = text_format("the main thread");
    else if (!key)
        text = site_text(m, &tmp);
    else {
        const struct tl__ci_frame *f = ci_finding_frame(&tmp);
        text = text_format("%s %s", f->file ? display_file(m, f->file) : "", f->function);
    }
    free(tmp.stack);
    return text;
}

/* --- the model --- */

static struct tl__ci_finding *new_finding(struct tl__ci_model *m, size_t *cap)
{
    if (m->nfinding == *cap) {
        size_t n = *cap ? *cap * 2 : 16;
        struct tl__ci_finding *grown = realloc(m->finding, n * sizeof *grown);
        if (!grown)
            return NULL;
        m->finding = grown;
        *cap = n;
    }
    struct tl__ci_finding *f = &m->finding[m->nfinding++];
    *f = (struct tl__ci_finding){.process = SIZE_MAX, .count = 1, .site = SIZE_MAX};
    return f;
}

struct builder {
    struct tl__ci_model *m;
    size_t cap;
    unsigned fail_on;
};

/* Completes f: its message (taking ownership), whether it fails, its fingerprint. */
static int finish(struct builder *b, struct tl__ci_finding *f, char *message, const char *extra)
{
    if (!message)
        return -1;
    f->message = message;
    f->failing = (rules[f->rule].fail_on & b->fail_on) != 0;
    fingerprint(b->m, f, extra);
    return 0;
}

static int add_leak(struct builder *b, size_t proc, const struct tl__json *leak)
{
    struct tl__ci_finding *f = new_finding(b->m, &b->cap);
    if (!f)
        return -1;
    const char *state = tl__json_string(tl__json_get(leak, "state"));
    f->rule = state && strcmp(state, "exited") == 0 ? TL_CI_LEAK_UNJOINED : TL_CI_LEAK_RUNNING;
    f->process = proc;
    int64_t count = 1;
    if (tl__json_get_int64(tl__json_get(leak, "count"), &count) && count > 0)
        f->count = (unsigned long)count;
    f->start_routine = tl__json_string(tl__json_get(leak, "start_routine"));
    if (read_stack(b->m, tl__json_get(leak, "creation_stack"), f) != 0)
        return -1;
    char *site = site_text(b->m, f);
    if (!site)
        return -1;
    const char *routine = f->start_routine ? f->start_routine : "??";
    char *msg = f->rule == TL_CI_LEAK_UNJOINED
                    ? text_format("%lu finished %s never joined (%s) created at %s", f->count,
                                  plural(f->count, "thread", "threads"), routine, site)
                    : text_format("%lu leaked running %s (%s) created at %s", f->count,
                                  plural(f->count, "thread", "threads"), routine, site);
    free(site);
    return finish(b, f, msg, NULL);
}

static const char *thread_routine(const struct tl__json *thread)
{
    const char *r = tl__json_string(tl__json_get(thread, "start_routine"));
    return r ? r : "main thread";
}

static int add_deadlock(struct builder *b, size_t proc, const struct tl__json *d)
{
    struct tl__ci_finding *f = new_finding(b->m, &b->cap);
    if (!f)
        return -1;
    const char *kind = tl__json_string(tl__json_get(d, "kind"));
    f->rule = rule_by_key(kind, TL_CI_SELF_LOCK, TL_CI_LOCK_CYCLE, TL_CI_DEADLOCK_OTHER);
    f->process = proc;
    const struct tl__json *threads = tl__json_get(d, "threads");
    const struct tl__json *first = tl__json_index(threads, 0);
    f->start_routine = tl__json_string(tl__json_get(first, "start_routine"));
    if (read_stack(b->m, tl__json_get(first, "stack"), f) != 0)
        return -1;
    char *site = site_text(b->m, f);
    char *created = stack_site(b->m, tl__json_get(first, "created_at"), false);
    char *msg = site && created
                    ? text_format("deadlock (%s) of %zu %s: thread (%s) waits at %s; created at %s",
                                  kind ? kind : "?", tl__json_length(threads),
                                  plural(tl__json_length(threads), "thread", "threads"),
                                  thread_routine(first), site, created)
                    : NULL;
    free(site);
    free(created);
    return finish(b, f, msg, NULL);
}

static int add_lock_order(struct builder *b, size_t proc, const struct tl__json *cycle)
{
    struct tl__ci_finding *f = new_finding(b->m, &b->cap);
    if (!f)
        return -1;
    f->rule = TL_CI_LOCK_ORDER;
    f->process = proc;
    const struct tl__json *edge = tl__json_index(tl__json_get(cycle, "edges"), 0);
    const struct tl__json *thread = tl__json_get(edge, "thread");
    f->start_routine = tl__json_string(tl__json_get(thread, "start_routine"));
    if (read_stack(b->m, tl__json_get(edge, "acquired_at"), f) != 0)
        return -1;
    size_t nlocks = tl__json_length(tl__json_get(cycle, "locks"));
    char *site = site_text(b->m, f);
    char *held = stack_site(b->m, tl__json_get(edge, "held_at"), false);
    char *msg = site && held
                    ? text_format("lock-order inversion of %zu locks: thread (%s) took a lock "
                                  "at %s while holding one taken at %s",
                                  nlocks, thread_routine(thread), site, held)
                    : NULL;
    /* The other end of the first edge tells two cycles through one call site apart. */
    char *held_key = stack_site(b->m, tl__json_get(edge, "held_at"), true);
    free(site);
    free(held);
    int rc = finish(b, f, msg, held_key);
    free(held_key);
    return rc;
}

static int add_misuse(struct builder *b, size_t proc, const struct tl__json *u)
{
    struct tl__ci_finding *f = new_finding(b->m, &b->cap);
    if (!f)
        return -1;
    const char *kind = tl__json_string(tl__json_get(u, "kind"));
    f->rule = rule_by_key(kind, TL_CI_UNLOCK_NOT_OWNER, TL_CI_DOUBLE_JOIN, TL_CI_MISUSE_OTHER);
    f->process = proc;
    int64_t count = 1;
    if (tl__json_get_int64(tl__json_get(u, "count"), &count) && count > 0)
        f->count = (unsigned long)count;
    const struct tl__json *thread = tl__json_get(u, "thread");
    f->start_routine = tl__json_string(tl__json_get(thread, "start_routine"));
    if (read_stack(b->m, tl__json_get(u, "stack"), f) != 0)
        return -1;
    char *site = site_text(b->m, f);
    char *msg = site ? text_format("pthread misuse (%s), %lu %s, by thread (%s) at %s",
                                   kind ? kind : "?", f->count, plural(f->count, "time", "times"),
                                   thread_routine(thread), site)
                     : NULL;
    free(site);
    return finish(b, f, msg, kind);
}

/* The process of the model with this pid (the first, when runs merged from several machines share
 * one); SIZE_MAX when none. */
static size_t process_of_pid(const struct tl__ci_model *m, int64_t pid)
{
    for (size_t i = 0; i < m->nprocess; i++)
        if (m->process[i].pid == pid && !m->process[i].undelivered)
            return i;
    return SIZE_MAX;
}

static int add_tsan(struct builder *b, const struct tl__json *t)
{
    struct tl__ci_finding *f = new_finding(b->m, &b->cap);
    if (!f)
        return -1;
    const char *kind = tl__json_string(tl__json_get(t, "kind"));
    f->rule = rule_by_key(kind, TL_CI_TSAN_RACE, TL_CI_TSAN_RACE, TL_CI_TSAN_OTHER);
    f->process = process_of_pid(b->m, tl__json_int(tl__json_get(t, "pid")));
    int64_t count = 1;
    if (tl__json_get_int64(tl__json_get(t, "count"), &count) && count > 0)
        f->count = (unsigned long)count;
    const struct tl__json *stack =
        tl__json_get(tl__json_index(tl__json_get(t, "stacks"), 0), "frames");
    if (read_stack(b->m, stack, f) != 0)
        return -1;
    char *site = site_text(b->m, f);
    char *msg =
        site ? text_format("ThreadSanitizer: %s at %s", kind ? kind : "report", site) : NULL;
    free(site);
    return finish(b, f, msg, kind);
}

static int add_asan(struct builder *b, const struct tl__json *a)
{
    struct tl__ci_finding *f = new_finding(b->m, &b->cap);
    if (!f)
        return -1;
    const char *tool = tl__json_string(tl__json_get(a, "tool"));
    const char *kind = tl__json_string(tl__json_get(a, "kind"));
    bool leak = tool && strcmp(tool, "LeakSanitizer") == 0;
    f->rule = leak ? TL_CI_MEMORY_LEAK : TL_CI_ASAN_ERROR;
    f->process = process_of_pid(b->m, tl__json_int(tl__json_get(a, "pid")));
    const struct tl__json *stack =
        leak ? tl__json_get(tl__json_index(tl__json_get(a, "leaks"), 0), "frames")
             : tl__json_get(tl__json_index(tl__json_get(a, "stacks"), 0), "frames");
    if (read_stack(b->m, stack, f) != 0)
        return -1;
    char *site = site_text(b->m, f);
    char *msg = NULL;
    if (site && leak)
        msg = text_format("LeakSanitizer: %lld bytes leaked in %lld allocations, allocated at %s",
                          (long long)tl__json_int(tl__json_get(a, "leaked_bytes")),
                          (long long)tl__json_int(tl__json_get(a, "leaked_allocations")), site);
    else if (site)
        msg = text_format("AddressSanitizer: %s at %s", kind ? kind : "error", site);
    free(site);
    return finish(b, f, msg, kind);
}

/* "./server --selftest": argv joined, each argument with a space or nothing in it quoted, cut
 * at MAX_NAME_BYTES; the executable, then "pid N", when argv is empty. */
static char *command_line(const struct tl__json *report, long pid)
{
    const struct tl__json *argv = tl__json_get(report, "argv");
    size_t len;
    char *s;
    FILE *out = open_memstream(&s, &len);
    if (!out)
        return NULL;
    for (size_t i = 0; i < tl__json_length(argv); i++) {
        const char *arg = tl__json_string(tl__json_index(argv, i));
        if (!arg)
            continue;
        bool quote = !arg[0] || strpbrk(arg, " \t'\"");
        fprintf(out, "%s%s%s%s", i ? " " : "", quote ? "'" : "", arg, quote ? "'" : "");
    }
    const char *exe = tl__json_string(tl__json_get(report, "exe"));
    if (ftell(out) == 0 && exe)
        fputs(exe, out);
    if (ftell(out) == 0)
        fprintf(out, "pid %ld", pid);
    if (fclose(out) != 0)
        return NULL;
    if (len > MAX_NAME_BYTES) {
        size_t cut = MAX_NAME_BYTES;
        while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
            cut--; /* not inside a UTF-8 sequence */
        strcpy(s + cut, "...");
    }
    return s;
}

/* Same-named test cases would be folded into one by most readers: the second gets " [2]". From
 * the last one back, so that the names compared are still the command lines. */
static int make_names_unique(struct tl__ci_model *m)
{
    for (size_t i = m->nprocess; i-- > 1;) {
        unsigned seen = 1;
        for (size_t j = 0; j < i; j++)
            seen += strcmp(m->process[j].name, m->process[i].name) == 0;
        if (seen == 1)
            continue;
        char *named = text_format("%s [%u]", m->process[i].name, seen);
        if (!named)
            return -1;
        free(m->process[i].name);
        m->process[i].name = named;
    }
    return 0;
}

static int add_processes(struct tl__ci_model *m, const struct tl__merge_result *res)
{
    const struct tl__json *procs = tl__json_get(m->root, "processes");
    const struct tl__json *undelivered = tl__json_get(m->root, "undelivered");
    size_t n = tl__json_length(procs), nu = tl__json_length(undelivered);
    m->process = calloc(n + nu + 1, sizeof *m->process);
    if (!m->process)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const struct tl__json *p = tl__json_index(procs, i);
        struct tl__ci_process *cp = &m->process[m->nprocess++];
        cp->pid = (long)tl__json_int(tl__json_get(p, "pid"));
        cp->exe = tl__json_string(tl__json_get(p, "exe"));
        /* The merge lists the readable reports in the JSON's order. */
        if (res && i < res->nprocess && res->process[i].pid == cp->pid) {
            cp->text = res->process[i].text;
            cp->dir = res->process[i].dir;
            cp->label = res->process[i].label;
        }
        char *cmd = command_line(p, cp->pid);
        cp->name = cmd && cp->label ? text_format("%s: %s", cp->label, cmd) : cmd;
        if (cmd && cp->name != cmd)
            free(cmd);
        if (!cp->name)
            return -1;
    }
    for (size_t i = 0; i < nu; i++) {
        const struct tl__json *u = tl__json_index(undelivered, i);
        struct tl__ci_process *cp = &m->process[m->nprocess++];
        cp->pid = (long)tl__json_int(tl__json_get(u, "pid"));
        cp->exe = tl__json_string(tl__json_get(u, "exe"));
        const char *reason = tl__json_string(tl__json_get(u, "reason"));
        cp->undelivered = reason ? reason : "delivered no report";
        if (!(cp->name = text_format("%s", cp->exe ? cp->exe : "?")))
            return -1;
    }
    return make_names_unique(m);
}

static int add_array(struct builder *b, size_t proc, const struct tl__json *report, const char *key,
                     int (*add)(struct builder *, size_t, const struct tl__json *))
{
    const struct tl__json *items = tl__json_get(report, key);
    for (size_t i = 0; i < tl__json_length(items); i++)
        if (add(b, proc, tl__json_index(items, i)) != 0)
            return -1;
    return 0;
}

static int add_findings(struct builder *b)
{
    const struct tl__json *procs = tl__json_get(b->m->root, "processes");
    for (size_t i = 0; i < tl__json_length(procs); i++) {
        const struct tl__json *p = tl__json_index(procs, i);
        if (add_array(b, i, p, "leaks", add_leak) != 0 ||
            add_array(b, i, p, "deadlocks", add_deadlock) != 0 ||
            add_array(b, i, p, "lock_order", add_lock_order) != 0 ||
            add_array(b, i, p, "misuse", add_misuse) != 0)
            return -1;
    }
    const struct tl__json *tsan = tl__json_get(b->m->root, "tsan_findings");
    for (size_t i = 0; i < tl__json_length(tsan); i++)
        if (add_tsan(b, tl__json_index(tsan, i)) != 0)
            return -1;
    const struct tl__json *asan = tl__json_get(b->m->root, "asan_findings");
    for (size_t i = 0; i < tl__json_length(asan); i++)
        if (add_asan(b, tl__json_index(asan, i)) != 0)
            return -1;
    return 0;
}

int ci_model_build(const char *json, const struct tl__merge_result *res, unsigned fail_on,
                   const char *source_root, struct tl__ci_model *model, char *err, size_t errlen)
{
    memset(model, 0, sizeof *model);
    if (source_root_resolve(source_root, model->source_root, err, errlen) != 0)
        return -1;
    char perr[160];
    model->root = tl__json_parse(json, strlen(json), perr, sizeof perr);
    if (!model->root) {
        snprintf(err, errlen, "the merged report is not valid JSON (%s)", perr);
        return -1;
    }
    struct builder b = {.m = model, .fail_on = fail_on};
    if (add_processes(model, res) != 0 || add_findings(&b) != 0) {
        snprintf(err, errlen, "out of memory");
        ci_model_free(model);
        return -1;
    }
    return 0;
}

void ci_model_free(struct tl__ci_model *model)
{
    for (size_t i = 0; i < model->nfinding; i++) {
        free(model->finding[i].stack);
        free(model->finding[i].message);
    }
    for (size_t i = 0; i < model->nprocess; i++)
        free(model->process[i].name);
    free(model->finding);
    free(model->process);
    tl__json_free(model->root);
    memset(model, 0, sizeof *model);
}
