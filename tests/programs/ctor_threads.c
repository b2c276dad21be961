/* Linked against libctor_threads_lib.so, whose constructor leaks an `early_bird` thread. */
int ctor_threads_wait(void);

int main(void)
{
    return ctor_threads_wait() ? 0 : 1;
}
