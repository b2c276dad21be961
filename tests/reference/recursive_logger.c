/* recursive_logger: a logger with a recursive mutex that it re-enters while holding its sink's
 * lock.
 *
 * logger_write() takes the logger's recursive lock, then the sink's lock, and appends a line.
 * logger_rotate() does the same to swap files, and while it holds the sink's lock it notes the
 * rotation with logger_note(), which takes the logger's lock again: a re-entry by its owner. By
 * the letter that is "logger lock taken while holding the sink lock", the reverse of the usual
 * order; but a recursive mutex re-entered by its owner cannot wait, so nothing can deadlock.
 *
 * Expected: clean, also with the lock module (a re-entry adds no order edge).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct logger {
    pthread_mutex_t lock; /* recursive */
    pthread_mutex_t sink_lock;
    unsigned lines, rotations, notes;
};

static struct logger logger = {PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP, PTHREAD_MUTEX_INITIALIZER, 0,
                               0, 0};

static void logger_note(struct logger *l)
{
    pthread_mutex_lock(&l->lock); /* re-entered: the caller holds it already */
    l->notes++;
    pthread_mutex_unlock(&l->lock);
}

static void logger_write(struct logger *l)
{
    pthread_mutex_lock(&l->lock);
    pthread_mutex_lock(&l->sink_lock);
    l->lines++;
    pthread_mutex_unlock(&l->sink_lock);
    pthread_mutex_unlock(&l->lock);
}

static void logger_rotate(struct logger *l)
{
    pthread_mutex_lock(&l->lock);
    pthread_mutex_lock(&l->sink_lock);
    l->rotations++;
    logger_note(l); /* the logger's lock again, under the sink's */
    pthread_mutex_unlock(&l->sink_lock);
    pthread_mutex_unlock(&l->lock);
}

static void *request_thread(void *arg)
{
    for (int i = 0; i < 50; i++) {
        logger_write(arg);
        if (i % 10 == 9)
            logger_rotate(arg);
    }
    return NULL;
}

int main(void)
{
    pthread_t a, b;
    if (pthread_create(&a, NULL, request_thread, &logger) != 0 ||
        pthread_create(&b, NULL, request_thread, &logger) != 0) {
        perror("pthread_create");
        return 1;
    }
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("recursive_logger: %u lines, %u rotations, %u notes\n", logger.lines, logger.rotations,
           logger.notes);
    return 0;
}
