/* The dump listener: a signal handler that only writes to a pipe, and a loop in a tool thread that
 * reads the pipe and dumps. After fork the child closes the pipe and puts the old disposition
 * back: its copy of the handler would otherwise feed the parent's pipe, and it has no listener
 * thread (threads do not survive fork). */
#include "dump_listener.h"

#include "atomic_file.h"
#include "dump_protocol.h"
#include "profile_text.h"
#include "shim_state.h"
#include "thread_profile.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int pipe_read = -1;           /* non-blocking: the services thread polls it */
static volatile int pipe_write = -1; /* read by the handler */
static struct sigaction previous;
static bool installed;

bool dump_listener_wanted(bool endpoint_on)
{
    const char *env = getenv(TL_DUMP_LISTENER_ENV);
    return (env && strcmp(env, "1") == 0) || endpoint_on;
}

int dump_listener_signal(void)
{
    return SIGRTMIN + TL_DUMP_SIGNAL_OFFSET;
}

/* Async-signal-safe and allocation-free: one write of four bytes to a non-blocking pipe. A full
 * pipe drops the request; one already queued will produce a dump anyway. */
static void on_dump_request(int signo, siginfo_t *info, void *ucontext)
{
    (void)signo;
    (void)ucontext;
    int saved_errno = errno;
    int32_t request = info && info->si_code == SI_QUEUE ? info->si_value.sival_int : 0;
    int fd = pipe_write;
    if (fd >= 0) {
        ssize_t ignored = write(fd, &request, sizeof request);
        (void)ignored;
    }
    errno = saved_errno;
}

static void close_pipe(void)
{
    int w = pipe_write;
    pipe_write = -1;
    if (w >= 0)
        close(w);
    if (pipe_read >= 0)
        close(pipe_read);
    pipe_read = -1;
}

static void forked_child(void)
{
    if (!installed)
        return;
    sigaction(dump_listener_signal(), &previous, NULL);
    close_pipe();
    installed = false;
}

static void register_atfork(void)
{
    pthread_atfork(NULL, NULL, forked_child);
}

static bool signal_is_free(int signo)
{
    if (sigaction(signo, NULL, &previous) != 0)
        return false;
    if (!(previous.sa_flags & SA_SIGINFO) &&
        (previous.sa_handler == SIG_DFL || previous.sa_handler == SIG_IGN))
        return true;
    if (tl__cfg.verbosity >= 1)
        fprintf(stderr,
                "threadleak: the program handles SIGRTMIN+%d; `threadleak dump` is off for "
                "process %ld\n",
                TL_DUMP_SIGNAL_OFFSET, (long)getpid());
    return false;
}

int dump_listener_install(void)
{
    static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
    int signo = dump_listener_signal();
    int fds[2];
    if (installed || !signal_is_free(signo) || pipe2(fds, O_CLOEXEC) != 0)
        return -1;
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    fcntl(fds[1], F_SETFL, O_NONBLOCK);
    pipe_read = fds[0];
    pipe_write = fds[1];
    struct sigaction act;
    memset(&act, 0, sizeof act);
    act.sa_sigaction = on_dump_request;
    act.sa_flags = SA_SIGINFO | SA_RESTART;
    sigfillset(&act.sa_mask);
    if (sigaction(signo, &act, NULL) != 0) {
        close_pipe();
        return -1;
    }
    installed = true;
    pthread_once(&atfork_once, register_atfork);
    return 0;
}

bool dump_listener_still_installed(void)
{
    if (!installed)
        return false;
    struct sigaction now;
    if (sigaction(dump_listener_signal(), NULL, &now) != 0)
        return true; /* cannot tell: keep serving */
    if ((now.sa_flags & SA_SIGINFO) && now.sa_sigaction == on_dump_request)
        return true;
    close_pipe();
    installed = false;
    return false;
}

void dump_listener_uninstall(void)
{
    forked_child();
}

static int write_all(int fd, const char *text, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, text, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        text += n;
        len -= (size_t)n;
    }
    return 0;
}

/* One request from the pipe: 1, 0 at end of file, -1 when none is waiting. */
static ssize_t recv_request(int32_t *request)
{
    for (;;) {
        ssize_t n = read(pipe_read, request, sizeof *request);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == (ssize_t)sizeof *request)
            return 1;
        return n == 0 ? 0 : -1;
    }
}

struct dump_text {
    const char *text;
    size_t len;
};

static int write_text(FILE *out, const void *ctx)
{
    const struct dump_text *d = ctx;
    return fwrite(d->text, 1, d->len, out) == d->len ? 0 : -1;
}

static void write_header(FILE *out, const struct thread_profile *p, long request)
{
    time_t seconds = (time_t)(p->taken_ns / 1000000000u);
    struct tm tm;
    char when[48] = "";
    if (gmtime_r(&seconds, &tm))
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
    fprintf(out, TL_DUMP_HEADER_FORMAT, (long)p->pid, request);
    fprintf(out, " at %s, %zu threads:\n\n", when, p->count);
}

int dump_listener_dump(long request)
{
    struct thread_profile_options options;
    thread_profile_options_from_config(&tl__cfg, &options);
    struct thread_profile p;
    if (thread_profile_take(&options, &p) != 0)
        return -1;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out) {
        thread_profile_free(&p);
        return -1;
    }
    write_header(out, &p, request);
    profile_write_debug2(out, &p);
    fprintf(out, TL_DUMP_FOOTER_FORMAT, (long)p.pid, request);
    fputc('\n', out);
    thread_profile_free(&p);
    int rc = fclose(out) == 0 ? 0 : -1;
    if (rc == 0) {
        write_all(STDERR_FILENO, text, len);
        if (tl__cfg.report_dir[0]) {
            char name[64];
            snprintf(name, sizeof name, TL_DUMP_FILE_FORMAT, (long)getpid());
            struct dump_text d = {text, len};
            if (tl__write_file_atomic(tl__cfg.report_dir, name, write_text, &d, NULL, 0) != 0)
                fprintf(stderr, "threadleak: cannot write %s/%s: %s\n", tl__cfg.report_dir, name,
                        strerror(errno));
        }
    }
    free(text);
    return rc;
}

int dump_listener_fd(void)
{
    return installed ? pipe_read : -1;
}

bool dump_listener_answer(void)
{
    for (;;) {
        int32_t request;
        ssize_t n = recv_request(&request);
        if (n == 0)
            return false;
        if (n < 0)
            return true; /* nothing more waiting */
        dump_listener_dump(request);
    }
}
