/* Creating a result file atomically (see atomic_impl.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/dist_internal.h"
#include "output/atomic_impl.h"

static void directory_of(const char *path, char *out, size_t size) {
  const char *slash = strrchr(path, '/');
  if (!slash) {
    snprintf(out, size, ".");
  } else if (slash == path) {
    snprintf(out, size, "/");
  } else {
    size_t len = (size_t)(slash - path);
    if (len >= size) len = size - 1;
    memcpy(out, path, len);
    out[len] = '\0';
  }
}

static int fsync_path(const char *path, int directory) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | (directory ? O_DIRECTORY : 0));
  if (fd < 0) return -1;
  int rc = fsync(fd);
  int saved = errno;
  close(fd);
  errno = saved;
  return rc;
}

static regio_err_t check_paths(const char *path, const char *temp_path, regio_ctx_t *ctx) {
  struct stat st;
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
    return REGIO_ERROR(ctx, REGIO_ERR_IO, "cannot write output file '%s': it is a directory", path);
  char dir[4096];
  directory_of(temp_path, dir, sizeof dir);
  if (stat(dir, &st) != 0)
    return REGIO_ERROR(ctx, REGIO_ERR_IO, "cannot create output file '%s': %s", temp_path, strerror(errno));
  if (!S_ISDIR(st.st_mode))
    return REGIO_ERROR(ctx, REGIO_ERR_IO, "cannot create output file '%s': '%s' is not a directory", temp_path, dir);
  if (access(dir, W_OK | X_OK) != 0)
    return REGIO_ERROR(ctx, REGIO_ERR_IO, "cannot create output file '%s': %s", temp_path, strerror(errno));
  if (lstat(temp_path, &st) == 0)
    return REGIO_ERROR(ctx, REGIO_ERR_IO, "cannot create output file '%s': %s", temp_path, strerror(EEXIST));
  return REGIO_OK;
}

/* Removes the temporary files "<name>.tmp.<pid>" that runs killed without a chance to clean up
 * (SIGKILL, a power cut) left beside path: those whose process no longer exists. A temporary file
 * of a running process, or of a process on another machine that happens to have a running pid
 * here, is left alone. */
static void remove_stale_temps(const char *path) {
  char dir[4096];
  directory_of(path, dir, sizeof dir);
  const char *slash = strrchr(path, '/');
  const char *name = slash ? slash + 1 : path;
  size_t name_len = strlen(name);
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strncmp(e->d_name, name, name_len) != 0 || strncmp(e->d_name + name_len, ".tmp.", 5) != 0) continue;
    const char *digits = e->d_name + name_len + 5;
    char *end;
    errno = 0;
    long pid = strtol(digits, &end, 10);
    if (errno || end == digits || *end || *digits == '-' || *digits == '+' || pid <= 0 || pid == (long)getpid())
      continue;
    if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue; /* alive, or not ours to judge */
    char stale[8192];
    if (snprintf(stale, sizeof stale, "%s/%s", dir, e->d_name) < (int)sizeof stale) unlink(stale);
  }
  closedir(d);
}

/* Parallel mode: every rank takes rank 0's temporary path (the caller's may hold each rank's pid). */
static regio_err_t share_temp_path(regio_h5_atomic_t *a, const char *temp_path, regio_ctx_t *ctx) {
  regio_dist_t *d = a->w.dist;
  uint64_t len = regio_dist_rank(d) == 0 ? (uint64_t)strlen(temp_path) : 0;
  REGIO_TRY(regio_dist_bcast(d, &len, sizeof len, 0, ctx));
  char *shared = malloc((size_t)len + 1);
  regio_err_t err = REGIO_OK;
  if (!shared) err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "cannot write output file '%s': out of memory", a->w.path);
  REGIO_TRY(regio_dist_agree(d, err, ctx));
  if (regio_dist_rank(d) == 0) memcpy(shared, temp_path, (size_t)len);
  shared[len] = '\0';
  err = regio_dist_bcast(d, shared, (size_t)len, 0, ctx);
  if (err) {
    free(shared);
    return err;
  }
  free(a->temp_owned);
  a->temp_owned = shared;
  a->temp_path = shared;
  return REGIO_OK;
}

regio_err_t regio_h5_atomic_begin(regio_h5_atomic_t *a, const char *path, const char *temp_path, regio_ctx_t *ctx) {
  memset(a, 0, sizeof *a);
  a->w.ctx = ctx;
  a->w.path = path;
  a->w.file = -1;
  a->w.dist = regio_ctx_dist(ctx);
#ifdef REGIO_HAVE_MPI
  a->w.parallel = regio_dist_size(a->w.dist) > 1;
#endif
  regio_err_t err = REGIO_OK;
  if (!(path && *path)) err = REGIO_ERROR(ctx, REGIO_ERR_USAGE, "no output file given");
  REGIO_TRY(regio_h5_agree(&a->w, err));
  hid_t fcpl = -1, fapl = -1;
  if (!temp_path) {
    size_t size = strlen(path) + 32;
    a->temp_owned = malloc(size);
    if (a->temp_owned)
      snprintf(a->temp_owned, size, "%s.tmp.%ld", path, (long)getpid());
    else
      err = REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "cannot write output file '%s': out of memory", path);
    temp_path = a->temp_owned;
  }
  a->temp_path = temp_path;
  REGIO_AGREE_GOTO(&a->w, err);
  if (a->w.parallel) REGIO_TRY_GOTO(share_temp_path(a, temp_path, ctx));
  /* one rank checks the directory and clears stale files (a pid is only meaningful on its host) */
  if (!a->w.parallel || regio_dist_rank(a->w.dist) == 0) {
    err = check_paths(path, a->temp_path, ctx);
    if (!err) remove_stale_temps(path);
  }
  REGIO_AGREE_GOTO(&a->w, err);
  if (H5Eget_auto2(H5E_DEFAULT, &a->old_func, &a->old_data) >= 0) a->auto_saved = 1;
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  /* The parallel mode: rank 0 writes the file, as one process does, from the rows every rank
   * sends it (h5util.c); the other ranks make the same HDF5 calls on a file in memory that is never
   * stored (the core driver without a backing store), so every rank runs the same code. What fails
   * here (the property lists: memory; the file) fails on one rank alone: agreed below. */
  const int in_memory = a->w.parallel && regio_dist_rank(a->w.dist) != 0;
  char memory_name[64];
  snprintf(memory_name, sizeof memory_name, "regio-rank-%d-in-memory.h5", regio_dist_rank(a->w.dist));
  if ((fcpl = H5Pcreate(H5P_FILE_CREATE)) < 0)
    err = regio_h5_fail(&a->w, "H5Pcreate(H5P_FILE_CREATE)", "/", __FILE__, __LINE__, __func__);
  else if (H5Pset_obj_track_times(fcpl, 0) < 0)
    err = regio_h5_fail(&a->w, "H5Pset_obj_track_times(fcpl, 0)", "/", __FILE__, __LINE__, __func__);
  else if ((fapl = H5Pcreate(H5P_FILE_ACCESS)) < 0)
    err = regio_h5_fail(&a->w, "H5Pcreate(H5P_FILE_ACCESS)", "/", __FILE__, __LINE__, __func__);
  else if (H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0)
    err = regio_h5_fail(&a->w, "H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG)", "/", __FILE__, __LINE__, __func__);
  else if (in_memory && H5Pset_fapl_core(fapl, (size_t)1 << 20, 0) < 0)
    err = regio_h5_fail(&a->w, "H5Pset_fapl_core(fapl, (size_t)1 << 20, 0)", "/", __FILE__, __LINE__, __func__);
  else if ((a->w.file = H5Fcreate(in_memory ? memory_name : a->temp_path, H5F_ACC_EXCL, fcpl, fapl)) < 0) {
    char inner[768];
    regio_h5_innermost_message(inner, sizeof inner);
    err =
        REGIO_ERROR(ctx, REGIO_ERR_IO, "cannot create output file '%s'%s%s", a->temp_path, inner[0] ? ": " : "", inner);
  } else {
    a->created = 1;
  }
  REGIO_AGREE_GOTO(&a->w, err);
cleanup:
  regio_h5_close(&fapl);
  regio_h5_close(&fcpl);
  if (err != REGIO_OK) (void)regio_h5_atomic_finish(a, 0);
  return err;
}

regio_err_t regio_h5_atomic_finish(regio_h5_atomic_t *a, int ok) {
  regio_err_t err = REGIO_OK;
  regio_ctx_t *ctx = a->w.ctx;
  int leader = !a->w.parallel || regio_dist_rank(a->w.dist) == 0;
  /* the file is kept only when every rank succeeded (the callers agree first; this makes sure) */
  if (a->w.parallel && regio_dist_agree(a->w.dist, ok ? REGIO_OK : REGIO_ERR_INTERNAL, ctx) != REGIO_OK) ok = 0;
  if (ok && a->created) {
    hid_t file = a->w.file;
    a->w.file = -1;
    err = H5Fclose(file) < 0 ? regio_h5_fail(&a->w, "H5Fclose(file)", "/", __FILE__, __LINE__, __func__) : REGIO_OK;
    REGIO_AGREE_GOTO(&a->w, err);
    /* every rank has closed the file: rank 0 makes it durable and puts it in place */
    if (leader) {
      if (fsync_path(a->temp_path, 0) != 0)
        err = REGIO_ERROR(ctx, REGIO_ERR_IO, "cannot write output file '%s': fsync of '%s' failed: %s", a->w.path,
                          a->temp_path, strerror(errno));
      else if (rename(a->temp_path, a->w.path) != 0)
        err = REGIO_ERROR(ctx, REGIO_ERR_IO, "cannot write output file '%s': cannot rename '%s' to it: %s", a->w.path,
                          a->temp_path, strerror(errno));
      if (!err) {
        a->created = 0;
        char dir[4096];
        directory_of(a->w.path, dir, sizeof dir);
        (void)fsync_path(dir, 1); /* some file systems refuse fsync on a directory */
      }
    } else {
      a->created = 0;
    }
    REGIO_AGREE_GOTO(&a->w, err);
  }
cleanup:
  regio_h5_close(&a->w.file); /* rank 0's file; the other ranks' files in memory are dropped */
  if (a->w.parallel) regio_dist_barrier(a->w.dist);
  if (a->created && leader) unlink(a->temp_path);
  a->created = 0;
  if (a->auto_saved) H5Eset_auto2(H5E_DEFAULT, a->old_func, a->old_data);
  a->auto_saved = 0;
  free(a->temp_owned);
  a->temp_owned = NULL;
  return err;
}
