/* Compressing the chunks of a dataset on all threads and writing them with H5Dwrite_chunk.
 *
 * HDF5 1.10 runs its filters (shuffle, deflate) in the calling thread, so a large matrix written
 * with H5Dwrite is compressed by one core. Here the chunks are filled, shuffled and deflated by
 * OpenMP threads and written in chunk order by the calling thread while the others go on. The shuffle
 * is HDF5's (H5Zshuffle.c: byte k of every element together); the deflate stream is put together
 * by pack_chunk in the zlib format, which HDF5's own deflate filter reads back: leading byte
 * planes that deflate would not shrink as stored blocks (kr screen write 0.51 -> 0.42 s), the
 * planes of 8-byte numbers by the run-length encoder of rle_deflate.c (0.42 -> 0.30 s; us-tract
 * 4.2-4.6 -> 2.3-2.6 s, its file 228 -> 208 MB), the rest by libdeflate (about three times as
 * fast as zlib's compress2 at level 1 here). The bytes stored do not depend on the thread count
 * (tests/unit/test_h5chunks.c).
 *
 * ISA-L's deflate (levels 1 to 3, 2.3-7x as fast as libdeflate's level 1 on these chunks) was tried
 * and dropped (2026-12-05): at levels 1 and 2 the same chunk compressed to different bytes in about
 * 0.5% of processes (address-dependent: never with ASLR off), which breaks the byte-identical
 * files regio promises.
 *
 * The distributed mode uses the same code: every rank compresses the chunks of its own rows
 * (regio_h5_pack_chunk_bands hands them to a store instead of the file) and rank 0 writes them
 * (h5util.c). HDF5 1.10's own parallel path was not an option: with the MPI-IO driver
 * H5Dwrite_chunk is not collective, so when each rank writes its own chunks the ranks' views of the
 * chunk index diverge and the dataset cannot be read back (tried: two ranks, one chunk each), and
 * parallel writes to filtered datasets must be collective, compressed by HDF5's filters on one
 * core per rank. */
#include <emmintrin.h>
#include <libdeflate.h>
#include <math.h>
#include <omp.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "output/h5_impl.h"
#include "output/rle_deflate.h"
#include "regio/error.h"

/* Slots of the ring per thread: chunks compressed ahead of the writer; their buffers are what this
 * costs in memory (about 3.5 x 512 KiB per chunk). */
enum { CHUNKS_PER_THREAD = 4 };

typedef struct chunk_slot {
  unsigned char *raw, *shuffled, *packed;
  uint16_t *tokens; /* the run-length encoder's tokens: one per byte at most */
  size_t packed_cap, packed_size;
  struct libdeflate_compressor *deflate;
  int status; /* 0 ok, 1 the compressed chunk did not fit (cannot happen with the bound) */
} chunk_slot_t;

/* Byte k of 8-byte elements [i0, i0 + 16) to out[k * n + i0 ...]: a 16 x 8 byte transpose in SSE2
 * registers (the unpack sequence of Blosc's shuffle8_sse2): bytes, then words, double words and
 * quad words interleaved. The loops are unrolled by the pragmas: at -O2 GCC 12 kept a[] and b[]
 * on the stack, 3.5 GB/s on a chunk in L2 against 11.7 GB/s unrolled (one thread). */
static void shuffle16_sse2(const unsigned char *in, size_t n, size_t i0, unsigned char *out) {
  __m128i a[8], b[8];
#pragma GCC unroll 8
  for (int k = 0; k < 8; k++) {
    a[k] = _mm_loadu_si128((const __m128i *)(in + i0 * 8 + (size_t)k * 16)); /* elements 2k, 2k + 1 */
    b[k] = _mm_unpacklo_epi8(a[k], _mm_shuffle_epi32(a[k], 0x4e));           /* byte j of both: word j */
  }
#pragma GCC unroll 4
  for (int k = 0; k < 4; k++) { /* byte j of elements 4k .. 4k + 3: double word j (j < 4), j - 4 */
    a[2 * k] = _mm_unpacklo_epi16(b[2 * k], b[2 * k + 1]);
    a[2 * k + 1] = _mm_unpackhi_epi16(b[2 * k], b[2 * k + 1]);
  }
  static const int pair[4] = {0, 1, 4, 5}; /* byte j of 8 elements: quad words */
#pragma GCC unroll 4
  for (int k = 0; k < 4; k++) {
    b[2 * k] = _mm_unpacklo_epi32(a[pair[k]], a[pair[k] + 2]);
    b[2 * k + 1] = _mm_unpackhi_epi32(a[pair[k]], a[pair[k] + 2]);
  }
#pragma GCC unroll 4
  for (int k = 0; k < 4; k++) { /* byte j of the 16 elements */
    a[2 * k] = _mm_unpacklo_epi64(b[k], b[k + 4]);
    a[2 * k + 1] = _mm_unpackhi_epi64(b[k], b[k + 4]);
  }
#pragma GCC unroll 8
  for (size_t k = 0; k < 8; k++) _mm_storeu_si128((__m128i *)(out + k * n + i0), a[k]);
}

/* H5Z_filter_shuffle for whole elements: byte k of element i goes to k * n + i. */
static void shuffle_bytes(const unsigned char *in, size_t n, size_t elem_size, unsigned char *out) {
  size_t i = 0;
  if (elem_size == 8)
    for (; i + 16 <= n; i += 16) shuffle16_sse2(in, n, i, out);
  for (; i < n; i++)
    for (size_t k = 0; k < elem_size; k++) out[k * n + i] = in[i * elem_size + k];
}

/* Whether the n bytes of a byte plane would not shrink under deflate's Huffman coding: their
 * order-0 entropy is at least 7.92 bits a byte (99% of a byte). The low bytes of doubles that are
 * not round numbers (multipliers, linkages) look like this. */
static int plane_incompressible(const unsigned char *plane, size_t n) {
  if (n < 1024) return 0;
  uint32_t count[4][256];
  memset(count, 0, sizeof count);
  size_t i = 0;
  for (; i + 4 <= n; i += 4)
    count[0][plane[i]]++, count[1][plane[i + 1]]++, count[2][plane[i + 2]]++, count[3][plane[i + 3]]++;
  for (; i < n; i++) count[0][plane[i]]++;
  double bits = 0; /* sum over values of c log2(n / c) */
  for (int v = 0; v < 256; v++) {
    const double c = (double)count[0][v] + count[1][v] + count[2][v] + count[3][v];
    if (c > 0) bits += c * log2((double)n / c);
  }
  return bits >= 7.92 * (double)n;
}

/* Shuffled numbers (8-byte elements) of at least this many bytes go through the run-length
 * encoder; smaller or other chunks (strings, small vectors) through libdeflate, whose longer
 * matches find the repeats in text (districts/code of us-tract: 13.8 kB with libdeflate, 55.6 kB
 * with run lengths only) and whose block header is smaller. */
enum { RLE_MIN_BYTES = 4096 };

/* The shuffled chunk (elem_size planes of n bytes) in the zlib format: the leading planes that
 * would not shrink (the low bytes, plane_incompressible) as stored blocks; the rest, for 8-byte
 * elements, by the run-length encoder (rle_deflate.c: runs of a byte at distance 1, one Huffman
 * block), otherwise or when that does not fit by libdeflate; then the Adler-32 of the whole
 * chunk. The choices depend on the data alone, so the bytes do not depend on the threads.
 * tokens: room for n * elem_size. Returns the size, 0 if it did not fit. */
static size_t pack_chunk(struct libdeflate_compressor *c, const unsigned char *in, size_t n, size_t elem_size,
                         unsigned char *out, size_t cap, uint16_t *tokens) {
  const size_t raw = n * elem_size;
  size_t k = 0;
  while (k + 1 < elem_size && plane_incompressible(in + k * n, n)) k++;
  const size_t stored = k * n;
  size_t pos = 2;
  if (cap < 2 + stored + 5 * (stored / 65535 + 1) + 4) return 0;
  out[0] = 0x78, out[1] = 0x01;
  for (size_t off = 0; off < stored;) {
    const size_t len = stored - off < 65535 ? stored - off : 65535;
    out[pos] = 0x00; /* BFINAL 0, BTYPE 00 (stored), then the byte's padding */
    out[pos + 1] = (unsigned char)(len & 0xFF), out[pos + 2] = (unsigned char)(len >> 8);
    out[pos + 3] = (unsigned char)(~len & 0xFF), out[pos + 4] = (unsigned char)((~len >> 8) & 0xFF);
    memcpy(out + pos + 5, in + off, len);
    pos += 5 + len;
    off += len;
  }
  size_t m = 0;
  if (elem_size == 8 && raw - stored >= RLE_MIN_BYTES)
    m = regio_rle_deflate(in + stored, raw - stored, out + pos, cap - pos - 4, tokens);
  if (m == 0) m = libdeflate_deflate_compress(c, in + stored, raw - stored, out + pos, cap - pos - 4);
  if (m == 0) return 0;
  pos += m;
  const uint32_t adler = libdeflate_adler32(1, in, raw);
  out[pos] = (unsigned char)(adler >> 24), out[pos + 1] = (unsigned char)(adler >> 16);
  out[pos + 2] = (unsigned char)(adler >> 8), out[pos + 3] = (unsigned char)adler;
  return pos + 4;
}

void regio_h5_fill_rows(void *user, size_t row0, size_t rows, size_t col0, size_t cols, size_t elem_size,
                        size_t chunk_cols, void *out) {
  const regio_h5_rows_t *src = user;
  unsigned char *dst = out;
  for (size_t r = 0; r < rows; r++)
    memcpy(dst + r * chunk_cols * elem_size, src->data + ((row0 + r) * src->n_cols + col0) * elem_size,
           cols * elem_size);
}

/* A busy wait's step: a pause, and the processor given up now and then (more threads than cores). */
static void wait_a_little(unsigned *spins) {
  _mm_pause();
  if (++*spins % 1024 == 0) sched_yield();
}

struct regio_h5_packer {
  chunk_slot_t *slots;
  size_t n_slots, raw_bytes;
};

void regio_h5_packer_free(regio_h5_packer_t **pk) {
  if (!pk || !*pk) return;
  regio_h5_packer_t *p = *pk;
  for (size_t b = 0; p->slots && b < p->n_slots; b++) {
    free(p->slots[b].raw);
    free(p->slots[b].shuffled);
    free(p->slots[b].packed);
    free(p->slots[b].tokens);
    if (p->slots[b].deflate) libdeflate_free_compressor(p->slots[b].deflate);
  }
  free(p->slots);
  free(p);
  *pk = NULL;
}

regio_err_t regio_h5_packer_new(regio_h5w_t *w, const char *object, size_t raw_bytes, int level, size_t max_slots,
                                regio_h5_packer_t **out) {
  *out = NULL;
  size_t n = (size_t)regio_ctx_threads(w->ctx) * CHUNKS_PER_THREAD;
  if (n > max_slots) n = max_slots;
  if (n == 0) n = 1;
  regio_h5_packer_t *p = calloc(1, sizeof *p);
  int nomem = p == NULL || (p->slots = calloc(n, sizeof *p->slots)) == NULL;
  if (p) p->n_slots = nomem ? 0 : n, p->raw_bytes = raw_bytes;
  for (size_t b = 0; !nomem && b < n; b++) {
    chunk_slot_t *s = &p->slots[b];
    s->raw = malloc(raw_bytes);
    s->shuffled = malloc(raw_bytes);
    s->deflate = libdeflate_alloc_compressor(level);
    s->packed_cap = s->deflate ? libdeflate_zlib_compress_bound(s->deflate, raw_bytes) : 0;
    s->packed = malloc(s->packed_cap ? s->packed_cap : 1);
    s->tokens = malloc(raw_bytes * sizeof *s->tokens);
    nomem = !s->raw || !s->shuffled || !s->packed || !s->deflate || !s->tokens;
  }
  if (nomem) {
    regio_h5_packer_free(&p);
    return REGIO_ERROR(w->ctx, REGIO_ERR_NOMEM, "cannot write output file '%s': out of memory compressing '%s'",
                       w->path, object);
  }
  *out = p;
  return REGIO_OK;
}

regio_err_t regio_h5_write_chunks(regio_h5w_t *w, hid_t dset, const char *object, int rank, const hsize_t *dims,
                                  const hsize_t *chunk, size_t elem_size, int level, regio_h5_fill_fn fill,
                                  void *user) {
  const size_t bands = ((size_t)dims[0] + (size_t)chunk[0] - 1) / (size_t)chunk[0];
  return regio_h5_write_chunk_bands(w, dset, object, rank, dims, chunk, elem_size, level, 0, bands, fill, user);
}

regio_err_t regio_h5_write_chunk_bands(regio_h5w_t *w, hid_t dset, const char *object, int rank, const hsize_t *dims,
                                       const hsize_t *chunk, size_t elem_size, int level, size_t band_first,
                                       size_t band_end, regio_h5_fill_fn fill, void *user) {
  return regio_h5_pack_chunk_bands(w, dset, object, rank, dims, chunk, elem_size, level, band_first, band_end, fill,
                                   user, NULL, NULL, NULL);
}

regio_err_t regio_h5_pack_chunk_bands(regio_h5w_t *w, hid_t dset, const char *object, int rank, const hsize_t *dims,
                                      const hsize_t *chunk, size_t elem_size, int level, size_t band_first,
                                      size_t band_end, regio_h5_fill_fn fill, void *user, regio_h5_chunk_put_fn put,
                                      void *put_user, regio_h5_packer_t *packer) {
  regio_err_t err = REGIO_OK;
  size_t n_rows = (size_t)dims[0], n_cols = rank == 2 ? (size_t)dims[1] : 1;
  size_t chunk_rows = (size_t)chunk[0], chunk_cols = rank == 2 ? (size_t)chunk[1] : 1;
  size_t row_chunks = (n_rows + chunk_rows - 1) / chunk_rows, col_chunks = (n_cols + chunk_cols - 1) / chunk_cols;
  if (band_end > row_chunks) band_end = row_chunks;
  if (band_first > band_end) band_first = band_end;
  /* chunk c of this call is chunk first + c of the dataset, row-major over (band, column chunk) */
  const size_t first = band_first * col_chunks;
  size_t n_chunks = (band_end - band_first) * col_chunks, chunk_elems = chunk_rows * chunk_cols;
  size_t raw_bytes = chunk_elems * elem_size;
  int threads = regio_ctx_threads(w->ctx);
  regio_h5_packer_t *own = NULL; /* the slots, unless the caller lends its packer */
  if (!packer || packer->raw_bytes < raw_bytes) {
    if ((err = regio_h5_packer_new(w, object, raw_bytes, level, n_chunks, &own))) return err;
    packer = own;
  }
  chunk_slot_t *slots = packer->slots;
  size_t batch = packer->n_slots < n_chunks ? packer->n_slots : n_chunks;
  /* A ring of `batch` slots: chunk c goes into slot c % batch once chunk c - batch is written.
   * Every thread claims the next chunk and compresses it; the calling thread (OpenMP's thread 0)
   * writes the ready chunks in chunk order and compresses when the next one is not ready, so the
   * serial H5Dwrite_chunk calls overlap the compression of the chunks after them. */
  size_t next_claim = 0, written = 0; /* atomics */
  int stop = 0;                       /* set by the writer after an error */
  unsigned char *ready = calloc(batch ? batch : 1, 1);
  if (!ready) {
    err = REGIO_ERROR(w->ctx, REGIO_ERR_NOMEM, "cannot write output file '%s': out of memory compressing '%s'", w->path,
                      object);
    goto cleanup;
  }
#pragma omp parallel num_threads(threads)
  {
    const int writer = omp_get_thread_num() == 0;
    unsigned spins = 0;
    for (;;) {
      if (__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) break;
      const size_t done = __atomic_load_n(&written, __ATOMIC_ACQUIRE);
      if (done == n_chunks) break;
      if (writer && __atomic_load_n(&ready[done % batch], __ATOMIC_ACQUIRE)) {
        chunk_slot_t *s = &slots[done % batch];
        const hsize_t offset[2] = {(hsize_t)((first + done) / col_chunks * chunk_rows),
                                   (hsize_t)((first + done) % col_chunks * chunk_cols)};
        if (s->status) {
          err = REGIO_ERROR(w->ctx, REGIO_ERR_INTERNAL, "cannot write output file '%s': deflate failed on '%s'",
                            w->path, object);
        } else if (put) {
          if (put(put_user, s->packed, s->packed_size) != 0)
            err =
                REGIO_ERROR(w->ctx, REGIO_ERR_NOMEM,
                            "cannot write output file '%s': out of memory keeping the chunks of '%s'", w->path, object);
        } else if (H5Dwrite_chunk(dset, H5P_DEFAULT, 0, offset, s->packed_size, s->packed) < 0) {
          err = regio_h5_fail(w, "H5Dwrite_chunk(dset, H5P_DEFAULT, 0, offset, s->packed_size, s->packed)", object,
                              __FILE__, __LINE__, __func__);
        }
        if (err) {
          __atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
          break;
        }
        __atomic_store_n(&ready[done % batch], 0, __ATOMIC_RELAXED);
        __atomic_store_n(&written, done + 1, __ATOMIC_RELEASE); /* frees the slot for chunk done + batch */
        continue;
      }
      /* claim the next chunk if its slot is free */
      size_t c = __atomic_load_n(&next_claim, __ATOMIC_RELAXED);
      if (c >= n_chunks || c >= done + batch) {
        if (c >= n_chunks && !writer) break; /* nothing left to compress: the writer finishes */
        wait_a_little(&spins);               /* for the writer, or (the writer) for a chunk */
        continue;
      }
      spins = 0;
      if (!__atomic_compare_exchange_n(&next_claim, &c, c + 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) continue;
      chunk_slot_t *s = &slots[c % batch];
      size_t row0 = (first + c) / col_chunks * chunk_rows, col0 = (first + c) % col_chunks * chunk_cols;
      size_t rows = n_rows - row0 < chunk_rows ? n_rows - row0 : chunk_rows;
      size_t cols = n_cols - col0 < chunk_cols ? n_cols - col0 : chunk_cols;
      if (rows < chunk_rows || cols < chunk_cols) memset(s->raw, 0, raw_bytes); /* an edge chunk: fill value 0 */
      fill(user, row0, rows, col0, cols, elem_size, chunk_cols, s->raw);
      shuffle_bytes(s->raw, chunk_elems, elem_size, s->shuffled);
      s->packed_size = pack_chunk(s->deflate, s->shuffled, chunk_elems, elem_size, s->packed, s->packed_cap, s->tokens);
      s->status = s->packed_size == 0;
      __atomic_store_n(&ready[c % batch], 1, __ATOMIC_RELEASE);
    }
  }
  free(ready);
cleanup:
  regio_h5_packer_free(&own);
  return err;
}
