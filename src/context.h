/* context.h: what an mrank_context holds (device, queue, the programs built for it, the staging
 * buffers of the host-array path) and the program API over it. */
#ifndef MRANK_CONTEXT_H
#define MRANK_CONTEXT_H

#include <stddef.h>

#include "device_set.h"
#include "errors.h"
#include "ledger.h"
#include "mrank.h"
#include "shape.h"
#include "types.h"

#ifdef MRANK_LEDGER
#include <stdatomic.h>
#endif

/* Kernel families: one .cl file each; one program per (context, family, type variant). */
typedef enum mrank_family { MRANK_FAMILY_MARGIN_RANKING, MRANK_FAMILY_COUNT } mrank_family;

typedef enum mrank_kernel_id {
  MRANK_KERNEL_FORWARD_NONE,
  MRANK_KERNEL_FORWARD_SUM64,
  MRANK_KERNEL_SUM16_PASS,
  MRANK_KERNEL_BACKWARD_NONE,
  MRANK_KERNEL_BACKWARD_SCALAR,
  MRANK_KERNEL_FUSED_NONE,
  MRANK_KERNEL_FUSED_SUM64,
  MRANK_KERNEL_SUM16_LAST,
  MRANK_KERNEL_GATHER_DATA, /* tensor views (kernels/margin_ranking.cl, the end) */
  MRANK_KERNEL_GATHER_LABELS,
  MRANK_KERNEL_SCATTER_DATA,
  MRANK_KERNEL_REDUCE_TO,
  MRANK_KERNEL_COUNT
} mrank_kernel_id;

/* The staging buffers of the host-pointer path, kept between calls and grown on demand. */
typedef enum mrank_staging_slot {
  MRANK_STAGE_X1,
  MRANK_STAGE_X2,
  MRANK_STAGE_Y,
  MRANK_STAGE_DLOSS,
  MRANK_STAGE_OUT1,
  MRANK_STAGE_OUT2,
  MRANK_STAGE_COUNT
} mrank_staging_slot;

/* Every live context carries this; destroy clears it, so that a stale handle is refused while its
 * memory is still mapped ("mrankctx"). */
#define MRANK_CONTEXT_MAGIC 0x6d72616e6b637478ull

struct mrank_context {
  unsigned long long magic; /* MRANK_CONTEXT_MAGIC while the context lives */
#ifdef MRANK_LEDGER
  atomic_flag busy; /* debug builds: set while an entry point runs on this context */
#endif
  int is_host;
  int zero_copy; /* host arrays are wrapped, not copied (host-unified memory) */
  char device_name[256];
  cl_platform_id platform;
  cl_device_id device;
  cl_context cl_ctx;
  cl_command_queue queue;
  char build_options[224];
  mrank_shape shape;      /* the kernels' shape (shape.h) */
  char shape_source[128]; /* where it came from */
  char variant_text[256]; /* "epw=16,vw=16,wg=256,sum=direct (the default ...)" */
  int fixed_work_group;   /* kernels are built for exactly local_size work-items a group */
  char binary_dir[4096];  /* "" unless programs come from a folder made by mrank compile */
  int has_fp64;           /* the device reports fp64 (MRANK_DISABLE_FP64=1 pretends it does not) */
  /* single-precision subnormals may be flushed to zero: the device does not report CL_FP_DENORM
   * (or MRANK_ASSUME_FTZ=1 says to act as if, and builds with -cl-denorms-are-zero) */
  int may_flush_denormals;
  cl_program programs[MRANK_VARIANT_COUNT][MRANK_FAMILY_COUNT];
  char cache_dir[4096]; /* "" when the disk cache is off */
  int cache_warned;     /* the one warning about an unwritable cache was printed */
  /* counted for the tests and `devices --check` */
  int programs_from_disk, programs_from_source, programs_from_binary_dir;
  cl_kernel kernels[MRANK_VARIANT_COUNT][MRANK_KERNEL_COUNT];
  size_t local_size; /* work-group size of every launch: a power of two */
  /* the local pass 1's work-group size (a power of two up to 64, within the device's limits) and
   * the device's local memory, which decides the pass type by type (mrank_local_pass) */
  size_t sum_group;
  cl_ulong local_memory;
  size_t
      chunk_elements; /* largest n one host-pointer pass stages on the device (a multiple of 64) */
  size_t
      max_alloc_bytes; /* the largest buffer mrank makes or wraps (MRANK_MAX_ALLOC may lower it) */
  cl_mem staging[MRANK_STAGE_COUNT];
  size_t staging_bytes[MRANK_STAGE_COUNT]; /* capacity of each staging buffer */
  cl_mem partials[2]; /* the partial sums of a reduction, pass after pass (ping-pong) */
  /* the tensor path's buffers of the broadcast shape (x1, x2, y, dloss or loss, dx1, dx2), kept
   * between calls and grown on demand: the queue is in order, so the next call cannot overwrite
   * them before the last one is done */
  cl_mem tensor_temps[6];
  size_t tensor_temp_bytes[6];
  size_t partials_bytes[2];
  /* A context over several devices: one context of its own for each device here (that alone
   * runs on it; device_set.h), the host-array entry points split across them (split.c); this
   * one is the first device's too, for the buffer entry points and the reductions' last passes.
   * peer_count is 0 for a context of one device. */
  struct mrank_context *peers[MRANK_MAX_DEVICES];
  size_t peer_count;
  struct mrank_context *group; /* the context whose peer this one is (it owns this one), or NULL */
  /* elements a second each device ran its last measured share at (0: not measured yet) */
  double speed[MRANK_MAX_DEVICES];
  char group_name[1024]; /* "A + B" for a context over several devices */
};

/* 1 for a context made by mrank_context_create* and not destroyed (NULL is not one). */
static inline int mrank_context_live(const mrank_context *ctx) {
  return ctx != NULL && ctx->magic == MRANK_CONTEXT_MAGIC;
}
/* MRANK_ERROR_INVALID_ARGUMENT, with a message naming `function`, unless ctx is live. */
mrank_status mrank_check_context(const char *function, const mrank_context *ctx);

/* program.c: the kernels of one type variant, built on first use (F64 needs the device's fp64) */
mrank_status mrank_ensure_kernels(mrank_context *ctx, const mrank_variant *variant);
void mrank_release_programs(mrank_context *ctx);

/* Whether a reduction of this variant runs the local-memory pass 1: the shape asks for it and the
 * device's local memory holds sum_group rows of 65 values of the variant's compute type (float
 * needs half of what double does). */
int mrank_local_pass(const mrank_context *ctx, const mrank_variant *variant);

#endif /* MRANK_CONTEXT_H */
