/* Descriptors an unwinder opens for us, kept out of the host's numbering.
 *
 * libunwind opens a pipe on its first walk, to test whether an address is readable, and keeps it
 * for the life of the process (so does the remote-capable copy that parked stacks use). Made with
 * the lowest free numbers, that took the two descriptors the host's next open() would have
 * returned, at the moment it created its first thread. A pipe2 made while this thread is inside
 * one of our walks or loads (stack_capture_inside) is moved to the top of the descriptor range,
 * where a program's own numbering does not reach; any other pipe2 is the host's and is left as it
 * is. docs/reliability.md, "Descriptors", says what remains visible. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "interceptors.h"
#include "stack_capture.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Room at the top of the usual soft limit: above the gate's fd 960 and below 1024. */
#define PRIVATE_FD_FLOOR 992

/* fd moved to the lowest free number at or above the floor, keeping its flags; fd itself when
 * there is no room (a lower soft limit, or the top already in use). */
static int move_out_of_the_way(int fd)
{
    struct rlimit limit;
    int floor = PRIVATE_FD_FLOOR;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur <= (rlim_t)floor)
        return fd;
    int flags = fcntl(fd, F_GETFD);
    int moved = fcntl(fd, (flags & FD_CLOEXEC) ? F_DUPFD_CLOEXEC : F_DUPFD, floor);
    if (moved < 0)
        return fd;
    close(fd);
    return moved;
}

/* The system call, not dlsym(RTLD_NEXT): pipe2 is async-signal-safe, dlsym is not, and glibc's
 * pipe2 is this very call. */
TL__WRAPPER(int, pipe2, int fds[2], int flags)
{
    int rc = (int)syscall(SYS_pipe2, fds, flags);
    if (rc == 0 && stack_capture_inside()) {
        int saved_errno = errno;
        fds[0] = move_out_of_the_way(fds[0]);
        fds[1] = move_out_of_the_way(fds[1]);
        errno = saved_errno;
    }
    return rc;
}
