/* Writing a generated table: blocks generated (and compressed) in parallel, written in block
 * order to a temporary file that is renamed over the target when complete. */
#include <errno.h>
#include <fcntl.h>
#include <omp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "gen/gen_impl.h"

#define DEFAULT_GZIP_LEVEL 6

void regio_gen_opts_default(regio_gen_opts_t *opts) {
  memset(opts, 0, sizeof *opts);
  opts->preset = "demo";
  opts->seed = 1;
  opts->rows = 0;
  opts->threads = 0;
  opts->gzip_level = REGIO_GEN_GZIP_AUTO;
  opts->temp_path = NULL;
}

static int ends_with(const char *s, const char *suffix) {
  const size_t n = strlen(s), k = strlen(suffix);
  return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int write_all(int fd, const unsigned char *data, size_t len) {
  while (len > 0) {
    ssize_t done = write(fd, data, len > ((size_t)1 << 30) ? ((size_t)1 << 30) : len);
    if (done < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (done == 0) return EIO;
    data += done;
    len -= (size_t)done;
  }
  return 0;
}

/* One thread's working memory. */
typedef struct worker {
  char *text;              /* a block of CSV text */
  unsigned char *deflated; /* its compressed form (gzip only) */
  size_t deflated_cap;
  z_stream zs;
  int zs_ready;
} worker_t;

static int worker_init(worker_t *w, size_t text_cap, int gzip_level) {
  memset(w, 0, sizeof *w);
  w->text = malloc(text_cap);
  if (!w->text) return -1;
  if (gzip_level > 0) {
    /* Raw deflate (windowBits -15): the gzip header and trailer are written once for the file. */
    if (deflateInit2(&w->zs, gzip_level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) return -1;
    w->zs_ready = 1;
    w->deflated_cap = deflateBound(&w->zs, (uLong)text_cap) + 64;
    w->deflated = malloc(w->deflated_cap);
    if (!w->deflated) return -1;
  }
  return 0;
}

static void worker_free(worker_t *w) {
  free(w->text);
  free(w->deflated);
  if (w->zs_ready) deflateEnd(&w->zs);
  memset(w, 0, sizeof *w);
}

/* Compresses one block on its own; every block but the last ends with a sync flush (an empty
 * stored block: byte-aligned, not final), the last with the final block, so the concatenation is
 * one valid deflate stream. Returns the compressed size, or 0 on a zlib failure. */
static size_t deflate_block(worker_t *w, size_t len, int last) {
  if (deflateReset(&w->zs) != Z_OK) return 0;
  w->zs.next_in = (unsigned char *)w->text;
  w->zs.avail_in = (uInt)len;
  w->zs.next_out = w->deflated;
  w->zs.avail_out = (uInt)w->deflated_cap;
  const int rc = deflate(&w->zs, last ? Z_FINISH : Z_SYNC_FLUSH);
  if (last ? rc != Z_STREAM_END : (rc != Z_OK || w->zs.avail_in != 0 || w->zs.avail_out == 0)) return 0;
  return w->deflated_cap - w->zs.avail_out;
}

/* The shared state of one run, touched by the writing thread inside the ordered region only. */
typedef struct run {
  int fd;
  int failed;      /* set once, read by all threads (atomic) */
  int write_errno; /* first write error */
  int nomem;       /* a worker could not get memory */
  int zlib_failed;
  uint32_t crc; /* CRC-32 of the text so far (gzip) */
  int64_t text_bytes;
  int64_t file_bytes;
} run_t;

static void fail(run_t *run) {
#pragma omp atomic write
  run->failed = 1;
}

static int has_failed(run_t *run) {
  int failed;
#pragma omp atomic read
  failed = run->failed;
  return failed;
}

/* Opens the output: the file itself when it exists and is not a regular file (a device, a pipe),
 * otherwise the temporary file. */
static regio_err_t open_output(const char *path, const char *temp_path, int *fd_out, int *direct, regio_ctx_t *ctx) {
  struct stat st;
  *direct = stat(path, &st) == 0 && !S_ISREG(st.st_mode);
  if (*direct) {
    REGIO_CHECK(ctx, !S_ISDIR(st.st_mode), REGIO_ERR_IO, "cannot write '%s': Is a directory", path);
    *fd_out = open(path, O_WRONLY | O_CLOEXEC);
    REGIO_CHECK(ctx, *fd_out >= 0, REGIO_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
    return REGIO_OK;
  }
  *fd_out = open(temp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  REGIO_CHECK(ctx, *fd_out >= 0, REGIO_ERR_IO, "cannot write '%s': %s (creating the temporary file '%s')", path,
              strerror(errno), temp_path);
  return REGIO_OK;
}

static regio_err_t generate(const regio_gen_model_t *model, int64_t rows, int threads, int gzip_level, run_t *run,
                            regio_ctx_t *ctx) {
  const int64_t n_blocks = (rows + REGIO_GEN_BLOCK_ROWS - 1) / REGIO_GEN_BLOCK_ROWS; /* rows >= 1 */
  /* Block 0 also carries the header row. */
  const size_t text_cap = ((size_t)REGIO_GEN_BLOCK_ROWS + 1) * REGIO_GEN_ROW_MAX;
  const int gzip = gzip_level > 0;
  if (gzip) {
    /* gzip header: deflate, no name, mtime 0 (reproducible), OS Unix. */
    static const unsigned char header[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
    run->write_errno = write_all(run->fd, header, sizeof header);
    if (run->write_errno) return REGIO_ERR_IO;
    run->file_bytes += sizeof header;
    run->crc = (uint32_t)crc32(0L, Z_NULL, 0);
  }

  /* Threads take the next block as they become free (a slow or descheduled thread does not hold
   * the others back) and write blocks in block order; at most one block per thread is in flight.
   * Block contents depend on the block index only, never on the thread. The turn is passed
   * with a mutex and condition variable rather than `omp ordered`, because a thread waiting for its
   * turn then sleeps instead of spinning: on a loaded machine a spinning waiter steals the core the
   * writer needs (measured: 2 threads took 4x the CPU time of 1 under OMP_WAIT_POLICY=active). */
  pthread_mutex_t turn_lock = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t turn_changed = PTHREAD_COND_INITIALIZER;
  int64_t next_to_write = 0, next_to_take = 0;

#pragma omp parallel num_threads(threads)
  {
    const int tid = omp_get_thread_num();
    worker_t w;
    if (worker_init(&w, text_cap, gzip_level)) {
#pragma omp atomic write
      run->nomem = 1;
      fail(run);
    }
    for (;;) {
      int64_t b;
#pragma omp atomic capture
      b = next_to_take++;
      if (b >= n_blocks) break;
      size_t len = 0, out_len = 0;
      uint32_t block_crc = 0;
      if (!has_failed(run)) {
        const int64_t first = b * REGIO_GEN_BLOCK_ROWS;
        const int64_t n = rows - first < REGIO_GEN_BLOCK_ROWS ? rows - first : REGIO_GEN_BLOCK_ROWS;
        if (b == 0) len = regio_gen_header(model, w.text);
        len += regio_gen_block(model, b, n, w.text + len);
        if (gzip) {
          block_crc = (uint32_t)crc32(0L, (const unsigned char *)w.text, (uInt)len);
          out_len = deflate_block(&w, len, b == n_blocks - 1);
          if (out_len == 0) {
#pragma omp atomic write
            run->zlib_failed = 1;
            fail(run);
          }
        }
      }
      pthread_mutex_lock(&turn_lock);
      while (next_to_write != b) pthread_cond_wait(&turn_changed, &turn_lock);
      pthread_mutex_unlock(&turn_lock);
      /* Our turn: only this thread touches the file and the run's counters until it passes on. */
      if (!has_failed(run)) {
        const unsigned char *data = gzip ? w.deflated : (const unsigned char *)w.text;
        const size_t data_len = gzip ? out_len : len;
        run->write_errno = write_all(run->fd, data, data_len);
        if (run->write_errno) {
          fail(run);
        } else {
          if (gzip) run->crc = (uint32_t)crc32_combine(run->crc, block_crc, (z_off_t)len);
          run->text_bytes += (int64_t)len;
          run->file_bytes += (int64_t)data_len;
        }
      }
      /* The callback runs on the calling thread only (thread 0 of the team). */
      if (tid == 0 && b + 1 < n_blocks) regio_ctx_progress(ctx, "gen", (double)(b + 1) / (double)n_blocks);
      pthread_mutex_lock(&turn_lock);
      next_to_write = b + 1;
      pthread_cond_broadcast(&turn_changed);
      pthread_mutex_unlock(&turn_lock);
    }
    worker_free(&w);
  }
  pthread_mutex_destroy(&turn_lock);
  pthread_cond_destroy(&turn_changed);

  if (run->failed) {
    if (run->nomem) return REGIO_ERR_NOMEM;
    if (run->zlib_failed) return REGIO_ERR_INTERNAL;
    return REGIO_ERR_IO;
  }
  if (gzip) {
    const uint32_t size = (uint32_t)run->text_bytes; /* ISIZE: length mod 2^32 */
    const unsigned char trailer[8] = {(unsigned char)run->crc,
                                      (unsigned char)(run->crc >> 8),
                                      (unsigned char)(run->crc >> 16),
                                      (unsigned char)(run->crc >> 24),
                                      (unsigned char)size,
                                      (unsigned char)(size >> 8),
                                      (unsigned char)(size >> 16),
                                      (unsigned char)(size >> 24)};
    run->write_errno = write_all(run->fd, trailer, sizeof trailer);
    if (run->write_errno) return REGIO_ERR_IO;
    run->file_bytes += sizeof trailer;
  }
  regio_ctx_progress(ctx, "gen", 1.0);
  return REGIO_OK;
}

regio_err_t regio_gen_write(const regio_gen_opts_t *opts_in, const char *path, regio_ctx_t *ctx,
                            regio_gen_summary_t *summary) {
  regio_gen_opts_t opts;
  if (opts_in)
    opts = *opts_in;
  else
    regio_gen_opts_default(&opts);
  REGIO_CHECK(ctx, path != NULL && path[0] != '\0', REGIO_ERR_USAGE, "no output file given");
  const regio_gen_preset_info_t *preset = regio_gen_preset_find(opts.preset);
  REGIO_CHECK(ctx, preset != NULL, REGIO_ERR_USAGE, "unknown preset '%s' (presets: demo, kr, narrow, wide)",
              opts.preset ? opts.preset : "(null)");
  REGIO_CHECK(ctx, opts.rows >= 0, REGIO_ERR_USAGE, "row count %lld is negative", (long long)opts.rows);
  REGIO_CHECK(ctx, opts.gzip_level >= REGIO_GEN_GZIP_AUTO && opts.gzip_level <= 9, REGIO_ERR_USAGE,
              "gzip level %d is not in 0..9", opts.gzip_level);
  const int64_t rows = opts.rows > 0 ? opts.rows : preset->default_rows;
  const int gzip_level =
      opts.gzip_level == REGIO_GEN_GZIP_AUTO ? (ends_with(path, ".gz") ? DEFAULT_GZIP_LEVEL : 0) : opts.gzip_level;
  int threads = opts.threads > 0 ? opts.threads : regio_ctx_threads(ctx);
  if (threads < 1) threads = 1;
  const int64_t n_blocks = (rows + REGIO_GEN_BLOCK_ROWS - 1) / REGIO_GEN_BLOCK_ROWS;
  if (threads > n_blocks) threads = (int)n_blocks;

  char *own_temp = NULL;
  const char *temp_path = opts.temp_path;
  if (!temp_path) {
    const size_t n = strlen(path) + 32;
    own_temp = malloc(n);
    if (!own_temp) return REGIO_ERROR(ctx, REGIO_ERR_NOMEM, "out of memory");
    snprintf(own_temp, n, "%s.tmp.%ld", path, (long)getpid());
    temp_path = own_temp;
  }

  regio_gen_model_t *model = NULL;
  regio_err_t err = regio_gen_model_create(preset, opts.seed, ctx, &model);
  if (err) {
    free(own_temp);
    return err;
  }

  run_t run;
  memset(&run, 0, sizeof run);
  int direct = 0;
  err = open_output(path, temp_path, &run.fd, &direct, ctx);
  if (!err) {
    err = generate(model, rows, threads, gzip_level, &run, ctx);
    if (err == REGIO_ERR_IO)
      REGIO_ERROR(ctx, err, "cannot write '%s': %s", path, strerror(run.write_errno));
    else if (err == REGIO_ERR_NOMEM)
      REGIO_ERROR(ctx, err, "out of memory for %d threads' block buffers writing '%s'", threads, path);
    else if (err == REGIO_ERR_INTERNAL)
      REGIO_ERROR(ctx, err, "zlib failed to compress a block of '%s'", path);
    /* close() can report a delayed write error (NFS, quota). */
    if (close(run.fd) != 0 && !err)
      err = REGIO_ERROR(ctx, REGIO_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
    if (!direct) {
      if (!err && rename(temp_path, path) != 0)
        err = REGIO_ERROR(ctx, REGIO_ERR_IO, "cannot rename '%s' to '%s': %s", temp_path, path, strerror(errno));
      if (err) unlink(temp_path);
    }
  }
  if (!err && summary) {
    summary->rows = rows;
    summary->text_bytes = run.text_bytes;
    summary->file_bytes = run.file_bytes;
    summary->gzip_level = gzip_level;
    summary->threads = threads;
    summary->n_districts = model->n_districts;
    summary->n_sectors = model->n_sectors;
  }
  regio_gen_model_destroy(&model);
  free(own_temp);
  return err;
}
