/* A deflate encoder for byte planes: runs of a repeated byte become matches at distance 1, every
 * other byte a literal, all in one dynamic-Huffman block (RFC 1951). This is zlib's Z_RLE
 * strategy. On the shuffled chunks regio writes, zlib's Z_RLE gives 8-16% fewer bytes than
 * libdeflate's level 1 (LQ 0.305 against 0.337 of the raw size, employment 0.052 against 0.061);
 * without the search for longer matches it is much faster than both. The output depends on the
 * input alone. The tokens are found 64 bytes at a time: a bit mask of the bytes that repeat the
 * one before, and in it the first three repeats in a row, before which every byte is a literal
 * (on the planes of the kr result: 36.8 million literals, 4.4 million matches and 4.3 million
 * repeats too short for a match; 826 against 422 MB/s for the byte-at-a-time loop, same bytes). */
#include "output/rle_deflate.h"

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

enum { N_LITLEN = 286, N_DIST = 2, N_CLEN = 19, MIN_RUN = 3, MAX_RUN = 258 };

/* the base length and extra bits of length symbols 257..285 */
static const uint16_t len_base[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                      31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t len_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                      2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
/* the order in which the code-length code's lengths are sent */
static const uint8_t clen_order[N_CLEN] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};

/* Code lengths of a Huffman code for freq[0..n) (n <= N_LITLEN), none longer than max_bits; a
 * symbol of frequency 0 gets length 0. At least two frequencies must be nonzero. The tree is
 * built from the leaves sorted by (frequency, symbol) with the two-queue method, ties going to
 * leaves; while it is too deep, the frequencies are halved (keeping them nonzero) and it is built
 * again, which ends with equal frequencies at the latest (a balanced tree). */
static void huffman_lengths(const uint32_t *freq_in, int n, int max_bits, uint8_t *len) {
  uint32_t freq[N_LITLEN];
  memcpy(freq, freq_in, (size_t)n * sizeof *freq);
  for (;;) {
    int sym[N_LITLEN], m = 0;
    for (int s = 0; s < n; s++)
      if (freq[s]) {
        int k = m++; /* insertion sort by (frequency, symbol): symbols come in order */
        while (k > 0 && freq[sym[k - 1]] > freq[s]) {
          sym[k] = sym[k - 1];
          k--;
        }
        sym[k] = s;
      }
    uint64_t weight[2 * N_LITLEN];
    int parent[2 * N_LITLEN], depth[2 * N_LITLEN];
    for (int k = 0; k < m; k++) weight[k] = freq[sym[k]];
    int leaf = 0, inner = m, next = m;
    while (next < 2 * m - 1) {
      int pick[2];
      for (int t = 0; t < 2; t++) {
        if (leaf < m && (inner >= next || weight[leaf] <= weight[inner]))
          pick[t] = leaf++;
        else
          pick[t] = inner++;
      }
      weight[next] = weight[pick[0]] + weight[pick[1]];
      parent[pick[0]] = parent[pick[1]] = next;
      next++;
    }
    int deepest = 0;
    depth[2 * m - 2] = 0;
    for (int k = 2 * m - 3; k >= 0; k--) {
      depth[k] = depth[parent[k]] + 1;
      if (depth[k] > deepest) deepest = depth[k];
    }
    if (deepest <= max_bits) {
      memset(len, 0, (size_t)n);
      for (int k = 0; k < m; k++) len[sym[k]] = (uint8_t)depth[k];
      return;
    }
    for (int s = 0; s < n; s++)
      if (freq[s]) freq[s] = (freq[s] >> 1) | 1;
  }
}

/* Canonical codes (RFC 1951 3.2.2) for len[0..n), bit-reversed for LSB-first output. */
static void huffman_codes(const uint8_t *len, int n, uint16_t *code) {
  uint16_t count[16] = {0}, next[16];
  for (int s = 0; s < n; s++) count[len[s]]++;
  count[0] = 0;
  uint16_t c = 0;
  for (int bits = 1; bits < 16; bits++) {
    c = (uint16_t)((c + count[bits - 1]) << 1);
    next[bits] = c;
  }
  for (int s = 0; s < n; s++) {
    code[s] = 0;
    if (!len[s]) continue;
    uint16_t v = next[len[s]]++, r = 0;
    for (int b = 0; b < len[s]; b++) r = (uint16_t)(r << 1 | ((v >> b) & 1));
    code[s] = r;
  }
}

/* Bits are collected LSB first in a 64-bit accumulator; flush() moves its whole bytes out, eight
 * bytes stored at once where the buffer has room for them. Between flushes at most 63 bits. Once
 * the buffer is full, overflow is set and every later bit is dropped. */
typedef struct bit_writer {
  uint8_t *p, *end;
  uint64_t acc;
  int bits;
  int overflow;
} bit_writer_t;

static inline void put_bits(bit_writer_t *w, uint32_t v, int n) {
  w->acc |= (uint64_t)v << w->bits;
  w->bits += n;
}

static inline void flush(bit_writer_t *w) {
  if (w->end - w->p >= 8) {
    memcpy(w->p, &w->acc, 8); /* the bits above w->bits are zero */
    w->p += w->bits >> 3;
    w->acc >>= w->bits & ~7; /* (bits < 64: a shift by at most 56) */
    w->bits &= 7;
    return;
  }
  for (; w->bits >= 8; w->bits -= 8, w->acc >>= 8) {
    if (w->p == w->end) { /* no room: the block is declined; the bits are dropped */
      w->overflow = 1;
      w->acc = 0, w->bits = 0;
      return;
    }
    *w->p++ = (uint8_t)w->acc;
  }
}

/* put_bits and flush in one: for the header, where speed does not matter */
static void put_flush(bit_writer_t *w, uint32_t v, int n) {
  put_bits(w, v, n);
  flush(w);
}

/* the run of in[i - 1] starting at i (i >= 1), at most MAX_RUN bytes, whose first k bytes are
 * known to repeat it; sixteen bytes a step where SSE2 is there, else eight */
static inline size_t run_at(const uint8_t *in, size_t i, size_t n, size_t k) {
  const uint8_t b = in[i - 1];
  const size_t limit = n - i < MAX_RUN ? n - i : MAX_RUN;
  if (k > limit) k = limit;
#ifdef __SSE2__
  const __m128i pattern16 = _mm_set1_epi8((char)b);
  while (k + 16 <= limit) {
    const unsigned differ = 0xffffu ^ (unsigned)_mm_movemask_epi8(
                                          _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(in + i + k)), pattern16));
    if (differ) return k + (size_t)__builtin_ctz(differ);
    k += 16;
  }
#endif
  const uint64_t pattern = 0x0101010101010101u * b;
  while (k + 8 <= limit) {
    uint64_t v;
    memcpy(&v, in + i + k, 8);
    const uint64_t diff = v ^ pattern;
    if (diff) return k + (size_t)(__builtin_ctzll(diff) >> 3); /* little-endian: the first byte is lowest */
    k += 8;
  }
  while (k < limit && in[i + k] == b) k++;
  return k;
}

/* A bit for each of the 64 bytes at in + i (1 <= i, i + 64 <= n): whether it equals the byte
 * before it. */
static inline uint64_t repeats64(const uint8_t *in, size_t i) {
#ifdef __SSE2__
  uint64_t m = 0;
  for (int k = 0; k < 64; k += 16) {
    const __m128i v = _mm_loadu_si128((const __m128i *)(in + i + k));
    const __m128i u = _mm_loadu_si128((const __m128i *)(in + i + k - 1));
    m |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, u)) << k;
  }
  return m;
#else
  uint64_t m = 0;
  for (int k = 0; k < 64; k++) m |= (uint64_t)(in[i + k] == in[i + k - 1]) << k;
  return m;
#endif
}

/* The repeat mask of the 64 bytes from base, kept while the tokens are found in its first 62:
 * bit j of run3 says that in[base + j], in[base + j + 1] and in[base + j + 2] all repeat the
 * byte before (j < 62, since the shifts bring in zeros; the last two bytes wait for the next
 * window). */
typedef struct window {
  size_t base, end; /* end = base + 62; 0 before the first */
  uint64_t rep, run3;
} window_t;

/* The tokens from i (i + 64 <= n): *lead literals (a byte that repeats the one before it is
 * still a literal when the run is shorter than MIN_RUN), then, when the return is nonzero, a
 * match of that length at i + *lead. */
static inline size_t next_tokens(const uint8_t *in, size_t i, size_t n, window_t *w, int *lead) {
  if (i >= w->end) {
    w->base = i, w->end = i + 62;
    w->rep = repeats64(in, i);
    w->run3 = w->rep & (w->rep >> 1) & (w->rep >> 2);
  }
  const int off = (int)(i - w->base);
  const uint64_t run3 = w->run3 >> off;
  if (!run3) {
    *lead = 62 - off;
    return 0;
  }
  const int j = __builtin_ctzll(run3), at = off + j;
  *lead = j;
  const uint64_t ones = ~(w->rep >> at); /* the run is the trailing zeros of this, if it ends in the window */
  const int t = ones ? __builtin_ctzll(ones) : 64;
  return t < 64 - at ? (size_t)t : run_at(in, i + (size_t)j, n, (size_t)(64 - at));
}

/* The encoder; windowed: find the tokens 64 bytes at a time (else byte by byte, the plain
 * reference the tests compare it with). */
static size_t rle_deflate(const uint8_t *in, size_t n, uint8_t *out, size_t cap, uint16_t *tokens, int windowed) {
  const size_t window_end = windowed ? n : 0; /* the window loops run while i + 64 <= this */
  if (n == 0) return 0;
  uint8_t len_sym[MAX_RUN + 1]; /* length -> index of its symbol among 257..285 */
  for (int s = 0, l = MIN_RUN; l <= MAX_RUN; l++) {
    while (s < 28 && l >= len_base[s + 1]) s++;
    len_sym[l] = (uint8_t)s;
  }
  /* pass 1: the tokens (a literal byte b as b, a match of length r as 256 + r) and their
   * frequencies */
  uint32_t freq[N_LITLEN] = {0}, lit[4][256]; /* literals in four tables: no chain of increments */
  memset(lit, 0, sizeof lit);
  size_t i = 1, nt = 1;
  lit[0][in[0]]++;
  tokens[0] = in[0];
  window_t win = {0, 0, 0, 0};
  while (i + 64 <= window_end) {
    int lead;
    const size_t r = next_tokens(in, i, n, &win, &lead);
    /* the lead bytes from i as tokens, sixteen at a time (nt + 64 <= i + 64 <= n: the last
     * sixteen may run past the lead, inside the 64 bytes from i) */
#ifdef __SSE2__
    const __m128i zero = _mm_setzero_si128();
    for (int k = 0; k < lead; k += 16) {
      const __m128i v = _mm_loadu_si128((const __m128i *)(in + i + k));
      _mm_storeu_si128((__m128i *)(tokens + nt + k), _mm_unpacklo_epi8(v, zero));
      _mm_storeu_si128((__m128i *)(tokens + nt + k + 8), _mm_unpackhi_epi8(v, zero));
    }
#else
    for (int k = 0; k < lead; k++) tokens[nt + k] = in[i + k];
#endif
    nt += (size_t)lead;
    int k = 0;
    for (; k + 4 <= lead; k += 4)
      lit[0][in[i + k]]++, lit[1][in[i + k + 1]]++, lit[2][in[i + k + 2]]++, lit[3][in[i + k + 3]]++;
    for (; k < lead; k++) lit[k & 3][in[i + k]]++;
    i += (size_t)lead;
    if (r) {
      freq[257 + len_sym[r]]++;
      tokens[nt++] = (uint16_t)(256 + r);
      i += r;
    }
  }
  while (i < n) { /* the last bytes, one at a time */
    const size_t r = in[i] == in[i - 1] ? run_at(in, i, n, 0) : 0;
    if (r >= MIN_RUN) {
      freq[257 + len_sym[r]]++;
      tokens[nt++] = (uint16_t)(256 + r);
      i += r;
    } else {
      lit[0][in[i]]++;
      tokens[nt++] = in[i];
      i++;
    }
  }
  for (int b = 0; b < 256; b++) freq[b] = lit[0][b] + lit[1][b] + lit[2][b] + lit[3][b];
  freq[256] = 1; /* end of block; with the first byte's literal there are always two symbols */
  uint8_t len[N_LITLEN + N_DIST];
  uint16_t code[N_LITLEN], dist_code[N_DIST];
  huffman_lengths(freq, N_LITLEN, 15, len);
  int n_lit = N_LITLEN;
  while (n_lit > 257 && len[n_lit - 1] == 0) n_lit--;
  len[n_lit] = len[n_lit + 1] = 1; /* distance codes 0 (distance 1) and 1: a complete code */
  huffman_codes(len, n_lit, code);
  huffman_codes(len + n_lit, N_DIST, dist_code);

  /* the code lengths, zero runs as 17 (3-10) and 18 (11-138) */
  const int n_lens = n_lit + N_DIST;
  uint8_t clen_sym[N_LITLEN + N_DIST], clen_extra[N_LITLEN + N_DIST];
  int n_clen_sym = 0;
  uint32_t clen_freq[N_CLEN] = {0};
  for (int k = 0; k < n_lens;) {
    int z = 0;
    while (k + z < n_lens && len[k + z] == 0 && z < 138) z++;
    if (z >= 11) {
      clen_sym[n_clen_sym] = 18, clen_extra[n_clen_sym++] = (uint8_t)(z - 11);
      k += z;
    } else if (z >= 3) {
      clen_sym[n_clen_sym] = 17, clen_extra[n_clen_sym++] = (uint8_t)(z - 3);
      k += z;
    } else {
      clen_sym[n_clen_sym] = len[k], clen_extra[n_clen_sym++] = 0;
      k++;
    }
  }
  for (int k = 0; k < n_clen_sym; k++) clen_freq[clen_sym[k]]++;
  int used = 0;
  for (int s = 0; s < N_CLEN; s++) used += clen_freq[s] != 0;
  if (used < 2) clen_freq[clen_freq[0] ? 1 : 0]++; /* a code needs two symbols to be complete */
  uint8_t clen_len[N_CLEN];
  uint16_t clen_code[N_CLEN];
  huffman_lengths(clen_freq, N_CLEN, 7, clen_len);
  huffman_codes(clen_len, N_CLEN, clen_code);
  int n_clen = N_CLEN;
  while (n_clen > 4 && clen_len[clen_order[n_clen - 1]] == 0) n_clen--;

  bit_writer_t w = {out, out + cap, 0, 0, 0};
  put_flush(&w, 1, 1); /* BFINAL */
  put_flush(&w, 2, 2); /* BTYPE 10: dynamic Huffman codes */
  put_flush(&w, (uint32_t)(n_lit - 257), 5);
  put_flush(&w, N_DIST - 1, 5);
  put_flush(&w, (uint32_t)(n_clen - 4), 4);
  for (int k = 0; k < n_clen; k++) put_flush(&w, clen_len[clen_order[k]], 3);
  for (int k = 0; k < n_clen_sym; k++) {
    put_flush(&w, clen_code[clen_sym[k]], clen_len[clen_sym[k]]);
    if (clen_sym[k] == 17) put_flush(&w, clen_extra[k], 3);
    if (clen_sym[k] == 18) put_flush(&w, clen_extra[k], 7);
  }
  /* pass 2: the tokens, each by one table entry: a literal's code, or a match's length code,
   * extra bits and distance code together (at most 15 + 5 + 1 bits). Two of them and the at
   * most 7 bits flush leaves fit in the 64-bit accumulator. */
  uint32_t tok_bits[256 + MAX_RUN + 1];
  uint8_t tok_n[256 + MAX_RUN + 1];
  for (int b = 0; b < 256; b++) tok_bits[b] = code[b], tok_n[b] = len[b];
  for (int r = MIN_RUN; r <= MAX_RUN; r++) {
    const int s = len_sym[r], nl = len[257 + s], ne = len_extra[s];
    tok_bits[256 + r] = code[257 + s] | (uint32_t)(r - len_base[s]) << nl | (uint32_t)dist_code[0] << (nl + ne);
    tok_n[256 + r] = (uint8_t)(nl + ne + len[n_lit]);
  }
  size_t t = 0;
  /* while the buffer surely has room (a pair of tokens adds at most 42 bits to the at most 7 left,
   * so a flush stores 8 bytes and advances at most 6): the pairs without the checks of flush */
  for (;;) {
    const size_t room = (size_t)(w.end - w.p), pairs = room >= 8 ? (room - 8) / 6 : 0;
    const size_t todo = (nt - t) / 2 < pairs ? (nt - t) / 2 : pairs;
    if (todo == 0) break;
    uint64_t acc = w.acc;
    int bits = w.bits;
    uint8_t *o = w.p;
    for (size_t q = 0; q < todo; q++, t += 2) {
      acc |= (uint64_t)tok_bits[tokens[t]] << bits;
      bits += tok_n[tokens[t]];
      acc |= (uint64_t)tok_bits[tokens[t + 1]] << bits;
      bits += tok_n[tokens[t + 1]];
      memcpy(o, &acc, 8);
      o += bits >> 3;
      acc >>= bits & ~7;
      bits &= 7;
    }
    w.acc = acc, w.bits = bits, w.p = o;
  }
  for (; t + 2 <= nt && !w.overflow; t += 2) {
    put_bits(&w, tok_bits[tokens[t]], tok_n[tokens[t]]);
    put_bits(&w, tok_bits[tokens[t + 1]], tok_n[tokens[t + 1]]);
    flush(&w);
  }
  for (; t < nt; t++) {
    put_bits(&w, tok_bits[tokens[t]], tok_n[tokens[t]]);
    flush(&w);
  }
  put_flush(&w, code[256], len[256]);
  if (w.overflow) return 0;
  if (w.bits) {
    if (w.p == w.end) return 0;
    *w.p++ = (uint8_t)w.acc;
  }
  return (size_t)(w.p - out);
}

size_t regio_rle_deflate(const uint8_t *in, size_t n, uint8_t *out, size_t cap, uint16_t *tokens) {
  return rle_deflate(in, n, out, cap, tokens, 1);
}

size_t regio_rle_deflate_plain(const uint8_t *in, size_t n, uint8_t *out, size_t cap, uint16_t *tokens) {
  return rle_deflate(in, n, out, cap, tokens, 0);
}
