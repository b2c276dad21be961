/* Notices to the gate channel. What the host can observe: one inherited descriptor that it did
 * not open (the CLI's, at a high number, see docs/reliability.md), and one fstat and one
 * sendto per notice: two at most per process image. Nothing blocks (MSG_DONTWAIT), nothing
 * raises SIGPIPE (MSG_NOSIGNAL), errno is restored. A notice that cannot be sent is dropped:
 * the CLI then counts the process as undelivered, which fails the run, never passes it. */
#include "gate_notice.h"

#include "gate_protocol.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static int gate_fd = -1;
static unsigned long gate_inode;

/* True while gate_fd is still the CLI's socket: a host may have closed it and reused the
 * number for a file of its own, which must never receive our bytes. */
static int gate_still_ours(void)
{
    struct stat st;
    return gate_fd >= 0 && fstat(gate_fd, &st) == 0 && S_ISSOCK(st.st_mode) &&
           (unsigned long)st.st_ino == gate_inode;
}

static void gate_send(const char *record, int len)
{
    if (len <= 0 || !gate_still_ours())
        return;
    if (len >= TL_GATE_RECORD_MAX)
        len = TL_GATE_RECORD_MAX - 1;
    /* A datagram: the record arrives whole or not at all. */
    (void)send(gate_fd, record, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL);
}

void gate_notice_start(void)
{
    int saved_errno = errno;
    const char *env = getenv(TL_GATE_ENV);
    int fd;
    unsigned long inode;
    if (env && sscanf(env, TL_GATE_ENV_FORMAT, &fd, &inode) == 2 && fd >= 0) {
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
