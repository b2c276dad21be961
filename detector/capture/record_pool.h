/* Storage for thread records: mmap-backed chunks that are never unmapped, so a reader may always
 * dereference a record pointer, and a lock-free free list. Async-signal-safe and malloc-free. */
#ifndef THREADLEAK_RECORD_POOL_H
#define THREADLEAK_RECORD_POOL_H

#include "thread_record.h"

#include <stddef.h>

struct tl__thread_record *record_pool_get(void);
void record_pool_put(struct tl__thread_record *r);

/* Walks every slot ever handed out; visit returns false to stop. Slots may be free or in use. */
void record_pool_for_each(bool (*visit)(struct tl__thread_record *r, void *ctx), void *ctx);

/* fork child: forget every record except keep (which may be NULL). */
void record_pool_reset_except(struct tl__thread_record *keep);

#endif
