/* The gate channel (common/gate_protocol.h): the CLI's side. Every process that loads the shim
 * says "start" before main and "done" once its report is in place, so that `threadleak run`
 * fails closed on a process it never heard back from, instead of passing a leak it could not
 * see (issue 16; docs/reliability.md, "Fails closed"). */
#ifndef THREADLEAK_CLI_GATE_CHANNEL_H
#define THREADLEAK_CLI_GATE_CHANNEL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define TL_STATUS_UNDELIVERED 67 /* a process started under the shim and delivered no report */

/* One notice, in the order the CLI received it. */
struct tl__gate_event {
    pid_t pid;
    char kind; /* 's' start, 'd' done, 'l' lost */
    int err;   /* lost: the errno of the failed write */
    char *exe; /* start: /proc/self/exe of the image, NULL otherwise */
};

struct tl__gate_channel {
    bool open;            /* gate_channel_open ran: there is something to free */
    int recv_fd, send_fd; /* the socket pair's ends; -1 when closed */
    int named_fd;         /* bound to the abstract name, SO_PASSCRED; -1 when closed */
    int stop_pipe[2];     /* tells the reader thread to drain and end */
    pthread_t reader;
    bool reading;
    struct tl__gate_event *events;
    size_t count, cap;
    bool overflowed; /* out of memory: the CLI cannot vouch for the run */
};

/* Makes the socket pair, moves the sending end to a high descriptor without close-on-exec, binds
 * the named socket and sets THREADLEAK_GATE in the environment, so that PROG and everything it
 * starts inherit them. Returns 0, or -1 with a message in err. */
int gate_channel_open(struct tl__gate_channel *g, char *err, size_t errlen);

/* After PROG was started: closes the CLI's copy of the sending end and starts reading, in a
 * thread of its own (with every signal blocked), so that the socket's queue never fills however
 * many processes start while the CLI waits. Returns 0 or -1. */
int gate_channel_listen(struct tl__gate_channel *g);

/* After the wait: reads what is left, stops the reader. The events stay for the verdict. */
void gate_channel_stop(struct tl__gate_channel *g);

void gate_channel_free(struct tl__gate_channel *g);

/* Why a process that started delivered no report. */
enum tl__undelivered_why {
    TL_UNDELIVERED_LOST,    /* its exit report could not write the JSON report (err) */
    TL_UNDELIVERED_KILLED,  /* the CLI reaped it: killed by signal (signal) */
    TL_UNDELIVERED_EXITED,  /* the CLI reaped it: it exited (exit_status) without a report */
    TL_UNDELIVERED_RUNNING, /* still running when the CLI stopped waiting */
    TL_UNDELIVERED_UNKNOWN, /* ended, reaped by its own parent: the CLI cannot see how */
};

struct tl__undelivered {
    pid_t pid;
    const char *exe; /* the last image that said "start"; "?" when unknown */
    enum tl__undelivered_why why;
    int err, signal, exit_status;
};

/* How the CLI learnt that a process ended: its wait status when the CLI reaped it. */
typedef bool tl__gate_reaped_fn(pid_t pid, int *wstatus);

/* Every pid whose last notice is "start" or "lost", unless (for "start") dir holds its
 * threadleak.PID.json: a host that closed the gate's descriptor still delivers through the
 * directory. Sorted with target first, then by pid. Sets *out to a malloc'd array (NULL when
 * none), its length in *count, and in *started how many processes said "start". Returns 0, or -1
 * when memory ran out, now or while notices arrived: the CLI then cannot vouch for the run. */
int gate_channel_undelivered(const struct tl__gate_channel *g, const char *dir, pid_t target,
                             tl__gate_reaped_fn *reaped, struct tl__undelivered **out,
                             size_t *count, size_t *started);

/* "could not write its report (Permission denied)", "was killed by signal 9 (SIGKILL)", ... */
void gate_undelivered_reason(const struct tl__undelivered *u, char *out, size_t outlen);

/* The merged JSON's "undelivered" member: an array of {pid, exe, reason, error, signal,
 * exit_status}. malloc'd; NULL when memory ran out. */
char *gate_undelivered_json(const struct tl__undelivered *u, size_t count);

#endif
