/* consumer.c: a program that uses an installed mrank: the mean margin ranking loss of four pairs
 * and its gradient on the default device, printed next to the CPU reference, exit status 1 if they
 * disagree. Build it with CMakeLists.txt (find_package) or Makefile (pkg-config). */
#include <math.h>
#include <mrank.h>
#include <stdio.h>
#include <string.h>

int main(void) {
  const float x1[] = {0.8f, 0.1f, 0.5f, 2.0f}; /* scores of the documents that should rank higher */
  const float x2[] = {0.3f, 0.6f, 0.5f, -1.0f};
  const float y[] = {1.0f, 1.0f, 1.0f, 1.0f};
  enum { n = 4 };
  float loss = 0.0f, dx1[n], dx2[n], ref_loss = 0.0f, ref_dx1[n], ref_dx2[n];

  printf("mrank %s (header %s)\n", mrank_version(), MRANK_VERSION_STRING);
  mrank_context *ctx = NULL;
  if (mrank_context_create(NULL, &ctx) != MRANK_SUCCESS) {
    fprintf(stderr, "no device: %s\n", mrank_last_error());
    return 1;
  }
  if (mrank_forward_backward(ctx, n, x1, x2, y, 1.0f, MRANK_REDUCTION_MEAN, &loss, dx1, dx2) !=
          MRANK_SUCCESS ||
      mrank_reference_forward_backward(n, x1, x2, y, 1.0f, MRANK_REDUCTION_MEAN, &ref_loss, ref_dx1,
                                       ref_dx2) != MRANK_SUCCESS) {
    fprintf(stderr, "mrank failed: %s\n", mrank_last_error());
    mrank_context_destroy(ctx);
    return 1;
  }
  printf("device: %s\n", mrank_context_device_name(ctx));
  mrank_context_destroy(ctx);
  printf("loss %.6f (reference %.6f)\n", loss, ref_loss);
  for (int i = 0; i < n; ++i) {
    printf("pair %d: dx1 %+.4f dx2 %+.4f (reference %+.4f %+.4f)\n", i, dx1[i], dx2[i], ref_dx1[i],
           ref_dx2[i]);
  }
  /* gradients are bitwise the reference's; the mean within a few roundings of a 4-term sum */
  int same = memcmp(dx1, ref_dx1, sizeof dx1) == 0 && memcmp(dx2, ref_dx2, sizeof dx2) == 0 &&
             fabsf(loss - ref_loss) <= 8 * 1.2e-7f * fabsf(ref_loss);
  printf("%s\n", same ? "matches the reference" : "DIFFERS FROM THE REFERENCE");
  return same ? 0 : 1;
}
