/* Shared by the fuzz harnesses: the readers take paths, so the input becomes an in-memory file. */
#ifndef REGIO_FUZZ_MEMFILE_H
#define REGIO_FUZZ_MEMFILE_H

#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

/* Writes data to a memfd and its /proc path to path; returns the fd (close it), or -1. */
static inline int fuzz_memfile(const uint8_t *data, size_t size, char *path, size_t path_size) {
  int fd = memfd_create("fuzz_input", 0);
  if (fd < 0) return -1;
  if (size && write(fd, data, size) != (ssize_t)size) {
    close(fd);
    return -1;
  }
  snprintf(path, path_size, "/proc/self/fd/%d", fd);
  return fd;
}

#endif
