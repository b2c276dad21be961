/* The "only threadleak's threads are left" check, from /proc and a registry copy. Untracked tasks
 * and sanitizer threads count as the program's: the process is never ended while one runs. */
#include "services_watch.h"

#include "registry.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool services_leader_exited(void)
{
    char buf[256];
    int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    const char *close_paren = strrchr(buf, ')');
    return close_paren && close_paren[1] == ' ' && close_paren[2] == 'Z';
}

/* A live record of tid created by self (threadleak's services thread), or self. */
static bool is_own(const struct tl__thread_info *infos, size_t n, pid_t tid, pid_t self)
{
    if (tid == self)
        return true;
    for (size_t i = 0; i < n; i++) {
        if (infos[i].tid == tid && !(infos[i].flags & TL_F_EXITED))
            return (infos[i].flags & TL_F_TOOL) && infos[i].creator_tid == self;
    }
    return false;
}

bool services_only_own_threads_left(pid_t self)
{
    size_t cap = registry_threads_live() + 16;
    struct tl__thread_info *infos = malloc(cap * sizeof *infos);
    DIR *tasks = infos ? opendir("/proc/self/task") : NULL;
    if (!tasks) {
        free(infos);
        return false;
    }
    size_t n = registry_copy_all(infos, cap);
    if (n > cap)
        n = cap;
    pid_t leader = getpid();
    bool only_own = services_leader_exited();
    for (struct dirent *e; only_own && (e = readdir(tasks));) {
        pid_t tid = (pid_t)atoi(e->d_name);
        if (tid > 0 && tid != leader)
            only_own = is_own(infos, n, tid, self);
    }
    closedir(tasks);
    free(infos);
    return only_own;
}
