/* Internal to src/output: creating a result file atomically (a temporary file in the same
 * directory, renamed over the final path only when complete), for writers other than
 * regio_output_write. Same guarantees as write.c: the output directory is checked first, HDF5's
 * own error printing is off while writing, a failed write removes the temporary file. */
#ifndef REGIO_OUTPUT_ATOMIC_IMPL_H
#define REGIO_OUTPUT_ATOMIC_IMPL_H

#include "output/h5_impl.h"

typedef struct regio_h5_atomic {
  regio_h5w_t w;         /* w.file is the open temporary file */
  const char *temp_path; /* borrowed or temp_owned */
  char *temp_owned;
  int created;
  int auto_saved;
  H5E_auto2_t old_func;
  void *old_data;
} regio_h5_atomic_t;

/* Creates temp_path (NULL: path + ".tmp.<pid>") without time stamps. On failure everything is
 * released; on success call regio_h5_atomic_finish exactly once. */
regio_err_t regio_h5_atomic_begin(regio_h5_atomic_t *a, const char *path, const char *temp_path, regio_ctx_t *ctx);

/* ok != 0: closes, fsyncs and renames the file over path. ok == 0 (or a failure on the way):
 * closes and removes the temporary file. Returns the error of the finishing steps, or REGIO_OK. */
regio_err_t regio_h5_atomic_finish(regio_h5_atomic_t *a, int ok);

#endif
