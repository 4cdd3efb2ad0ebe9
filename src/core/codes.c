/* Fixed-width code tables. */
#include <stdlib.h>
#include <string.h>

#include "regio/codes.h"

regio_err_t regio_codes_init(regio_codes_t *codes, size_t count, size_t width, regio_ctx_t *ctx) {
  if (width < 1) width = 1;
  codes->count = count;
  codes->width = width;
  codes->chars = calloc(count ? count : 1, width);
  REGIO_CHECK(ctx, codes->chars, REGIO_ERR_NOMEM, "out of memory for %zu codes", count);
  return REGIO_OK;
}

void regio_codes_free(regio_codes_t *codes) {
  if (!codes) return;
  free(codes->chars);
  codes->chars = NULL;
  codes->count = 0;
}

size_t regio_codes_find(const regio_codes_t *codes, const char *code, size_t len) {
  if (len > codes->width) return (size_t)-1;
  char key[REGIO_CODE_MAX + 1];
  if (codes->width > REGIO_CODE_MAX) return (size_t)-1;
  memset(key, 0, codes->width);
  memcpy(key, code, len);
  size_t lo = 0, hi = codes->count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = memcmp(regio_codes_at(codes, mid), key, codes->width);
    if (c == 0) return mid;
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return (size_t)-1;
}
