/* How every process under `threadleak run` tells the CLI that it exists and whether its report
 * is in place, so that the gate fails closed on a process it never heard back from (issue 16).
 * Shared by the shim (shim/gate_notice.c) and the CLI (cli/gate_channel.c); constants only.
 *
 *  1. Before starting PROG the CLI makes a socketpair(AF_UNIX, SOCK_DGRAM), keeps one end and
 *     moves the other, without close-on-exec, to a high descriptor, so that every process of
 *     the tree inherits it. THREADLEAK_GATE=FD:INODE:NAME in the environment names it; the
 *     inode lets the shim check that FD is still that socket (a host that closed FD and reused
 *     the number gets nothing written into its own file). NAME is a second, named way in: an
 *     abstract AF_UNIX address (no file, so neither chroot nor file permissions stand in its
 *     way) where the CLI also listens, for the processes whose parent closed FD before
 *     executing them (Python's subprocess does by default). The shim then sends each notice
 *     from a socket of its own, closed at once; the CLI accepts a notice there only when the
 *     kernel's SCM_CREDENTIALS say it came from the pid it names.
 *  2. The shim's start-up (constructor, before main, before any setuid, chroot or close of
 *     descriptors) sends "start PID EXE".
 *  3. The exit report sends "done PID" once the report files are in place, or "lost PID ERRNO"
 *     when the JSON report could not be written.
 *
 * Datagrams: each notice is one record, whole or not at all, in the order they were sent,
 * never interleaved with another process's. Sent with MSG_DONTWAIT | MSG_NOSIGNAL: the host
 * never blocks on the gate, and never gets SIGPIPE when the CLI is gone (a daemon that
 * outlived the run). */
#ifndef THREADLEAK_GATE_PROTOCOL_H
#define THREADLEAK_GATE_PROTOCOL_H

#define TL_GATE_ENV          "THREADLEAK_GATE" /* "FD:INODE:NAME" */
#define TL_GATE_ENV_FORMAT   "%d:%lu:%s"
#define TL_GATE_NAME_MAX     64  /* NAME, without the abstract address's leading NUL */
#define TL_GATE_RECORD_MAX   512 /* one datagram; longer exe paths are cut */
#define TL_GATE_START_FORMAT "start %ld %s"
#define TL_GATE_DONE_FORMAT  "done %ld"
#define TL_GATE_LOST_FORMAT  "lost %ld %d" /* pid, errno of the failed write */
#define TL_GATE_FD_FROM_TOP  64 /* the CLI puts the socket this far below RLIMIT_NOFILE */

#endif
