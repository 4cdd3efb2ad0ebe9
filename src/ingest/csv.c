/* CSV helpers: header splitting, delimiter detection, message quoting, code validation. */
#include <emmintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/csv_impl.h"

void regio_csv_free_fields(char **fields, int n) {
  if (!fields) return;
  for (int i = 0; i < n; i++) free(fields[i]);
  free(fields);
}

static int push_field(char ***fields, int *n, int *cap, const char *text, size_t len, int unescape) {
  if (*n == *cap) {
    int bigger = *cap ? *cap * 2 : 16;
    char **grown = realloc(*fields, (size_t)bigger * sizeof *grown);
    if (!grown) return -1;
    *fields = grown;
    *cap = bigger;
  }
  char *copy = malloc(len + 1);
  if (!copy) return -1;
  size_t k = 0;
  for (size_t i = 0; i < len; i++) {
    copy[k++] = text[i];
    if (unescape && text[i] == '"') i++; /* "" -> " */
  }
  copy[k] = '\0';
  (*fields)[(*n)++] = copy;
  return 0;
}

int regio_csv_field_at(const char *text, size_t at, char delimiter) {
  int field = 1, quoted = 0;
  for (size_t i = 0; i < at; i++) {
    if (text[i] == '"')
      quoted ^= 1;
    else if (text[i] == delimiter && !quoted)
      field++;
  }
  return field;
}

int regio_csv_split_record(const char *text, size_t len, char delimiter, char ***fields_out, size_t *consumed,
                           size_t *error_at, const char **what) {
  char **fields = NULL;
  int n = 0, cap = 0;
  size_t i = 0;
  for (;;) {
    size_t start, flen;
    int escaped = 0;
    if (i < len && text[i] == '"') {
      size_t open = i++;
      start = i;
      for (;;) {
        while (i < len && text[i] != '"') i++;
        if (i >= len) {
          regio_csv_free_fields(fields, n);
          *error_at = open;
          *what = "quoted field is never closed";
          return -1;
        }
        if (i + 1 < len && text[i + 1] == '"') {
          escaped = 1;
          i += 2;
          continue;
        }
        break;
      }
      flen = i - start;
      i++; /* closing quote */
      if (i < len && text[i] != delimiter && text[i] != '\n' &&
          !(text[i] == '\r' && i + 1 < len && text[i + 1] == '\n') && !(text[i] == '\r' && i + 1 == len)) {
        regio_csv_free_fields(fields, n);
        *error_at = i;
        *what = "unexpected text after a closing quote";
        return -1;
      }
    } else {
      start = i;
      while (i < len && text[i] != delimiter && text[i] != '\n') {
        if (text[i] == '"') {
          regio_csv_free_fields(fields, n);
          *error_at = i;
          *what = "quote inside an unquoted field (quote the whole field and double inner quotes)";
          return -1;
        }
        i++;
      }
      flen = i - start;
      if ((i == len || text[i] == '\n') && flen > 0 && text[start + flen - 1] == '\r') flen--;
    }
    if (push_field(&fields, &n, &cap, text + start, flen, escaped) != 0) {
      regio_csv_free_fields(fields, n);
      return -2;
    }
    if (i < len && text[i] == delimiter) {
      i++;
      continue;
    }
    if (i < len && text[i] == '\r') i++;
    if (i < len && text[i] == '\n') i++;
    break;
  }
  *fields_out = fields;
  *consumed = i;
  return n;
}

char regio_csv_detect_delimiter(const char *line, size_t len) {
  static const char candidates[] = {',', ';', '\t', '|'};
  size_t counts[4] = {0, 0, 0, 0};
  int quoted = 0;
  for (size_t i = 0; i < len && (quoted || line[i] != '\n'); i++) {
    if (line[i] == '"') quoted = !quoted;
    if (quoted) continue;
    for (int k = 0; k < 4; k++)
      if (line[i] == candidates[k]) counts[k]++;
  }
  int best = -1;
  for (int k = 0; k < 4; k++)
    if (counts[k] > 0 && (best < 0 || counts[k] > counts[best])) best = k;
  return best < 0 ? 0 : candidates[best];
}

void regio_csv_quote_for_message(const char *text, size_t len, char *out, size_t out_size) {
  const size_t max_len = 60;
  if (out_size == 0) return;
  /* room for the longest escape (4) and "..." (3) and the NUL */
  size_t k = 0, i = 0;
  for (; i < len && i < max_len && k + 8 <= out_size; i++) {
    unsigned char c = (unsigned char)text[i];
    if (c < 0x20 || c == 0x7f || c >= 0x80) {
      k += (size_t)snprintf(out + k, out_size - k, "\\x%02X", c);
    } else {
      out[k++] = (char)c;
    }
  }
  if (i < len && k + 4 <= out_size) { /* cut: say so */
    memcpy(out + k, "...", 3);
    k += 3;
  }
  out[k] = '\0';
}

int regio_csv_check_code_bytes(const char *text, size_t len) {
  const unsigned char *s = (const unsigned char *)text;
  for (size_t i = 0; i < len;) {
    unsigned char c = s[i];
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f) return 1;
      i++;
      continue;
    }
    size_t extra;
    unsigned int cp;
    if (c >= 0xC2 && c <= 0xDF) {
      extra = 1;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      extra = 2;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return 2;
    }
    if (i + extra >= len) return 2; /* truncated sequence */
    for (size_t k = 1; k <= extra; k++) {
      if ((s[i + k] & 0xC0) != 0x80) return 2;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if ((extra == 2 && cp < 0x800) || (extra == 3 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
      return 2;
    i += extra + 1;
  }
  return 0;
}

/* Splits a CSV line into at most `max` fields in place (double quotes with "" escapes, spaces
 * around unquoted fields trimmed). Returns the number of fields, or -1 for an unterminated quote. */
int regio_csv_split_fields(char *line, char **fields, int max) {
  int n = 0;
  char *p = line;
  for (;;) {
    while (*p == ' ' || *p == '\t') p++;
    char *start = p, *out = p;
    if (*p == '"') {
      start = out = ++p;
      for (;;) {
        if (!*p) return -1;
        if (*p == '"') {
          if (p[1] == '"') {
            *out++ = '"';
            p += 2;
            continue;
          }
          p++;
          break;
        }
        *out++ = *p++;
      }
      while (*p && *p != ',') p++;
    } else {
      while (*p && *p != ',') p++;
      out = p;
      while (out > start && (out[-1] == ' ' || out[-1] == '\t')) out--;
    }
    int more = *p == ',';
    *out = '\0';
    if (n < max) fields[n] = start;
    n++;
    if (!more) break;
    p++;
  }
  return n;
}

/* Counts the quote characters: 16 bytes at a time in SSE2 (a compare gives -1 per quote, summed
 * in byte counters for at most 255 steps, then added up with a sum of absolute differences), then
 * eight at a time (SWAR: a byte of the XOR is zero where the input byte is a quote). */
size_t regio_csv_count_quotes(const char *p, size_t n) {
  const uint64_t ones = 0x0101010101010101ull, quotes = ones * '"', low7 = ones * 0x7f;
  size_t count = 0, i = 0;
  const __m128i quote = _mm_set1_epi8('"'), none = _mm_setzero_si128();
  while (i + 16 <= n) {
    size_t steps = (n - i) / 16 < 255 ? (n - i) / 16 : 255;
    __m128i bytes = none;
    for (size_t k = 0; k < steps; k++, i += 16)
      bytes = _mm_sub_epi8(bytes, _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + i)), quote));
    count += regio_byte_sum16(bytes);
  }
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, p + i, 8);
    uint64_t x = w ^ quotes;
    /* high bit set in each byte of x that is zero, exactly (no carries between bytes) */
    uint64_t zero = ~(((x & low7) + low7) | x | low7);
    count += (size_t)(((zero >> 7) * ones) >> 56); /* sum of the 0/1 bytes, at most 8 */
  }
  for (; i < n; i++) count += p[i] == '"';
  return count;
}
