/* A C++ function with a mangled name (tlprobe::mangled_probe(int)), seen from C. */
#ifndef THREADLEAK_SYMBOLIZE_CXX_PROBE_H
#define THREADLEAK_SYMBOLIZE_CXX_PROBE_H

#ifdef __cplusplus
extern "C" {
#endif

const void *symbolize_cxx_probe_address(void);
int symbolize_cxx_probe_first_line(void); /* the function's lines, signature to closing brace */
int symbolize_cxx_probe_last_line(void);
int symbolize_cxx_probe_call(int x);

#ifdef __cplusplus
}
#endif

#endif
