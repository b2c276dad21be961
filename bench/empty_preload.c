/* P2's yardstick: a preloaded library that does nothing, built as the shim is (shared, lazy
 * binding). What it costs /bin/true is the floor for any LD_PRELOAD. */
void tl__bench_empty_preload(void);

void tl__bench_empty_preload(void)
{
}
