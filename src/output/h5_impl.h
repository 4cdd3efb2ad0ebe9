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

#include "regio/error.h"

/* One output file being written. */
typedef struct regio_h5w {
  regio_ctx_t *ctx;
  const char *path; /* the final output path, named in messages (borrowed) */
  hid_t file;       /* the open temporary file, or -1 */
} regio_h5w_t;

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

/* Chunk dimensions for a dataset of rank 1 or 2 with elements of elem_size bytes: about 512 KiB
 * per chunk, whole rows when they fit, clamped to dims. Returns 0 (contiguous layout) when a
 * dimension is zero, or for a small 1-D dataset (under 64 KiB); 1 otherwise. */
int regio_h5_chunk_dims(int rank, const hsize_t *dims, size_t elem_size, hsize_t *chunk);

/* Creates dataset `name` in loc (full path `object`), with file type file_type, chunked and
 * compressed (shuffle + deflate) when regio_h5_chunk_dims says so, no time stamps, and a
 * `description` attribute. *chunk_rows receives the rows per chunk (dims[0] when contiguous) if
 * not NULL. */
regio_err_t regio_h5_dataset(regio_h5w_t *w, hid_t loc, const char *name, const char *object, hid_t file_type, int rank,
                             const hsize_t *dims, const char *description, hid_t *out, hsize_t *chunk_rows);

#define REGIO_H5_DEFLATE_LEVEL 1

/* Writes all of a dataset created by regio_h5_dataset from fill: through regio_h5_write_chunks
 * when it is chunked (then fill gives file_type's bytes), else with one H5Dwrite of the whole
 * dataset filled into a buffer. */
regio_err_t regio_h5_dataset_fill(regio_h5w_t *w, hid_t dset, const char *object, hid_t file_type, int rank,
                                  const hsize_t *dims, regio_h5_fill_fn fill, void *user);

/* Creates a dataset as above and writes all of it from data (mem_type; not read when the dataset
 * is empty). *out receives the open dataset when out is not NULL, else it is closed. */
regio_err_t regio_h5_dataset_write(regio_h5w_t *w, hid_t loc, const char *name, const char *object, hid_t file_type,
                                   hid_t mem_type, int rank, const hsize_t *dims, const void *data,
                                   const char *description, hid_t *out);

/* Writes every chunk of dset (rank 1 or 2, dims, chunk dims chunk, created by regio_h5_dataset:
 * shuffle + deflate at `level`) from fill: chunks are filled, shuffled and deflated (libdeflate,
 * zlib format, which HDF5's deflate filter reads) on regio_ctx_threads threads a batch at a time
 * and written in order with H5Dwrite_chunk. The bytes stored do not depend on the thread count. */
regio_err_t regio_h5_write_chunks(regio_h5w_t *w, hid_t dset, const char *object, int rank, const hsize_t *dims,
                                  const hsize_t *chunk, size_t elem_size, int level, regio_h5_fill_fn fill, void *user);

/* Packs n C strings (NULL = "") into n fixed slots of *width bytes, NUL-padded; *width is the
 * longest string, at least 1. *chars is malloc'ed (caller frees). */
regio_err_t regio_h5_pack_strings(regio_h5w_t *w, const char *const *strings, size_t n, size_t *width, char **chars);

/* Creates /provenance with the attributes every regio file carries: regio_version, schema_version,
 * command_line and hdf5_version. The caller closes *group. */
regio_err_t regio_h5_provenance_group(regio_h5w_t *w, const char *command_line, hid_t *group);

#endif
