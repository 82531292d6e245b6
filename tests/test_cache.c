/* test_cache.c: the on-disk program cache: a cold build writes one entry, the next context loads
 * it, truncated, garbage and driver-rejected entries are rebuilt, an unusable folder only costs
 * speed. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_run.h"
#include "helpers.h"
#include "context.h" /* the build counters of a context, to see where its program came from */

static char cache_dir[64];

static void fresh_cache(void) {
  unsetenv("MRANK_NO_CACHE");
  unsetenv("MRANK_KERNEL_DIR");
  snprintf(cache_dir, sizeof cache_dir, "/tmp/mrank-cache-XXXXXX");
  cr_assert_not_null(mkdtemp(cache_dir));
  setenv("MRANK_CACHE_DIR", cache_dir, 1);
}

/* Each test's folder goes when the test ends: its entries (and the blocker file) are files. */
static void remove_cache(void) {
  DIR *dir = opendir(cache_dir);
  if (dir == NULL) return;
  char path[512];
  for (struct dirent *item; (item = readdir(dir)) != NULL;) {
    if (strcmp(item->d_name, ".") == 0 || strcmp(item->d_name, "..") == 0) continue;
    snprintf(path, sizeof path, "%s/%s", cache_dir, item->d_name);
    remove(path);
  }
  closedir(dir);
  rmdir(cache_dir);
}

TestSuite(cache, .init = fresh_cache, .fini = remove_cache);

/* Builds the kernels through one forward call and checks the result; returns the context. */
static mrank_context *run_once(void) {
  mrank_context *ctx = NULL;
  if (mrank_context_create(NULL, &ctx) != MRANK_SUCCESS) {
    cr_skip_test("no OpenCL device: %s", mrank_last_error());
  }
  cr_assert(!ctx->is_host, "the cache tests need an OpenCL device, not MRANK_DEVICE=host");
  test_inputs in = make_inputs(300, 5, 1);
  float got[300], want[300];
  cr_assert_eq(mrank_forward(ctx, 300, in.x1, in.x2, in.y, 1.0f, MRANK_REDUCTION_NONE, got),
               MRANK_SUCCESS, "%s", mrank_last_error());
  mrank_reference_forward(300, in.x1, in.x2, in.y, 1.0f, MRANK_REDUCTION_NONE, want);
  assert_same_bits(got, want, 300, "forward through the cache", 300);
  free_inputs(&in);
  return ctx;
}

/* The one entry in the cache folder ("" when there is none); fails on more than one. */
static void entry_path(char *path, size_t capacity) {
  DIR *dir = opendir(cache_dir);
  cr_assert_not_null(dir);
  struct dirent *item;
  int entries = 0;
  path[0] = '\0';
  while ((item = readdir(dir)) != NULL) {
    if (item->d_name[0] == '.') continue;
    cr_assert_not_null(strstr(item->d_name, ".clbin"), "only entries, no temporary files: %s",
                       item->d_name);
    snprintf(path, capacity, "%s/%s", cache_dir, item->d_name);
    entries++;
  }
  closedir(dir);
  cr_assert_leq(entries, 1, "one kernel family, one entry");
}

static long file_size(const char *path) {
  struct stat info;
  return stat(path, &info) == 0 ? (long)info.st_size : -1;
}

static void expect_source_build_then_disk_load(void) {
  mrank_context *ctx = run_once();
  cr_assert_eq(ctx->programs_from_source, 1, "rebuilt from source");
  cr_assert_eq(ctx->programs_from_disk, 0);
  mrank_context_destroy(ctx);
  ctx = run_once();
  cr_assert_eq(ctx->programs_from_disk, 1, "the rewritten entry loads again");
  mrank_context_destroy(ctx);
}

Test(cache, cold_build_writes_an_entry_that_the_next_context_loads) {
  char path[512];
  expect_source_build_then_disk_load();
  entry_path(path, sizeof path);
  cr_assert(path[0] != '\0' && file_size(path) > 0, "an entry was written");
}

Test(cache, a_truncated_entry_is_rebuilt) {
  char path[512];
  mrank_context_destroy(run_once());
  entry_path(path, sizeof path);
  cr_assert_eq(truncate(path, file_size(path) / 2), 0);
  expect_source_build_then_disk_load();
}

Test(cache, a_garbage_entry_is_rebuilt) {
  char path[512];
  mrank_context_destroy(run_once());
  entry_path(path, sizeof path);
  long size = file_size(path);
  FILE *file = fopen(path, "wb");
  mrank_random random = {11};
  for (long i = 0; i < size; ++i)
    fputc((int)(mrank_random_next(&random) & 0xff), file);
  fclose(file);
  expect_source_build_then_disk_load();
}

static uint64_t fnv1a(const unsigned char *data, size_t size) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < size; ++i)
    hash = (hash ^ data[i]) * 0x100000001b3ull;
  return hash;
}

Test(cache, a_binary_the_driver_rejects_is_rebuilt) {
  /* an entry whose frame is intact (magic, key, checksum) but whose binary is not a program: only
   * the driver can tell, and mrank must then delete it and build from source */
  char path[512];
  mrank_context_destroy(run_once());
  entry_path(path, sizeof path);
  long size = file_size(path);
  unsigned char *bytes = malloc((size_t)size);
  FILE *file = fopen(path, "rb");
  cr_assert_eq(fread(bytes, 1, (size_t)size, file), (size_t)size);
  fclose(file);
  uint32_t key_length;
  uint64_t binary_length;
  memcpy(&key_length, bytes + 12, sizeof key_length);
  memcpy(&binary_length, bytes + 16, sizeof binary_length);
  unsigned char *binary = bytes + 32 + key_length;
  cr_assert_eq((long)(32 + key_length + binary_length), size, "entry layout as documented");
  memset(binary, 0x5a, (size_t)binary_length);
  uint64_t checksum = fnv1a(binary, (size_t)binary_length);
  memcpy(bytes + 24, &checksum, sizeof checksum);
  file = fopen(path, "wb");
  fwrite(bytes, 1, (size_t)size, file);
  fclose(file);
  free(bytes);
  expect_source_build_then_disk_load();
}

Test(cache, an_unusable_folder_costs_only_speed) {
  /* a regular file where the folder should be: even root cannot write there */
  char blocker[128];
  snprintf(blocker, sizeof blocker, "%s/file", cache_dir);
  FILE *file = fopen(blocker, "w");
  fclose(file);
  setenv("MRANK_CACHE_DIR", blocker, 1);
  mrank_context *ctx = run_once();
  cr_assert_eq(ctx->programs_from_source, 1);
  mrank_context_destroy(ctx);
  setenv("MRANK_CACHE_DIR", "/proc/mrank-cannot-exist", 1);
  ctx = run_once();
  cr_assert_eq(ctx->programs_from_source, 1);
  mrank_context_destroy(ctx);
}

Test(cache, mrank_no_cache_writes_nothing) {
  setenv("MRANK_NO_CACHE", "1", 1);
  char path[512];
  mrank_context *ctx = run_once();
  cr_assert_eq(ctx->programs_from_source, 1);
  mrank_context_destroy(ctx);
  entry_path(path, sizeof path);
  cr_assert_str_eq(path, "", "no entry with MRANK_NO_CACHE=1");
}

/* A folder (made in dir) holding margin_ranking.cl, prefixed with `prefix`; path gets the file. */
static void copy_kernel(char *dir, char *path, size_t path_size, const char *prefix) {
  char line[1024];
  cr_assert_not_null(mkdtemp(dir));
  snprintf(path, path_size, "%s/margin_ranking.cl", dir);
  FILE *in = fopen(MRANK_SOURCE_DIR "/kernels/margin_ranking.cl", "r");
  FILE *out = fopen(path, "w");
  cr_assert(in != NULL && out != NULL);
  fputs(prefix, out);
  while (fgets(line, sizeof line, in) != NULL)
    fputs(line, out);
  fclose(in);
  fclose(out);
}

Test(cache, the_kernel_source_is_part_of_the_key) {
  mrank_context_destroy(run_once());
  /* an edited kernel (here: the same code plus a comment) must not load the old binary */
  char dir[] = "/tmp/mrank-edited-XXXXXX", path[256];
  copy_kernel(dir, path, sizeof path, "/* edited */\n");
  setenv("MRANK_KERNEL_DIR", dir, 1);
  mrank_context *ctx = run_once();
  cr_assert_eq(ctx->programs_from_source, 1, "a changed source is a new key");
  mrank_context_destroy(ctx);
  remove(path);
  remove(dir);
}

/* The cache folder must be this user's and not writable by group or others: a 0777 or a
 * group-writable folder costs one warning (naming the folder and the fix) and the disk cache, never
 * an error, and nothing is loaded from it or written to it. */
static void expect_untrusted_folder(mode_t mode) {
  cr_assert_eq(chmod(cache_dir, mode), 0);
  mrank_context *ctx = run_once();
  cr_assert_eq(ctx->programs_from_source, 1);
  cr_assert_str_eq(ctx->cache_dir, "", "the disk cache is off for this folder");
  mrank_context_destroy(ctx);
  char path[512];
  entry_path(path, sizeof path);
  cr_assert_str_eq(path, "", "nothing written to an untrusted folder");
  char prefix[160], *out = NULL;
  snprintf(prefix, sizeof prefix, "MRANK_CACHE_DIR='%s'", cache_dir);
  cr_assert_eq(run_cli(prefix, "validate --n 7 --op forward --reduction none 2>&1", &out), 0);
  cr_assert_not_null(strstr(out, "warning: the kernel cache folder"), "%s", out);
  cr_assert_not_null(strstr(out, "chmod go-w"), "%s", out);
  free(out);
  chmod(cache_dir, 0700);
}

Test(cache, a_folder_others_can_write_is_not_used) {
  expect_untrusted_folder(0777);
}

Test(cache, a_group_writable_folder_is_not_used) {
  expect_untrusted_folder(0770);
}

/* An entry that is a symbolic link is not followed: the program is built from source, and the
 * warning names the entry. */
Test(cache, a_symlinked_entry_is_not_loaded) {
  char path[512], moved[600];
  mrank_context_destroy(run_once());
  entry_path(path, sizeof path);
  snprintf(moved, sizeof moved, "%s/elsewhere", cache_dir);
  cr_assert_eq(rename(path, moved), 0);
  cr_assert_eq(symlink(moved, path), 0);
  mrank_context *ctx = run_once();
  cr_assert_eq(ctx->programs_from_disk, 0, "the link was not followed");
  cr_assert_eq(ctx->programs_from_source, 1);
  mrank_context_destroy(ctx);
  unlink(moved);
}

/* An entry owned by another user is not loaded (as root the test makes one; elsewhere it cannot).
 */
Test(cache, an_entry_of_another_user_is_not_loaded) {
  if (geteuid() != 0) cr_skip_test("making a file of another user needs root");
  char path[512];
  mrank_context_destroy(run_once());
  entry_path(path, sizeof path);
  cr_assert_eq(chown(path, 65534, 65534), 0);
  mrank_context *ctx = run_once();
  cr_assert_eq(ctx->programs_from_disk, 0, "another user's entry was loaded");
  mrank_context_destroy(ctx);
}

/* MRANK_KERNEL_DIR gets the same check: a folder others can write is refused with why. */
Test(cache, a_kernel_folder_others_can_write_is_refused) {
  char dir[] = "/tmp/mrank-kernels-XXXXXX", path[256];
  copy_kernel(dir, path, sizeof path, "");
  cr_assert_eq(chmod(dir, 0777), 0);
  setenv("MRANK_KERNEL_DIR", dir, 1);
  mrank_context *ctx = NULL;
  cr_assert_eq(mrank_context_create(NULL, &ctx), MRANK_SUCCESS);
  const float x = 1.0f;
  float loss = 0.0f;
  cr_assert_eq(mrank_forward(ctx, 1, &x, &x, &x, 1.0f, MRANK_REDUCTION_NONE, &loss),
               MRANK_ERROR_IO);
  cr_assert_not_null(strstr(mrank_last_error(), "writable by group and others (mode 0777)"), "%s",
                     mrank_last_error());
  mrank_context_destroy(ctx);
  chmod(dir, 0700);
  cr_assert_eq(chmod(path, 0666), 0);
  cr_assert_eq(mrank_context_create(NULL, &ctx), MRANK_SUCCESS);
  cr_assert_eq(mrank_forward(ctx, 1, &x, &x, &x, 1.0f, MRANK_REDUCTION_NONE, &loss), MRANK_ERROR_IO,
               "a kernel file others can write is refused too");
  mrank_context_destroy(ctx);
  unsetenv("MRANK_KERNEL_DIR");
  remove(path);
  rmdir(dir);
}

/* Every setting that changes the binary is in the key: under each, a warm cache is not used (the
 * program is built from source into an entry of its own), and without it the first entry loads
 * again. The driver's own (PoCL reads POCL_EXTRA_BUILD_FLAGS and adds it to every build), the
 * flush-to-zero build, fixed work-group sizes, another shape, another device type's choices. */
Test(cache, every_setting_that_changes_the_binary_is_in_the_key) {
  static const char *const settings[][2] = {
      {"POCL_EXTRA_BUILD_FLAGS", "-cl-mad-enable"},
      {"MRANK_ASSUME_FTZ", "1"},
      {"MRANK_REQD_WORK_GROUP", "1"},
      {"MRANK_VARIANT", "epw=4,vw=4,wg=64,sum=local"},
      {"MRANK_ASSUME_DEVICE_TYPE", "gpu"},
  };
  mrank_context_destroy(run_once());
  for (size_t k = 0; k < sizeof settings / sizeof settings[0]; ++k) {
    setenv(settings[k][0], settings[k][1], 1);
    mrank_context *ctx = run_once();
    cr_assert_eq(ctx->programs_from_source, 1, "%s=%s reused a binary built without it",
                 settings[k][0], settings[k][1]);
    mrank_context_destroy(ctx);
    unsetenv(settings[k][0]);
    ctx = run_once();
    cr_assert_eq(ctx->programs_from_disk, 1, "without %s the first entry loads", settings[k][0]);
    mrank_context_destroy(ctx);
  }
}
