/* See pread_exact.h. */
#include "pread_exact.h"

#include <errno.h>
#include <unistd.h>

bool pread_exact(int fd, uint64_t file_size, uint64_t off, void *buf, size_t len)
{
    if (off > file_size || len > file_size - off)
        return false;
    char *p = buf;
    while (len > 0) {
        ssize_t n = pread(fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        off += (uint64_t)n;
        len -= (size_t)n;
    }
    return true;
}
