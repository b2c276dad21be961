/* A frame whose CFA is rbp + 16: built with -O0 and frame pointers (tests/CMakeLists.txt), for
 * test_parked_stack. poll in glibc does not save rbp, so a walk from /proc's sp and pc cannot get
 * past this function and must say so. */
#include <errno.h>
#include <poll.h>
#include <stddef.h>

void parked_with_frame_pointer(int timeout_ms, int *result, int *error);

void parked_with_frame_pointer(int timeout_ms, int *result, int *error)
{
    volatile char pad[64];
    pad[0] = 1;
    *result = poll(NULL, 0, timeout_ms);
    *error = errno + pad[0] - 1;
}
