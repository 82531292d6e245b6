/* binary_dir.c: the folder of offline-built programs and its manifest (layout in binary_dir.h). */
#include "binary_dir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "device_traits.h"
#include "disk_cache.h"
#include "regular_file.h"
#include "trust.h"

#define MANIFEST_FILE "manifest.txt"
#define MANIFEST_FORMAT "mrank-programs 1"
/* the suffixes a binary may have: mrank's own, Intel's aoc, AMD Xilinx's v++ */
static const char *const binary_suffixes[] = {".bin", ".aocx", ".xclbin"};
static const uint64_t max_binary_bytes = (uint64_t)4 << 30; /* FPGA images are large */

typedef struct manifest_entry {
  char name[96], file[128], source_hash[24], binary_hash[24], binary_bytes[24];
  unsigned long long source_bytes;
  char options[1024];
} manifest_entry;

typedef struct manifest {
  char mrank[64];
  mrank_device_identity identity;
  manifest_entry *entries;
  size_t count;
} manifest;

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 4, 5)))
#endif
static mrank_status
say(mrank_status status, char *message, size_t size, const char *format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(message, size, format, args);
  va_end(args);
  return status;
}

const char *mrank_binary_dir_setting(void) {
  const char *dir = getenv("MRANK_BINARY_DIR");
  return dir != NULL && dir[0] != '\0' ? dir : NULL;
}

static const char *stem_of(const char *file_name, size_t *length) {
  const char *slash = strrchr(file_name, '/');
  const char *stem = slash != NULL ? slash + 1 : file_name;
  const char *dot = strrchr(stem, '.');
  *length = dot != NULL ? (size_t)(dot - stem) : strlen(stem);
  return stem;
}

void mrank_binary_name(const char *file_name, const char *options, char *out, size_t capacity) {
  size_t length = 0;
  const char *stem = stem_of(file_name, &length);
  if (length > 64) length = 64;
  snprintf(out, capacity, "%.*s-%016llx", (int)length, stem,
           (unsigned long long)mrank_fnv1a(options, strlen(options), MRANK_FNV_BASIS));
}

static void hash_text(const void *data, size_t size, char out[24]) {
  snprintf(out, 24, "%016llx", (unsigned long long)mrank_fnv1a(data, size, MRANK_FNV_BASIS));
}

/* --- reading and writing manifest.txt --- */

static void manifest_free(manifest *m) {
  free(m->entries);
  m->entries = NULL;
  m->count = 0;
}

static int add_entry(manifest *m, const manifest_entry *entry) {
  for (size_t k = 0; k < m->count; ++k) {
    if (strcmp(m->entries[k].name, entry->name) == 0) {
      m->entries[k] = *entry;
      return 1;
    }
  }
  manifest_entry *grown = realloc(m->entries, (m->count + 1) * sizeof *grown);
  if (grown == NULL) return 0;
  m->entries = grown;
  m->entries[m->count++] = *entry;
  return 1;
}

static int parse_entry(const char *text, manifest_entry *entry) {
  memset(entry, 0, sizeof *entry);
  int used = 0;
  if (sscanf(text, "%95s %127s %23s %llu %23s %23s%n", entry->name, entry->file, entry->source_hash,
             &entry->source_bytes, entry->binary_hash, entry->binary_bytes, &used) != 6) {
    return 0;
  }
  const char *options = text + used;
  if (*options == ' ') ++options;
  const size_t length = strlen(options);
  if (length >= sizeof entry->options) return 0;
  memcpy(entry->options, options, length + 1);
  return 1;
}

static int identity_line(manifest *m, const char *key, const char *value) {
  static const struct {
    const char *key;
    size_t offset;
  } fields[] = {
      {"platform-name", offsetof(mrank_device_identity, platform_name)},
      {"platform-version", offsetof(mrank_device_identity, platform_version)},
      {"device-name", offsetof(mrank_device_identity, device_name)},
      {"device-version", offsetof(mrank_device_identity, device_version)},
      {"driver-version", offsetof(mrank_device_identity, driver_version)},
  };
  for (size_t f = 0; f < sizeof fields / sizeof fields[0]; ++f) {
    if (strcmp(key, fields[f].key) == 0) {
      snprintf((char *)&m->identity + fields[f].offset, 256, "%s", value);
      return 1;
    }
  }
  return 0;
}

/* 0 with *m filled from the text, else the number of the first line that is wrong (*m then
 * empty). */
static int manifest_parse(FILE *file, manifest *m) {
  memset(m, 0, sizeof *m);
  char line[2048];
  int line_number = 0, ok = 1;
  while (ok && fgets(line, sizeof line, file) != NULL) {
    ++line_number;
    line[strcspn(line, "\r\n")] = '\0';
    if (line_number == 1) {
      ok = strcmp(line, MANIFEST_FORMAT) == 0;
      continue;
    }
    if (line[0] == '#' || line[0] == '\0') continue;
    char *space = strchr(line, ' ');
    const char *value = space != NULL ? space + 1 : "";
    if (space != NULL) *space = '\0';
    if (strcmp(line, "mrank") == 0) {
      snprintf(m->mrank, sizeof m->mrank, "%s", value);
    } else if (strcmp(line, "program") == 0) {
      manifest_entry entry;
      ok = parse_entry(value, &entry) && add_entry(m, &entry);
    } else {
      ok = identity_line(m, line, value);
    }
  }
  if (ok && line_number > 0) return 0;
  manifest_free(m);
  return line_number > 0 ? line_number : 1;
}

/* 1 with *m filled; 0 with the reason in message (a missing manifest names what makes one). */
static int manifest_read(const char *dir, manifest *m, char *message, size_t size) {
  memset(m, 0, sizeof *m);
  char path[4200];
  snprintf(path, sizeof path, "%s/%s", dir, MANIFEST_FILE);
  struct stat info;
  char why[256] = "not a regular file";
  const int fd = mrank_open_regular(path, 1, &info, why, sizeof why);
  if (fd < 0) {
    say(MRANK_ERROR_IO, message, size,
        "%s cannot be opened (%s): the folder was not made by `mrank compile --out %s` (or "
        "--emit-source)",
        path, why, dir);
    return 0;
  }
  if (!mrank_owner_trusted(&info, 1, why, sizeof why)) {
    close(fd);
    say(MRANK_ERROR_IO, message, size,
        "%s is %s, so another user could have swapped its programs; not used (chmod go-w it)", path,
        why);
    return 0;
  }
  FILE *file = fdopen(fd, "r");
  if (file == NULL) {
    close(fd);
    say(MRANK_ERROR_IO, message, size, "cannot read %s", path);
    return 0;
  }
  const int line_number = manifest_parse(file, m);
  fclose(file);
  if (line_number != 0) {
    say(MRANK_ERROR_IO, message, size,
        "%s is not an mrank manifest (line %d: expected \"" MANIFEST_FORMAT
        "\" first, then mrank, platform-, device- and driver- lines and program lines); make the "
        "folder again with `mrank compile`",
        path, line_number);
    return 0;
  }
  return 1;
}

/* 0 with the first difference (both sides) when the manifest is not this mrank's and device's. */
static int manifest_matches(const char *dir, const manifest *m, const mrank_device_identity *device,
                            char *message, size_t size) {
  if (strcmp(m->mrank, mrank_version()) != 0) {
    say(MRANK_ERROR_UNSUPPORTED, message, size,
        "the programs in %s were made by mrank %s, and this is mrank %s: not loaded (run `mrank "
        "compile` of this version again)",
        dir, m->mrank[0] != '\0' ? m->mrank : "(none given)", mrank_version());
    return 0;
  }
  static const struct {
    const char *what;
    size_t offset;
  } fields[] = {
      {"platform", offsetof(mrank_device_identity, platform_name)},
      {"platform version", offsetof(mrank_device_identity, platform_version)},
      {"device", offsetof(mrank_device_identity, device_name)},
      {"device version", offsetof(mrank_device_identity, device_version)},
      {"driver version", offsetof(mrank_device_identity, driver_version)},
  };
  for (size_t f = 0; f < sizeof fields / sizeof fields[0]; ++f) {
    const char *made = (const char *)&m->identity + fields[f].offset;
    const char *here = (const char *)device + fields[f].offset;
    if (strcmp(made, here) != 0) {
      say(MRANK_ERROR_UNSUPPORTED, message, size,
          "the programs in %s were made for %s \"%s\", and this device's is \"%s\": not loaded "
          "(a binary runs only on the device and driver it was built for; run `mrank compile` for "
          "this one)",
          dir, fields[f].what, made, here);
      return 0;
    }
  }
  return 1;
}

mrank_status mrank_binary_dir_check(const char *dir, cl_device_id device, char *message,
                                    size_t message_size) {
  struct stat info;
  char why[256];
  if (stat(dir, &info) != 0 || !S_ISDIR(info.st_mode)) {
    return say(MRANK_ERROR_IO, message, message_size,
               "MRANK_BINARY_DIR %s is not a folder; make it with `mrank compile --out %s`", dir,
               dir);
  }
  if (!mrank_owner_trusted(&info, 1, why, sizeof why)) {
    return say(MRANK_ERROR_IO, message, message_size,
               "MRANK_BINARY_DIR %s is %s, so another user could plant programs in it; chmod go-w "
               "it",
               dir, why);
  }
  manifest m;
  if (!manifest_read(dir, &m, message, message_size)) return MRANK_ERROR_IO;
  mrank_device_identity identity;
  mrank_device_identity_read(device, &identity);
  const int matches = manifest_matches(dir, &m, &identity, message, message_size);
  manifest_free(&m);
  return matches ? MRANK_SUCCESS : MRANK_ERROR_UNSUPPORTED;
}

/* --- loading a program --- */

/* The binary's bytes from the first of NAME.bin, .aocx, .xclbin that exists; NULL with the message
 * (the expected files named) when none can be read. */
static unsigned char *read_binary(const char *dir, const char *name, size_t *bytes, char *path,
                                  size_t path_size, char *message, size_t size) {
  for (size_t s = 0; s < sizeof binary_suffixes / sizeof binary_suffixes[0]; ++s) {
    snprintf(path, path_size, "%s/%s%s", dir, name, binary_suffixes[s]);
    struct stat info;
    char why[256] = "not a regular file";
    const int fd = mrank_open_regular(path, 1, &info, why, sizeof why);
    if (fd < 0 && errno == ENOENT) continue;
    if (fd < 0) {
      say(MRANK_ERROR_IO, message, size, "cannot open %s: %s", path,
          errno == ELOOP ? "it is a symbolic link (copy the file in instead)" : why);
      return NULL;
    }
    if (!mrank_owner_trusted(&info, 1, why, sizeof why) || (uint64_t)info.st_size == 0 ||
        (uint64_t)info.st_size > max_binary_bytes) {
      if (info.st_size == 0) snprintf(why, sizeof why, "empty");
      close(fd);
      say(MRANK_ERROR_IO, message, size, "program binary %s is %s: not loaded", path, why);
      return NULL;
    }
    unsigned char *data = malloc((size_t)info.st_size);
    size_t done = 0;
    while (data != NULL && done < (size_t)info.st_size) {
      const ssize_t got = read(fd, data + done, (size_t)info.st_size - done);
      if (got <= 0) break;
      done += (size_t)got;
    }
    close(fd);
    if (data == NULL || done != (size_t)info.st_size) {
      free(data);
      say(data == NULL ? MRANK_ERROR_OUT_OF_MEMORY : MRANK_ERROR_IO, message, size,
          "cannot read program binary %s", path);
      return NULL;
    }
    *bytes = done;
    return data;
  }
  say(MRANK_ERROR_IO, message, size,
      "the program binary %s/%s.bin (or .aocx, .xclbin) is missing; make it with `mrank compile "
      "--out %s`, or build %s/%s.cl with the vendor's compiler",
      dir, name, dir, dir, name);
  return NULL;
}

static mrank_status create_from_binary(const mrank_program_request *r, const char *path,
                                       const unsigned char *binary, size_t bytes,
                                       cl_program *program, char *message, size_t size) {
  cl_int binary_status = CL_SUCCESS, err = CL_SUCCESS;
  cl_program created =
      clCreateProgramWithBinary(r->context, 1, &r->device, &bytes, &binary, &binary_status, &err);
  if (err == CL_SUCCESS && binary_status != CL_SUCCESS) err = binary_status;
  if (err == CL_SUCCESS) err = clBuildProgram(created, 1, &r->device, r->options, NULL, NULL);
  if (err != CL_SUCCESS) {
    if (created != NULL) clReleaseProgram(created);
    return say(err == CL_OUT_OF_HOST_MEMORY ? MRANK_ERROR_OUT_OF_MEMORY : MRANK_ERROR_OPENCL,
               message, size,
               "program binary %s was refused by the driver (%s): it is corrupt, truncated, or "
               "built for another device; make it again with `mrank compile`",
               path, mrank_cl_error_name(err));
  }
  *program = created;
  return MRANK_SUCCESS;
}

mrank_status mrank_binary_dir_load(const mrank_program_request *r, const char *source,
                                   cl_program *program, char *message, size_t size) {
  const char *dir = r->binary_dir;
  *program = NULL;
  mrank_status status = mrank_binary_dir_check(dir, r->device, message, size);
  if (status != MRANK_SUCCESS) return status;
  manifest m;
  if (!manifest_read(dir, &m, message, size)) return MRANK_ERROR_IO;
  char name[96], path[4300], source_hash[24];
  mrank_binary_name(r->file_name, r->options, name, sizeof name);
  hash_text(source, strlen(source), source_hash);
  const manifest_entry *entry = NULL;
  for (size_t k = 0; k < m.count && entry == NULL; ++k) {
    if (strcmp(m.entries[k].name, name) == 0) entry = &m.entries[k];
  }
  unsigned char *binary = NULL;
  size_t bytes = 0;
  if (entry == NULL || strcmp(entry->options, r->options) != 0) {
    status = say(MRANK_ERROR_IO, message, size,
                 "%s/" MANIFEST_FILE
                 " lists no program for kernels/%s with options \"%s\" (it "
                 "would be %s/%s.bin): run `mrank compile --out %s` with the --dtype and --labels "
                 "this program needs, or leave them out to make every type",
                 dir, r->file_name, r->options, dir, name, dir);
  } else if (strcmp(entry->source_hash, source_hash) != 0 ||
             entry->source_bytes != (unsigned long long)strlen(source)) {
    status =
        say(MRANK_ERROR_UNSUPPORTED, message, size,
            "%s/%s was built from another kernels/%s (source hash %s, %llu bytes; this "
            "mrank's is %s, %zu bytes%s): not loaded; run `mrank compile` again",
            dir, name, r->file_name, entry->source_hash, entry->source_bytes, source_hash,
            strlen(source), getenv("MRANK_KERNEL_DIR") != NULL ? ", from MRANK_KERNEL_DIR" : "");
  } else if ((binary = read_binary(dir, name, &bytes, path, sizeof path, message, size)) == NULL) {
    status = MRANK_ERROR_IO;
  } else {
    char actual_hash[24], actual_bytes[24];
    hash_text(binary, bytes, actual_hash);
    snprintf(actual_bytes, sizeof actual_bytes, "%zu", bytes);
    if (strcmp(entry->binary_hash, "-") != 0 && (strcmp(entry->binary_hash, actual_hash) != 0 ||
                                                 strcmp(entry->binary_bytes, actual_bytes) != 0)) {
      status = say(MRANK_ERROR_IO, message, size,
                   "program binary %s is not the one its manifest lists (%s bytes, checksum %s; "
                   "the file has %s bytes, checksum %s): corrupt, truncated or replaced; make it "
                   "again with `mrank compile`",
                   path, entry->binary_bytes, entry->binary_hash, actual_bytes, actual_hash);
    } else {
      status = create_from_binary(r, path, binary, bytes, program, message, size);
    }
  }
  free(binary);
  manifest_free(&m);
  return status;
}

/* --- writing a folder --- */

/* Writes `bytes` to dir/file through a temporary file and a rename. */
static int write_atomically(const char *dir, const char *file, const void *data, size_t bytes,
                            char *message, size_t size) {
  char path[4300], temporary[4400];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  snprintf(temporary, sizeof temporary, "%s.XXXXXX", path);
  const int fd = mkstemp(temporary);
  FILE *out = fd >= 0 ? fdopen(fd, "wb") : NULL;
  if (out == NULL) {
    if (fd >= 0) {
      close(fd);
      unlink(temporary);
    }
    say(MRANK_ERROR_IO, message, size, "cannot write %s: %s", path, strerror(errno));
    return 0;
  }
  int ok = fwrite(data, 1, bytes, out) == bytes && fflush(out) == 0;
  /* mkstemp makes it 0600; the folder may be shared read-only with a board's users */
  ok = fchmod(fd, 0644) == 0 && ok;
  ok = fclose(out) == 0 && ok;
  if (ok) ok = rename(temporary, path) == 0;
  if (!ok) {
    unlink(temporary);
    say(MRANK_ERROR_IO, message, size, "cannot write %s: %s", path, strerror(errno));
  }
  return ok;
}

static int manifest_write(const char *dir, const manifest *m, char *message, size_t size) {
  size_t capacity = 4096 + m->count * (sizeof(manifest_entry) + 64), used = 0;
  char *text = malloc(capacity);
  if (text == NULL) {
    say(MRANK_ERROR_OUT_OF_MEMORY, message, size, "out of host memory writing the manifest");
    return 0;
  }
  const mrank_device_identity *id = &m->identity;
  used += (size_t)snprintf(text + used, capacity - used,
                           MANIFEST_FORMAT
                           "\n# written by `mrank compile`; the layout is in the "
                           "README, \"Offline-built programs\"\n"
                           "mrank %s\nplatform-name %s\nplatform-version %s\n"
                           "device-name %s\ndevice-version %s\ndriver-version %s\n"
                           "# program name file source-hash source-bytes "
                           "binary-hash binary-bytes options\n",
                           m->mrank, id->platform_name, id->platform_version, id->device_name,
                           id->device_version, id->driver_version);
  for (size_t k = 0; k < m->count; ++k) {
    const manifest_entry *e = &m->entries[k];
    used += (size_t)snprintf(text + used, capacity - used, "program %s %s %s %llu %s %s %s\n",
                             e->name, e->file, e->source_hash, e->source_bytes, e->binary_hash,
                             e->binary_bytes, e->options);
  }
  const int ok = write_atomically(dir, MANIFEST_FILE, text, used, message, size);
  free(text);
  return ok;
}

/* The folder made if missing, and this user's: the loader would refuse anything else. */
static int prepare_dir(const char *dir, char *message, size_t size) {
  if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
    say(MRANK_ERROR_IO, message, size, "cannot create the folder %s: %s", dir, strerror(errno));
    return 0;
  }
  struct stat info;
  char why[256];
  if (stat(dir, &info) != 0 || !S_ISDIR(info.st_mode)) {
    say(MRANK_ERROR_IO, message, size, "%s is not a folder", dir);
    return 0;
  }
  if (!mrank_owner_trusted(&info, 0, why, sizeof why)) {
    say(MRANK_ERROR_IO, message, size,
        "%s is %s; mrank would refuse to load programs from it (chmod go-w it, or choose a "
        "folder of your own)",
        dir, why);
    return 0;
  }
  return 1;
}

/* The folder's manifest, or a new one for this device when it has none. */
static int manifest_for_export(const char *dir, const mrank_program_request *r, manifest *m,
                               char *message, size_t size) {
  mrank_device_identity identity;
  mrank_device_identity_read(r->device, &identity);
  char path[4200];
  snprintf(path, sizeof path, "%s/%s", dir, MANIFEST_FILE);
  struct stat info;
  if (lstat(path, &info) != 0 && errno == ENOENT) {
    memset(m, 0, sizeof *m);
    snprintf(m->mrank, sizeof m->mrank, "%s", mrank_version());
    m->identity = identity;
    return 1;
  }
  if (!manifest_read(dir, m, message, size)) return 0;
  if (!manifest_matches(dir, m, &identity, message, size)) {
    manifest_free(m);
    const size_t used = strlen(message);
    snprintf(message + used, size - used,
             "; to make programs for this device and mrank, use "
             "an empty folder");
    return 0;
  }
  return 1;
}

static mrank_status export_binary(const mrank_program_request *r, const char *dir, const char *name,
                                  manifest_entry *entry, char *message, size_t size) {
  mrank_program_request from_source = *r;
  from_source.cache_dir = NULL;
  from_source.binary_dir = NULL;
  cl_program program = NULL;
  mrank_program_origin origin;
  mrank_status status = mrank_program_build(&from_source, &program, &origin, message, size);
  if (status != MRANK_SUCCESS) return status;
  size_t bytes = 0;
  unsigned char *binary = NULL;
  cl_int err = clGetProgramInfo(program, CL_PROGRAM_BINARY_SIZES, sizeof bytes, &bytes, NULL);
  if (err == CL_SUCCESS && bytes > 0 && (binary = malloc(bytes)) != NULL) {
    err = clGetProgramInfo(program, CL_PROGRAM_BINARIES, sizeof binary, &binary, NULL);
  }
  clReleaseProgram(program);
  if (err != CL_SUCCESS || bytes == 0 || binary == NULL) {
    free(binary);
    return say(binary == NULL && bytes > 0 ? MRANK_ERROR_OUT_OF_MEMORY : MRANK_ERROR_OPENCL,
               message, size, "the driver gave no binary for kernels/%s (%s)", r->file_name,
               err != CL_SUCCESS ? mrank_cl_error_name(err) : "zero bytes");
  }
  char file[128];
  snprintf(file, sizeof file, "%s.bin", name);
  hash_text(binary, bytes, entry->binary_hash);
  snprintf(entry->binary_bytes, sizeof entry->binary_bytes, "%zu", bytes);
  const int ok = write_atomically(dir, file, binary, bytes, message, size);
  free(binary);
  return ok ? MRANK_SUCCESS : MRANK_ERROR_IO;
}

mrank_status mrank_binary_dir_export(const mrank_program_request *r, const char *dir,
                                     int emit_source, char *written, size_t written_size,
                                     char *message, size_t size) {
  written[0] = '\0';
  const char *source = NULL;
  char *owned = NULL;
  mrank_status status = mrank_program_source(r, &source, &owned, message, size);
  if (status != MRANK_SUCCESS) return status;
  manifest m;
  memset(&m, 0, sizeof m);
  if (!prepare_dir(dir, message, size) || !manifest_for_export(dir, r, &m, message, size)) {
    free(owned);
    return MRANK_ERROR_IO;
  }
  manifest_entry entry;
  memset(&entry, 0, sizeof entry);
  mrank_binary_name(r->file_name, r->options, entry.name, sizeof entry.name);
  snprintf(entry.file, sizeof entry.file, "kernels/%s", r->file_name);
  hash_text(source, strlen(source), entry.source_hash);
  entry.source_bytes = strlen(source);
  snprintf(entry.options, sizeof entry.options, "%s", r->options);
  if (emit_source) {
    char file[128], options_line[1100];
    snprintf(entry.binary_hash, sizeof entry.binary_hash, "-");
    snprintf(entry.binary_bytes, sizeof entry.binary_bytes, "-");
    snprintf(file, sizeof file, "%s.cl", entry.name);
    const int length = snprintf(options_line, sizeof options_line, "%s\n", r->options);
    const int ok = write_atomically(dir, file, source, strlen(source), message, size) &&
                   (snprintf(file, sizeof file, "%s.options", entry.name),
                    write_atomically(dir, file, options_line, (size_t)length, message, size));
    status = ok ? MRANK_SUCCESS : MRANK_ERROR_IO;
    snprintf(written, written_size, "%s.cl, %s.options", entry.name, entry.name);
  } else {
    status = export_binary(r, dir, entry.name, &entry, message, size);
    snprintf(written, written_size, "%s.bin", entry.name);
  }
  if (status == MRANK_SUCCESS) {
    status = add_entry(&m, &entry) ? MRANK_SUCCESS : MRANK_ERROR_OUT_OF_MEMORY;
    if (status != MRANK_SUCCESS) say(status, message, size, "out of host memory");
  }
  if (status == MRANK_SUCCESS && !manifest_write(dir, &m, message, size)) status = MRANK_ERROR_IO;
  if (status != MRANK_SUCCESS) written[0] = '\0';
  manifest_free(&m);
  free(owned);
  return status;
}

mrank_status mrank_binary_dir_seal(const char *dir, size_t *sealed, char *message, size_t size) {
  *sealed = 0;
  manifest m;
  if (!manifest_read(dir, &m, message, size)) return MRANK_ERROR_IO;
  mrank_status status = MRANK_SUCCESS;
  for (size_t k = 0; k < m.count && status == MRANK_SUCCESS; ++k) {
    manifest_entry *e = &m.entries[k];
    if (strcmp(e->binary_hash, "-") != 0) continue; /* mrank compile's own: checked already */
    char path[4300];
    size_t bytes = 0;
    unsigned char *binary = read_binary(dir, e->name, &bytes, path, sizeof path, message, size);
    if (binary == NULL) {
      status = MRANK_ERROR_IO;
      break;
    }
    hash_text(binary, bytes, e->binary_hash);
    snprintf(e->binary_bytes, sizeof e->binary_bytes, "%zu", bytes);
    free(binary);
    ++*sealed;
  }
  if (status == MRANK_SUCCESS && *sealed > 0 && !manifest_write(dir, &m, message, size)) {
    status = MRANK_ERROR_IO;
  }
  manifest_free(&m);
  return status;
}
