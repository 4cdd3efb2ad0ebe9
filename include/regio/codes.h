/* regio: fixed-width tables of codes (district codes, sector codes).
 *
 * Codes are stored as fixed-width, NUL-padded slots, which is also how they are written to HDF5
 * (fixed-length strings), so a table goes to disk without copying. */
#ifndef REGIO_CODES_H
#define REGIO_CODES_H

#include <stddef.h>
#include <string.h>

#include "regio/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Longest code regio accepts (bytes, after concatenating several district columns). */
#define REGIO_CODE_MAX 64

typedef struct regio_codes {
  size_t count; /* number of codes */
  size_t width; /* bytes per slot: >= the longest code, >= 1 */
  char *chars;  /* count * width bytes, owned; code i at chars + i * width, NUL-padded */
} regio_codes_t;

static inline const char *regio_codes_at(const regio_codes_t *codes, size_t i) {
  return codes->chars + i * codes->width;
}
static inline size_t regio_codes_len(const regio_codes_t *codes, size_t i) {
  const char *s = regio_codes_at(codes, i);
  const char *nul = (const char *)memchr(s, '\0', codes->width);
  return nul ? (size_t)(nul - s) : codes->width;
}

/* Allocates count slots of width bytes, zero-filled. */
regio_err_t regio_codes_init(regio_codes_t *codes, size_t count, size_t width, regio_ctx_t *ctx);
void regio_codes_free(regio_codes_t *codes);

/* Index of code (len bytes) in a sorted table, or (size_t)-1. Order: bytewise, shorter first on a
 * common prefix (the order of memcmp on NUL-padded slots). */
size_t regio_codes_find(const regio_codes_t *codes, const char *code, size_t len);

#ifdef __cplusplus
}
#endif
#endif
