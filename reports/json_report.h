/* One process's findings as JSON: the machine-readable report (docs/json-schema.md, schema 1).
 * Not async-signal-safe (stdio, and the findings are already symbolised). */
#ifndef THREADLEAK_JSON_REPORT_H
#define THREADLEAK_JSON_REPORT_H

#include "findings.h"

#include <stddef.h>
#include <stdio.h>

/* The version of the report layout, the top-level "schema" field. Bump it only for changes that
 * break readers (a removed or retyped field); new fields keep it. */
#define TL_JSON_SCHEMA_VERSION 1

/* Writes f as one pretty-printed JSON document followed by a newline. Returns 0, or -1 when the
 * stream reported an error. */
int report_write_json(FILE *out, const struct tl__findings *f);

/* report_write_json, plus the exit report's "text_report" member (placed before "summary") when
 * text_report is not NULL: why the text report was not written where it was configured to go. */
int report_write_json_ex(FILE *out, const struct tl__findings *f, const char *text_report);

/* Writes DIR/threadleak.<pid>.json atomically (temp file in DIR, fsync, rename; mode 0644).
 * path_out, when not NULL, receives the final path. Returns 0, or -1 with errno set. */
int report_write_json_file_atomic(const char *dir, const struct tl__findings *f, char *path_out,
                                  size_t path_len);

/* report_write_json_file_atomic, with report_write_json_ex's text_report. */
int report_write_json_file_atomic_ex(const char *dir, const struct tl__findings *f,
                                     const char *text_report, char *path_out, size_t path_len);

#endif
