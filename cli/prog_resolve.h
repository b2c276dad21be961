/* Finding the program to run the way execvp does, so that `threadleak run -- ls` checks and runs
 * the same file that `ls` would. */
#ifndef THREADLEAK_CLI_PROG_RESOLVE_H
#define THREADLEAK_CLI_PROG_RESOLVE_H

#include <stddef.h>

/* A name with a '/' is taken as it is. Otherwise each PATH entry is tried in order (an empty one
 * means the current directory; an unset PATH means confstr(_CS_PATH)), and the first regular
 * executable file wins. Returns 0 with the path in out; ENOENT when nothing was found; EACCES when
 * only files that cannot be executed were found (the first one's path is then in out);
 * ENAMETOOLONG when a path does not fit out. */
int prog_resolve(const char *name, char *out, size_t outlen);

#endif
