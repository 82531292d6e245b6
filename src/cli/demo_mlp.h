/* demo_mlp.h: `mrank demo`'s MLP part (demo_mlp.c). */
#ifndef MRANK_CLI_DEMO_MLP_H
#define MRANK_CLI_DEMO_MLP_H

#include <stdint.h>

/* 1 passed, 0 failed, -1 on an error (said on stderr). */
int mrank_demo_mlp(const char *selector, uint64_t seed);

#endif /* MRANK_CLI_DEMO_MLP_H */
