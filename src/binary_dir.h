/* binary_dir.h: a folder of offline-built programs, for FPGAs and devices without a compiler.
 * `mrank compile` (or mrank_export_program) writes it; MRANK_BINARY_DIR (or the binary_dir of
 * mrank_context_options) makes mrank load every program from it and from nothing else.
 *
 * Layout (the README's "Offline-built programs" says the same for users):
 *   DIR/manifest.txt            what the folder holds and for which device (below)
 *   DIR/NAME.bin                a binary written by `mrank compile`
 *   DIR/NAME.cl, NAME.options   with --emit-source: the exact source and build options; the
 *                               vendor's compiler writes NAME.bin, NAME.aocx or NAME.xclbin
 * NAME is the kernel file's stem and the FNV-1a hash of the build options
 * ("margin_ranking-3f0c5a2e9d1b7788"), so every (file, options) build has its own name.
 *
 * manifest.txt is text, one item per line ('#' lines are comments):
 *   mrank-programs 1
 *   mrank VERSION
 *   platform-name / platform-version / device-name / device-version / driver-version TEXT
 *   program NAME FILE SOURCE-HASH SOURCE-BYTES BINARY-HASH BINARY-BYTES OPTIONS...
 * BINARY-HASH and BINARY-BYTES are "-" for a program whose binary a vendor tool makes. */
#ifndef MRANK_BINARY_DIR_H
#define MRANK_BINARY_DIR_H

#include <stddef.h>

#include "program_builder.h"

/* MRANK_BINARY_DIR, or NULL when unset or empty. */
const char *mrank_binary_dir_setting(void);

/* NAME for a kernels/ file and its build options (capacity: 96 is enough). */
void mrank_binary_name(const char *file_name, const char *options, char *out, size_t capacity);

/* MRANK_SUCCESS when `dir` has a manifest made by this mrank for this device (platform, device and
 * driver, names and versions); else MRANK_ERROR_IO or MRANK_ERROR_UNSUPPORTED with both sides of
 * the first difference in `message`. */
mrank_status mrank_binary_dir_check(const char *dir, cl_device_id device, char *message,
                                    size_t message_size);

/* The program for request (its file and options) from request->binary_dir: checked against the
 * manifest (device, mrank version, source hash, the binary's length and checksum when known), then
 * created from the binary. Never built from source: every failure is an error naming the file. */
mrank_status mrank_binary_dir_load(const mrank_program_request *request, const char *source,
                                   cl_program *program, char *message, size_t message_size);

/* Adds the request's program to `dir` (made if missing) and to its manifest: its binary built
 * from source on this device, or with emit_source its source and options for a vendor tool.
 * `written` gets the file names written ("NAME.bin" or "NAME.cl, NAME.options"). A manifest that
 * is another device's or another mrank's is an error (use an empty folder). */
mrank_status mrank_binary_dir_export(const mrank_program_request *request, const char *dir,
                                     int emit_source, char *written, size_t written_size,
                                     char *message, size_t message_size);

/* Records the length and checksum of every binary a vendor tool wrote (the manifest's "-" entries)
 * into the manifest, so that a later truncation or corruption is caught before the driver sees
 * the file. *sealed gets how many were recorded. A listed program whose binary is missing is an
 * error naming the file. */
mrank_status mrank_binary_dir_seal(const char *dir, size_t *sealed, char *message,
                                   size_t message_size);

#endif /* MRANK_BINARY_DIR_H */
