/* A thread profile as a gzipped profile.proto, the format of Go's /debug/pprof/goroutine, for
 * `go tool pprof`.
 *
 * One sample per distinct (stack, thread name, state), its value the number of threads; sample
 * type [{threads, count}]. Labels: thread_name, state, and stack ("current", or "start routine"
 * for threads whose current stack is unknown and which are shown by their start routine). Every
 * location carries its lines (inlined functions first), functions have names and file names, and
 * string_table[0] is "". No mappings: locations are symbolised already.
 *
 * Not part of the shim: it needs protobuf-c and zlib, so it is built into the HTTP module
 * (libthreadleak_http.so), which only processes with `http=` load. */
#ifndef THREADLEAK_PROFILE_PPROF_H
#define THREADLEAK_PROFILE_PPROF_H

#include "profile_model.h"

#include <stddef.h>

/* Encodes p. On success returns 0 and a malloc'd buffer in *out (*len bytes); -1 when memory ran
 * out or compression failed. */
int profile_pprof_encode(const struct thread_profile *p, unsigned char **out, size_t *len);

/* The same without gzip: the bare protobuf message. */
int profile_pprof_encode_raw(const struct thread_profile *p, unsigned char **out, size_t *len);

/* gzip (RFC 1952) of in[0..len); 0 and a malloc'd *out, or -1. */
int profile_pprof_gzip(const unsigned char *in, size_t len, unsigned char **out, size_t *out_len);

#endif
