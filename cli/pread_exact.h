/* Reading a part of a file that must be there in full: ELF parsing never trusts an offset. */
#ifndef THREADLEAK_CLI_PREAD_EXACT_H
#define THREADLEAK_CLI_PREAD_EXACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Reads exactly len bytes at off of fd, a file of file_size bytes; false for anything that
 * reaches past the end, a read error, or a short file. Retries EINTR. */
bool pread_exact(int fd, uint64_t file_size, uint64_t off, void *buf, size_t len);

#endif
