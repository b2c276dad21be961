/* `threadleak merge [options] DIR...`: one report over the kept reports of any number of runs. */
#ifndef THREADLEAK_CLI_MERGE_H
#define THREADLEAK_CLI_MERGE_H

/* argv[0] is "merge". Returns the exit status. */
int cli_merge_main(int argc, char **argv);

#endif
