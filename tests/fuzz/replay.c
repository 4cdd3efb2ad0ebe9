/* Replays a fuzzing corpus through a libFuzzer harness without libFuzzer, so that the test suite
 * (any compiler) runs every saved input: replay FILE_OR_DIR... */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "replay: cannot open %s\n", path);
    return 1;
  }
  uint8_t *data = malloc(1 << 20);
  size_t n = data ? fread(data, 1, 1 << 20, f) : 0;
  fclose(f);
  if (!data) return 1;
  LLVMFuzzerTestOneInput(data, n);
  free(data);
  return 0;
}

int main(int argc, char **argv) {
  int files = 0, failures = 0;
  for (int i = 1; i < argc; i++) {
    struct stat st;
    if (stat(argv[i], &st) != 0) {
      fprintf(stderr, "replay: no such file or folder: %s\n", argv[i]);
      return 1;
    }
    if (!S_ISDIR(st.st_mode)) {
      failures += run_file(argv[i]);
      files++;
      continue;
    }
    DIR *dir = opendir(argv[i]);
    struct dirent *e;
    while (dir && (e = readdir(dir))) {
      if (e->d_name[0] == '.') continue;
      char path[4096];
      snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
      failures += run_file(path);
      files++;
    }
    if (dir) closedir(dir);
  }
  printf("replay: %d inputs, %d unreadable\n", files, failures);
  return files == 0 || failures ? 1 : 0;
}
