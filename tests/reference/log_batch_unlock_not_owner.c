/* log_batch_unlock_not_owner: a logger whose batch lock is taken by one thread and released by
 * another.
 *
 * The bug: begin_batch() locks the log (so that the lines of a batch stay together) in main, and
 * the flusher thread that writes the batch out "ends" it by unlocking the log. glibc lets the
 * owner of a default mutex be anybody at unlock, so nothing fails; but the lock was released by a
 * thread that did not hold it, and a second batch could interleave with the flush.
 *
 * Expected: clean for the leak check. With the lock module: one unlock_not_owner, in end_batch.
 * TSan: "unlock of an unlocked mutex (or by a wrong thread)".
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct log {
    pthread_mutex_t lock;
    char lines[256];
    size_t used;
};

static struct log app_log = {PTHREAD_MUTEX_INITIALIZER, {0}, 0};

static void begin_batch(struct log *log)
{
    pthread_mutex_lock(&log->lock);
}

static void append_line(struct log *log, const char *line)
{
    size_t len = strlen(line);
    if (log->used + len < sizeof log->lines) {
        memcpy(log->lines + log->used, line, len);
        log->used += len;
    }
}

static void end_batch(struct log *log)
{
    pthread_mutex_unlock(&log->lock); /* called by the flusher, which never locked it */
}

static void *flush_batch(void *arg)
{
    struct log *log = arg;
    fwrite(log->lines, 1, log->used, stdout);
    log->used = 0;
    end_batch(log);
    return NULL;
}

int main(void)
{
    begin_batch(&app_log);
    append_line(&app_log, "log_batch_unlock_not_owner: start\n");
    append_line(&app_log, "log_batch_unlock_not_owner: ready\n");
    pthread_t flusher;
    if (pthread_create(&flusher, NULL, flush_batch, &app_log) != 0) {
        perror("pthread_create");
        return 1;
    }
    pthread_join(flusher, NULL);
    return 0;
}
