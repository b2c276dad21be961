/* `--source-root DIR` (source_root.h). */
#include "source_root.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int source_root_resolve(const char *root, char out[PATH_MAX], char *err, size_t errlen)
{
    if (!realpath(root ? root : ".", out)) {
        snprintf(err, errlen, "--source-root %s: %s", root ? root : ".", strerror(errno));
        return -1;
    }
    if (strcmp(out, "/") == 0)
        out[0] = '\0'; /* every absolute path is in it */
    return 0;
}

const char *source_root_relative(const char *root, const char *file)
{
    if (file[0] == '/') {
        size_t n = strlen(root);
        if (strncmp(file, root, n) == 0 && file[n] == '/' && file[n + 1])
            return file + n + 1;
        return NULL;
    }
    while (file[0] == '.' && file[1] == '/')
        file += 2;
    if (strncmp(file, "../", 3) == 0 || !file[0])
        return NULL;
    char path[PATH_MAX * 2];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", root, file);
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) ? file : NULL;
}

const char *source_root_display(const char *root, const char *file)
{
    const char *rel = source_root_relative(root, file);
    if (rel)
        return rel;
    const char *slash = strrchr(file, '/');
    return slash ? slash + 1 : file;
}
