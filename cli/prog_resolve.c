/* PATH search as execvp does it. The CLI then executes the resolved path, so that what was
 * inspected is what runs. */
#include "prog_resolve.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int copy_path(const char *src, char *out, size_t outlen)
{
    size_t len = strlen(src);
    if (len >= outlen)
        return ENAMETOOLONG;
    memcpy(out, src, len + 1);
    return 0;
}

static bool is_executable_file(const char *path, bool *exists)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return false;
    *exists = true;
    return S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* The search path: $PATH, or the system default that execvp uses when PATH is unset. */
static const char *search_path(char *buf, size_t len)
{
    const char *path = getenv("PATH");
    if (path)
        return path;
    if (confstr(_CS_PATH, buf, len) == 0 || strlen(buf) + 1 >= len)
        return "/bin:/usr/bin";
    return buf;
}

int prog_resolve(const char *name, char *out, size_t outlen)
{
    if (name[0] == '\0')
        return ENOENT;
    if (strchr(name, '/'))
        return copy_path(name, out, outlen);

    char default_path[256];
    const char *dirs = search_path(default_path, sizeof default_path);
    bool found_unusable = false;
    size_t name_len = strlen(name);
    for (const char *p = dirs;; p++) {
        size_t dir_len = strcspn(p, ":");
        const char *dir = dir_len ? p : ".";
        int dlen = dir_len ? (int)dir_len : 1;
        char candidate[4096];
        if ((size_t)dlen + 1 + name_len < sizeof candidate) {
            snprintf(candidate, sizeof candidate, "%.*s/%s", dlen, dir, name);
            bool exists = false;
            if (is_executable_file(candidate, &exists))
                return copy_path(candidate, out, outlen);
            if (exists && !found_unusable && copy_path(candidate, out, outlen) == 0)
                found_unusable = true;
        }
        p += dir_len;
        if (*p == '\0')
            break;
    }
    return found_unusable ? EACCES : ENOENT;
}
