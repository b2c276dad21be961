/* P6's probe: exits 0 when this process, run under the shim with THREADLEAK_OPTIONS=http=...,
 * owns a listening TCP socket within a second, i.e. the HTTP endpoint exists and started.
 * The program itself opens no socket, so any listener is the shim's. */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TCP_LISTEN_STATE 0x0A

/* Whether inode is one of this process's socket descriptors. */
static bool owns_socket_inode(unsigned long inode)
{
    DIR *fds = opendir("/proc/self/fd");
    char link_path[300], target[64], wanted[64];
    bool found = false;
    snprintf(wanted, sizeof wanted, "socket:[%lu]", inode);
    for (struct dirent *e; fds && !found && (e = readdir(fds));) {
        snprintf(link_path, sizeof link_path, "/proc/self/fd/%s", e->d_name);
        ssize_t len = readlink(link_path, target, sizeof target - 1);
        if (len > 0) {
            target[len] = '\0';
            found = strcmp(target, wanted) == 0;
        }
    }
    if (fds)
        closedir(fds);
    return found;
}

static bool owns_listener_in(const char *table)
{
    FILE *in = fopen(table, "r");
    char line[512];
    bool found = false;
    while (in && !found && fgets(line, sizeof line, in)) {
        unsigned state;
        unsigned long inode;
        /* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
        if (sscanf(line, " %*s %*s %*s %x %*s %*s %*s %*s %*s %lu", &state, &inode) == 2)
            found = state == TCP_LISTEN_STATE && owns_socket_inode(inode);
    }
    if (in)
        fclose(in);
    return found;
}

int main(void)
{
    struct timespec pause = {0, 20 * 1000 * 1000};
    for (int attempt = 0; attempt < 50; attempt++) {
        if (owns_listener_in("/proc/self/net/tcp") || owns_listener_in("/proc/self/net/tcp6")) {
            puts("endpoint=listening");
            return 0;
        }
        nanosleep(&pause, NULL);
    }
    puts("endpoint=absent");
    return 1;
}
