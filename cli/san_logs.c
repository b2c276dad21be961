/* Listing the sanitizers' log files of a report directory (san_logs.h). */
#include "san_logs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool san_log_pid(const char *name, const char *prefix, pid_t *pid)
{
    size_t plen = strlen(prefix);
    if (strncmp(name, prefix, plen) != 0 || name[plen] != '.')
        return false;
    const char *digits = strrchr(name, '.') + 1;
    if (digits - name < (ptrdiff_t)plen + 1 || !*digits ||
        strspn(digits, "0123456789") != strlen(digits) || strlen(digits) > 9)
        return false;
    *pid = (pid_t)atol(digits);
    return true;
}

static pid_t sort_target; /* qsort has no context argument */

static int by_target_then_pid(const void *a, const void *b)
{
    const struct tl__san_log *x = a, *y = b;
    if ((x->pid == sort_target) != (y->pid == sort_target))
        return x->pid == sort_target ? -1 : 1;
    if (x->pid != y->pid)
        return x->pid < y->pid ? -1 : 1;
    return strcmp(x->name, y->name);
}

struct tl__san_log *san_logs_list(int dirfd, const char *prefix, pid_t target, size_t *count)
{
    *count = 0;
    int fd = dup(dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    struct tl__san_log *logs = NULL;
    size_t n = 0, cap = 0;
    bool ok = true;
    for (struct dirent *e; ok && (e = readdir(d));) {
        pid_t pid;
        if (!san_log_pid(e->d_name, prefix, &pid) || strlen(e->d_name) >= sizeof logs->name)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            struct tl__san_log *grown = realloc(logs, cap * sizeof *grown);
            ok = grown != NULL;
            logs = grown ? grown : logs;
        }
        if (ok) {
            logs[n].pid = pid;
            snprintf(logs[n++].name, sizeof logs->name, "%s", e->d_name);
        }
    }
    closedir(d);
    if (!ok) {
        free(logs);
        errno = ENOMEM;
        return NULL;
    }
    sort_target = target;
    if (n > 1)
        qsort(logs, n, sizeof *logs, by_target_then_pid);
    *count = n;
    return logs ? logs : calloc(1, sizeof *logs);
}

int san_logs_read(const char *dir, const char *prefix, pid_t target, san_log_reader *read,
                  void *ctx, char **warnings)
{
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        return -1;
    size_t count = 0, wlen;
    struct tl__san_log *logs = san_logs_list(dirfd, prefix, target, &count);
    FILE *out = logs ? open_memstream(warnings, &wlen) : NULL;
    int rc = out ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < count; i++)
        rc = read(ctx, dirfd, dir, &logs[i], out);
    if (out && fclose(out) != 0)
        rc = -1;
    int saved = errno;
    free(logs);
    close(dirfd);
    errno = saved;
    return rc;
}

int san_logs_check_dir(const char *dir, const char *prefix, const char *what, char *err,
                       size_t errlen)
{
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        return 0;
    size_t count = 0;
    struct tl__san_log *logs = san_logs_list(dirfd, prefix, 0, &count);
    close(dirfd);
    if (logs && count > 0)
        snprintf(err, errlen,
                 "--keep-reports %s already holds %s logs (%s); use an empty directory", dir, what,
                 logs[0].name);
    free(logs);
    return count > 0 ? -1 : 0;
}
