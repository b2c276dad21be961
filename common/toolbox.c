/* See toolbox.h. */
#include "toolbox.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/uio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

bool tl__grow(void **items, size_t count, size_t *capacity, size_t item_size, size_t first_capacity)
{
    if (count < *capacity)
        return true;
    size_t next = *capacity ? *capacity * 2 : first_capacity;
    if (next <= count || next > SIZE_MAX / item_size) {
        errno = ENOMEM;
        return false;
    }
    void *bigger = realloc(*items, next * item_size);
    if (!bigger)
        return false;
    *items = bigger;
    *capacity = next;
    return true;
}

static char *fail_with(char *buf, int fd, int error)
{
    free(buf);
    close(fd);
    errno = error;
    return NULL;
}

bool tl__read_own_memory(uint64_t addr, void *out, size_t len)
{
    struct iovec local = {out, len};
    struct iovec there = {(void *)(uintptr_t)addr, len};
    return process_vm_readv(getpid(), &local, 1, &there, 1, 0) == (ssize_t)len;
}

char *tl__read_file_at(int dirfd, const char *path, size_t max_size, size_t *len_out)
{
    int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    char *buf = NULL;
    size_t len = 0, capacity = 0;
    for (;;) {
        if (len + 1 >= capacity && !tl__grow((void **)&buf, len + 1, &capacity, 1, 4096))
            return fail_with(buf, fd, errno);
        ssize_t n = read(fd, buf + len, capacity - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fail_with(buf, fd, errno);
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > max_size)
            return fail_with(buf, fd, EFBIG);
    }
    buf[len] = '\0';
    close(fd);
    if (len_out)
        *len_out = len;
    return buf;
}

static uint64_t clock_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t tl__monotonic_ns(void)
{
    return clock_ns(CLOCK_MONOTONIC);
}

uint64_t tl__realtime_ns(void)
{
    return clock_ns(CLOCK_REALTIME);
}

double tl__monotonic_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
