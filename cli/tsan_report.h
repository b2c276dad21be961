/* ThreadSanitizer's text output, parsed into findings.
 *
 * The input is whatever a run printed: TSan reports mixed with the program's own output, several
 * reports, several processes (each WARNING line names its pid). Any `WARNING: ThreadSanitizer:
 * <kind> (pid=N)` starts a finding, whatever the kind; its `SUMMARY: ThreadSanitizer: ...` line
 * ends it. In between, indented lines ending in ':' are stack titles and `#N FUNC SRC
 * (MODULE+0xOFF)` lines are frames. Lines that fit neither are skipped, so program output that
 * lands inside a report does no harm. Reports of concurrent processes are told apart only when each
 * report is contiguous (TSan serialises reports within a process, not across processes).
 *
 * Frames are split from the right: an optional `(BuildId: ...)`, then the module group, then the
 * source location as the last space-separated token, and the function as everything before it,
 * so demangled C++ names with spaces survive. A source path that contains a space does not.
 *
 * Not async-signal-safe (malloc); meant for the CLI and tests, not for the shim. */
#ifndef THREADLEAK_TSAN_REPORT_H
#define THREADLEAK_TSAN_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct tl__json_writer;

/* One `#N FUNC FILE:LINE:COL (MODULE+0xOFF)` line. TSan's "<null>" becomes NULL. */
struct tl__tsan_frame {
    unsigned index;         /* the N of #N */
    char *function;         /* demangled, may contain spaces; NULL for <null> */
    char *file;             /* NULL for <null> */
    unsigned line;          /* 0 when not printed */
    unsigned column;        /* 0 when not printed (gcc prints none) */
    char *module;           /* path or name as printed; NULL for <unknown module> or none */
    uint64_t module_offset; /* the 0xOFF after '+' */
};

/* A titled stack, e.g. "Write of size 4 at 0x... by thread T1" or "Thread T1 (tid=7, finished)
 * created by main thread at" (title without the trailing ':'). Stacks printed with no title line,
 * as in signal-handler reports, have the title "". */
struct tl__tsan_stack {
    char *title;
    struct tl__tsan_frame *frames;
    size_t nframes;
};

enum tl__tsan_thread_state {
    TL_TSAN_THREAD_UNKNOWN,
    TL_TSAN_THREAD_FINISHED,
    TL_TSAN_THREAD_RUNNING,
};

struct tl__tsan_finding {
    char *kind;     /* as printed: "data race", "thread leak", "lock-order-inversion (potential
                       deadlock)", "signal-unsafe call inside of a signal", ... */
    long pid;       /* from "(pid=N)"; -1 when the WARNING line had none */
    char *summary;  /* the whole "SUMMARY: ThreadSanitizer: ..." line; NULL if the report was cut */
    unsigned count; /* thread leaks: 1 + N of "And N more similar thread leaks."; otherwise 1 */
    struct tl__tsan_stack *stacks;
    size_t nstacks;
    /* Thread leaks only (from the first "Thread T... created by ... at" stack); unset otherwise. */
    enum tl__tsan_thread_state leak_state;
    char *created_by;       /* "main thread" or "thread T1" */
    char *creator_function; /* the first frame below pthread_create (any frame whose function
                               ends in "pthread_create", e.g. an interceptor or a preloaded
                               shim); NULL when the stack has no such frame */
};

/* A `==PID==...` line outside any report, e.g. "ThreadSanitizer: starting new threads after
 * multi-threaded fork is not supported. Dying ..." or "ERROR: ThreadSanitizer: SEGV on ...". The
 * marker may sit anywhere in the line: two threads crashing at once interleave their output. */
struct tl__tsan_message {
    long pid;
    char *text; /* what follows "==PID==" */
};

struct tl__tsan_report_set {
    struct tl__tsan_finding *findings; /* in the order printed */
    size_t nfindings;
    struct tl__tsan_message *messages;
    size_t nmessages;
    unsigned reported_warnings; /* sum of N over "ThreadSanitizer: reported N warnings" lines */
    unsigned reported_lines;    /* how many such lines (one per process that reported) */
};

/* Parses len bytes of text (it need not be NUL-terminated) into *out, which is overwritten.
 * Returns the number of findings, or -1 when memory ran out (*out is then empty). Either way
 * release *out with tsan_report_set_free. */
int tsan_report_parse(const char *text, size_t len, struct tl__tsan_report_set *out);

/* Parses one `#N FUNC SRC (MODULE+0xOFF)` frame line (leading and trailing blanks allowed) into
 * *f, which is overwritten: 1 when it is a frame, 0 when it is not, -1 when memory ran out. Other
 * sanitizers' reports (asan_report.c) print the same frame after an address. Release *f with
 * tsan_frame_free. */
int tsan_frame_parse(const char *line, size_t len, struct tl__tsan_frame *f);

void tsan_frame_free(struct tl__tsan_frame *f);

/* Frees everything the set owns and leaves it empty. NULL is fine. */
void tsan_report_set_free(struct tl__tsan_report_set *set);

/* ---- The JSON form (tsan_report_json.c) ---- */

/* Writes the findings as one JSON array value (the caller has written the key, if any):
 * [{kind, summary, pid, count, stacks: [{title, frames: [{function, file, line, column, module,
 * offset}]}]}], thread leaks adding thread_state, created_by and created_by_function. Unknown
 * strings and zero line or column numbers are null. Errors latch in the writer. */
void tsan_report_write_findings(struct tl__json_writer *w, const struct tl__tsan_report_set *set);

/* Writes one frame as the JSON frame object of the TSan findings. */
void tsan_report_write_frame(struct tl__json_writer *w, const struct tl__tsan_frame *f);

/* Writes the `==PID==` messages as an array of {pid, text}: TSan's crashes and refusals, which are
 * not findings but must not be lost. */
void tsan_report_write_messages(struct tl__json_writer *w, const struct tl__tsan_report_set *set);

/* Writes {"tsan_findings": [...], "tsan_messages": [{pid, text}], "reported_warnings": N} as one
 * pretty-printed document. Returns 0, or -1 when the stream reported an error. */
int tsan_report_write_json(FILE *out, const struct tl__tsan_report_set *set);

/* "finished", "running" or "unknown". */
const char *tsan_thread_state_name(enum tl__tsan_thread_state state);

#endif
