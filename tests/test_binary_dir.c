/* test_binary_dir.c: offline-built programs. A folder made by mrank_export_program runs on a device
 * treated as compiler-less (MRANK_ASSUME_NO_COMPILER=1, as an FPGA) with the bits of a build from
 * source; a missing, truncated, corrupt or foreign binary, or a folder made for another driver,
 * mrank or source, is an error naming the file and never a silent build from source. The CLI
 * side (`mrank compile`, validate and train in that mode) is at the end. */
#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "binary_dir.h"
#include "cli_run.h"
#include "device_traits.h"
#include "context.h" /* the build counters of a context, to see where its programs came from */
#include "helpers.h"
#include "rank_helpers.h"

static char folder[64];

static void remove_tree(const char *path) {
  DIR *dir = opendir(path);
  if (dir == NULL) return;
  char item_path[512];
  for (struct dirent *item; (item = readdir(dir)) != NULL;) {
    if (strcmp(item->d_name, ".") == 0 || strcmp(item->d_name, "..") == 0) continue;
    snprintf(item_path, sizeof item_path, "%s/%s", path, item->d_name);
    remove(item_path);
  }
  closedir(dir);
  rmdir(path);
}

static void fresh_folder(void) {
  unsetenv("MRANK_BINARY_DIR");
  unsetenv("MRANK_ASSUME_NO_COMPILER");
  unsetenv("MRANK_KERNEL_DIR");
  snprintf(folder, sizeof folder, "/tmp/mrank-binaries-XXXXXX");
  cr_assert_not_null(mkdtemp(folder));
}

static void remove_folder(void) {
  remove_tree(folder);
}

TestSuite(binary_dir, .init = fresh_folder, .fini = remove_folder);

static mrank_context *device_context(const char *binary_dir) {
  mrank_context_options options = {.size = sizeof options, .binary_dir = binary_dir};
  mrank_context *ctx = NULL;
  const mrank_status status = mrank_context_create_ex(NULL, &options, &ctx);
  if (status != MRANK_SUCCESS && binary_dir == NULL) {
    cr_skip_test("no OpenCL device: %s", mrank_last_error());
  }
  cr_assert_eq(status, MRANK_SUCCESS, "%s", mrank_last_error());
  cr_assert(!ctx->is_host, "these tests need an OpenCL device, not MRANK_DEVICE=host");
  return ctx;
}

/* Writes the (data, labels) program of the default device into the folder. */
static void export_to_folder(mrank_dtype data, mrank_dtype labels) {
  mrank_context *ctx = device_context("");
  char written[256];
  cr_assert_eq(mrank_export_program(ctx, data, labels, folder, MRANK_EXPORT_BINARIES, written,
                                    sizeof written),
               MRANK_SUCCESS, "%s", mrank_last_error());
  cr_assert_not_null(strstr(written, ".bin"), "%s", written);
  mrank_context_destroy(ctx);
}

/* mrank_local_pass's rule for a type computed in float (the local pass is chosen type by type) */
static int float_local_pass(const mrank_context *ctx) {
  return ctx->shape.sum_local && ctx->sum_group * 65 * sizeof(float) <= ctx->local_memory;
}

/* The folder's file for the f32/f32 operator program, as the context would ask for it. */
static void operator_binary(char *path, size_t size) {
  mrank_context *ctx = device_context("");
  char options[320], name[96];
  snprintf(options, sizeof options, "%s -DMRANK_DATA=0 -DMRANK_LABELS=0 -DMRANK_SUM_LOCAL=%d",
           ctx->build_options, float_local_pass(ctx));
  mrank_binary_name("margin_ranking.cl", options, name, sizeof name);
  snprintf(path, size, "%s/%s.bin", folder, name);
  mrank_context_destroy(ctx);
}

static void copy_file(const char *from, const char *to, long keep_bytes) {
  FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
  cr_assert(in != NULL && out != NULL);
  long copied = 0;
  for (int c; (c = fgetc(in)) != EOF && (keep_bytes < 0 || copied < keep_bytes); ++copied)
    fputc(c, out);
  fclose(in);
  fclose(out);
}

/* Replaces the manifest line that starts with `key` by "key value". */
static void edit_manifest(const char *key, const char *value) {
  char path[128], text[16384] = "", line[2048];
  snprintf(path, sizeof path, "%s/manifest.txt", folder);
  FILE *file = fopen(path, "r");
  cr_assert_not_null(file);
  while (fgets(line, sizeof line, file) != NULL) {
    if (strncmp(line, key, strlen(key)) == 0 && line[strlen(key)] == ' ') {
      snprintf(line, sizeof line, "%s %s\n", key, value);
    }
    strncat(text, line, sizeof text - strlen(text) - 1);
  }
  fclose(file);
  file = fopen(path, "w");
  fputs(text, file);
  fclose(file);
}

/* The error of the first f32/f32 forward on a compiler-less device reading the folder. */
static mrank_status forward_from_folder(void) {
  setenv("MRANK_ASSUME_NO_COMPILER", "1", 1);
  mrank_context *ctx = device_context(folder);
  float x1[4] = {1, 2, 3, 4}, x2[4] = {4, 3, 2, 1}, y[4] = {1, -1, 1, -1}, loss[4];
  const mrank_status status = mrank_forward(ctx, 4, x1, x2, y, 1.0f, MRANK_REDUCTION_NONE, loss);
  mrank_context_destroy(ctx);
  return status;
}

static void expect_error(mrank_status status, mrank_status want, const char *part) {
  cr_assert_eq(status, want, "status %s: %s", mrank_status_string(status), mrank_last_error());
  cr_assert_not_null(strstr(mrank_last_error(), part), "\"%s\" not in: %s", part,
                     mrank_last_error());
}

/* Every output of forward, backward and fused, none and mean, of one context (12 n floats; a
 * reduced loss fills one, the rest stay zero). */
static void run_all(mrank_context *ctx, const test_inputs *in, size_t n, float *out) {
  memset(out, 0, 12 * n * sizeof *out);
  for (int r = 0; r < 2; ++r) {
    const mrank_reduction reduction = r ? MRANK_REDUCTION_MEAN : MRANK_REDUCTION_NONE;
    float *loss = out, *dx1 = out + n, *dx2 = out + 2 * n, dloss = 0.5f;
    cr_assert_eq(
        mrank_forward_backward(ctx, n, in->x1, in->x2, in->y, 1.0f, reduction, loss, dx1, dx2),
        MRANK_SUCCESS, "%s", mrank_last_error());
    cr_assert_eq(mrank_forward(ctx, n, in->x1, in->x2, in->y, 1.0f, reduction, out + 3 * n),
                 MRANK_SUCCESS, "%s", mrank_last_error());
    cr_assert_eq(mrank_backward(ctx, n, in->x1, in->x2, in->y, 1.0f, reduction, r ? &dloss : in->x1,
                                out + 4 * n, out + 5 * n),
                 MRANK_SUCCESS, "%s", mrank_last_error());
    out += 6 * n;
  }
}

Test(binary_dir, compiler_less_run_gives_the_bits_of_a_source_build) {
  export_to_folder(MRANK_DTYPE_F32, MRANK_DTYPE_F32);
  enum { n = 4099 }; /* not a multiple of 16 or 64: the tails of every kernel run */
  test_inputs in = make_inputs(n, 11, 1);
  float *from_source = test_alloc(12 * n), *from_folder = test_alloc(12 * n);
  mrank_context *source_ctx = device_context("");
  run_all(source_ctx, &in, n, from_source);
  mrank_context_destroy(source_ctx);

  setenv("MRANK_ASSUME_NO_COMPILER", "1", 1);
  mrank_context *ctx = device_context(folder);
  run_all(ctx, &in, n, from_folder);
  cr_assert_eq(ctx->programs_from_source, 0, "nothing may be built from source");
  cr_assert_eq(ctx->programs_from_disk, 0, "nor taken from the disk cache");
  cr_assert_eq(ctx->programs_from_binary_dir, 1, "the one operator program, from the folder");
  mrank_context_destroy(ctx);
  assert_same_bits(from_folder, from_source, 12 * n, "folder against source", 12 * n);
  free(from_source);
  free(from_folder);
  free_inputs(&in);
}

Test(binary_dir, compiler_less_device_without_a_folder_names_the_fix) {
  setenv("MRANK_ASSUME_NO_COMPILER", "1", 1);
  mrank_context *ctx = device_context("");
  float x1[1] = {1}, x2[1] = {0}, y[1] = {1}, loss[1];
  expect_error(mrank_forward(ctx, 1, x1, x2, y, 1.0f, MRANK_REDUCTION_NONE, loss),
               MRANK_ERROR_UNSUPPORTED, "has no OpenCL compiler");
  cr_assert_not_null(strstr(mrank_last_error(), "MRANK_BINARY_DIR"), "%s", mrank_last_error());
  mrank_context_destroy(ctx);
}

Test(binary_dir, a_program_the_folder_lacks_is_named_never_built) {
  export_to_folder(MRANK_DTYPE_F32, MRANK_DTYPE_I8);
  char expected[256];
  operator_binary(expected, sizeof expected);
  /* the device has a compiler: the folder must still be all that is used */
  mrank_context *ctx = device_context(folder);
  float x1[1] = {1}, x2[1] = {0}, y[1] = {1}, loss[1];
  expect_error(mrank_forward(ctx, 1, x1, x2, y, 1.0f, MRANK_REDUCTION_NONE, loss), MRANK_ERROR_IO,
               "lists no program for kernels/margin_ranking.cl");
  cr_assert_not_null(strstr(mrank_last_error(), "--dtype f32 --labels f32"), "%s",
                     mrank_last_error());
  cr_assert_not_null(strstr(mrank_last_error(), expected), "names %s: %s", expected,
                     mrank_last_error());
  cr_assert_eq(ctx->programs_from_source, 0);
  mrank_context_destroy(ctx);
}

Test(binary_dir, a_missing_binary_file_is_named) {
  export_to_folder(MRANK_DTYPE_F32, MRANK_DTYPE_F32);
  char path[256];
  operator_binary(path, sizeof path);
  cr_assert_eq(remove(path), 0);
  expect_error(forward_from_folder(), MRANK_ERROR_IO, path);
  cr_assert_not_null(strstr(mrank_last_error(), "is missing"), "%s", mrank_last_error());
}

Test(binary_dir, truncated_corrupt_and_foreign_binaries_are_refused) {
  export_to_folder(MRANK_DTYPE_F32, MRANK_DTYPE_F32);
  export_to_folder(MRANK_DTYPE_F32, MRANK_DTYPE_I32);
  char path[256], saved[300], other[400];
  operator_binary(path, sizeof path);
  snprintf(saved, sizeof saved, "%s.saved", path);
  copy_file(path, saved, -1);
  /* truncated */
  copy_file(saved, path, 1000);
  expect_error(forward_from_folder(), MRANK_ERROR_IO, "is not the one its manifest lists");
  cr_assert_not_null(strstr(mrank_last_error(), path), "%s", mrank_last_error());
  /* one byte changed, same length */
  copy_file(saved, path, -1);
  FILE *file = fopen(path, "r+b");
  fseek(file, 4000, SEEK_SET);
  const int byte = fgetc(file);
  fseek(file, 4000, SEEK_SET);
  fputc(byte ^ 0x5a, file);
  fclose(file);
  expect_error(forward_from_folder(), MRANK_ERROR_IO, "is not the one its manifest lists");
  /* another program's binary (the i32 labels build) in its place */
  DIR *dir = opendir(folder);
  other[0] = '\0';
  for (struct dirent *item; (item = readdir(dir)) != NULL;) {
    char candidate[400];
    snprintf(candidate, sizeof candidate, "%s/%s", folder, item->d_name);
    if (strstr(item->d_name, "margin_ranking-") == item->d_name &&
        strstr(item->d_name, ".bin") != NULL && strstr(item->d_name, ".saved") == NULL &&
        strcmp(candidate, path) != 0) {
      snprintf(other, sizeof other, "%s", candidate);
    }
  }
  closedir(dir);
  cr_assert(other[0] != '\0', "the i32 program is in the folder");
  copy_file(other, path, -1);
  expect_error(forward_from_folder(), MRANK_ERROR_IO, "is not the one its manifest lists");
  /* and the original again runs */
  copy_file(saved, path, -1);
  remove(saved);
  cr_assert_eq(forward_from_folder(), MRANK_SUCCESS, "%s", mrank_last_error());
}

Test(binary_dir, a_folder_for_another_driver_or_mrank_is_refused_with_both_versions) {
  export_to_folder(MRANK_DTYPE_F32, MRANK_DTYPE_F32);
  mrank_context *ctx = device_context("");
  mrank_device_identity identity;
  mrank_device_identity_read(ctx->device, &identity);
  mrank_context_destroy(ctx);

  edit_manifest("driver-version", "0.0-elsewhere");
  ctx = NULL;
  mrank_context_options options = {.size = sizeof options, .binary_dir = folder};
  expect_error(mrank_context_create_ex(NULL, &options, &ctx), MRANK_ERROR_UNSUPPORTED,
               "0.0-elsewhere");
  cr_assert_null(ctx, "a failure leaves out as it was");
  cr_assert_not_null(strstr(mrank_last_error(), identity.driver_version), "%s", mrank_last_error());
  /* the same through MRANK_BINARY_DIR */
  setenv("MRANK_BINARY_DIR", folder, 1);
  expect_error(mrank_context_create(NULL, &ctx), MRANK_ERROR_UNSUPPORTED, "0.0-elsewhere");

  edit_manifest("driver-version", identity.driver_version);
  edit_manifest("mrank", "0.0.1");
  expect_error(mrank_context_create(NULL, &ctx), MRANK_ERROR_UNSUPPORTED, "mrank 0.0.1");
  cr_assert_not_null(strstr(mrank_last_error(), mrank_version()), "%s", mrank_last_error());

  /* and exporting into it is refused too: a folder holds one device's programs */
  edit_manifest("mrank", mrank_version());
  edit_manifest("device-name", "another board");
  unsetenv("MRANK_BINARY_DIR");
  ctx = device_context("");
  expect_error(mrank_export_program(ctx, MRANK_DTYPE_F32, MRANK_DTYPE_F32, folder,
                                    MRANK_EXPORT_BINARIES, NULL, 0),
               MRANK_ERROR_IO, "use an empty folder");
  mrank_context_destroy(ctx);
}

Test(binary_dir, a_program_built_from_other_source_is_refused) {
  export_to_folder(MRANK_DTYPE_F32, MRANK_DTYPE_F32);
  /* the same kernels with one comment more, read through MRANK_KERNEL_DIR */
  char kernels[128], from[512], to[256];
  snprintf(kernels, sizeof kernels, "%s-kernels", folder);
  cr_assert_eq(mkdir(kernels, 0700), 0);
  snprintf(from, sizeof from, "%s/kernels/margin_ranking.cl", MRANK_SOURCE_DIR);
  snprintf(to, sizeof to, "%s/margin_ranking.cl", kernels);
  copy_file(from, to, -1);
  FILE *file = fopen(to, "a");
  fputs("/* changed */\n", file);
  fclose(file);
  setenv("MRANK_KERNEL_DIR", kernels, 1);
  expect_error(forward_from_folder(), MRANK_ERROR_UNSUPPORTED,
               "was built from another kernels/margin_ranking.cl");
  remove_tree(kernels);
}

Test(binary_dir, a_folder_without_a_manifest_or_a_folder_at_all_is_refused) {
  mrank_context *ctx = NULL;
  mrank_context_options options = {.size = sizeof options, .binary_dir = folder};
  expect_error(mrank_context_create_ex(NULL, &options, &ctx), MRANK_ERROR_IO, "manifest.txt");
  char missing[128];
  snprintf(missing, sizeof missing, "%s/absent", folder);
  options.binary_dir = missing;
  expect_error(mrank_context_create_ex(NULL, &options, &ctx), MRANK_ERROR_IO, "is not a folder");
  char path[128];
  snprintf(path, sizeof path, "%s/manifest.txt", folder);
  FILE *file = fopen(path, "w");
  fputs("something else\n", file);
  fclose(file);
  options.binary_dir = folder;
  expect_error(mrank_context_create_ex(NULL, &options, &ctx), MRANK_ERROR_IO,
               "is not an mrank manifest");
}

Test(binary_dir, arguments_are_checked) {
  mrank_context *ctx = NULL;
  mrank_context_options options = {.size = 0};
  expect_error(mrank_context_create_ex(NULL, &options, &ctx), MRANK_ERROR_INVALID_ARGUMENT,
               "sizeof(mrank_context_options)");
  expect_error(mrank_export_program(NULL, MRANK_DTYPE_F32, MRANK_DTYPE_F32, folder,
                                    MRANK_EXPORT_BINARIES, NULL, 0),
               MRANK_ERROR_INVALID_ARGUMENT, "ctx is NULL");
  ctx = device_context("");
  expect_error(mrank_export_program(ctx, MRANK_DTYPE_F32, MRANK_DTYPE_F32, NULL,
                                    MRANK_EXPORT_BINARIES, NULL, 0),
               MRANK_ERROR_INVALID_ARGUMENT, "dir is NULL");
  expect_error(mrank_export_program(ctx, MRANK_DTYPE_F32, MRANK_DTYPE_F32, folder,
                                    (mrank_export_kind)7, NULL, 0),
               MRANK_ERROR_INVALID_ARGUMENT, "kind 7");
  expect_error(mrank_export_program(ctx, MRANK_DTYPE_I8, MRANK_DTYPE_F32, folder,
                                    MRANK_EXPORT_BINARIES, NULL, 0),
               MRANK_ERROR_INVALID_ARGUMENT, "mrank_export_program");
  mrank_context_destroy(ctx);
  cr_assert_eq(mrank_context_create("host", &ctx), MRANK_SUCCESS);
  expect_error(mrank_export_program(ctx, MRANK_DTYPE_F32, MRANK_DTYPE_F32, folder,
                                    MRANK_EXPORT_BINARIES, NULL, 0),
               MRANK_ERROR_INVALID_ARGUMENT, "host context");
  mrank_context_destroy(ctx);
}

Test(binary_dir, emitted_sources_are_the_exact_kernels_and_options) {
  mrank_context *ctx = device_context("");
  char written[256];
  cr_assert_eq(mrank_export_program(ctx, MRANK_DTYPE_F16, MRANK_DTYPE_I32, folder,
                                    MRANK_EXPORT_SOURCES, written, sizeof written),
               MRANK_SUCCESS, "%s", mrank_last_error());
  char options[320], name[96], path[256];
  snprintf(options, sizeof options, "%s -DMRANK_DATA=1 -DMRANK_LABELS=1 -DMRANK_SUM_LOCAL=%d",
           ctx->build_options, float_local_pass(ctx)); /* half computes in float */
  mrank_binary_name("margin_ranking.cl", options, name, sizeof name);
  cr_assert_not_null(strstr(written, name), "%s", written);
  snprintf(path, sizeof path, "%s/%s.options", folder, name);
  char *text = read_text_file(path);
  cr_assert_not_null(text);
  char want[400];
  snprintf(want, sizeof want, "%s\n", options);
  cr_assert_str_eq(text, want);
  free(text);
  char source_path[512];
  snprintf(path, sizeof path, "%s/%s.cl", folder, name);
  snprintf(source_path, sizeof source_path, "%s/kernels/margin_ranking.cl", MRANK_SOURCE_DIR);
  char *emitted = read_text_file(path), *original = read_text_file(source_path);
  cr_assert(emitted != NULL && original != NULL);
  cr_assert_str_eq(emitted, original, "the emitted source is the kernel file, byte for byte");
  free(emitted);
  free(original);
  mrank_context_destroy(ctx);
  /* no binary yet: the run names the file the vendor's compiler must write */
  setenv("MRANK_ASSUME_NO_COMPILER", "1", 1);
  ctx = device_context(folder);
  const mrank_desc desc = {MRANK_DTYPE_F16, MRANK_DTYPE_I32, MRANK_REDUCTION_NONE, 1.0};
  unsigned short x[1] = {0x3c00}, loss[1];
  int y[1] = {1};
  expect_error(mrank_forward_ex(ctx, &desc, 1, x, x, y, loss), MRANK_ERROR_IO, ".bin (or .aocx");
  mrank_context_destroy(ctx);
}

Test(binary_dir, fixed_work_group_builds_give_the_same_bits) {
  enum { n = 5000 };
  test_inputs in = make_inputs(n, 5, 1);
  float *plain = test_alloc(12 * n), *fixed = test_alloc(12 * n);
  mrank_context *ctx = device_context("");
  run_all(ctx, &in, n, plain);
  mrank_context_destroy(ctx);
  setenv("MRANK_REQD_WORK_GROUP", "1", 1);
  ctx = device_context("");
  cr_assert(ctx->fixed_work_group);
  cr_assert_not_null(strstr(ctx->build_options, "-DMRANK_REQD_WORK_GROUP_SIZE="), "%s",
                     ctx->build_options);
  run_all(ctx, &in, n, fixed);
  mrank_context_destroy(ctx);
  assert_same_bits(fixed, plain, 12 * n, "reqd_work_group_size build", 12 * n);
  free(plain);
  free(fixed);
  free_inputs(&in);
}

/* --- the tool --- */

Test(binary_dir, compile_then_validate_and_train_without_a_compiler) {
  char arguments[1024], *out = NULL;
  snprintf(arguments, sizeof arguments, "compile --out %s --dtype f32 --labels f32,i8 2>&1",
           folder);
  cr_assert_eq(run_cli("", arguments, &out), 0, "%s", out);
  cr_assert_not_null(strstr(out, "manifest.txt"), "%s", out);
  free(out);
  char prefix[256];
  snprintf(prefix, sizeof prefix, "MRANK_BINARY_DIR=%s MRANK_ASSUME_NO_COMPILER=1", folder);
  cr_assert_eq(run_cli(prefix, "validate --labels f32,i8 --n 7,4097 2>&1", &out), 0, "%s", out);
  cr_assert_not_null(strstr(out, "0 failed"), "%s", out);
  free(out);
  /* a type the folder lacks: the run fails and names the program */
  cr_assert_eq(run_cli(prefix, "validate --labels i32 --n 7 --op forward 2>&1", &out), 2, "%s",
               out);
  cr_assert_not_null(strstr(out, "--dtype f32 --labels i32"), "%s", out);
  free(out);

  /* training: the same model bytes as from source */
  char data[128], from_folder[128], from_source[128];
  snprintf(data, sizeof data, "%s-data.txt", folder);
  snprintf(from_folder, sizeof from_folder, "%s-a.model", folder);
  snprintf(from_source, sizeof from_source, "%s-b.model", folder);
  snprintf(arguments, sizeof arguments, "synth --out %s --queries 30 --docs 20 --seed 4 2>&1",
           data);
  cr_assert_eq(run_cli("", arguments, &out), 0, "%s", out);
  free(out);
  snprintf(arguments, sizeof arguments, "train --train %s --model %s --epochs 2 2>&1", data,
           from_folder);
  cr_assert_eq(run_cli(prefix, arguments, &out), 0, "%s", out);
  free(out);
  snprintf(arguments, sizeof arguments, "train --train %s --model %s --epochs 2 2>&1", data,
           from_source);
  cr_assert_eq(run_cli("", arguments, &out), 0, "%s", out);
  free(out);
  char *a = read_text_file(from_folder), *b = read_text_file(from_source);
  cr_assert(a != NULL && b != NULL);
  cr_assert_str_eq(a, b, "same seed, same data: the same model from the folder's programs");
  free(a);
  free(b);
  /* the MLP scorer too (its layers on mrank's dense kernels, which the folder holds) */
  snprintf(arguments, sizeof arguments,
           "train --scorer mlp --hidden 16,8 --holdout 0 --train %s --model %s --epochs 2 2>&1",
           data, from_folder);
  cr_assert_eq(run_cli(prefix, arguments, &out), 0, "%s", out);
  free(out);
  snprintf(arguments, sizeof arguments,
           "train --scorer mlp --hidden 16,8 --holdout 0 --train %s --model %s --epochs 2 2>&1",
           data, from_source);
  cr_assert_eq(run_cli("", arguments, &out), 0, "%s", out);
  free(out);
  a = read_text_file(from_folder);
  b = read_text_file(from_source);
  cr_assert(a != NULL && b != NULL);
  cr_assert_str_eq(a, b, "the MLP from the folder's programs is the MLP from source");
  free(a);
  free(b);
  /* CLBlast's layers cannot run there: said, with the way out */
  snprintf(arguments, sizeof arguments,
           "train --scorer mlp --gemm clblast --holdout 0 --train %s --model %s --epochs 1 2>&1",
           data, from_folder);
  cr_assert_eq(run_cli(prefix, arguments, &out), 2, "%s", out);
  cr_assert_not_null(strstr(out, "use --gemm dense"), "%s", out);
  free(out);
  snprintf(arguments, sizeof arguments, "train --train %s --model %s --epochs 2 2>&1", data,
           from_source);
  /* without the folder, the compiler-less device names the fix */
  cr_assert_eq(run_cli("MRANK_ASSUME_NO_COMPILER=1", arguments, &out), 2, "%s", out);
  cr_assert_not_null(strstr(out, "MRANK_BINARY_DIR"), "%s", out);
  free(out);
  remove(data);
  snprintf(arguments, sizeof arguments, "%s.weights", data);
  remove(arguments);
  remove(from_folder);
  remove(from_source);
}

Test(binary_dir, compile_usage_and_devices_show_the_compiler) {
  expect_cli("compile --dtype f32", 2, "--out DIR");
  expect_cli("compile --out /tmp/a --emit-source /tmp/b", 2, "once");
  expect_cli("compile --out /tmp/a --dtype i8", 2, "is not one of f32, f16, bf16, f64");
  expect_cli("compile --out /tmp/a --device host", 2, "runs no OpenCL program");
  char *out = NULL;
  cr_assert_eq(run_cli("MRANK_ASSUME_NO_COMPILER=1", "devices --verbose 2>&1", &out), 0, "%s", out);
  cr_assert_not_null(strstr(out, "compiler: no (MRANK_ASSUME_NO_COMPILER is set)"), "%s", out);
  free(out);
  cr_assert_eq(run_cli("", "devices --json 2>&1", &out), 0, "%s", out);
  cr_assert_not_null(strstr(out, "\"compiler_available\": true"), "%s", out);
  free(out);
}

/* --emit-source, a vendor's compiler (here: the binaries mrank compile made, under the names aoc
 * writes), then --seal: a truncated vendor binary is then refused by name before the driver, which
 * (PoCL 3.1) would abort on it, ever sees it. */
Test(binary_dir, sealed_vendor_binaries_are_checked_like_mrank_s_own, .timeout = 120) {
  char built[128], command[2048], *out = NULL;
  snprintf(built, sizeof built, "%s-built", folder);
  snprintf(command, sizeof command,
           "compile --out %s --dtype f32 --labels f32 >/dev/null && '%s' compile --emit-source %s "
           "--dtype f32 --labels f32 >/dev/null && for f in %s/*.cl; do n=$(basename $f .cl); "
           "cp %s/$n.bin %s/$n.aocx; done && rm %s/ranker-*.aocx && '%s' compile --seal %s 2>&1",
           built, MRANK_CLI_PATH, folder, folder, built, folder, folder, MRANK_CLI_PATH, folder);
  /* a listed program without its binary: --seal names it and records nothing */
  cr_assert_eq(run_cli("", command, &out), 1, "%s", out);
  cr_assert_not_null(strstr(out, "is missing"), "%s", out);
  free(out);
  snprintf(command, sizeof command,
           "for f in %s/ranker-*.bin; do cp $f %s/$(basename $f .bin).aocx; done && '%s' compile "
           "--seal %s >/dev/null 2>&1",
           built, folder, MRANK_CLI_PATH, folder);
  cr_assert_eq(system(command), 0);
  snprintf(command, sizeof command, "compile --seal %s 2>&1", folder);
  cr_assert_eq(run_cli("", command, &out), 0, "%s", out);
  cr_assert_not_null(strstr(out, "0 vendor-built program(s)"), "sealed once already: %s", out);
  free(out);
  char *manifest = NULL;
  snprintf(command, sizeof command, "%s/manifest.txt", folder);
  manifest = read_text_file(command);
  cr_assert_not_null(manifest);
  cr_assert_null(strstr(manifest, " - - "), "every program has its length and checksum: %s",
                 manifest);
  free(manifest);
  char prefix[256];
  snprintf(prefix, sizeof prefix, "MRANK_BINARY_DIR=%s MRANK_ASSUME_NO_COMPILER=1", folder);
  cr_assert_eq(run_cli(prefix, "validate --n 7,4097 2>&1", &out), 0, "%s", out);
  cr_assert_not_null(strstr(out, "0 failed"), "%s", out);
  free(out);
  /* truncate the operator's binary: refused by the checksum, with the file's name */
  snprintf(
      command, sizeof command,
      "for f in %s/margin_ranking-*.aocx; do head -c 3000 \"$f\" > \"$f.cut\" && mv \"$f.cut\" "
      "\"$f\"; done",
      folder);
  cr_assert_eq(system(command), 0);
  cr_assert_eq(run_cli(prefix, "validate --n 7 --op forward --reduction none 2>&1", &out), 2, "%s",
               out);
  cr_assert_not_null(strstr(out, ".aocx is not the one its manifest lists"), "%s", out);
  free(out);
  snprintf(command, sizeof command, "rm -rf %s", built);
  cr_assert_eq(system(command), 0);
}
