/* Notices to the gate channel. What the host can observe: one inherited descriptor that it did
 * not open (the CLI's, at a high number, see docs/reliability.md), and one fstat and one
 * sendto per notice: two notices per process image (and a readlink for the start). When the
 * descriptor is gone, each notice takes socket, sendto and close instead. Nothing blocks
 * (MSG_DONTWAIT), nothing raises SIGPIPE (MSG_NOSIGNAL), errno is restored. A notice that cannot be
 * sent is dropped: the CLI then counts the process as undelivered, which fails the run, never
 * passes it. */
#include "gate_notice.h"

#include "gate_protocol.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#define TL__STR_(x) #x
#define TL__STR(x)  TL__STR_(x)

static int gate_fd = -1;
static unsigned long gate_inode;
static char gate_name[TL_GATE_NAME_MAX + 1]; /* "" when absent */

/* True while gate_fd is still the CLI's socket: a host may have closed it and reused the
 * number for a file of its own, which must never receive our bytes. */
static int gate_still_ours(void)
{
    struct stat st;
    return gate_fd >= 0 && fstat(gate_fd, &st) == 0 && S_ISSOCK(st.st_mode) &&
           (unsigned long)st.st_ino == gate_inode;
}

/* The named way in, for a process whose inherited descriptor is gone: a socket of its own for
 * this one notice. It holds the lowest free descriptor for the three system calls. */
static void gate_send_named(const char *record, size_t len)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    size_t name_len = strlen(gate_name);
    if (name_len == 0 || name_len + 1 > sizeof addr.sun_path)
        return;
    memcpy(addr.sun_path + 1, gate_name, name_len); /* sun_path[0] = '\0': abstract */
    long fd = syscall(SYS_socket, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    (void)syscall(SYS_sendto, fd, record, len, MSG_DONTWAIT | MSG_NOSIGNAL,
                  (struct sockaddr *)&addr,
                  (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + name_len));
    (void)syscall(SYS_close, fd);
}

/* Every call that sends, opens or closes is a raw system call: libc's send, sendto and close are
 * cancellation points (a thread exiting with a cancellation pending would be cancelled inside
 * our notice), and ThreadSanitizer's interceptors would record a release on the descriptor. */
static void gate_send(const char *record, int len)
{
    if (len <= 0)
        return;
    if (len >= TL_GATE_RECORD_MAX)
        len = TL_GATE_RECORD_MAX - 1;
    /* A datagram: the record arrives whole or not at all. */
    if (gate_still_ours())
        (void)syscall(SYS_sendto, gate_fd, record, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL, NULL,
                      0);
    else
        gate_send_named(record, (size_t)len);
}

void gate_notice_start(void)
{
    int saved_errno = errno;
    const char *env = getenv(TL_GATE_ENV);
    int fd;
    unsigned long inode;
    if (env &&
        sscanf(env, "%d:%lu:%" TL__STR(TL_GATE_NAME_MAX) "[^:]", &fd, &inode, gate_name) >= 2) {
        gate_fd = fd;
        gate_inode = inode;
        char exe[TL_GATE_RECORD_MAX - 32];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        exe[n > 0 ? n : 0] = '\0';
        char record[TL_GATE_RECORD_MAX];
        gate_send(record,
                  snprintf(record, sizeof record, TL_GATE_START_FORMAT, (long)getpid(), exe));
    }
    errno = saved_errno;
}

void gate_notice_delivered(void)
{
    int saved_errno = errno;
    char record[64];
    gate_send(record, snprintf(record, sizeof record, TL_GATE_DONE_FORMAT, (long)getpid()));
    errno = saved_errno;
}

void gate_notice_lost(int err)
{
    int saved_errno = errno;
    char record[64];
    gate_send(record, snprintf(record, sizeof record, TL_GATE_LOST_FORMAT, (long)getpid(), err));
    errno = saved_errno;
}
