/* Unit test of the parallel chunk writer (src/output/chunks.c): datasets written by
 * regio_h5_write_chunks with 1 and 2 threads must store the same bytes chunk for chunk; each
 * stored chunk, inflated with zlib, must equal the chunk that HDF5's own filter pipeline (H5Dwrite
 * through shuffle + deflate) stores, inflated (the same shuffled bytes, a different deflate
 * encoder), with the same filter mask; and the datasets must read back through HDF5 as the data
 * written. Shapes: a matrix whose last chunk is a partial row block, a matrix whose rows are cut
 * into two chunks (a partial column chunk), and a long 1-D int64 vector. */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "output/h5_impl.h"
#include "testing.h"

/* Reads the stored chunk at offset; inflates it into out (raw_bytes) when inflate is set.
 * Returns the stored size, 0 on failure. */
static size_t chunk_bytes(hid_t d, const hsize_t *offset, int inflate, unsigned char *out, size_t raw_bytes,
                          uint32_t *mask) {
  hsize_t size = 0;
  if (H5Dget_chunk_storage_size(d, offset, &size) < 0 || size == 0) return 0;
  unsigned char *buf = malloc(size);
  if (!buf || H5Dread_chunk(d, H5P_DEFAULT, offset, mask, buf) < 0) {
    free(buf);
    return 0;
  }
  if (inflate) {
    uLongf n = (uLongf)raw_bytes;
    if (uncompress(out, &n, buf, (uLong)size) != Z_OK || n != raw_bytes) size = 0;
  } else {
    memcpy(out, buf, size);
  }
  free(buf);
  return (size_t)size;
}

/* Compares every chunk of two datasets of the same shape and chunking: the stored bytes (inflate
 * 0) or the inflated ones (inflate 1). */
static void same_chunks(hid_t a, hid_t b, int rank, const hsize_t *dims, const hsize_t *chunk, size_t elem_size,
                        int inflate, const char *what) {
  size_t rows = (size_t)dims[0], cols = rank == 2 ? (size_t)dims[1] : 1;
  size_t crow = (size_t)chunk[0], ccol = rank == 2 ? (size_t)chunk[1] : 1;
  size_t raw_bytes = crow * ccol * elem_size, cap = raw_bytes * 2 + 64;
  unsigned char *ba = malloc(cap), *bb = malloc(cap);
  REQUIRE(ba && bb);
  int n_chunks = 0, same = 1;
  for (size_t r = 0; r < rows; r += crow)
    for (size_t c = 0; c < cols; c += ccol) {
      hsize_t offset[2] = {r, c};
      uint32_t mask_a = 99, mask_b = 98;
      size_t size_a = chunk_bytes(a, offset, inflate, ba, raw_bytes, &mask_a);
      size_t size_b = chunk_bytes(b, offset, inflate, bb, raw_bytes, &mask_b);
      size_t n = inflate ? raw_bytes : size_a;
      same &= size_a > 0 && size_b > 0 && mask_a == mask_b && (inflate || size_a == size_b) && memcmp(ba, bb, n) == 0;
      n_chunks++;
    }
  free(ba);
  free(bb);
  CHECKF(same && n_chunks > 1, "%s: %d chunks, %s bytes identical: %d", what, n_chunks, inflate ? "inflated" : "stored",
         same);
}

/* noise 1: the values are 64 random bits each (splitmix64), which deflate cannot shrink: the
 * chunks are stored blocks, the largest a chunk can become. noise 2: doubles 1 + u with u
 * random in [0, 1): random low bytes (written as stored blocks) before compressible high bytes. */
static void one_shape(regio_h5w_t *w, int rank, hsize_t rows, hsize_t cols, hid_t type, const char *name, int noise) {
  hsize_t dims[2] = {rows, cols}, chunk[2];
  size_t n = (size_t)rows * (rank == 2 ? (size_t)cols : 1), elem = H5Tget_size(type);
  REQUIRE(regio_h5_chunk_dims(rank, dims, elem, chunk));
  unsigned char *data = malloc(n * elem), *back = malloc(n * elem);
  REQUIRE(data && back);
  for (size_t i = 0; i < n; i++) {
    if (noise) {
      uint64_t z = (uint64_t)(i + 1) * 0x9E3779B97F4A7C15u;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
      z ^= z >> 31;
      if (noise == 2) {
        double v = 1.0 + (double)(z >> 12) / 4503599627370496.0; /* exact: 52 random mantissa bits */
        memcpy(data + i * 8, &v, 8);
      } else {
        memcpy(data + i * 8, &z, 8);
      }
    } else if (elem == 8 && H5Tget_class(type) == H5T_FLOAT) {
      double v = (double)(i % 97) * 0.25 + (i % 5 == 0 ? (double)i * 1e-7 : 0); /* partly compressible */
      memcpy(data + i * 8, &v, 8);
    } else {
      int64_t v = (int64_t)(i % 1000) * (i % 3 ? 1 : -7) + (int64_t)i / 1024;
      memcpy(data + i * 8, &v, 8);
    }
  }
  hid_t native = H5Tget_class(type) == H5T_FLOAT ? H5T_NATIVE_DOUBLE : H5T_NATIVE_INT64;
  char n_lib[64], n_t1[64], n_t2[64];
  snprintf(n_lib, sizeof n_lib, "%s_library", name);
  snprintf(n_t1, sizeof n_t1, "%s_threads1", name);
  snprintf(n_t2, sizeof n_t2, "%s_threads2", name);
  hid_t lib = -1, t1 = -1, t2 = -1;
  REQUIRE(regio_h5_dataset(w, w->file, n_lib, n_lib, type, rank, dims, NULL, &lib, NULL) == REGIO_OK);
  REQUIRE(H5Dwrite(lib, native, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
  regio_h5_rows_t src = {data, rank == 2 ? (size_t)cols : 1};
  regio_ctx_set_threads(w->ctx, 1);
  REQUIRE(regio_h5_dataset(w, w->file, n_t1, n_t1, type, rank, dims, NULL, &t1, NULL) == REGIO_OK);
  CHECK_INT(
      regio_h5_write_chunks(w, t1, n_t1, rank, dims, chunk, elem, REGIO_H5_DEFLATE_LEVEL, regio_h5_fill_rows, &src),
      REGIO_OK);
  regio_ctx_set_threads(w->ctx, 2);
  REQUIRE(regio_h5_dataset(w, w->file, n_t2, n_t2, type, rank, dims, NULL, &t2, NULL) == REGIO_OK);
  CHECK_INT(
      regio_h5_write_chunks(w, t2, n_t2, rank, dims, chunk, elem, REGIO_H5_DEFLATE_LEVEL, regio_h5_fill_rows, &src),
      REGIO_OK);
  if (noise == 2) { /* the first chunk: stored blocks holding exactly the six random low planes */
    size_t chunk_elems = (size_t)chunk[0] * (rank == 2 ? (size_t)chunk[1] : 1), cap = chunk_elems * elem * 2 + 64;
    unsigned char *raw = malloc(cap);
    REQUIRE(raw);
    hsize_t at[2] = {0, 0};
    uint32_t mask = 0;
    size_t size = chunk_bytes(t1, at, 0, raw, cap, &mask), pos = 2, stored = 0;
    while (pos + 5 <= size && (raw[pos] & 0x07) == 0) { /* BFINAL 0, BTYPE 00 */
      size_t len = (size_t)raw[pos + 1] | (size_t)raw[pos + 2] << 8;
      stored += len;
      pos += 5 + len;
    }
    CHECKF(size > 0 && stored == 6 * chunk_elems, "%s: %zu bytes in leading stored blocks, expected %zu", n_t1, stored,
           6 * chunk_elems);
    free(raw);
  }
  same_chunks(t1, t2, rank, dims, chunk, elem, 0, n_t2);  /* any thread count: the same bytes */
  same_chunks(lib, t1, rank, dims, chunk, elem, 1, n_t1); /* HDF5's filters: the same shuffled chunk */
  CHECK(H5Dread(t1, native, H5S_ALL, H5S_ALL, H5P_DEFAULT, back) >= 0);
  CHECKF(memcmp(back, data, n * elem) == 0, "%s: read back as written", n_t1);
  memset(back, 0, n * elem);
  CHECK(H5Dread(t2, native, H5S_ALL, H5S_ALL, H5P_DEFAULT, back) >= 0);
  CHECKF(memcmp(back, data, n * elem) == 0, "%s: read back as written", n_t2);
  regio_h5_close(&lib);
  regio_h5_close(&t1);
  regio_h5_close(&t2);
  free(data);
  free(back);
}

int main(void) {
  regio_ctx_t *ctx = NULL;
  REQUIRE(regio_ctx_create(&ctx) == REGIO_OK);
  char path[128];
  snprintf(path, sizeof path, "test_h5chunks.%ld.h5", (long)getpid());
  regio_h5w_t w = {.ctx = ctx, .path = path, .file = -1};
  w.file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  REQUIRE(w.file >= 0);
  one_shape(&w, 2, 1234, 300, H5T_IEEE_F64LE, "matrix", 0);      /* 218-row chunks, the last partial */
  one_shape(&w, 2, 5, 100000, H5T_IEEE_F64LE, "long_rows", 0);   /* rows cut into 65,536 + a partial chunk */
  one_shape(&w, 1, 200000, 1, H5T_STD_I64LE, "vector_int64", 0); /* 65,536-element chunks */
  one_shape(&w, 2, 100, 1001, H5T_IEEE_F64LE, "odd_chunk",
            0);                                           /* 65-row chunks of 65,065 elements: 16-element blocks + 9 */
  one_shape(&w, 2, 300, 1000, H5T_STD_I64LE, "noise", 1); /* incompressible: stored blocks */
  one_shape(&w, 2, 300, 1000, H5T_IEEE_F64LE, "mantissa", 2);    /* stored low bytes, deflated high bytes */
  one_shape(&w, 1, 200000, 1, H5T_IEEE_F64LE, "mantissa_1d", 2); /* planes of 65,536 bytes: 2 stored blocks */
  regio_h5_close(&w.file);
  unlink(path);
  regio_ctx_destroy(&ctx);
  return test_summary("test_h5chunks");
}
