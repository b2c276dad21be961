/* P2-Ir: the instructions /bin/true runs from exec to exit, counted by callgrind: stable where
 * start-up times are not (a shared 2-core machine moves those by tens of percent).
 *
 * usage: startup_ir [PRELOAD]   runs `valgrind --tool=callgrind /bin/true` with LD_PRELOAD=PRELOAD
 *                               (none without an argument), in this process's environment
 * prints: ir=<callgrind's "Collected" count> */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* valgrind's stderr, for its "Collected : N" line. */
static long collected(FILE *log)
{
    char line[512];
    long ir = -1;
    while (fgets(line, sizeof line, log)) {
        const char *at = strstr(line, "Collected : ");
        if (at)
            ir = atol(at + strlen("Collected : "));
    }
    return ir;
}

int main(int argc, char **argv)
{
    FILE *log = tmpfile();
    if (!log)
        return 1;
    pid_t pid = fork();
    if (pid == 0) {
        if (argc > 1)
            setenv("LD_PRELOAD", argv[1], 1); /* valgrind passes it on to /bin/true */
        else
            unsetenv("LD_PRELOAD");
        dup2(fileno(log), STDERR_FILENO);
        execlp("valgrind", "valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
               "/bin/true", (char *)NULL);
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0)
        return 1;
    rewind(log);
    long ir = collected(log);
    if (ir < 0)
        return 1;
    printf("ir=%ld\n", ir);
    return 0;
}
