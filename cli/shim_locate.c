/* Locating the shim. TL_BINDIR_TO_LIBDIR comes from CMake: the relative path from the install
 * bindir to the install libdir (for example "../lib" or "../lib/x86_64-linux-gnu"). */
#include "shim_locate.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef TL_BINDIR_TO_LIBDIR
#define TL_BINDIR_TO_LIBDIR "../lib"
#endif

#define BUILD_TREE_LIBDIR                                                                          \
    "../lib" /* CMAKE_RUNTIME/LIBRARY_OUTPUT_DIRECTORY: build/bin, build/lib */

static int make_absolute(const char *path, char *out, size_t outlen)
{
    char resolved[PATH_MAX];
    if (!realpath(path, resolved))
        return -1;
    if (strlen(resolved) >= outlen) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(out, resolved);
    return 0;
}

static int is_regular(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static size_t candidates_named(const char *exe_path, const char *name, char (*out)[4096],
                               size_t max)
{
    const char *slash = strrchr(exe_path, '/');
    int dir_len = slash ? (int)(slash - exe_path) : 1;
    const char *dir = slash ? exe_path : ".";
    /* The installed layout first: in a build tree it does not exist (unless it is "../lib"). */
    const char *relative[] = {TL_BINDIR_TO_LIBDIR, BUILD_TREE_LIBDIR};
    size_t n = 0;
    for (size_t i = 0; i < sizeof relative / sizeof relative[0] && n < max; i++) {
        if (i > 0 && strcmp(relative[i], relative[0]) == 0)
            continue;
        snprintf(out[n++], 4096, "%.*s/%s/%s", dir_len, dir, relative[i], name);
    }
    return n;
}

size_t shim_candidates(const char *exe_path, char (*out)[4096], size_t max)
{
    return candidates_named(exe_path, TL_SHIM_NAME, out, max);
}

static int locate_from_env(const char *env, char *out, size_t outlen, char *err, size_t errlen)
{
    if (!is_regular(env) || make_absolute(env, out, outlen) != 0) {
        snprintf(err, errlen, "THREADLEAK_SHIM=%s: %s", env,
                 errno ? strerror(errno) : "not a regular file");
        return -1;
    }
    return 0;
}

/* name in the directory of $THREADLEAK_SHIM (the file itself need not exist). */
static int locate_beside_env(const char *env, const char *name, char *out, size_t outlen, char *err,
                             size_t errlen)
{
    const char *slash = strrchr(env, '/');
    char path[PATH_MAX];
    int len = slash ? snprintf(path, sizeof path, "%.*s/%s", (int)(slash - env), env, name)
                    : snprintf(path, sizeof path, "%s", name);
    if (len < 0 || (size_t)len >= sizeof path || !is_regular(path) ||
        make_absolute(path, out, outlen) != 0) {
        snprintf(err, errlen, "cannot find %s; looked in %s (beside THREADLEAK_SHIM=%s)", name,
                 path, env);
        return -1;
    }
    return 0;
}

int shim_locate_named(const char *name, char *out, size_t outlen, char *err, size_t errlen)
{
    const char *env = getenv("THREADLEAK_SHIM");
    if (env && *env) {
        errno = 0;
        if (strcmp(name, TL_SHIM_NAME) == 0)
            return locate_from_env(env, out, outlen, err, errlen);
        return locate_beside_env(env, name, out, outlen, err, errlen);
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        snprintf(err, errlen, "cannot find %s: /proc/self/exe: %s (set THREADLEAK_SHIM)", name,
                 strerror(errno));
        return -1;
    }
    exe[n] = '\0';
    char candidates[2][4096];
    size_t count = candidates_named(exe, name, candidates, 2);
    for (size_t i = 0; i < count; i++) {
        if (is_regular(candidates[i]) && make_absolute(candidates[i], out, outlen) == 0)
            return 0;
    }
    snprintf(err, errlen, "cannot find %s; looked in %s%s%s (set THREADLEAK_SHIM to %s)", name,
             candidates[0], count > 1 ? " and " : "", count > 1 ? candidates[1] : "",
             strcmp(name, TL_SHIM_NAME) == 0 ? "its path" : "the " TL_SHIM_NAME " beside it");
    return -1;
}

int shim_locate(char *out, size_t outlen, char *err, size_t errlen)
{
    return shim_locate_named(TL_SHIM_NAME, out, outlen, err, errlen);
}
