/* AddressSanitizer's and LeakSanitizer's text output, parsed into findings.
 *
 * A report starts at `==PID==ERROR: AddressSanitizer: KIND ...` or `==PID==ERROR: LeakSanitizer:
 * detected memory leaks` and ends at its `SUMMARY: AddressSanitizer: ...` (or `LeakSanitizer`)
 * line. In a leak report every `Direct leak of N byte(s) in M object(s) allocated from:` (or
 * `Indirect leak ...`) starts a leak whose frames follow; in an error report, each run of frames
 * is a stack titled by the line before it (`READ of size 4 at 0x... thread T0`, `freed by thread
 * T0 here:`). Frames are `#N 0xADDR in FUNC SRC (MODULE+0xOFF)`, or `#N 0xADDR (MODULE+0xOFF)`
 * without a symbol; after the address they have TSan's layout, and tsan_frame_parse reads them.
 * `==PID==...` lines outside a report are kept as messages (`LeakSanitizer has encountered a fatal
 * error.`, `HINT: ...`), except ASan's closing `ABORTING`. Everything else (program output, the
 * shadow-byte map) is skipped.
 *
 * Not async-signal-safe (malloc); meant for the CLI and tests, not for the shim. */
#ifndef THREADLEAK_ASAN_REPORT_H
#define THREADLEAK_ASAN_REPORT_H

#include "tsan_report.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct tl__json_writer;

/* One `Direct leak of ...` / `Indirect leak of ...` entry of a LeakSanitizer report. */
struct tl__asan_leak {
    bool direct;
    unsigned long bytes, objects;
    struct tl__tsan_frame *frames;
    size_t nframes;
    char *allocated_by_function; /* the first frame that is not an allocation function or a
                                    sanitizer interceptor; NULL when there is none */
};

struct tl__asan_finding {
    char *tool;                  /* "AddressSanitizer" or "LeakSanitizer", from the ERROR line */
    char *kind;                  /* "detected memory leaks", "heap-use-after-free", "SEGV", ... */
    char *description;           /* the ERROR line after "ERROR: " */
    long pid;                    /* from "==PID=="; -1 when the line had none */
    char *summary;               /* the whole SUMMARY line; NULL if the report was cut */
    struct tl__asan_leak *leaks; /* leak reports only */
    size_t nleaks;
    unsigned long leaked_bytes, leaked_allocations; /* summed over leaks */
    struct tl__tsan_stack *stacks;                  /* error reports only */
    size_t nstacks;
};

struct tl__asan_report_set {
    struct tl__asan_finding *findings; /* in the order printed */
    size_t nfindings;
    struct tl__tsan_message *messages; /* `==PID==` lines outside a report */
    size_t nmessages;
};

/* Parses len bytes of text (need not be NUL-terminated) into *out, which is overwritten.
 * Returns the number of findings, or -1 when memory ran out (*out is then empty). Either way
 * release *out with asan_report_set_free. */
int asan_report_parse(const char *text, size_t len, struct tl__asan_report_set *out);

void asan_report_set_free(struct tl__asan_report_set *set);

/* Whether a finding is LeakSanitizer's leak report (else an ASan error). */
bool asan_finding_is_leak_report(const struct tl__asan_finding *f);

/* ---- The JSON form ---- */

/* Writes the findings as one JSON array value: [{tool, kind, description, pid, summary,
 * leaked_bytes, leaked_allocations, leaks: [{type, bytes, objects, allocated_by_function,
 * frames}], stacks: [{title, frames}]}]. Errors latch in the writer. */
void asan_report_write_findings(struct tl__json_writer *w, const struct tl__asan_report_set *set);

/* Writes the messages as an array of {pid, text}. */
void asan_report_write_messages(struct tl__json_writer *w, const struct tl__asan_report_set *set);

#endif
