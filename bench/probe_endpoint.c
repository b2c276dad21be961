/* P6's probe: exits 0 when this process, run under the shim with THREADLEAK_OPTIONS=http=...,
 * holds a listening socket within a second, i.e. the HTTP endpoint exists and started.
 * The program itself opens no socket, so any listener is the shim's. Asks each descriptor with
 * SO_ACCEPTCONN rather than parsing /proc/net/tcp, which is slow on some kernels. */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

static bool is_listening_socket(int fd)
{
    struct stat st;
    int accepting = 0;
    socklen_t len = sizeof accepting;
    return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) &&
           getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) == 0 && accepting;
}

static bool holds_listener(void)
{
    struct rlimit files = {1024, 1024};
    getrlimit(RLIMIT_NOFILE, &files);
    for (int fd = 0; fd < (int)files.rlim_cur && fd < 65536; fd++)
        if (is_listening_socket(fd))
            return true;
    return false;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void)
{
    struct timespec pause = {0, 20 * 1000 * 1000};
    for (double deadline = now_seconds() + 1.0; now_seconds() < deadline;) {
        if (holds_listener()) {
            puts("endpoint=listening");
            return 0;
        }
        nanosleep(&pause, NULL);
    }
    puts("endpoint=absent");
    return 1;
}
