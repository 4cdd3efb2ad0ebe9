/* Unit test of the run-length deflate encoder (src/output/rle_deflate.c): every block must inflate
 * with zlib (raw deflate) to exactly its input, with nothing left over, for inputs of 1 byte to
 * 512 KiB: all zeros, random bytes, sparse bytes, long alternating runs, two values, periodic
 * bytes, a skewed distribution, and symbol counts in Fibonacci proportions, whose plain Huffman
 * tree is 29 levels deep (so the 15-bit limit must be enforced). Also: the output depends on the
 * input alone (two calls give the same bytes), it is the same as the plain byte-at-a-time
 * reference's (regio_rle_deflate_plain: same tokens, so a window that missed a run would show), a
 * buffer of exactly the output's size is enough and one byte less gives 0, never an overrun. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "output/rle_deflate.h"
#include "testing.h"

static uint64_t state = 12345;
static uint32_t next_random(void) {
  state = state * 6364136223846793005u + 1442695040888963407u;
  return (uint32_t)(state >> 33);
}

/* 1: inflates to in exactly; 0: it does not; -1: the encoder declined (returned 0) */
static int round_trip(const uint8_t *in, size_t n, size_t *packed) {
  size_t cap = n * 2 + 1024;
  uint8_t *out = malloc(cap), *out2 = malloc(cap), *back = malloc(n + 1);
  uint16_t *tokens = malloc(n * sizeof *tokens); /* exactly the room promised: ASan sees an overrun */
  REQUIRE(out && out2 && back && tokens);
  size_t m = regio_rle_deflate(in, n, out, cap, tokens);
  *packed = m;
  int ok = -1;
  if (m) {
    z_stream z;
    memset(&z, 0, sizeof z);
    REQUIRE(inflateInit2(&z, -15) == Z_OK);
    z.next_in = out;
    z.avail_in = (uInt)m;
    z.next_out = back;
    z.avail_out = (uInt)(n + 1);
    int rc = inflate(&z, Z_FINISH);
    ok = rc == Z_STREAM_END && z.total_out == n && z.avail_in == 0 && memcmp(back, in, n) == 0;
    inflateEnd(&z);
    ok &= regio_rle_deflate(in, n, out2, cap, tokens) == m && memcmp(out, out2, m) == 0;
    if (regio_rle_deflate_plain(in, n, out2, cap, tokens) != m || memcmp(out, out2, m) != 0) {
      fprintf(stderr, "%zu bytes: the windowed encoder's block differs from the plain one's\n", n);
      ok = 0;
    }
    memset(out2, 0, cap); /* exactly m bytes of room: the same block; m - 1: declined */
    if (regio_rle_deflate(in, n, out2, m, tokens) != m || memcmp(out, out2, m) != 0 ||
        regio_rle_deflate(in, n, out2, m - 1, tokens) != 0) {
      fprintf(stderr, "%zu bytes: a buffer of %zu or %zu bytes is not handled exactly\n", n, m, m - 1);
      ok = 0;
    }
  }
  free(out);
  free(out2);
  free(back);
  free(tokens);
  return ok;
}

int main(void) {
  static const size_t sizes[] = {1, 2, 3, 4, 5, 10, 63, 64, 65, 66, 100, 127, 128, 258, 259, 262, 1000, 65536, 524288};
  const int n_sizes = (int)(sizeof sizes / sizeof sizes[0]);
  int failed = 0, declined_random = 0, cases = 0;
  for (int pattern = 0; pattern < 10; pattern++) {
    uint8_t run_byte = 0;
    size_t run_left = 0;
    for (int k = 0; k < n_sizes; k++) {
      size_t n = sizes[k];
      uint8_t *b = malloc(n);
      REQUIRE(b);
      for (size_t i = 0; i < n; i++) {
        uint32_t r = next_random();
        switch (pattern) {
          case 0: b[i] = 0; break;
          case 1: b[i] = (uint8_t)r; break;
          case 2: b[i] = r % 3 ? 0 : (uint8_t)(r >> 8); break;
          case 3: b[i] = (uint8_t)((i / 300) & 1); break;
          case 4: b[i] = (uint8_t)(r & 1); break;
          case 5: b[i] = i % 7 == 0 ? 255 : 0; break;
          case 6: b[i] = r % 1000 < 900 ? 0 : r % 1000 < 990 ? 1 : r % 1000 < 999 ? 2 : (uint8_t)(r >> 8); break;
          case 7: b[i] = (uint8_t)(i * i); break;
          default: /* runs of 1 to 8 (pattern 8) or 1 to 80 bytes of 4 values: every run length at every offset of a
                      64-byte window */
            if (run_left == 0) {
              run_left = 1 + r % (pattern == 8 ? 8 : 80);
              run_byte = (uint8_t)((r >> 12) & 3);
            }
            b[i] = run_byte;
            run_left--;
            break;
        }
      }
      size_t packed = 0;
      int ok = round_trip(b, n, &packed);
      cases++;
      if (ok == -1 && pattern == 1) {
        declined_random++; /* random bytes may not fit in 2n + 1024: allowed */
      } else if (ok != 1) {
        failed++;
        fprintf(stderr, "pattern %d, %zu bytes: %s\n", pattern, n, ok == -1 ? "declined" : "does not inflate back");
      }
      if (pattern == 0 && n == 524288) CHECKF(packed < 3000, "512 KiB of zeros packed into %zu bytes", packed);
      free(b);
    }
  }
  CHECKF(failed == 0, "%d of %d inputs did not round-trip", failed, cases);
  CHECKF(declined_random == 0, "random bytes declined %d times with room for 2n + 1024 bytes", declined_random);

  /* 30 symbols with counts 1, 1, 2, 3, 5, 8, ...: a plain Huffman tree would need 29-bit codes */
  size_t n = 0, cap_n = (size_t)1 << 22;
  uint8_t *b = malloc(cap_n);
  REQUIRE(b);
  uint32_t f1 = 1, f2 = 1;
  for (int s = 0; s < 30 && n + f1 <= cap_n; s++) {
    for (uint32_t k = 0; k < f1; k++) b[n++] = (uint8_t)(s * 7 + 1);
    uint32_t t = f1 + f2;
    f1 = f2;
    f2 = t;
  }
  for (size_t i = n - 1; i > 0; i--) { /* shuffled, so that the runs do not hide the counts */
    size_t j = next_random() % (i + 1);
    uint8_t t = b[i];
    b[i] = b[j];
    b[j] = t;
  }
  size_t packed = 0;
  CHECKF(round_trip(b, n, &packed) == 1, "Fibonacci counts (%zu bytes): round trip", n);

  /* a buffer too small: 0, and nothing written past it */
  uint8_t small[64 + 16];
  uint16_t *tokens = malloc(n * sizeof *tokens);
  REQUIRE(tokens);
  memset(small, 0xA5, sizeof small);
  CHECKF(regio_rle_deflate(b, n, small, 64, tokens) == 0, "a 64-byte buffer for %zu bytes gives 0", n);
  int intact = 1;
  for (int k = 64; k < 80; k++) intact &= small[k] == 0xA5;
  CHECKF(intact, "nothing written past the buffer");
  free(b);
  free(tokens);
  return test_summary("test_rle_deflate");
}
