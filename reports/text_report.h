/* One process's findings as the human report (docs/report-format.md), in the spirit of goleak
 * and ThreadSanitizer: a header line, one block per leak group, and a SUMMARY line. Lines that
 * belong to the process start with "==PID==" so merged reports stay greppable.
 *
 * Names, paths and argv come from the program under test; control bytes in them are printed as
 * \xNN so that a report cannot carry terminal escape sequences. Not async-signal-safe (stdio). */
#ifndef THREADLEAK_TEXT_REPORT_H
#define THREADLEAK_TEXT_REPORT_H

#include "findings.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* At most this many threads are listed by tid and name per group; the rest are counted. */
#define TL_TEXT_MAX_LISTED_THREADS 10

/* Writes the report. color adds ANSI colours (state words, function names, file:line); without
 * it the output holds no escape bytes. Returns 0, or -1 when the stream reported an error. */
int report_write_text(FILE *out, const struct tl__findings *f, bool color);

/* For the lock sections (lock_report_text.c): a stack in the report's frame lines, ` "name"`
 * after a tid (nothing for an empty name), and any text, all escaped as the rest of the report. */
void text_report_stack(FILE *out, bool color, const struct tl__frame *frames, size_t depth);
void text_report_name(FILE *out, const char *name);
void text_report_put(FILE *out, const char *s);

/* Writes DIR/threadleak.<pid>.txt atomically (temp file in DIR, fsync, rename; mode 0644).
 * path_out, when not NULL, receives the final path. Returns 0, or -1 with errno set. */
int report_write_text_file_atomic(const char *dir, const struct tl__findings *f, bool color,
                                  char *path_out, size_t path_len);

#endif
