/* A program that reuses fd 2 for its own data: it leaks a thread, closes fd 2, opens DATA (which
 * gets fd 2, the lowest free descriptor), writes 15 bytes into it and exits 0. Under the shim the
 * data file must keep exactly those 15 bytes: the exit report may not follow fd 2 into it.
 * Usage: fd2_reuse_prog DATA. Exit 3 when DATA did not get fd 2 (the test would prove nothing).
 * fd2_reuse_prog - leaks the thread and leaves fd 2 alone: the control. */
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

static void *park(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    pthread_t t;
    if (pthread_create(&t, NULL, park, NULL) != 0)
        return 4;
    if (strcmp(argv[1], "-") == 0)
        return 0;
    close(STDERR_FILENO);
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    if (fd != STDERR_FILENO)
        return 3;
    if (write(fd, "fifteen bytes!\n", 15) != 15)
        return 5;
    return 0;
}
