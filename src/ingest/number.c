/* Exact decimal parsing into 64-bit fixed point. */
#include <stdint.h>

#include "regio/ingest.h"

int regio_parse_milli(const char *text, size_t len, int64_t *milli) {
  if (len == 0) return 1;
  size_t i = 0;
  if (text[0] == '-') {
    /* a negative number (even "-0": a sign has no place on a count), or not a number at all */
    int64_t magnitude;
    return len > 1 && text[1] != '-' && regio_parse_milli(text + 1, len - 1, &magnitude) != 1 ? 2 : 1;
  }
  uint64_t whole = 0;
  size_t digits = 0;
  int too_large = 0; /* reported only once the whole text is known to be a number */
  for (; i < len && text[i] >= '0' && text[i] <= '9'; i++, digits++) {
    if (whole > (UINT64_MAX - 9) / 10) too_large = 1;
    else whole = whole * 10 + (uint64_t)(text[i] - '0');
  }
  uint64_t frac = 0;
  size_t frac_digits = 0;
  int extra_nonzero = 0;
  if (i < len && text[i] == '.') {
    i++;
    for (; i < len && text[i] >= '0' && text[i] <= '9'; i++, frac_digits++) {
      if (frac_digits < 3)
        frac = frac * 10 + (uint64_t)(text[i] - '0');
      else if (text[i] != '0')
        extra_nonzero = 1;
    }
    if (digits == 0 && frac_digits == 0) return 1;
  } else if (digits == 0) {
    return 1;
  }
  if (i != len) return 1;
  if (too_large) return 4;
  if (extra_nonzero) return 3;
  for (size_t k = frac_digits; k < 3; k++) frac *= 10;
  if (whole > (uint64_t)INT64_MAX / REGIO_MILLI) return 4;
  uint64_t value = whole * REGIO_MILLI + frac;
  if (value > (uint64_t)INT64_MAX) return 4;
  *milli = (int64_t)value;
  return 0;
}
