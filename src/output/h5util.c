/* Checked HDF5 calls and small writing helpers for the result file (see h5_impl.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/h5_impl.h"
#include "regio/output.h"
#include "regio/version.h"

/* Rough size of one chunk of a compressed dataset: big enough that deflate works well and the
 * per-chunk index overhead is small, small enough to fit HDF5's default 1 MiB chunk cache. */
#define REGIO_H5_CHUNK_BYTES ((size_t)512 * 1024)
/* 1-D datasets below this size are stored contiguous and uncompressed. */
#define REGIO_H5_SMALL_BYTES ((size_t)64 * 1024)

typedef struct innermost {
  char *buf;
  size_t size;
} innermost_t;

static herr_t innermost_cb(unsigned n, const H5E_error2_t *e, void *data) {
  innermost_t *im = data;
  /* Walking upward, entry 0 is the deepest: where HDF5 first detected the error. */
  if (n != 0) return 0;
  const char *desc = e->desc;
  char minor[128] = "";
  if (!desc || !*desc) {
    if (H5Eget_msg(e->min_num, NULL, minor, sizeof minor) < 0) minor[0] = '\0';
    desc = minor;
  }
  snprintf(im->buf, im->size, "%s", desc);
  return 0;
}

void regio_h5_innermost_message(char *buf, size_t size) {
  if (!buf || size == 0) return;
  buf[0] = '\0';
  innermost_t im = {buf, size};
  if (H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost_cb, &im) < 0) buf[0] = '\0';
  H5Eclear2(H5E_DEFAULT);
  /* the file driver's messages run over lines ("file write failed: time = ..., filename = ...,
   * errno = 28, error message = 'No space left on device', ..."): keep the head and the reason */
  char *details = strstr(buf, ": time = ");
  const char *reason = strstr(buf, "error message = '");
  if (details && reason) {
    reason += strlen("error message = '");
    const char *close = strchr(reason, '\'');
    size_t head = (size_t)(details - buf), len = close ? (size_t)(close - reason) : strlen(reason);
    if (head + 2 + len < size) {
      memmove(buf + head + 2, reason, len);
      buf[head] = ':';
      buf[head + 1] = ' ';
      buf[head + 2 + len] = '\0';
    }
  }
}

/* The HDF5 function named in a stringified call such as "dset = H5Dcreate2(loc, ...)". */
static void call_name(const char *call_text, char *out, size_t size) {
  const char *paren = strchr(call_text, '(');
  const char *end = paren ? paren : call_text + strlen(call_text);
  while (end > call_text && isspace((unsigned char)end[-1])) end--;
  const char *start = end;
  while (start > call_text && (isalnum((unsigned char)start[-1]) || start[-1] == '_')) start--;
  size_t len = (size_t)(end - start);
  if (len == 0) {
    snprintf(out, size, "HDF5 call");
    return;
  }
  if (len >= size) len = size - 1;
  memcpy(out, start, len);
  out[len] = '\0';
}

regio_err_t regio_h5_fail(regio_h5w_t *w, const char *call_text, const char *object, const char *src_file, int src_line,
                          const char *func) {
  char name[64];
  char inner[768];
  call_name(call_text, name, sizeof name);
  regio_h5_innermost_message(inner, sizeof inner);
  return regio_ctx_error(w->ctx, REGIO_ERR_IO, src_file, src_line, func,
                         "cannot write output file '%s': %s failed for '%s'%s%s", w->path, name, object ? object : "/",
                         inner[0] ? ": " : "", inner);
}

void regio_h5_close(hid_t *id) {
  if (!id || *id < 0) return;
  H5E_BEGIN_TRY {
    switch (H5Iget_type(*id)) {
      case H5I_FILE: H5Fclose(*id); break;
      case H5I_GROUP: H5Gclose(*id); break;
      case H5I_DATASET: H5Dclose(*id); break;
      case H5I_ATTR: H5Aclose(*id); break;
      case H5I_DATASPACE: H5Sclose(*id); break;
      case H5I_DATATYPE: H5Tclose(*id); break;
      case H5I_GENPROP_LST: H5Pclose(*id); break;
      default: H5Idec_ref(*id); break;
    }
  }
  H5E_END_TRY;
  *id = -1;
}

regio_err_t regio_h5_string_type(regio_h5w_t *w, size_t width, const char *object, hid_t *out) {
  regio_err_t err = REGIO_OK;
  hid_t type = -1;
  REGIO_H5_TRY(w, type = H5Tcopy(H5T_C_S1), object);
  REGIO_H5_TRY(w, H5Tset_size(type, width ? width : 1), object);
  REGIO_H5_TRY(w, H5Tset_strpad(type, H5T_STR_NULLPAD), object);
  REGIO_H5_TRY(w, H5Tset_cset(type, H5T_CSET_UTF8), object);
  *out = type;
  type = -1;
cleanup:
  regio_h5_close(&type);
  return err;
}

regio_err_t regio_h5_group(regio_h5w_t *w, hid_t loc, const char *name, const char *object, hid_t *out) {
  regio_err_t err = REGIO_OK;
  hid_t gcpl = -1, group = -1;
  REGIO_H5_TRY(w, gcpl = H5Pcreate(H5P_GROUP_CREATE), object);
  /* No time stamps: the same result gives a byte-identical file. */
  REGIO_H5_TRY(w, H5Pset_obj_track_times(gcpl, 0), object);
  REGIO_H5_TRY(w, group = H5Gcreate2(loc, name, H5P_DEFAULT, gcpl, H5P_DEFAULT), object);
  *out = group;
  group = -1;
cleanup:
  regio_h5_close(&group);
  regio_h5_close(&gcpl);
  return err;
}

/* Creates and writes one scalar attribute. */
static regio_err_t attr_scalar(regio_h5w_t *w, hid_t obj, const char *object, const char *name, hid_t file_type,
                               hid_t mem_type, const void *value) {
  regio_err_t err = REGIO_OK;
  hid_t space = -1, attr = -1;
  char where[512];
  snprintf(where, sizeof where, "%s (attribute %s)", object, name);
  REGIO_H5_TRY(w, space = H5Screate(H5S_SCALAR), where);
  REGIO_H5_TRY(w, attr = H5Acreate2(obj, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT), where);
  REGIO_H5_TRY(w, H5Awrite(attr, mem_type, value), where);
cleanup:
  regio_h5_close(&attr);
  regio_h5_close(&space);
  return err;
}

regio_err_t regio_h5_attr_string(regio_h5w_t *w, hid_t obj, const char *object, const char *name, const char *value) {
  regio_err_t err = REGIO_OK;
  hid_t type = -1;
  const char *text = value ? value : "";
  REGIO_H5_TRY(w, type = H5Tcopy(H5T_C_S1), object);
  REGIO_H5_TRY(w, H5Tset_size(type, H5T_VARIABLE), object);
  REGIO_H5_TRY(w, H5Tset_cset(type, H5T_CSET_UTF8), object);
  REGIO_TRY_GOTO(attr_scalar(w, obj, object, name, type, type, &text));
cleanup:
  regio_h5_close(&type);
  return err;
}

regio_err_t regio_h5_attr_int(regio_h5w_t *w, hid_t obj, const char *object, const char *name, int value) {
  return attr_scalar(w, obj, object, name, H5T_STD_I32LE, H5T_NATIVE_INT, &value);
}

regio_err_t regio_h5_attr_double(regio_h5w_t *w, hid_t obj, const char *object, const char *name, double value) {
  return attr_scalar(w, obj, object, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
}

regio_err_t regio_h5_attr_int64(regio_h5w_t *w, hid_t obj, const char *object, const char *name, int64_t value) {
  return attr_scalar(w, obj, object, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value);
}

int regio_h5_chunk_dims(int rank, const hsize_t *dims, size_t elem_size, hsize_t *chunk) {
  hsize_t total = 1;
  for (int i = 0; i < rank; i++) {
    if (dims[i] == 0) return 0;
    total *= dims[i];
  }
  if (elem_size == 0) elem_size = 1;
  if (rank == 1 && total * elem_size < REGIO_H5_SMALL_BYTES) return 0;
  hsize_t target = REGIO_H5_CHUNK_BYTES / elem_size;
  if (target < 1) target = 1;
  if (rank == 1) {
    chunk[0] = dims[0] < target ? dims[0] : target;
    return 1;
  }
  /* Whole rows of sectors, as many rows as fit the target; a very long row is cut. */
  hsize_t cols = dims[1] < target ? dims[1] : target;
  hsize_t rows = target / cols;
  if (rows < 1) rows = 1;
  if (rows > dims[0]) rows = dims[0];
  chunk[0] = rows;
  chunk[1] = cols;
  for (int i = 2; i < rank; i++) chunk[i] = dims[i];
  return 1;
}

regio_err_t regio_h5_dataset(regio_h5w_t *w, hid_t loc, const char *name, const char *object, hid_t file_type, int rank,
                             const hsize_t *dims, const char *description, hid_t *out, hsize_t *chunk_rows) {
  regio_err_t err = REGIO_OK;
  hid_t space = -1, dcpl = -1, dset = -1;
  hsize_t chunk[H5S_MAX_RANK];
  size_t elem_size = H5Tget_size(file_type);
  REGIO_H5_TRY(w, space = H5Screate_simple(rank, dims, NULL), object);
  REGIO_H5_TRY(w, dcpl = H5Pcreate(H5P_DATASET_CREATE), object);
  REGIO_H5_TRY(w, H5Pset_obj_track_times(dcpl, 0), object);
  int chunked = regio_h5_chunk_dims(rank, dims, elem_size, chunk);
  if (chunked) {
    REGIO_H5_TRY(w, H5Pset_chunk(dcpl, rank, chunk), object);
    REGIO_H5_TRY(w, H5Pset_shuffle(dcpl), object);
    REGIO_H5_TRY(w, H5Pset_deflate(dcpl, REGIO_H5_DEFLATE_LEVEL), object);
  }
  REGIO_H5_TRY(w, dset = H5Dcreate2(loc, name, file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), object);
  if (description) REGIO_TRY_GOTO(regio_h5_attr_string(w, dset, object, "description", description));
  if (chunk_rows) *chunk_rows = chunked ? chunk[0] : dims[0];
  *out = dset;
  dset = -1;
cleanup:
  regio_h5_close(&dset);
  regio_h5_close(&dcpl);
  regio_h5_close(&space);
  return err;
}

/* Parallel mode: rank 0 receives the bytes every rank sends, in rank order, into *all (malloc'ed
 * on rank 0, NULL elsewhere; *total their size; counts[r], when counts is not NULL, rank r's part:
 * room for the ranks). Collective, agreed. */
static regio_err_t gather_to_root(regio_h5w_t *w, const void *mine, size_t bytes, unsigned char **all, size_t *total,
                                  size_t *counts) {
  const int P = regio_dist_size(w->dist);
  *all = NULL;
  *total = 0;
  size_t *send_bytes = calloc((size_t)P, sizeof *send_bytes), *recv_bytes = NULL;
  void *recv = NULL;
  regio_err_t err = send_bytes ? REGIO_OK : REGIO_ERROR(w->ctx, REGIO_ERR_NOMEM, "out of memory");
  REGIO_AGREE_GOTO(w, err);
  send_bytes[0] = bytes;
  err = regio_dist_alltoallv(w->dist, mine, send_bytes, &recv, &recv_bytes, w->ctx);
  if (!err && regio_dist_rank(w->dist) == 0) {
    for (int r = 0; r < P; r++) {
      *total += recv_bytes[r];
      if (counts) counts[r] = recv_bytes[r];
    }
    *all = recv;
    recv = NULL;
  }
  err = regio_h5_agree(w, err);
cleanup:
  free(send_bytes);
  free(recv_bytes);
  free(recv);
  if (err) {
    free(*all);
    *all = NULL;
  }
  return err;
}

/* A rank's rows by their dataset row: the fill callback of its block shifted by the block's offset. */
typedef struct local_rows {
  regio_h5_fill_fn fill;
  void *user;
  size_t off;
} local_rows_t;

static void fill_local(void *user, size_t row0, size_t rows, size_t col0, size_t cols, size_t elem_size,
                       size_t chunk_cols, void *out) {
  const local_rows_t *l = user;
  l->fill(l->user, row0 - l->off, rows, col0, cols, elem_size, chunk_cols, out);
}

/* A growing store of compressed chunks, their sizes and bytes (a regio_h5_chunk_put_fn). */
typedef struct packed_store {
  uint64_t *sizes;
  size_t n, n_cap;
  unsigned char *bytes;
  size_t len, cap;
} packed_store_t;

static int packed_put(void *user, const unsigned char *packed, size_t size) {
  packed_store_t *p = user;
  if (p->n == p->n_cap) {
    const size_t c = p->n_cap ? 2 * p->n_cap : 64;
    uint64_t *grown = realloc(p->sizes, c * sizeof *grown);
    if (!grown) return -1;
    p->sizes = grown, p->n_cap = c;
  }
  if (p->len + size > p->cap) {
    size_t c = p->cap ? p->cap : (size_t)1 << 20;
    while (c < p->len + size) c *= 2;
    unsigned char *grown = realloc(p->bytes, c);
    if (!grown) return -1;
    p->bytes = grown, p->cap = c;
  }
  memcpy(p->bytes + p->len, packed, size);
  p->len += size;
  p->sizes[p->n++] = size;
  return 0;
}

/* Of the bands [b0, b1) (cr rows each over D rows, the last one shorter), those wholly inside the
 * block of rows [off, off + cnt): [*f0, *f1), empty when equal. */
static void own_bands(size_t off, size_t cnt, size_t cr, size_t D, size_t b0, size_t b1, size_t *f0, size_t *f1) {
  size_t first = (off + cr - 1) / cr, end = off + cnt == D ? (D + cr - 1) / cr : (off + cnt) / cr;
  if (cnt == 0) first = end = 0;
  if (first < b0) first = b0;
  if (end > b1) end = b1;
  if (end < first) end = first;
  *f0 = first;
  *f1 = end;
}

/* A rank's rows of a batch [r0, r1) that are not in its own bands [f0, f1): a leading and a
 * trailing run, [lead0, lead1) and [trail0, trail1) (empty runs have equal ends). */
static void loose_rows(size_t off, size_t cnt, size_t r0, size_t r1, size_t cr, size_t D, size_t f0, size_t f1,
                       size_t *lead0, size_t *lead1, size_t *trail0, size_t *trail1) {
  const size_t a = r0 > off ? r0 : off, b = r1 < off + cnt ? r1 : off + cnt;
  *lead0 = *lead1 = *trail0 = *trail1 = a;
  if (b <= a) return;
  if (f1 == f0) {
    *lead1 = b;
    return;
  }
  *lead1 = f0 * cr;
  *trail0 = f1 * cr < D ? f1 * cr : D;
  *trail1 = b;
}

/* Rows of the dataset from the ranks' loose runs (rank 0, for the bands two or more ranks share). */
typedef struct row_run {
  size_t first, n;
  const unsigned char *rows;
} row_run_t;
typedef struct row_runs {
  const row_run_t *runs;
  size_t n_runs, row_bytes;
} row_runs_t;

static void fill_from_runs(void *user, size_t row0, size_t rows, size_t col0, size_t cols, size_t elem_size,
                           size_t chunk_cols, void *out) {
  const row_runs_t *r = user;
  unsigned char *dst = out;
  for (size_t i = 0; i < rows; i++) {
    const size_t row = row0 + i;
    for (size_t k = 0; k < r->n_runs; k++) /* a few runs: two a rank at most */
      if (row >= r->runs[k].first && row - r->runs[k].first < r->runs[k].n) {
        memcpy(dst + i * chunk_cols * elem_size,
               r->runs[k].rows + (row - r->runs[k].first) * r->row_bytes + col0 * elem_size, cols * elem_size);
        break;
      }
  }
}

/* Parallel mode, a chunked dataset: each rank compresses, on its threads, the chunks of the bands
 * (chunk[0] rows) that lie wholly in its block of rows, all at once so that the ranks work at the
 * same time, and sends rank 0 those chunks (about a tenth of the rows' bytes) with its other rows
 * (at most a band's worth at each end of its block); rank 0 writes the bands in order, a rank's
 * chunks as they came and the bands shared by two or more ranks compressed from their rows. The
 * stored bytes are one process's. Collective, agreed. */
static regio_err_t write_chunked_gathered(regio_h5w_t *w, hid_t dset, const char *object, int rank, const hsize_t *dims,
                                          const hsize_t *chunk, size_t elem, hsize_t row_offset, hsize_t row_count,
                                          regio_h5_fill_fn fill, void *user) {
  regio_err_t err = REGIO_OK;
  const int P = regio_dist_size(w->dist), root = regio_dist_rank(w->dist) == 0;
  const size_t D = (size_t)dims[0], cols = rank == 2 ? (size_t)dims[1] : 1, row_bytes = cols * elem;
  const size_t cr = (size_t)chunk[0], ccols = rank == 2 ? (size_t)chunk[1] : 1, col_chunks = (cols + ccols - 1) / ccols;
  const size_t n_bands = (D + cr - 1) / cr, off = (size_t)row_offset, cnt = (size_t)row_count;
  const uint64_t my_block[2] = {off, cnt};
  uint64_t *blocks = NULL;
  size_t *counts = NULL, *part_at = NULL, *written = NULL, *written_bytes = NULL, *own_first = NULL, *own_end = NULL;
  unsigned char *msg = NULL, *all = NULL;
  row_run_t *runs = NULL;
  packed_store_t store = {NULL, 0, 0, NULL, 0, 0};
  regio_h5_packer_t *packer = NULL;
  REGIO_TRY_GOTO(regio_dist_allgatherv(w->dist, my_block, sizeof my_block, (void **)&blocks, NULL, NULL, w->ctx));
  counts = calloc((size_t)P, sizeof *counts);
  part_at = calloc((size_t)P, sizeof *part_at);
  written = calloc((size_t)P, sizeof *written);
  written_bytes = calloc((size_t)P, sizeof *written_bytes);
  runs = calloc(2 * (size_t)P, sizeof *runs);
  own_first = calloc((size_t)P, sizeof *own_first);
  own_end = calloc((size_t)P, sizeof *own_end);
  if (counts && part_at && written && written_bytes && runs && own_first && own_end)
    err = regio_h5_packer_new(w, object, cr * ccols * elem, REGIO_H5_DEFLATE_LEVEL, SIZE_MAX, &packer);
  else
    err =
        REGIO_ERROR(w->ctx, REGIO_ERR_NOMEM, "cannot write output file '%s': out of memory for '%s'", w->path, object);
  REGIO_AGREE_GOTO(w, err);
  /* this rank's own bands, compressed here, straight from its rows */
  size_t f0, f1, lead0, lead1, trail0, trail1;
  own_bands(off, cnt, cr, D, 0, n_bands, &f0, &f1);
  loose_rows(off, cnt, 0, D, cr, D, f0, f1, &lead0, &lead1, &trail0, &trail1);
  regio_err_t local = REGIO_OK;
  if (f1 > f0) {
    local_rows_t src = {fill, user, off};
    local = regio_h5_pack_chunk_bands(w, dset, object, rank, dims, chunk, elem, REGIO_H5_DEFLATE_LEVEL, f0, f1,
                                      fill_local, &src, packed_put, &store, packer);
  }
  /* the message: chunk count, bytes, the sizes, the chunks, the leading and trailing rows */
  const size_t loose_n = (lead1 - lead0) + (trail1 - trail0);
  const size_t msg_len = 16 + 8 * store.n + store.len + loose_n * row_bytes;
  msg = local ? NULL : malloc(msg_len);
  if (!local && !msg)
    local =
        REGIO_ERROR(w->ctx, REGIO_ERR_NOMEM, "cannot write output file '%s': out of memory for '%s'", w->path, object);
  REGIO_AGREE_GOTO(w, local);
  const uint64_t head[2] = {store.n, store.len};
  memcpy(msg, head, 16);
  if (store.n) memcpy(msg + 16, store.sizes, 8 * store.n);
  if (store.len) memcpy(msg + 16 + 8 * store.n, store.bytes, store.len);
  unsigned char *at = msg + 16 + 8 * store.n + store.len;
  if (lead1 > lead0) fill(user, lead0 - off, lead1 - lead0, 0, cols, elem, cols, at);
  if (trail1 > trail0) fill(user, trail0 - off, trail1 - trail0, 0, cols, elem, cols, at + (lead1 - lead0) * row_bytes);
  free(store.sizes);
  free(store.bytes);
  store.sizes = NULL, store.bytes = NULL;
  size_t total = 0;
  REGIO_TRY_GOTO(gather_to_root(w, msg, msg_len, &all, &total, counts));
  free(msg);
  msg = NULL;
  if (root) {
    /* each rank's part: its chunks, and its loose rows as runs */
    size_t n_runs = 0, pos = 0;
    for (int q = 0; q < P && !local; q++) {
      uint64_t qh[2];
      size_t q0, q1, ql0, ql1, qt0, qt1;
      own_bands((size_t)blocks[2 * q], (size_t)blocks[2 * q + 1], cr, D, 0, n_bands, &q0, &q1);
      loose_rows((size_t)blocks[2 * q], (size_t)blocks[2 * q + 1], 0, D, cr, D, q0, q1, &ql0, &ql1, &qt0, &qt1);
      if (counts[q] >= 16) memcpy(qh, all + pos, 16);
      const size_t rows_q = (ql1 - ql0) + (qt1 - qt0);
      if (counts[q] < 16 || qh[0] != (q1 - q0) * col_chunks ||
          counts[q] != 16 + 8 * qh[0] + qh[1] + rows_q * row_bytes) {
        local = REGIO_ERROR(w->ctx, REGIO_ERR_INTERNAL,
                            "cannot write output file '%s': rank %d's part of '%s' is malformed", w->path, q, object);
        break;
      }
      const unsigned char *rows_at = all + pos + 16 + 8 * qh[0] + qh[1];
      own_first[q] = q0, own_end[q] = q1;
      if (ql1 > ql0) runs[n_runs++] = (row_run_t){ql0, ql1 - ql0, rows_at};
      if (qt1 > qt0) runs[n_runs++] = (row_run_t){qt0, qt1 - qt0, rows_at + (ql1 - ql0) * row_bytes};
      part_at[q] = pos;
      pos += counts[q];
    }
    /* the bands in order: a rank's own, chunk by chunk as it sent them, or compressed here */
    row_runs_t src = {runs, n_runs, row_bytes};
    int owner = 0;
    for (size_t band = 0; band < n_bands && !local; band++) {
      /* the ranks' own bands are disjoint and come in rank order; empty ones are passed over */
      while (owner < P && own_end[owner] <= band) owner++;
      if (owner >= P || band < own_first[owner]) { /* shared by two or more ranks: compressed here */
        local = regio_h5_pack_chunk_bands(w, dset, object, rank, dims, chunk, elem, REGIO_H5_DEFLATE_LEVEL, band,
                                          band + 1, fill_from_runs, &src, NULL, NULL, packer);
        continue;
      }
      const unsigned char *p = all + part_at[owner];
      uint64_t n_chunks;
      memcpy(&n_chunks, p, 8);
      const unsigned char *sizes = p + 16, *bytes = p + 16 + 8 * n_chunks;
      for (size_t k = 0; k < col_chunks && !local; k++) {
        uint64_t sz;
        memcpy(&sz, sizes + 8 * written[owner], 8);
        const hsize_t offset[2] = {(hsize_t)(band * cr), (hsize_t)(k * ccols)};
        if (H5Dwrite_chunk(dset, H5P_DEFAULT, 0, offset, (size_t)sz, bytes + written_bytes[owner]) < 0)
          local = regio_h5_fail(w, "H5Dwrite_chunk(dset, H5P_DEFAULT, 0, offset, (size_t)sz, bytes)", object, __FILE__,
                                __LINE__, __func__);
        written[owner]++;
        written_bytes[owner] += (size_t)sz;
      }
    }
  }
  REGIO_AGREE_GOTO(w, local);
cleanup:
  free(blocks);
  free(counts);
  free(part_at);
  free(written);
  free(written_bytes);
  free(runs);
  free(own_first);
  free(own_end);
  free(msg);
  free(all);
  free(store.sizes);
  free(store.bytes);
  regio_h5_packer_free(&packer);
  return err;
}

/* Parallel mode: dset (created on every rank; rank 0's is in the file) written by rank 0 alone, as
 * one process writes it, from the rows of every rank (fill gives this rank's rows [row_offset,
 * row_offset + row_count) as its rows 0 .. row_count - 1, in `type`'s bytes). Chunked (and
 * may_chunk): each rank compresses its own chunk bands (write_chunked_gathered). Otherwise all rows to rank 0 and one
 * H5Dwrite (type may differ from the file's: HDF5 converts). Collective, agreed. */
static regio_err_t write_gathered(regio_h5w_t *w, hid_t dset, const char *object, hid_t type, int rank,
                                  const hsize_t *dims, hsize_t row_offset, hsize_t row_count, regio_h5_fill_fn fill,
                                  void *user, int may_chunk) {
  regio_err_t err = REGIO_OK;
  const int root = regio_dist_rank(w->dist) == 0;
  const size_t elem = H5Tget_size(type), rows = (size_t)dims[0], cols = rank == 2 ? (size_t)dims[1] : 1;
  const size_t row_bytes = cols * elem;
  hsize_t chunk[H5S_MAX_RANK];
  if (rows == 0) return REGIO_OK;
  if (may_chunk && regio_h5_chunk_dims(rank, dims, elem, chunk))
    return write_chunked_gathered(w, dset, object, rank, dims, chunk, elem, row_offset, row_count, fill, user);
  /* not chunked (or a conversion): every row to rank 0, one H5Dwrite */
  unsigned char *mine = malloc((size_t)row_count * row_bytes + 1), *all = NULL;
  err = mine ? REGIO_OK
             : REGIO_ERROR(w->ctx, REGIO_ERR_NOMEM, "cannot write output file '%s': out of memory for '%s'", w->path,
                           object);
  REGIO_AGREE_GOTO(w, err);
  if (row_count) fill(user, 0, (size_t)row_count, 0, cols, elem, cols, mine);
  size_t total = 0;
  REGIO_TRY_GOTO(gather_to_root(w, mine, (size_t)row_count * row_bytes, &all, &total, NULL));
  regio_err_t local = REGIO_OK;
  if (root) {
    if (total != rows * row_bytes)
      local = REGIO_ERROR(w->ctx, REGIO_ERR_INTERNAL,
                          "cannot write output file '%s': the ranks' rows of '%s' are not its %zu rows in order",
                          w->path, object, rows);
    else if (H5Dwrite(dset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, all) < 0)
      local = regio_h5_fail(w, "H5Dwrite(dset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, all)", object, __FILE__, __LINE__,
                            __func__);
  }
  REGIO_AGREE_GOTO(w, local);
cleanup:
  free(mine);
  free(all);
  return err;
}

/* Checks a block of rows against dims (one process: all rows), agreed over the ranks. */
static regio_err_t check_block(regio_h5w_t *w, const char *object, const hsize_t *dims, hsize_t row_offset,
                               hsize_t row_count) {
  regio_err_t err = REGIO_OK;
  if (row_offset > dims[0] || row_count > dims[0] - row_offset || (!w->parallel && row_count != dims[0]))
    err = REGIO_ERROR(w->ctx, REGIO_ERR_INTERNAL,
                      "cannot write output file '%s': rows %llu to %llu of '%s' are not a block of its %llu rows%s",
                      w->path, (unsigned long long)row_offset, (unsigned long long)(row_offset + row_count), object,
                      (unsigned long long)dims[0], w->parallel ? "" : " (one process writes all rows)");
  return regio_h5_agree(w, err);
}

regio_err_t regio_h5_dataset_fill(regio_h5w_t *w, hid_t dset, const char *object, hid_t file_type, int rank,
                                  const hsize_t *dims, hsize_t row_offset, hsize_t row_count, regio_h5_fill_fn fill,
                                  void *user) {
  regio_err_t err = REGIO_OK;
  hsize_t chunk[H5S_MAX_RANK];
  size_t elem_size = H5Tget_size(file_type);
  unsigned char *buf = NULL;
  REGIO_TRY_GOTO(check_block(w, object, dims, row_offset, row_count));
  size_t rows = (size_t)dims[0], cols = rank == 2 ? (size_t)dims[1] : 1;
  if (rows == 0 || cols == 0) return REGIO_OK;
  if (w->parallel) return write_gathered(w, dset, object, file_type, rank, dims, row_offset, row_count, fill, user, 1);
  if (regio_h5_chunk_dims(rank, dims, elem_size, chunk))
    return regio_h5_write_chunks(w, dset, object, rank, dims, chunk, elem_size, REGIO_H5_DEFLATE_LEVEL, fill, user);
  buf = malloc(rows * cols * elem_size);
  if (!buf) {
    err =
        REGIO_ERROR(w->ctx, REGIO_ERR_NOMEM, "cannot write output file '%s': out of memory for '%s'", w->path, object);
    goto cleanup;
  }
  fill(user, 0, rows, 0, cols, elem_size, cols, buf);
  REGIO_H5_TRY(w, H5Dwrite(dset, file_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf), object);
cleanup:
  free(buf);
  return err;
}

regio_err_t regio_h5_dataset_write_rows(regio_h5w_t *w, hid_t loc, const char *name, const char *object,
                                        hid_t file_type, hid_t mem_type, int rank, const hsize_t *dims,
                                        hsize_t row_offset, hsize_t row_count, const void *data,
                                        const char *description, hid_t *out) {
  regio_err_t err = REGIO_OK;
  hid_t dset = -1;
  hsize_t total = 1, chunk[H5S_MAX_RANK];
  for (int i = 0; i < rank; i++) total *= dims[i];
  REGIO_TRY_GOTO(check_block(w, object, dims, row_offset, row_count));
  REGIO_TRY_GOTO(regio_h5_dataset(w, loc, name, object, file_type, rank, dims, description, &dset, NULL));
  if (total > 0) {
    regio_err_t local = REGIO_OK;
    if (row_count > 0 && !data)
      local =
          REGIO_ERROR(w->ctx, REGIO_ERR_INTERNAL, "cannot write output file '%s': no data for '%s'", w->path, object);
    REGIO_AGREE_GOTO(w, local);
    htri_t same = H5Tequal(file_type, mem_type);
    REGIO_H5_TRY(w, same, object);
    size_t elem_size = H5Tget_size(file_type);
    if (w->parallel) {
      regio_h5_rows_t src = {data, rank == 2 ? (size_t)dims[1] : 1};
      REGIO_TRY_GOTO(write_gathered(w, dset, object, same ? file_type : mem_type, rank, dims, row_offset, row_count,
                                    regio_h5_fill_rows, &src, same && rank <= 2));
    } else if (same && rank <= 2 && regio_h5_chunk_dims(rank, dims, elem_size, chunk)) {
      /* the bytes in memory are the file's: compress the chunks on all threads */
      regio_h5_rows_t src = {data, rank == 2 ? (size_t)dims[1] : 1};
      REGIO_TRY_GOTO(regio_h5_write_chunks(w, dset, object, rank, dims, chunk, elem_size, REGIO_H5_DEFLATE_LEVEL,
                                           regio_h5_fill_rows, &src));
    } else {
      REGIO_H5_TRY(w, H5Dwrite(dset, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), object);
    }
  }
  if (out) {
    *out = dset;
    dset = -1;
  }
cleanup:
  regio_h5_close(&dset);
  return err;
}

regio_err_t regio_h5_dataset_write(regio_h5w_t *w, hid_t loc, const char *name, const char *object, hid_t file_type,
                                   hid_t mem_type, int rank, const hsize_t *dims, const void *data,
                                   const char *description, hid_t *out) {
  /* a national dataset: the same on every rank, written by rank 0 */
  hsize_t rows = !w->parallel || regio_dist_rank(w->dist) == 0 ? dims[0] : 0;
  return regio_h5_dataset_write_rows(w, loc, name, object, file_type, mem_type, rank, dims, 0, rows, data, description,
                                     out);
}

regio_err_t regio_h5_agree(regio_h5w_t *w, regio_err_t err) {
  return w->parallel ? regio_dist_agree(w->dist, err, w->ctx) : err;
}

regio_err_t regio_h5_max_size(regio_h5w_t *w, size_t *value) {
  if (!w->parallel) return REGIO_OK;
  int64_t v = (int64_t)*value;
  REGIO_TRY(regio_dist_allreduce_i64(w->dist, &v, 1, REGIO_DIST_MAX, NULL, w->ctx));
  *value = (size_t)v;
  return REGIO_OK;
}

regio_err_t regio_h5_pack_strings(regio_h5w_t *w, const char *const *strings, size_t n, size_t *width, char **chars) {
  size_t wid = *width > 1 ? *width : 1;
  for (size_t i = 0; i < n; i++) {
    size_t len = strings[i] ? strlen(strings[i]) : 0;
    if (len > wid) wid = len;
  }
  char *buf = calloc(n ? n : 1, wid);
  REGIO_CHECK(w->ctx, buf, REGIO_ERR_NOMEM, "cannot write output file '%s': out of memory for %zu strings", w->path, n);
  for (size_t i = 0; i < n; i++)
    if (strings[i]) memcpy(buf + i * wid, strings[i], strlen(strings[i]));
  *width = wid;
  *chars = buf;
  return REGIO_OK;
}

regio_err_t regio_h5_provenance_group(regio_h5w_t *w, const char *command_line, hid_t *group) {
  regio_err_t err = REGIO_OK;
  char hdf5_version[64];
  unsigned major = 0, minor = 0, release = 0;
  *group = -1;
  REGIO_H5_TRY(w, H5get_libversion(&major, &minor, &release), "/provenance");
  snprintf(hdf5_version, sizeof hdf5_version, "%u.%u.%u", major, minor, release);
  REGIO_TRY_GOTO(regio_h5_group(w, w->file, "provenance", "/provenance", group));
  REGIO_TRY_GOTO(regio_h5_attr_string(w, *group, "/provenance", "regio_version", REGIO_VERSION_STRING));
  REGIO_TRY_GOTO(regio_h5_attr_int(w, *group, "/provenance", "schema_version", REGIO_SCHEMA_VERSION));
  REGIO_TRY_GOTO(regio_h5_attr_string(w, *group, "/provenance", "command_line", command_line));
  REGIO_TRY_GOTO(regio_h5_attr_string(w, *group, "/provenance", "hdf5_version", hdf5_version));
  REGIO_TRY_GOTO(
      regio_h5_attr_int64(w, *group, "/provenance", "processes", w->parallel ? regio_dist_size(w->dist) : 1));
  return REGIO_OK;
cleanup:
  regio_h5_close(group);
  return err;
}
