/* prng.h - the generator behind the tests that make their own inputs: a
 * deterministic xorshift64*, so a seed gives the same inputs on every
 * machine and a failure can be replayed.  One per test program (each
 * includes this once); set prng_state to the seed before generating. */
#ifndef TC_TEST_PRNG_H
#define TC_TEST_PRNG_H

#include <stddef.h>
#include <stdint.h>

static uint64_t prng_state;

static inline uint64_t rnd(void)
{
    prng_state ^= prng_state >> 12;
    prng_state ^= prng_state << 25;
    prng_state ^= prng_state >> 27;
    return prng_state * 2685821657736338717ull;
}

/* 0 <= result < n (0 when n is 0) */
static inline size_t below(size_t n)
{
    return n ? (size_t)(rnd() % n) : 0;
}

#endif
