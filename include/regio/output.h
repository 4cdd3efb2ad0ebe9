/* regio: the HDF5 result file (schema version 1, docs/SCHEMA.md). */
#ifndef REGIO_OUTPUT_H
#define REGIO_OUTPUT_H

#include "regio/error.h"
#include "regio/indices.h"
#include "regio/io.h"

#ifdef __cplusplus
extern "C" {
#endif

#define REGIO_SCHEMA_VERSION 1

/* Writes res to path atomically: the file is written to temp_path (NULL: path + ".tmp.<pid>"),
 * which must be in the same directory, and renamed over path only when complete, so a failed run
 * leaves no partial file and an existing file at path stays intact. On failure the temporary file
 * is removed. A program that handles signals chooses temp_path itself so that its handler can
 * remove it.
 *
 * Distributed mode (an MPI build and a context whose dist has more than one rank; collective): all
 * ranks write one file together through MPI-IO, the same as a serial run's but for the attribute
 * /provenance processes (docs/SCHEMA.md). Each rank passes its block of the districts
 * (res->district_offset, the same n_districts_global on every rank; the blocks tile the districts
 * in rank order, a block may be empty) and the national values, identical on every rank. Every rank
 * must hold the same optional parts (a rank without districts too: its per-district arrays present,
 * possibly empty), else REGIO_ERR_INTERNAL on every rank. path must be the same on every rank; the
 * temporary file is rank 0's temp_path. An error on any rank is returned by every rank (with the
 * message of the lowest failing rank); rank 0 removes the temporary file, or renames it once every
 * rank has closed it. One process: res must hold all districts (district_offset 0). */
regio_err_t regio_output_write(const regio_result_t *res, const char *path, const char *temp_path, regio_ctx_t *ctx);

/* Input-output results written beside the run's results (group /io, docs/SCHEMA.md); everything
 * borrowed. regional (and the fields after it) may be NULL / 0 for the national analysis only. */
typedef struct regio_output_io {
  const regio_io_table_t *table;
  const regio_io_national_t *national;
  const regio_io_regional_t *regional;
  const char *const *district_code; /* regional->n_districts codes */
  /* distributed mode: these regional districts are rows [regional_offset, regional_offset +
   * regional->n_districts) of n_regional_global (one process: 0 and regional->n_districts; 0 for
   * n_regional_global means regional->n_districts). regional->n_empty_districts and
   * n_lu_fallbacks are the national counts, the same on every rank (as regio_io_regional_compute
   * leaves them in the distributed mode). */
  size_t regional_offset, n_regional_global;
  const char *sector_map_path;
  int district_level;         /* 0: the districts as read */
  double excluded_employment; /* employment in sectors the map excludes ("-") */
} regio_output_io_t;

/* regio_output_write, plus the group /io from io (NULL: none). */
regio_err_t regio_output_write_with_io(const regio_result_t *res, const regio_output_io_t *io, const char *path,
                                       const char *temp_path, regio_ctx_t *ctx);

#ifdef __cplusplus
}
#endif
#endif
