/* lock_abba.c with C11 mtx_t: glibc's mtx_lock reaches its mutex code without the PLT, so only
 * wrappers of the C11 names see it. Expected: one lock_order cycle. */
#include <threads.h>

static mtx_t a, b;

static int a_then_b(void *arg)
{
    mtx_lock(&a); /* C11_A_HELD */
    mtx_lock(&b); /* C11_B_ACQUIRED */
    mtx_unlock(&b);
    mtx_unlock(&a);
    return arg != NULL;
}

static int b_then_a(void *arg)
{
    mtx_lock(&b);
    mtx_lock(&a);
    mtx_unlock(&a);
    mtx_unlock(&b);
    return arg != NULL;
}

int main(void)
{
    mtx_init(&a, mtx_plain);
    mtx_init(&b, mtx_plain);
    thrd_t t;
    thrd_create(&t, a_then_b, NULL);
    thrd_join(t, NULL);
    thrd_create(&t, b_then_a, NULL);
    thrd_join(t, NULL);
    mtx_destroy(&a);
    mtx_destroy(&b);
    return 0;
}
