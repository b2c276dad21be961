/* Temp file + fsync + rename. See atomic_file.h. */
#include "atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The rename is only durable once the directory entry is on disk. Failure here does not undo
 * the report, so it is ignored (some file systems refuse fsync on directories). */
static void sync_directory(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* Writes, flushes and syncs the open temporary file, then closes it. Returns 0 or -1 (errno). */
static int fill_and_close(int fd, tl__content_writer write_content, const void *ctx)
{
    /* mkostemp creates 0600; reports are meant to be read by other users' tools (CI, the CLI). */
    if (fchmod(fd, 0644) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    FILE *out = fdopen(fd, "w");
    if (out == NULL) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    int rc = write_content(out, ctx);
    int saved = rc != 0 ? EIO : 0;
    if (fflush(out) != 0 && saved == 0)
        saved = errno;
    if (saved == 0 && fsync(fileno(out)) != 0)
        saved = errno;
    if (fclose(out) != 0 && saved == 0)
        saved = errno;
    errno = saved;
    return saved == 0 ? 0 : -1;
}

int tl__write_file_atomic(const char *dir, const char *name, tl__content_writer write_content,
                          const void *ctx, char *path_out, size_t path_len)
{
    char final_path[PATH_MAX], temp_path[PATH_MAX];
    int n = snprintf(final_path, sizeof final_path, "%s/%s", dir, name);
    int m = snprintf(temp_path, sizeof temp_path, "%s/.%s.XXXXXX", dir, name);
    if (n < 0 || m < 0 || (size_t)n >= sizeof final_path || (size_t)m >= sizeof temp_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    /* O_CLOEXEC: the report may be written inside a host process that forks and execs. */
    int fd = mkostemp(temp_path, O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (fill_and_close(fd, write_content, ctx) != 0 || rename(temp_path, final_path) != 0) {
        int saved = errno;
        unlink(temp_path);
        errno = saved;
        return -1;
    }
    sync_directory(dir);
    if (path_out != NULL && path_len > 0)
        snprintf(path_out, path_len, "%s", final_path);
    return 0;
}
