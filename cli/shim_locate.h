/* Where libthreadleak.so is: $THREADLEAK_SHIM when set, else next to the CLI's own executable,
 * both in the build tree (bin/../lib) and in an installed tree (BINDIR -> LIBDIR). */
#ifndef THREADLEAK_CLI_SHIM_LOCATE_H
#define THREADLEAK_CLI_SHIM_LOCATE_H

#include <stddef.h>

#define TL_SHIM_NAME "libthreadleak.so"

/* Writes the absolute path of the shim into out. Returns 0, or -1 after writing a one-line message
 * into err that says where it looked. The path is made absolute (realpath) because LD_PRELOAD is
 * read again by every program the target executes, possibly from another directory. */
int shim_locate(char *out, size_t outlen, char *err, size_t errlen);

/* Candidates beside an executable at exe_path, for tests: fills up to max paths into
 * out[i] (each outlen bytes) and returns how many. */
size_t shim_candidates(const char *exe_path, char (*out)[4096], size_t max);

#endif
