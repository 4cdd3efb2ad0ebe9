/* regio: the HDF5 result file (schema version 1, docs/SCHEMA.md). */
#ifndef REGIO_OUTPUT_H
#define REGIO_OUTPUT_H

#include "regio/error.h"
#include "regio/indices.h"

#ifdef __cplusplus
extern "C" {
#endif

#define REGIO_SCHEMA_VERSION 1

/* Writes res to path atomically: the file is written to temp_path (NULL: path + ".tmp.<pid>"),
 * which must be in the same directory, and renamed over path only when complete, so a failed run
 * leaves no partial file and an existing file at path stays intact. On failure the temporary file
 * is removed. A program that handles signals chooses temp_path itself so that its handler can
 * remove it. */
regio_err_t regio_output_write(const regio_result_t *res, const char *path, const char *temp_path, regio_ctx_t *ctx);

#ifdef __cplusplus
}
#endif
#endif
