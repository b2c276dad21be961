/* A program that leaks a thread and then makes its report undeliverable, for the "fails closed"
 * tests (test_cli_gate.c). Each argument is one step, done in order:
 *
 *   leak        start a thread that never ends and is never joined
 *   setuid      setuid(65534): the report directory (0700, the CLI's user) is out of reach
 *   chroot      chroot into an empty directory: the report directory's path no longer resolves
 *   unwritable  chmod the report directory 0500 (dropping CAP_DAC_OVERRIDE first when root)
 *   closefds    close every descriptor above stderr, the gate's included
 *   kill        SIGKILL itself: no exit report at all
 *   child-kill  run this program again as a child, with "kill", and wait for it
 *   exec:PROG   execute PROG (no arguments) in place of this process
 *   again       execute this program again with the remaining steps (same pid)
 *   child-rest  run this program again as a child with the remaining steps, wait, and exit 0
 *
 * It exits 0 whenever it gets to the end, so that the leak would pass unseen without the gate. */
#include <dirent.h>
#include <errno.h>
#include <linux/capability.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void *forever(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

/* report_dir from THREADLEAK_OPTIONS, where the CLI puts it last and quoted. */
static void report_dir(char *out, size_t len)
{
    const char *opts = getenv("THREADLEAK_OPTIONS");
    const char *key = opts ? strstr(opts, "report_dir=") : NULL;
    if (!key) {
        fprintf(stderr, "gate_prog: no report_dir\n");
        exit(3);
    }
    const char *v = key + strlen("report_dir=");
    char quote = (*v == '\'' || *v == '"') ? *v++ : ':';
    snprintf(out, len, "%.*s", (int)strcspn(v, (char[]){quote, '\0'}), v);
}

static void drop_dac_override(void)
{
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    if (syscall(SYS_capget, &h, d) != 0)
        return;
    unsigned drop = (1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH);
    d[0].effective &= ~drop;
    d[0].permitted &= ~drop;
    syscall(SYS_capset, &h, d);
}

static void step(const char *s, char **rest, char *self)
{
    char dir[4096];
    if (strcmp(s, "leak") == 0) {
        pthread_t t;
        pthread_create(&t, NULL, forever, NULL);
    } else if (strcmp(s, "setuid") == 0) {
        if (setgid(65534) != 0 || setuid(65534) != 0)
            perror("gate_prog: setuid"), exit(3);
    } else if (strcmp(s, "chroot") == 0) {
        char empty[] = "/tmp/tl-gate-chroot.XXXXXX";
        if (!mkdtemp(empty) || chroot(empty) != 0 || chdir("/") != 0)
            perror("gate_prog: chroot"), exit(3);
    } else if (strcmp(s, "unwritable") == 0) {
        report_dir(dir, sizeof dir);
        drop_dac_override();
        if (chmod(dir, 0500) != 0)
            perror("gate_prog: chmod"), exit(3);
    } else if (strcmp(s, "closefds") == 0) {
        for (int fd = 3; fd < 65536; fd++)
            close(fd);
    } else if (strcmp(s, "kill") == 0) {
        raise(SIGKILL);
    } else if (strcmp(s, "child-kill") == 0) {
        pid_t pid = fork();
        if (pid == 0) {
            execl(self, self, "kill", (char *)NULL);
            _exit(127);
        }
        int st;
        waitpid(pid, &st, 0);
    } else if (strncmp(s, "exec:", 5) == 0) {
        execl(s + 5, s + 5, (char *)NULL);
        perror("gate_prog: exec"), exit(3);
    } else if (strcmp(s, "child-rest") == 0) {
        pid_t pid = fork();
        if (pid == 0) {
            rest[-1] = self;
            execv(self, rest - 1);
            _exit(127);
        }
        int st;
        waitpid(pid, &st, 0);
        exit(0);
    } else if (strcmp(s, "again") == 0) {
        rest[-1] = self;
        execv(self, rest - 1);
        perror("gate_prog: again"), exit(3);
    } else {
        fprintf(stderr, "gate_prog: unknown step %s\n", s);
        exit(2);
    }
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        step(argv[i], &argv[i + 1], argv[0]);
    return 0;
}
