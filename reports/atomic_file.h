/* Writing a report file so that readers see either nothing or the whole file.
 *
 * The content goes to a hidden temporary file in the same directory, which is flushed, fsync'd,
 * given mode 0644 and renamed over the final name; the directory is fsync'd afterwards so that
 * the rename survives a crash. Nothing is left behind on failure. Not async-signal-safe (stdio). */
#ifndef THREADLEAK_ATOMIC_FILE_H
#define THREADLEAK_ATOMIC_FILE_H

#include <stddef.h>
#include <stdio.h>

/* Writes the file's content; returns 0 on success, -1 on failure. */
typedef int (*tl__content_writer)(FILE *out, const void *ctx);

/* Creates DIR/NAME atomically with what write_content(out, ctx) produces. When path_out is not
 * NULL the final path is copied there (truncated to path_len). Returns 0, or -1 with errno set
 * (ENAMETOOLONG when DIR/NAME does not fit PATH_MAX, EIO when write_content failed). */
int tl__write_file_atomic(const char *dir, const char *name, tl__content_writer write_content,
                          const void *ctx, char *path_out, size_t path_len);

#endif
