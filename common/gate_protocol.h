/* How every process under `threadleak run` tells the CLI that it exists and whether its report
 * is in place, so that the gate fails closed on a process it never heard back from (issue 16).
 * Shared by the shim (shim/gate_notice.c) and the CLI (cli/gate_channel.c); constants only.
 *
 *  1. Before starting PROG the CLI makes a socketpair(AF_UNIX, SOCK_DGRAM), keeps one end and
 *     moves the other, without close-on-exec, to a high descriptor, so that every process of
 *     the tree inherits it. THREADLEAK_GATE=FD:INODE in the environment names it; the inode
 *     lets the shim check that FD is still that socket (a host that closed FD and reused the
 *     number gets nothing written into its own file).
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

#define TL_GATE_ENV          "THREADLEAK_GATE" /* "FD:INODE" */
#define TL_GATE_ENV_FORMAT   "%d:%lu"
#define TL_GATE_RECORD_MAX   512 /* one datagram; longer exe paths are cut */
#define TL_GATE_START_FORMAT "start %ld %s"
#define TL_GATE_DONE_FORMAT  "done %ld"
#define TL_GATE_LOST_FORMAT  "lost %ld %d" /* pid, errno of the failed write */
#define TL_GATE_FD_FROM_TOP  64 /* the CLI puts the socket this far below RLIMIT_NOFILE */

#endif
