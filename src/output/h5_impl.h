/* Internal to src/output: checking HDF5 calls and small helpers for writing the result file.
 *
 * Every HDF5 call goes through REGIO_H5_TRY, which turns a negative herr_t or hid_t into a
 * REGIO_ERR_IO that names the output file, the HDF5 function and the object being written, and
 * appends the innermost message of HDF5's error stack (PETSc's PetscCallHDF5 does the same). */
#ifndef REGIO_OUTPUT_H5_IMPL_H
#define REGIO_OUTPUT_H5_IMPL_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

#include "regio/dist.h"
#include "regio/error.h"

/* One output file being written.
 *
 * Parallel mode (an MPI build, more than one rank in the context's dist): rank 0 writes the file
 * through HDF5's serial driver, as one process does; the other ranks make the same HDF5 calls on
 * a file in memory that is never stored (atomic.c), so that every rank runs the same code. Raw
 * data goes to rank 0: of a chunked dataset with rows split over the ranks
 * (regio_h5_dataset_write_rows, regio_h5_dataset_fill) each rank compresses the chunks of its own
 * rows and sends them, rank 0 compresses those two ranks share and writes all of them, so the file
 * has the chunks one process would write; small datasets go to rank 0 as rows; rank 0 writes the
 * national datasets from its own copy. Parallel HDF5 and
 * MPI-IO take no part: HDF5 1.10 compresses only with its own filters inside collective writes
 * (one core per rank) and has no collective H5Dwrite_chunk. Steps that can fail on one rank alone
 * (memory, local checks, raw data writes, closing the file) are agreed (regio_h5_agree) so that
 * every rank takes the error path together; a metadata call failing on rank 0 alone (its real
 * file against the others' memory) is not expected, since HDF5 keeps this file's few hundred
 * metadata entries in its cache until the file is closed, which is agreed. */
typedef struct regio_h5w {
  regio_ctx_t *ctx;
  const char *path;   /* the final output path, named in messages (borrowed) */
  hid_t file;         /* the open temporary file, or -1 */
  regio_dist_t *dist; /* the ranks writing the file together (borrowed; NULL: this process alone) */
  int parallel;       /* 1 in the parallel mode (0, so a zero-initialised writer is a serial one) */
} regio_h5w_t;

/* In the parallel mode, every rank returns the error of the lowest failing rank (regio_dist_agree);
 * else err. Collective in the parallel mode. */
regio_err_t regio_h5_agree(regio_h5w_t *w, regio_err_t err);

/* Agrees on the result of a step that may fail on one rank alone and goes to `cleanup:` on every
 * rank when any failed (the enclosing function declares `regio_err_t err`). */
#define REGIO_AGREE_GOTO(w, expr)      \
  do {                                 \
    err = regio_h5_agree((w), (expr)); \
    if (err != REGIO_OK) goto cleanup; \
  } while (0)

/* The largest of *value over the ranks (parallel mode), in place; else nothing. Collective. */
regio_err_t regio_h5_max_size(regio_h5w_t *w, size_t *value);

/* Fills one chunk: the block of `rows` x `cols` elements at (row0, col0) of the dataset into out,
 * a chunk of chunk_cols columns (row-major; rows and columns beyond the block are already 0). */
typedef void (*regio_h5_fill_fn)(void *user, size_t row0, size_t rows, size_t col0, size_t cols, size_t elem_size,
                                 size_t chunk_cols, void *out);

/* A row-major array of n_cols columns as the source of regio_h5_fill_rows. */
typedef struct regio_h5_rows {
  const unsigned char *data;
  size_t n_cols;
} regio_h5_rows_t;
void regio_h5_fill_rows(void *user, size_t row0, size_t rows, size_t col0, size_t cols, size_t elem_size,
                        size_t chunk_cols, void *out);

/* Records a failed HDF5 call as REGIO_ERR_IO in w->ctx and returns REGIO_ERR_IO. call_text is the
 * stringified call (the function name is taken from it), object the HDF5 path being written. */
regio_err_t regio_h5_fail(regio_h5w_t *w, const char *call_text, const char *object, const char *src_file, int src_line,
                          const char *func);

/* Copies the innermost message of HDF5's current error stack into buf ("" when the stack is
 * empty) and clears the stack. */
void regio_h5_innermost_message(char *buf, size_t size);

/* Checks one HDF5 call (herr_t or hid_t result). The enclosing function declares
 * `regio_err_t err` and a `cleanup:` label that releases what it holds. */
#define REGIO_H5_TRY(w, expr, object)                                          \
  do {                                                                         \
    if ((expr) < 0) {                                                          \
      err = regio_h5_fail((w), #expr, (object), __FILE__, __LINE__, __func__); \
      goto cleanup;                                                            \
    }                                                                          \
  } while (0)

/* Propagates a regio_err_t to the enclosing function's `cleanup:` label. */
#define REGIO_TRY_GOTO(expr)           \
  do {                                 \
    err = (expr);                      \
    if (err != REGIO_OK) goto cleanup; \
  } while (0)

/* Closes any HDF5 identifier (group, dataset, attribute, dataspace, datatype, property list,
 * file), ignoring errors, and sets *id = -1. Accepts -1. */
void regio_h5_close(hid_t *id);

/* Fixed-length string type of width bytes (>= 1), NUL-padded, UTF-8. */
regio_err_t regio_h5_string_type(regio_h5w_t *w, size_t width, const char *object, hid_t *out);

/* Creates group `name` in loc (full HDF5 path `object`, for messages) without time stamps. */
regio_err_t regio_h5_group(regio_h5w_t *w, hid_t loc, const char *name, const char *object, hid_t *out);

/* Scalar attributes on obj (whose HDF5 path is `object`). Strings are variable-length UTF-8 (h5py
 * reads them as str); integers are stored as 32-bit, doubles as IEEE float64. NULL value = "". */
regio_err_t regio_h5_attr_string(regio_h5w_t *w, hid_t obj, const char *object, const char *name, const char *value);
regio_err_t regio_h5_attr_int(regio_h5w_t *w, hid_t obj, const char *object, const char *name, int value);
regio_err_t regio_h5_attr_double(regio_h5w_t *w, hid_t obj, const char *object, const char *name, double value);
/* A 64-bit integer attribute (int64). */
regio_err_t regio_h5_attr_int64(regio_h5w_t *w, hid_t obj, const char *object, const char *name, int64_t value);

/* Chunk dimensions for a dataset of rank 1 or 2 with elements of elem_size bytes: about 512 KiB
 * per chunk, whole rows when they fit, clamped to dims. Returns 0 (contiguous layout) when a
 * dimension is zero, or for a small 1-D dataset (under 64 KiB); 1 otherwise. */
int regio_h5_chunk_dims(int rank, const hsize_t *dims, size_t elem_size, hsize_t *chunk);

/* Creates dataset `name` in loc (full path `object`), with file type file_type, chunked and
 * compressed (shuffle + deflate) when regio_h5_chunk_dims says so, no time stamps, and a
 * `description` attribute. *chunk_rows receives the rows per chunk (dims[0] when contiguous) if
 * not NULL. The same chunks in the parallel mode (rank 0 writes them). */
regio_err_t regio_h5_dataset(regio_h5w_t *w, hid_t loc, const char *name, const char *object, hid_t file_type, int rank,
                             const hsize_t *dims, const char *description, hid_t *out, hsize_t *chunk_rows);

#define REGIO_H5_DEFLATE_LEVEL 1

/* Writes a dataset created by regio_h5_dataset from fill (fill gives file_type's bytes). One
 * process: all of it, through regio_h5_write_chunks when it is chunked, else with one H5Dwrite of
 * the whole dataset filled into a buffer; row_offset must be 0 and row_count dims[0]. Parallel
 * mode: this rank's rows [row_offset, row_offset + row_count) of dims[0], which fill gives as its
 * rows 0 .. row_count - 1, compressed by the ranks and written by rank 0 as one process writes
 * them. Collective. */
regio_err_t regio_h5_dataset_fill(regio_h5w_t *w, hid_t dset, const char *object, hid_t file_type, int rank,
                                  const hsize_t *dims, hsize_t row_offset, hsize_t row_count, regio_h5_fill_fn fill,
                                  void *user);

/* Creates a dataset as above and writes all of it from data (mem_type; not read when the dataset
 * is empty): a national dataset, written by rank 0 in the parallel mode (the other ranks take part
 * with no rows). *out receives the open dataset when out is not NULL, else it is
 * closed. */
regio_err_t regio_h5_dataset_write(regio_h5w_t *w, hid_t loc, const char *name, const char *object, hid_t file_type,
                                   hid_t mem_type, int rank, const hsize_t *dims, const void *data,
                                   const char *description, hid_t *out);

/* The same for a dataset whose first axis is split over the ranks (districts): dims[0] is the
 * length of the whole axis and data holds this rank's rows [row_offset, row_offset + row_count)
 * (row-major, dims[1] columns for rank 2; not read when row_count is 0). One process: row_offset 0
 * and row_count dims[0]. Parallel mode: gathered to rank 0 as in regio_h5_dataset_fill (a
 * conversion from mem_type, when it differs, done by rank 0's H5Dwrite). Collective. */
regio_err_t regio_h5_dataset_write_rows(regio_h5w_t *w, hid_t loc, const char *name, const char *object,
                                        hid_t file_type, hid_t mem_type, int rank, const hsize_t *dims,
                                        hsize_t row_offset, hsize_t row_count, const void *data,
                                        const char *description, hid_t *out);

/* Writes every chunk of dset (rank 1 or 2, dims, chunk dims chunk, created by regio_h5_dataset:
 * shuffle + deflate at `level`) from fill: chunks are filled, shuffled and deflated (libdeflate,
 * zlib format, which HDF5's deflate filter reads) on regio_ctx_threads threads a batch at a time
 * and written in order with H5Dwrite_chunk. The bytes stored do not depend on the thread count. */
regio_err_t regio_h5_write_chunks(regio_h5w_t *w, hid_t dset, const char *object, int rank, const hsize_t *dims,
                                  const hsize_t *chunk, size_t elem_size, int level, regio_h5_fill_fn fill, void *user);
/* The same for the chunks of bands [band_first, band_end) only (band b: rows [b chunk[0], (b + 1)
 * chunk[0]) of dims[0]); fill is asked for rows of those bands only, by their dataset row. */
regio_err_t regio_h5_write_chunk_bands(regio_h5w_t *w, hid_t dset, const char *object, int rank, const hsize_t *dims,
                                       const hsize_t *chunk, size_t elem_size, int level, size_t band_first,
                                       size_t band_end, regio_h5_fill_fn fill, void *user);
/* Takes a compressed chunk (the stored bytes); returns 0, or nonzero when out of memory. */
typedef int (*regio_h5_chunk_put_fn)(void *user, const unsigned char *packed, size_t size);
/* The buffers of the compressing threads (a few per thread, of raw_bytes each; at most max_slots),
 * to lend to several calls of regio_h5_pack_chunk_bands on chunks of at most raw_bytes. */
typedef struct regio_h5_packer regio_h5_packer_t;
regio_err_t regio_h5_packer_new(regio_h5w_t *w, const char *object, size_t raw_bytes, int level, size_t max_slots,
                                regio_h5_packer_t **out);
void regio_h5_packer_free(regio_h5_packer_t **packer);
/* The same, the chunks handed in chunk order to put (when not NULL) instead of written to dset,
 * with the buffers of packer (NULL: its own, for this call). */
regio_err_t regio_h5_pack_chunk_bands(regio_h5w_t *w, hid_t dset, const char *object, int rank, const hsize_t *dims,
                                      const hsize_t *chunk, size_t elem_size, int level, size_t band_first,
                                      size_t band_end, regio_h5_fill_fn fill, void *user, regio_h5_chunk_put_fn put,
                                      void *put_user, regio_h5_packer_t *packer);

/* Packs n C strings (NULL = "") into n fixed slots of *width bytes, NUL-padded; *width becomes the
 * longest string, at least 1 and at least its value on entry. *chars is malloc'ed (caller frees). */
regio_err_t regio_h5_pack_strings(regio_h5w_t *w, const char *const *strings, size_t n, size_t *width, char **chars);

/* Creates /provenance with the attributes every regio file carries: regio_version, schema_version,
 * command_line, hdf5_version and processes (the ranks that wrote the file, 1 for one process).
 * The caller closes *group. */
regio_err_t regio_h5_provenance_group(regio_h5w_t *w, const char *command_line, hid_t *group);

#endif
