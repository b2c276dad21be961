/* A tiny HTTP/1.1 client and process helpers for the endpoint's end-to-end tests: one request
 * per connection (Connection: close), bounded waits everywhere, loopback only. */
#ifndef THREADLEAK_TEST_ENDPOINT_HTTP_H
#define THREADLEAK_TEST_ENDPOINT_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define HTTP_TIMEOUT_MS 20000

struct http_reply {
    int status;    /* 0 when the exchange failed */
    char *headers; /* the header block, NUL-terminated */
    char *body;    /* NUL-terminated; may hold NUL bytes (binary) */
    size_t length; /* of body */
};

/* GET path from "HOST:PORT" ("127.0.0.1:1234"). extra is more header lines ("Name: v\r\n") or
 * NULL; method NULL means GET. */
struct http_reply http_request(const char *where, const char *method, const char *path,
                               const char *extra);
struct http_reply http_get(const char *where, const char *path);
void http_reply_free(struct http_reply *r);

/* A connected socket to where, or -1. */
int http_connect(const char *where);

/* The value of header name (case-insensitive) in r, copied into out; false when absent. */
bool http_header(const struct http_reply *r, const char *name, char *out, size_t len);

/* --- the program under test --- */

/* Starts argv with env (NULL-terminated "NAME=VALUE" list added to the environment), stderr into
 * err_path (stdout too). Returns the pid. */
pid_t start_program(char *const argv[], const char *const *env, const char *err_path);

/* Waits up to timeout_ms for path to exist with a complete line; returns its first line
 * (malloc'd, without the newline) or NULL. */
char *wait_for_line_file(const char *path, unsigned timeout_ms);

/* Waits up to timeout_ms for pid to exit; returns its wait status, or -1 (then kills it). */
int wait_exit(pid_t pid, unsigned timeout_ms);

/* Whether pid is alive (not a zombie). */
bool process_alive(pid_t pid);

/* VmRSS of pid in KiB, -1 when unknown. */
long process_rss_kib(pid_t pid);

/* Reads a whole file (NULL when missing); *len gets its size when len is not NULL. */
char *slurp(const char *path, size_t *len);

#endif
