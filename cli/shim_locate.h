/* Where libthreadleak.so is: $THREADLEAK_SHIM when set, else next to the CLI's own executable,
 * both in the build tree (bin/../lib) and in an installed tree (BINDIR -> LIBDIR). The lock
 * module, libthreadleak-locks.so (`run --locks`), is looked for in the same places: in the
 * directory of $THREADLEAK_SHIM when that is set, else beside the CLI. */
#ifndef THREADLEAK_CLI_SHIM_LOCATE_H
#define THREADLEAK_CLI_SHIM_LOCATE_H

#include <stddef.h>

#define TL_SHIM_NAME       "libthreadleak.so"
#define TL_LOCKS_SHIM_NAME "libthreadleak-locks.so"

/* Writes the absolute path of the shim into out. Returns 0, or -1 after writing a one-line message
 * into err that says where it looked. The path is made absolute (realpath) because LD_PRELOAD is
 * read again by every program the target executes, possibly from another directory. */
int shim_locate(char *out, size_t outlen, char *err, size_t errlen);

/* shim_locate for another library of the shim's directory, such as TL_LOCKS_SHIM_NAME: with
 * $THREADLEAK_SHIM set, name in that file's directory; else the candidates beside the CLI. The
 * message in err names every path tried. */
int shim_locate_named(const char *name, char *out, size_t outlen, char *err, size_t errlen);

/* Candidates beside an executable at exe_path, for tests: fills up to max paths into
 * out[i] (each outlen bytes) and returns how many. */
size_t shim_candidates(const char *exe_path, char (*out)[4096], size_t max);

#endif
