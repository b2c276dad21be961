/* See read_file_at.h. */
#include "read_file_at.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

char *read_file_at(int dirfd, const char *name, size_t max_size, size_t *len_out)
{
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    char *buf = NULL;
    if (fstat(fd, &st) != 0)
        goto fail;
    if ((uint64_t)st.st_size > max_size) {
        errno = EFBIG;
        goto fail;
    }
    size_t cap = (size_t)st.st_size + 1, len = 0;
    buf = malloc(cap);
    if (!buf)
        goto fail;
    /* The size may change while reading; read to end of file but never past the buffer. */
    for (ssize_t n; len + 1 < cap; len += (size_t)n) {
        n = read(fd, buf + len, cap - 1 - len);
        if (n < 0 && errno == EINTR) {
            n = 0;
            continue;
        }
        if (n < 0)
            goto fail;
        if (n == 0)
            break;
    }
    buf[len] = '\0';
    close(fd);
    *len_out = len;
    return buf;
fail : {
    int saved = errno;
    free(buf);
    close(fd);
    errno = saved;
    return NULL;
}
}
