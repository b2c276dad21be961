/* A library linked with -s, like Debian's liblzma: no .symtab and no debug info, so a static
 * function in it has no name anywhere. test_symbolize dlopens it. */
__attribute__((noinline)) static void *stripped_worker(void *arg)
{
    return arg;
}

__attribute__((visibility("default"))) void *symbolize_stripped_probe_worker(void)
{
    return (void *)stripped_worker;
}
