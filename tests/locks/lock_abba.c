/* Two locks taken in both orders, by two threads one after the other: nothing hangs, but the
 * order is inverted (a potential deadlock). Expected: one lock_order cycle of two edges. */
#include <pthread.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t b = PTHREAD_MUTEX_INITIALIZER;

static void *a_then_b(void *arg)
{
    pthread_mutex_lock(&a); /* LINE_A_HELD */
    pthread_mutex_lock(&b); /* LINE_B_ACQUIRED */
    pthread_mutex_unlock(&b);
    pthread_mutex_unlock(&a);
    return arg;
}

static void *b_then_a(void *arg)
{
    pthread_mutex_lock(&b); /* LINE_B_HELD */
    pthread_mutex_lock(&a); /* LINE_A_ACQUIRED */
    pthread_mutex_unlock(&a);
    pthread_mutex_unlock(&b);
    return arg;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, a_then_b, NULL);
    pthread_join(t, NULL);
    pthread_create(&t, NULL, b_then_a, NULL);
    pthread_join(t, NULL);
    return 0;
}
