/* Internal: CSV pieces shared by the establishment reader and other table readers. */
#ifndef REGIO_INGEST_CSV_IMPL_H
#define REGIO_INGEST_CSV_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "regio/error.h"

/* Splits one CSV record (RFC 4180 quoting) starting at text into fields, unescaping doubled
 * quotes. Stops after the record's end of line (LF or CRLF) or at end. Returns the number of
 * fields (>= 1) and sets *fields to a malloc'd array of malloc'd NUL-terminated strings and
 * *consumed to the bytes used; returns -1 on malformed quoting (with *error_at set to the offset
 * of the problem and *what to a description), -2 out of memory. */
int regio_csv_split_record(const char *text, size_t len, char delimiter, char ***fields, size_t *consumed,
                           size_t *error_at, const char **what);
void regio_csv_free_fields(char **fields, int n);

/* Splits a line of a small CSV file (a sector map, a category map, an area file) into at most
 * `max` fields in place: double quotes with "" escapes, spaces around unquoted fields trimmed.
 * Returns the number of fields (which may exceed max), or -1 for an unterminated quote. */
int regio_csv_split_fields(char *line, char **fields, int max);

/* The 1-based field of a record in which byte `at` of text lies (delimiters outside quotes before
 * it), for messages about malformed records. */
int regio_csv_field_at(const char *text, size_t at, char delimiter);

/* Detects the delimiter of a header line: the most frequent of , ; TAB | outside quotes (ties in
 * that order); 0 when none occurs. */
char regio_csv_detect_delimiter(const char *line, size_t len);

/* The number of quote characters in p[0, n) (SSE2, 16 bytes at a time). */
size_t regio_csv_count_quotes(const char *p, size_t n);

#ifdef __SSE2__
#include <emmintrin.h>
/* The sum of the 16 bytes of v (the counters of regio_csv_count_quotes and of the reader's lane). */
static inline size_t regio_byte_sum16(__m128i v) {
  const __m128i sums = _mm_sad_epu8(v, _mm_setzero_si128());
  return (size_t)_mm_cvtsi128_si64(sums) + (size_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(sums, sums));
}
#endif

/* Describes text for a message: at most max_len bytes, control and non-ASCII bytes as \xNN, and
 * "..." when cut. Writes a NUL-terminated string of at most out_size bytes. */
void regio_csv_quote_for_message(const char *text, size_t len, char *out, size_t out_size);

/* 0 when text is valid UTF-8 without control bytes (< 0x20, 0x7f), else 1 control byte, 2
 * invalid UTF-8. */
int regio_csv_check_code_bytes(const char *text, size_t len);

/* The same check, with a fast path for printable ASCII (the usual code). */
static inline int regio_csv_check_code(const char *text, size_t len) {
  unsigned bad = 0;
  for (size_t i = 0; i < len; i++) bad |= (unsigned)((unsigned char)text[i] - 0x20u) >= 0x5fu;
  return bad ? regio_csv_check_code_bytes(text, len) : 0;
}

#endif
