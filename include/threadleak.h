/* threadleak's test API: goleak for C tests.
 *
 * Link libthreadleak.so (CMake: threadleak::threadleak, pkg-config: threadleak) and call
 * tl_verify_none() at the end of a test: it fails when the test left a thread behind, and its
 * report names each leaked thread, its start routine, and where it was created. Linking is enough:
 * no LD_PRELOAD and no `threadleak run` needed. Under `threadleak run` the preloaded library and
 * the linked one are the same object, so there is one registry.
 *
 * Every function is thread-safe. None may be called from a signal handler. See docs/test-api.md. */
#ifndef THREADLEAK_H
#define THREADLEAK_H

#include <stddef.h>
#include <stdio.h>

#include "threadleak_version.h" /* THREADLEAK_VERSION_MAJOR/MINOR/PATCH, THREADLEAK_VERSION */

#ifdef __cplusplus
extern "C" {
#endif

#define THREADLEAK_API __attribute__((visibility("default")))

/* Inside the library these enums come from its own options header, with the same values. */
#ifndef THREADLEAK_OPTIONS_H
enum tl_mode {
    TL_MODE_ALL,  /* running threads and finished-but-unjoined threads are leaks (default) */
    TL_MODE_TSAN, /* only finished-but-unjoined threads, as ThreadSanitizer reports them */
};

enum tl_color { TL_COLOR_AUTO, TL_COLOR_ALWAYS, TL_COLOR_NEVER };
#endif

/* linger_ms: 0 in tl_options means this default, the same as THREADLEAK_OPTIONS's linger_ms. An
 * installed header cannot include the library's table of options (detector/options.inc), so the
 * value is repeated here, and tests/unit/test_options fails when the two differ. */
#define TL_LINGER_DEFAULT_MS 500u
/* linger_ms: do not wait at all; a thread still running at the call is a leak. */
#define TL_LINGER_NONE ((unsigned)-1)

/* Threads alive at one moment, to ignore later (goleak's IgnoreCurrent). */
typedef struct tl_snapshot tl_snapshot;

/* The leaks one check found. */
typedef struct tl_report tl_report;

/* Options for a check. Zero-initialised means the defaults, so designated initialisers read well:
 *     tl_options o = {.scope = "my_test", .ignore_top = (const char *const[]){"worker", NULL}};
 * Function-name lists are NULL-terminated. A name matches a function exactly, or by prefix when
 * it ends in '*' ("mylib_*"). C++ names are matched demangled, as the report prints them, with or
 * without the parameter list; GCC clones ("f.constprop.0") match their function's name. */
typedef struct tl_options {
    /* Ignore a thread when this function is on top of its current stack (goleak
     * IgnoreTopFunction): the innermost frame outside the C library and the loader. The stack
     * comes from a live dump, which signals every thread (nanosleep, poll and select then
     * return EINTR in them); without one (stacks=nosignal, thread not running) the start
     * routine stands in for the whole stack. */
    const char *const *ignore_top;
    /* Ignore a thread when this function is anywhere on its current stack (IgnoreAnyFunction). */
    const char *const *ignore_any;
    /* Ignore a thread when this function is anywhere on the stack that created it
     * (IgnoreCreatedBy): the caller of pthread_create, its caller, and so on. */
    const char *const *ignore_created_by;
    /* Ignore every thread alive when this snapshot was taken (IgnoreCurrent). Not owned. */
    const tl_snapshot *ignore_current;
    /* Total time to let running threads finish, in ms: 0 = TL_LINGER_DEFAULT_MS,
     * TL_LINGER_NONE = no wait. The check returns as soon as the last one exits; the whole
     * budget is spent only when a thread really leaked. */
    unsigned linger_ms;
    enum tl_mode mode;
    /* Check only the threads of this scope (tl_scope_begin); NULL = every thread. */
    const char *scope;
    /* Where tl_verify_none writes its report; NULL = stderr. */
    FILE *out;
    /* Colours in tl_verify_none's report; AUTO = when out is a terminal and NO_COLOR is unset. */
    enum tl_color color;
    /* Must be zero: room for new options without changing the layout. */
    void *reserved[4];
} tl_options;

/* tl_report_write formats. */
#define TL_FORMAT_TEXT  1
#define TL_FORMAT_JSON  2
#define TL_FORMAT_COLOR 0x100 /* or'ed with TL_FORMAT_TEXT: ANSI colours */

/* --- checks --- */

/* 0 when no unexpected thread is alive. Otherwise writes the text report to opts->out (stderr
 * when NULL) and returns the number of leaked threads. Never counted: the calling thread, the
 * process's main thread, threadleak's and sanitizers' own threads. opts may be NULL. */
THREADLEAK_API int tl_verify_none(const tl_options *opts);

/* The same check, without writing: the report, or NULL when nothing leaked (or when memory ran
 * out). Free it with tl_report_free. */
THREADLEAK_API tl_report *tl_find(const tl_options *opts);

/* Runs run(ctx), then checks as tl_verify_none does. Returns run's status when nothing leaked;
 * when threads leaked, run's status if it was nonzero, else 1 (goleak's VerifyTestMain). */
THREADLEAK_API int tl_verify_main(int (*run)(void *ctx), void *ctx, const tl_options *opts);

/* --- reports --- */

/* The number of leaked threads in r (of lock findings, for tl_find_lock_findings's); 0 for NULL. */
THREADLEAK_API size_t tl_report_count(const tl_report *r);

/* Writes r as TL_FORMAT_TEXT (optionally | TL_FORMAT_COLOR) or TL_FORMAT_JSON. Returns 0, or -1
 * when the format is unknown or the stream reported an error. */
THREADLEAK_API int tl_report_write(const tl_report *r, FILE *out, int format);

/* r in that format as a malloc'd, NUL-terminated string the caller frees with free(); NULL when
 * memory ran out or the format is unknown. For test frameworks that take a message string. */
THREADLEAK_API char *tl_report_string(const tl_report *r, int format);

THREADLEAK_API void tl_report_free(tl_report *r);

/* --- snapshots --- */

/* The threads alive now (running, or finished and not yet joined), and, under the lock module,
 * how far the lock findings have come (for tl_find_lock_findings). NULL when memory ran out. */
THREADLEAK_API tl_snapshot *tl_snapshot_take(void);

/* The number of threads in s. */
THREADLEAK_API size_t tl_snapshot_count(const tl_snapshot *s);

THREADLEAK_API void tl_snapshot_free(tl_snapshot *s);

/* --- lock findings (libthreadleak-locks.so; docs/locks.md) ---
 *
 * The lock module's findings (lock-order inversions, pthread misuse, deadlocks), the ones its exit
 * report prints, after the same suppressions. They belong to the process, not to a scope: a
 * finding made while tests run at the same time is seen by each of them. */

/* What the lock calls return when lock use is not checked in this process: the lock module is not
 * the loaded library (plain libthreadleak.so, no `threadleak run --locks`), or THREADLEAK_OPTIONS
 * has locks=0. Neither 0 nor a count, so `assert(tl_verify_no_lock_findings(s, NULL) == 0)` fails
 * instead of passing on a check that never looked at a lock. */
#define TL_LOCKS_NOT_CHECKED (-2)

/* 1 when lock use is checked in this process, else 0 (for tests that skip without the module). */
THREADLEAK_API int tl_locks_checked(void);

/* The lock findings recorded after since was taken (NULL: since the process started): deadlocks and
 * lock-order inversions first found later, and misuse that happened later (a misuse group counts
 * only its times since). Returns their number, and when it is not 0 and out is not NULL, sets
 * *out to a report of them (TL_FORMAT_TEXT: the lock report's blocks; TL_FORMAT_JSON: the exit
 * report's layout with empty leaks) to free with tl_report_free; tl_report_count gives the same
 * number. TL_LOCKS_NOT_CHECKED when locks are not checked, -1 when memory ran out; *out is then
 * NULL. An inversion whose cycle was already closed before since is not new. */
THREADLEAK_API int tl_find_lock_findings(const tl_snapshot *since, tl_report **out);

/* 0 when there is no lock finding since since (NULL: since the start). Otherwise writes the
 * findings to out (stderr when NULL) and returns their number; or writes why nothing was checked
 * and returns TL_LOCKS_NOT_CHECKED; -1 when memory ran out. */
THREADLEAK_API int tl_verify_no_lock_findings(const tl_snapshot *since, FILE *out);

/* --- scopes ---
 *
 * A scope names a test's threads: a thread created while its creator is inside scope S belongs to
 * S, and so do the threads it creates, transitively (unless one opens a scope of its own). A
 * thread belongs to exactly one scope: the innermost one open in its creator when it was made.
 * tl_verify_none with .scope = "S" then checks S's threads only, so tests that run at the same
 * time on different threads each see only their own leaks. Scopes are per calling thread. */

/* Opens scope name in the calling thread. Scopes nest up to TL_SCOPE_DEPTH deep; tl_scope_end
 * returns to the enclosing one. Returns 0, or -1 when too deep or name is NULL or empty (the
 * current scope is then unchanged, and the matching tl_scope_end is still expected). */
THREADLEAK_API int tl_scope_begin(const char *name);

/* Closes the calling thread's innermost scope. Without an open scope it does nothing. */
THREADLEAK_API void tl_scope_end(void);

/* The calling thread's current scope, NULL outside any. Lives as long as the process. */
THREADLEAK_API const char *tl_scope_current(void);

#define TL_SCOPE_DEPTH 32

/* --- names carried through an opaque pointer (for the cmocka helpers) --- */

/* A name tagged so that tl_marked_name can recognise it behind a void * it did not make:
 * TL_MARKED_NAME("test_foo") is a string literal. */
#define TL_NAME_MARKER    "\x1ftl-name:"
#define TL_MARKED_NAME(s) (TL_NAME_MARKER s)

/* The name inside p when p points to a TL_MARKED_NAME literal, else NULL. Never reads memory that
 * is not part of a read-only loaded segment, so p may be any pointer or integer. */
THREADLEAK_API const char *tl_marked_name(const void *p);

/* The library's version, "MAJOR.MINOR.PATCH": the THREADLEAK_VERSION it was built with, which
 * differs from the one in these headers when a program runs with another library than the one it
 * was compiled against. A static string; callable at any time, from any thread. */
THREADLEAK_API const char *tl_version(void);

#ifdef __cplusplus
}
#endif

#endif
