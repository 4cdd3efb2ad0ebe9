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

regio_err_t regio_h5_atomic_begin(regio_h5_atomic_t *a, const char *path, const char *temp_path, regio_ctx_t *ctx) {
  memset(a, 0, sizeof *a);
  a->w.ctx = ctx;
  a->w.path = path;
  a->w.file = -1;
  REGIO_CHECK(ctx, path && *path, REGIO_ERR_USAGE, "no output file given");
  regio_err_t err = REGIO_OK;
  hid_t fcpl = -1, fapl = -1;
  if (!temp_path) {
    size_t size = strlen(path) + 32;
    a->temp_owned = malloc(size);
    REGIO_CHECK(ctx, a->temp_owned, REGIO_ERR_NOMEM, "cannot write output file '%s': out of memory", path);
    snprintf(a->temp_owned, size, "%s.tmp.%ld", path, (long)getpid());
    temp_path = a->temp_owned;
  }
  a->temp_path = temp_path;
  REGIO_TRY_GOTO(check_paths(path, temp_path, ctx));
  remove_stale_temps(path);
  if (H5Eget_auto2(H5E_DEFAULT, &a->old_func, &a->old_data) >= 0) a->auto_saved = 1;
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  REGIO_H5_TRY(&a->w, fcpl = H5Pcreate(H5P_FILE_CREATE), "/");
  REGIO_H5_TRY(&a->w, H5Pset_obj_track_times(fcpl, 0), "/");
  REGIO_H5_TRY(&a->w, fapl = H5Pcreate(H5P_FILE_ACCESS), "/");
  REGIO_H5_TRY(&a->w, H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG), "/");
  a->w.file = H5Fcreate(temp_path, H5F_ACC_EXCL, fcpl, fapl);
  if (a->w.file < 0) {
    char inner[768];
    regio_h5_innermost_message(inner, sizeof inner);
    err = REGIO_ERROR(ctx, REGIO_ERR_IO, "cannot create output file '%s'%s%s", temp_path, inner[0] ? ": " : "", inner);
    goto cleanup;
  }
  a->created = 1;
cleanup:
  regio_h5_close(&fapl);
  regio_h5_close(&fcpl);
  if (err != REGIO_OK) (void)regio_h5_atomic_finish(a, 0);
  return err;
}

regio_err_t regio_h5_atomic_finish(regio_h5_atomic_t *a, int ok) {
  regio_err_t err = REGIO_OK;
  regio_ctx_t *ctx = a->w.ctx;
  if (ok && a->created) {
    hid_t file = a->w.file;
    a->w.file = -1;
    REGIO_H5_TRY(&a->w, H5Fclose(file), "/");
    if (fsync_path(a->temp_path, 0) != 0) {
      err = REGIO_ERROR(ctx, REGIO_ERR_IO, "cannot write output file '%s': fsync of '%s' failed: %s", a->w.path,
                        a->temp_path, strerror(errno));
      goto cleanup;
    }
    if (rename(a->temp_path, a->w.path) != 0) {
      err = REGIO_ERROR(ctx, REGIO_ERR_IO, "cannot write output file '%s': cannot rename '%s' to it: %s", a->w.path,
                        a->temp_path, strerror(errno));
      goto cleanup;
    }
    a->created = 0;
    char dir[4096];
    directory_of(a->w.path, dir, sizeof dir);
    (void)fsync_path(dir, 1); /* some file systems refuse fsync on a directory */
  }
cleanup:
  regio_h5_close(&a->w.file);
  if (a->created) unlink(a->temp_path);
  a->created = 0;
  if (a->auto_saved) H5Eset_auto2(H5E_DEFAULT, a->old_func, a->old_data);
  a->auto_saved = 0;
  free(a->temp_owned);
  a->temp_owned = NULL;
  return err;
}
