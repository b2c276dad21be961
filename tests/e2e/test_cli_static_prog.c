/* Linked with -static for the CLI's "statically linked" refusal test. */
int main(void)
{
    return 0;
}
