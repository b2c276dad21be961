/* A library that test_symbolize dlopens after the symbolizer has read the process's modules, so
 * that finding it needs a second look at /proc/self/maps. Built with -g: its lines are known. */
enum { probe_first_line = __LINE__ + 1 };
__attribute__((visibility("default"), noinline)) int symbolize_dlopen_probe(int x)
{
    return x * 11 + 2;
}
enum { probe_last_line = __LINE__ - 1 };

__attribute__((visibility("default"))) int symbolize_dlopen_probe_first_line(void)
{
    return probe_first_line;
}

__attribute__((visibility("default"))) int symbolize_dlopen_probe_last_line(void)
{
    return probe_last_line;
}
