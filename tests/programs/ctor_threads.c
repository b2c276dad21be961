/* Linked against libctor_threads_lib.so, whose constructor leaks an `early_bird` thread. */
int ctor_threads_started(void);

int main(void)
{
    return ctor_threads_started() ? 0 : 1;
}
