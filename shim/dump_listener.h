/* On-demand thread dumps, like a JVM's on SIGQUIT: the protocol is in dump_protocol.h.
 *
 * Nothing unsafe runs in the signal handler: it writes the request number to a pipe and returns.
 * The dump itself (a profile, symbolisation, stdio, files) runs in the shim's services thread, a
 * tool thread that exists only when the listener is wanted. The shim never spawns a process. */
#ifndef THREADLEAK_DUMP_LISTENER_H
#define THREADLEAK_DUMP_LISTENER_H

#include <stdbool.h>

/* THREADLEAK_DUMP_LISTENER=1, or the HTTP endpoint is on (endpoint_on). */
bool dump_listener_wanted(bool endpoint_on);

/* The request signal: SIGRTMIN + TL_DUMP_SIGNAL_OFFSET. */
int dump_listener_signal(void);

/* Creates the pipe and installs the handler, unless the program already handles the signal (then
 * the listener stays off and, at verbosity >= 1, says so). Returns 0, or -1. Call once, before
 * the services thread starts. */
int dump_listener_install(void);

/* Puts the signal's previous disposition back and closes the pipe (the services thread could not
 * be started). */
void dump_listener_uninstall(void);

/* Whether the request signal still runs our handler: false once the program installed its own
 * (then the listener lets go of its pipe; the disposition is the program's). One sigaction call. */
bool dump_listener_still_installed(void);

/* The pipe the services thread polls for requests; -1 when the listener is off. */
int dump_listener_fd(void);

/* Reads the requests waiting in the pipe and dumps once for each. False when the pipe is
 * closed. */
bool dump_listener_answer(void);

/* One dump now: the debug=2 text between a header and a footer naming request, to stderr and,
 * with report_dir, to REPORT_DIR/threadleak.PID.dump.txt. Returns 0, or -1 when no profile could
 * be taken. */
int dump_listener_dump(long request);

#endif
