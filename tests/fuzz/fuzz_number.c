/* libFuzzer harness for the exact decimal parser regio_parse_milli (src/ingest/number.c), checked
 * against an independent reference written here: a number is digits with an optional '.' and
 * digits (at least one digit in all), parsed in 128-bit arithmetic. The parser must accept exactly
 * the in-range numbers with at most 3 nonzero decimal places, with the same value in thousandths,
 * and give the right reason for everything else (a text that is both out of range and too precise
 * may get either reason). Any mismatch aborts.
 *
 * Build (clang from Debian):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude -Isrc \
 *     src/ingest/number.c tests/fuzz/fuzz_number.c -o fuzz_number
 *   mkdir -p corpus && ./fuzz_number -max_len=64 corpus tests/fuzz/corpus_number
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "regio/ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { REF_OK = 0, REF_NOT_A_NUMBER = 1, REF_NEGATIVE = 2, REF_DECIMALS = 3, REF_RANGE = 4 };

/* The grammar only: 1 when text is digits [. digits] with at least one digit. */
static int is_decimal(const char *text, size_t len) {
  size_t i = 0, digits = 0;
  while (i < len && text[i] >= '0' && text[i] <= '9') i++, digits++;
  if (i < len && text[i] == '.') {
    i++;
    while (i < len && text[i] >= '0' && text[i] <= '9') i++, digits++;
  }
  return i == len && digits > 0;
}

/* Reference: sets *too_precise and *out_of_range, and *milli when both are 0. */
static int reference(const char *text, size_t len, int64_t *milli, int *too_precise, int *out_of_range) {
  *too_precise = *out_of_range = 0;
  if (len > 0 && text[0] == '-') return is_decimal(text + 1, len - 1) ? REF_NEGATIVE : REF_NOT_A_NUMBER;
  if (!is_decimal(text, len)) return REF_NOT_A_NUMBER;
  unsigned __int128 whole = 0;
  size_t i = 0;
  for (; i < len && text[i] != '.'; i++) {
    if (whole > ((unsigned __int128)1 << 100))
      *out_of_range = 1; /* far beyond int64: stop growing */
    else
      whole = whole * 10 + (unsigned)(text[i] - '0');
  }
  unsigned frac = 0, places = 0;
  if (i < len) i++; /* the point */
  for (; i < len; i++, places++) {
    if (places < 3)
      frac = frac * 10 + (unsigned)(text[i] - '0');
    else if (text[i] != '0')
      *too_precise = 1;
  }
  for (; places < 3; places++) frac *= 10;
  unsigned __int128 value = whole * 1000 + frac;
  if (value > (unsigned __int128)INT64_MAX) *out_of_range = 1;
  if (*out_of_range || *too_precise) return *out_of_range ? REF_RANGE : REF_DECIMALS;
  *milli = (int64_t)value;
  return REF_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *text = (const char *)data;
  int64_t got = -12345, want = -1;
  int too_precise, out_of_range;
  int why = regio_parse_milli(text, size, &got);
  int ref = reference(text, size, &want, &too_precise, &out_of_range);
  int agree;
  if (ref == REF_OK)
    agree = why == 0 && got == want;
  else if (ref == REF_RANGE || ref == REF_DECIMALS)
    agree = (why == REF_RANGE && out_of_range) || (why == REF_DECIMALS && too_precise);
  else
    agree = why == ref;
  if (!agree) {
    fprintf(stderr, "fuzz_number: \"%.*s\": regio_parse_milli says %d (%lld), the reference %d (%lld)\n", (int)size,
            text, why, (long long)got, ref, (long long)want);
    abort();
  }
  return 0;
}
