/* Names of test-API scopes. A thread carries only a small id (thread_record.h); the names live
 * here, interned for the life of the process, so that reports can name the scope of a leak. */
#ifndef THREADLEAK_SCOPES_H
#define THREADLEAK_SCOPES_H

#include <stdint.h>

#define TL_MAX_SCOPES 65535u

/* The id for name, made on first use; 0 when the table is full or name is NULL or empty. */
uint32_t scope_intern(const char *name);

/* The name of id, or NULL for 0 and unknown ids. The string lives as long as the process. */
const char *scope_name(uint32_t id);

/* For the child of fork (an atfork child hook): another thread of the parent may have been
 * naming a scope, holding the lock. The published names stay; a name it had not published yet is
 * simply not there. */
void scopes_fork_child(void);

#endif
