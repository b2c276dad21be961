/* Reading a report or a log from the run's report directory. */
#ifndef THREADLEAK_CLI_READ_FILE_AT_H
#define THREADLEAK_CLI_READ_FILE_AT_H

#include <stddef.h>

/* The whole file name, relative to dirfd, NUL-terminated; *len_out gets its length. A process
 * that is still running may be appending: what was there when we looked is read, never more.
 * NULL with errno set, EFBIG when the file is larger than max_size. */
char *read_file_at(int dirfd, const char *name, size_t max_size, size_t *len_out);

#endif
