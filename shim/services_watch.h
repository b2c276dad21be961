/* Whether only threadleak's own threads are left in the process.
 *
 * When main calls pthread_exit, glibc ends the process with exit(0) as its last thread exits.
 * The services thread and libmicrohttpd's thread are threads too, and would keep such a process
 * alive for ever: the services thread checks, and calls exit(0) itself once nothing but them is
 * left (docs/endpoint.md). */
#ifndef THREADLEAK_SERVICES_WATCH_H
#define THREADLEAK_SERVICES_WATCH_H

#include <stdbool.h>
#include <sys/types.h>

/* The main thread has exited (the process's leader is a zombie). One read of /proc/self/stat. */
bool services_leader_exited(void);

/* The main thread has exited and every remaining task is threadleak's: the services thread (self)
 * or a thread it created (libmicrohttpd's). A sanitizer's threads count as the program's, so that
 * a program under ThreadSanitizer ends (or hangs) exactly as it would without threadleak. Reads
 * /proc/self/task and copies the registry; call it once services_leader_exited() said true. */
bool services_only_own_threads_left(pid_t self);

#endif
