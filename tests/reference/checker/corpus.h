/* The reference-corpus checker (docs/reference-corpus.md, "Checks"): shared types.
 *
 * Every verdict is normalised into the same shape before it is compared, whichever tool produced
 * it: a manifest's `leaks`, threadleak's merged JSON, or ThreadSanitizer's reports. Comparisons
 * append a human-readable reason to a `struct outcome`; a program passes a check when no reason
 * was added. */
#ifndef THREADLEAK_CORPUS_H
#define THREADLEAK_CORPUS_H

#include <stdbool.h>
#include <stddef.h>

#define NAME_MAX_LEN 256
#define MAX_GROUPS   64

/* One group of identical leaked threads. */
struct group {
    char start_routine[NAME_MAX_LEN];
    unsigned count;
    bool running;  /* else finished (exited) but never joined */
    bool detached; /* ours only: TSan never reports detached threads */
    bool c11;      /* created with thrd_create */
    bool cancelled;
    bool in_child;                          /* in a process other than the one started */
    char created_by[NAME_MAX_LEN];          /* "main" or the creating thread's start routine */
    char created_by_function[NAME_MAX_LEN]; /* the caller of pthread_create / thrd_create */
    char user_function[NAME_MAX_LEN];       /* manifest only (std::thread): what the thread runs */
    char user_created_by_function[NAME_MAX_LEN]; /* manifest only (std::thread) */
    /* ours only: every function of the creation stack and of the current stack, '\n'-separated,
     * to look for the manifest's user_* functions */
    char creation_functions[2048];
    char current_functions[2048];
};

struct verdict {
    struct group groups[MAX_GROUPS];
    size_t ngroups;
};

/* One ThreadSanitizer thread-leak report. */
struct tsan_leak {
    unsigned count;
    char created_by_function[NAME_MAX_LEN];
    bool by_main; /* "created by main thread" */
};

struct tsan_kind_count {
    char kind[NAME_MAX_LEN];
    unsigned count;
};

/* What TSan said in one run, whichever processes said it. */
struct tsan_verdict {
    struct tsan_leak leaks[MAX_GROUPS];
    size_t nleaks;
    /* every finding as "KIND|COUNT|FUNCTION" (thread leaks: the creator; others: the first frame
     * of the first stack), sorted, '\n'-separated: TSan's findings compared as a whole */
    char signature[8192];
    struct tsan_kind_count kinds[MAX_GROUPS]; /* reports per kind, thread leaks included */
    size_t nkinds;
    char messages[8192]; /* every ==PID== message, '\n'-separated */
    size_t nmessages;
    /* each lock-order-inversion report's acquisition sites ("FILE:LINE", the first frame outside
     * the runtime, base names), sorted, ','-separated; and each lock report of another kind
     * (double lock, bad unlock, destroy of a locked mutex, invalid mutex) as "KIND|FUNCTION" */
    char inversions[MAX_GROUPS][1024];
    size_t ninversions;
    char lock_reports[4096];
};

struct manifest_tsan {
    bool has_exit_code;
    int exit_code;
    bool hangs, crashes;
    struct tsan_leak leaks[MAX_GROUPS];
    size_t nleaks;
    unsigned data_races, lock_order_inversions;
    struct tsan_kind_count other[MAX_GROUPS];
    size_t nother;
    char messages[16][NAME_MAX_LEN];
    size_t nmessages;
};

/* What AddressSanitizer and LeakSanitizer said in one run (or what the manifest says they say). */
struct asan_verdict {
    /* every leak as "direct|BYTES|OBJECTS|FUNCTION" (or "indirect|..."), FUNCTION the first
     * frame that is not an allocator, and every ASan error as "error|KIND"; sorted,
     * '\n'-separated */
    char signature[8192];
    unsigned leak_reports; /* LeakSanitizer reports (one per process that leaked) */
    char messages[8192];   /* every ==PID== message, '\n'-separated (the manifest's: prefixes) */
    size_t nmessages;
};

struct manifest_asan {
    int exit_code;
    struct asan_verdict expected;
};

/* One cycle of the lock-order graph, as the manifest states it or as a report has it. */
struct lock_cycle_view {
    unsigned nlocks;
    char types[NAME_MAX_LEN]; /* the locks' types, sorted, ','-separated ("mutex,rwlock") */
    char edges[2048];         /* "HELD_FILE:LINE>ACQUIRED_FILE:LINE" per edge (base names), sorted,
                                 '\n'-separated */
    char acquired[1024];      /* the acquisitions alone ("FILE:LINE"), sorted, ','-separated: what
                                 TSan's lock-order-inversion report shows of a cycle */
};

/* The lock module's findings (threadleak run --locks), or what a manifest's `locks` block says
 * they are. */
struct lock_verdict {
    char deadlocks[2048]; /* "KIND|THREADS" per deadlock, sorted, '\n'-separated */
    char misuse[4096];    /* "KIND|COUNT|FUNCTION" per misuse item, sorted, '\n'-separated */
    struct lock_cycle_view cycles[MAX_GROUPS];
    size_t ncycles;
};

struct manifest_locks {
    bool present; /* the manifest has a `locks` block; without one, no lock finding is expected */
    int exit_code;
    struct lock_verdict expected;
};

struct manifest {
    char program[NAME_MAX_LEN];
    int exit_code;
    bool deadlocks; /* the program deadlocks for certain: it hangs wherever nothing ends it */
    struct verdict leaks;
    struct manifest_tsan tsan;
    /* per-compiler blocks (`tsan_clang`, `tsan_gcc`) where the two runtimes differ */
    struct manifest_tsan tsan_clang, tsan_gcc;
    bool has_tsan_clang, has_tsan_gcc;
    struct manifest_locks locks;
    struct manifest_asan asan;
    bool differs_from_tsan;
    bool clean;
};

/* Failure reasons of one program in one check. */
struct outcome {
    char reasons[8192];
    bool failed;
};

__attribute__((format(printf, 2, 3))) void fail(struct outcome *o, const char *fmt, ...);

/* ---- manifest.c ---- */

/* Loads DIR/NAME.expect.json. Returns 0, or -1 with a message in err. */
int manifest_load(const char *dir, const char *name, struct manifest *m, char *err, size_t errlen);

/* The manifest's leaks as threadleak's mode=tsan should see them: finished and joinable. */
void manifest_tsan_mode_leaks(const struct manifest *m, struct verdict *out);

/* The manifest's TSan block for a TSan variant ("clang-tsan", "gcc-tsan"): `tsan_clang` or
 * `tsan_gcc` where the manifest has one, else `tsan`. */
const struct manifest_tsan *manifest_tsan_for(const struct manifest *m, const char *variant);

/* TSan gives a verdict on this program: it neither hangs nor crashes, and no process dies. */
bool manifest_tsan_has_verdict(const struct manifest_tsan *t);

/* A lock program (it has a `locks` block) on which no TSan build reports or crashes (nor, as
 * measured, ASan): the coexistence, gate and ASan checks would learn nothing from it that the
 * thread programs do not show already, so they skip it (checks 1, 2 and 7 run it). */
bool manifest_lock_program_quiet_for_tsan(const struct manifest *m);

/* ---- verdicts.c ---- */

/* threadleak's merged JSON (threadleak run --json) into a verdict; leaks of any process but the
 * first (the one started) are marked in_child. Returns 0, or -1 with err set. */
int verdict_from_merged_json(const char *json, struct verdict *out, char *err, size_t errlen);

struct tl__tsan_report_set;
void tsan_verdict_from_set(const struct tl__tsan_report_set *set, struct tsan_verdict *out);

/* The merged JSON's own TSan findings (the gate's tsan_findings and tsan_messages). */
int tsan_verdict_from_merged_json(const char *json, struct tsan_verdict *out, char *err,
                                  size_t errlen);

/* Compares two verdicts as multisets of groups; each difference becomes a reason prefixed with
 * what. Lenient where the manifest says a symboliser cannot do better (std::thread's start routine
 * in libstdc++). expected may be a manifest's; got is a tool's. */
void compare_verdicts(struct outcome *o, const char *what, const struct verdict *expected,
                      const struct verdict *got);

/* TSan's thread leaks against threadleak's verdict (mode=tsan): same number of threads per
 * creating function, same creator (main or not). */
void compare_tsan_with_ours(struct outcome *o, const char *what, const struct tsan_leak *tsan,
                            size_t ntsan, const struct verdict *ours);

/* A TSan run against the manifest's tsan block (not the exit status, which the caller checks). */
void compare_tsan_with_manifest(struct outcome *o, const char *what, const struct tsan_verdict *t,
                                const struct manifest_tsan *m);

unsigned verdict_threads(const struct verdict *v);

/* ---- lock_verdicts.c ---- */

/* The lock findings of every process of threadleak's merged JSON. Returns 0, or -1 with err set. */
int lock_verdict_from_merged_json(const char *json, struct lock_verdict *out, char *err,
                                  size_t errlen);

/* The manifest's `locks` block (may be NULL: no findings) into expected. Returns NULL or what is
 * wrong with it. */
struct tl__json;
const char *lock_verdict_from_manifest(const struct tl__json *block, struct lock_verdict *out);

/* Deadlocks, misuse and lock-order cycles compared as multisets. */
void compare_lock_verdicts(struct outcome *o, const char *what, const struct lock_verdict *expected,
                           const struct lock_verdict *got);

/* TSan's lock-order-inversion reports against our lock-order cycles, each as its sorted
 * acquisition sites: the same number, and the same sites. */
void compare_tsan_inversions(struct outcome *o, const char *what, const struct tsan_verdict *t,
                             const struct lock_verdict *ours);

/* Each TSan report of a lock misuse (an unlock of an unlocked mutex or by a wrong thread, a
 * destroy of a locked mutex, a use of an invalid mutex) must be one of ours: a misuse of the
 * matching kind at the same function. */
void compare_tsan_lock_reports(struct outcome *o, const char *what, const struct tsan_verdict *t,
                               const struct lock_verdict *ours);

/* "FILE:LINE" of a frame, FILE without its directories; false when it has no file or line. */
bool frame_site(const char *file, unsigned line, char *out, size_t len);

/* ---- asan_verdicts.c ---- */

struct tl__asan_report_set;
void asan_verdict_from_set(const struct tl__asan_report_set *set, struct asan_verdict *out);

/* The merged JSON's asan_findings and asan_messages. Returns 0, or -1 with err set. */
int asan_verdict_from_merged_json(const char *json, struct asan_verdict *out, char *err,
                                  size_t errlen);

/* An ASan run against the manifest's asan block: the same leaks and errors, and each manifest
 * message the beginning of some message (none when the manifest lists none). */
void compare_asan_with_manifest(struct outcome *o, const char *what, const struct asan_verdict *a,
                                const struct manifest_asan *m);

/* Sorts the '\n'-separated lines of text in place. */
void sort_lines(char *text);

/* ---- runs.c ---- */

struct checker {
    const char *cli;       /* threadleak */
    const char *manifests; /* tests/reference (sources and manifests) */
    const char *binaries;  /* BUILD/tests/reference (plain/, clang-tsan/, gcc-tsan/) */
    const char *work;      /* a private scratch directory */
    unsigned linger_ms;    /* the same in both tools when they are compared */
    double timeout_s;      /* hard timeout of one run */
    double hang_timeout_s; /* for the manifests that say TSan hangs */
};

/* One run of a program (possibly under the CLI) and what it left. */
struct run_result {
    int status;
    bool timed_out;
    double seconds;
    char *json;               /* --json output, NULL when not written */
    char *out, *err;          /* the run's stdout and stderr */
    struct tsan_verdict tsan; /* what TSan wrote into the log directory (runs without the CLI) */
    bool tsan_logs;           /* at least one log was found */
    struct asan_verdict asan; /* what ASan/LSan wrote into the log directory (run_asan_alone) */
};

/* BINARIES/VARIANT/NAME; false when it is missing. */
bool program_path(const struct checker *c, const char *variant, const char *name, char *out,
                  size_t len);

/* threadleak run --json FILE --keep-reports DIR [extra...] -- BINARIES/VARIANT/NAME, with env. */
int run_under_cli(const struct checker *c, const char *variant, const char *name,
                  const char *const *extra_args, const char *const *env, double timeout_s,
                  struct run_result *r);

/* BINARIES/VARIANT/NAME alone (a TSan build), TSAN_OPTIONS = tsan_options + log_path into a
 * fresh directory, whose logs are parsed into r->tsan. */
int run_tsan_alone(const struct checker *c, const char *variant, const char *name,
                   const char *tsan_options, double timeout_s, struct run_result *r);

/* BINARIES/VARIANT/NAME alone (an ASan build), ASAN_OPTIONS=log_path into a fresh directory,
 * whose logs are parsed into r->asan. */
int run_asan_alone(const struct checker *c, const char *variant, const char *name, double timeout_s,
                   struct run_result *r);

void run_result_free(struct run_result *r);

/* The timeout for a run of VARIANT (NULL: not a TSan build): hang_timeout_s when the manifest
 * says that TSan build hangs (at most 2 s for a program that deadlocks: it does so at once),
 * else timeout_s. */
double timeout_for(const struct checker *c, const struct manifest *m, const char *variant);

/* ---- the checks (check_*.c); each runs one program and adds reasons to o ---- */

/* Checks 1 and 3 return false for a program that deadlocks (it would only hang). */
bool check_manifest(const struct checker *c, const struct manifest *m, struct outcome *o);
void check_tsan_agreement(const struct checker *c, const struct manifest *m,
                          const char *const *variants, struct outcome *o);
bool check_coexistence(const struct checker *c, const struct manifest *m, const char *variant,
                       struct outcome *o);
/* These two return false when the program is not one the check uses. */
bool check_gate(const struct checker *c, const struct manifest *m, const char *const *variants,
                struct outcome *o);
bool check_suppressions(const struct checker *c, const struct manifest *m,
                        const char *const *variants, struct outcome *o);
/* Check 6: the ASan builds (variants ending in -asan), alone and under threadleak run. Returns
 * false for a program that deadlocks. */
bool check_asan(const struct checker *c, const struct manifest *m, const char *variant,
                struct outcome *o);
/* Check 7: the plain build under `threadleak run --locks`: the lock findings and the exit status
 * of the manifest's `locks` block (none, without one). */
void check_locks(const struct checker *c, const struct manifest *m, struct outcome *o);

#endif
