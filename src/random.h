/* random.h: a small seeded generator (SplitMix64) shared by the CLI and the tests, so that a seed
 * names the same data everywhere. Not for cryptography. */
#ifndef MRANK_RANDOM_H
#define MRANK_RANDOM_H

#include <stdint.h>

typedef struct mrank_random {
  uint64_t state;
} mrank_random;

static inline uint64_t mrank_random_next(mrank_random *random) {
  uint64_t z = (random->state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* uniform in [lo, hi), 24 random bits */
static inline float mrank_random_uniform(mrank_random *random, float lo, float hi) {
  const float unit = (float)(mrank_random_next(random) >> 40) * (1.0f / 16777216.0f);
  return lo + (hi - lo) * unit;
}

/* +1 or -1 with equal odds */
static inline float mrank_random_sign(mrank_random *random) {
  return (mrank_random_next(random) >> 63) ? 1.0f : -1.0f;
}

#endif /* MRANK_RANDOM_H */
