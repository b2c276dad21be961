/* How `threadleak dump PID` (and `threadleak run --timeout`) ask a process under the shim for a
 * thread dump. Shared by the shim's dump listener and the CLI; constants only.
 *
 *  1. The CLI checks that PID maps libthreadleak.so (/proc/PID/maps) and catches the request
 *     signal (SigCgt in /proc/PID/status): only a process with the listener running does, and
 *     the signal's default action would kill any other.
 *  2. It sends the signal with sigqueue, the value being a request number.
 *  3. The shim's handler only writes that number to a pipe; the listener thread (a tool thread)
 *     takes a profile and writes a debug=2 dump to the process's stderr and, when report_dir is
 *     set, atomically to REPORT_DIR/threadleak.PID.dump.txt, whose first line names the request.
 *  4. The CLI waits for that file to name its request, and prints it.
 *
 * The listener runs when THREADLEAK_DUMP_LISTENER=1 is in the environment (`threadleak run
 * --dump-listener`, and --timeout, set it for every process they start) or when the HTTP endpoint
 * is on. It is opt-in because it is an extra thread in the host. */
#ifndef THREADLEAK_DUMP_PROTOCOL_H
#define THREADLEAK_DUMP_PROTOCOL_H

#define TL_DUMP_SIGNAL_OFFSET   5 /* the request signal is SIGRTMIN + 5 (glibc: 39) */
#define TL_DUMP_LISTENER_ENV    "THREADLEAK_DUMP_LISTENER"
#define TL_DUMP_FILE_FORMAT     "threadleak.%ld.dump.txt" /* in report_dir; %ld is the pid */
#define TL_DUMP_HEADER_FORMAT   "threadleak: thread dump of process %ld (request %ld)"
#define TL_DUMP_FOOTER_FORMAT   "threadleak: end of thread dump of process %ld (request %ld)"
#define TL_ENDPOINT_FILE_FORMAT "threadleak.%ld.http" /* in report_dir: "HOST:PORT\n" */

/* The services thread's name (comm) says whether the request signal still reaches the listener:
 * TL_DUMP_LISTENER_THREAD while our handler is installed, TL_SERVICES_THREAD when it is not (never
 * installed, or the program took the signal for itself later; the thread checks at every wake).
 * The CLI signals only a process with a thread of the first name, so that a program's own handler
 * never runs for a request. */
#define TL_DUMP_LISTENER_THREAD "threadleak"
#define TL_SERVICES_THREAD      "threadleak-http"

#endif
