/*
 * ccenter-sim — random numbers and distributions.
 *
 * The generator is xoshiro256** (Blackman & Vigna), each instance seeded by running
 * splitmix64 over (seed, stream) so that every arrival stream has its own independent
 * sequences: changing one stream's parameters leaves the others' draws unchanged.
 */
#include "sim.h"

#include <math.h>
#include <stdio.h>

static uint64_t splitmix64(uint64_t *x)
{
  uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k)
{
  return (x << k) | (x >> (64 - k));
}

void sim_rng_seed(sim_rng *r, uint64_t seed, uint64_t stream)
{
  uint64_t x = seed ^ (stream * UINT64_C(0xd1b54a32d192ed03));
  for (int i = 0; i < 4; i++)
    r->s[i] = splitmix64(&x);
  if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
    r->s[0] = 1; /* the all-zero state is the one state xoshiro must not be in */
}

uint64_t sim_rng_next(sim_rng *r)
{
  uint64_t *s = r->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double sim_rng_uniform(sim_rng *r)
{
  /* 53 random bits, shifted half a step: never 0, never 1. */
  return ((double)(sim_rng_next(r) >> 11) + 0.5) * 0x1.0p-53;
}

double sim_rng_exp(sim_rng *r, double mean)
{
  return -mean * log(sim_rng_uniform(r));
}

double sim_rng_normal(sim_rng *r)
{
  /* Box-Muller; the second value is thrown away to keep the generator state simple. */
  double u1 = sim_rng_uniform(r), u2 = sim_rng_uniform(r);
  return sqrt(-2.0 * log(u1)) * cos(2.0 * 3.14159265358979323846 * u2);
}

int sim_dist_lognormal(sim_dist *d, double mean, double sd)
{
  if (!(mean > 0) || !(sd >= 0) || !isfinite(mean) || !isfinite(sd))
    return -1;
  double s2 = log1p((sd * sd) / (mean * mean));
  d->kind = SIM_DIST_LOGNORMAL;
  d->mean = mean;
  d->sd = sd;
  d->sigma = sqrt(s2);
  d->mu = log(mean) - s2 / 2.0;
  return 0;
}

double sim_dist_draw(const sim_dist *d, sim_rng *r)
{
  switch (d->kind) {
  case SIM_DIST_EXP:
    return sim_rng_exp(r, d->mean);
  case SIM_DIST_LOGNORMAL:
    return exp(d->mu + d->sigma * sim_rng_normal(r));
  case SIM_DIST_FIXED:
    return d->mean;
  case SIM_DIST_EMPIRICAL: {
    uint64_t k = sim_rng_next(r) % (uint64_t)d->n_values; /* bias < n / 2^64 */
    return d->values[k];
  }
  case SIM_DIST_NONE:
    break;
  }
  return 0.0;
}

const char *sim_dist_describe(const sim_dist *d, char *buf, size_t n)
{
  switch (d->kind) {
  case SIM_DIST_NONE:
    snprintf(buf, n, "none");
    break;
  case SIM_DIST_EXP:
    snprintf(buf, n, "exp(mean %gs)", d->mean);
    break;
  case SIM_DIST_LOGNORMAL:
    snprintf(buf, n, "lognormal(mean %gs, sd %gs)", d->mean, d->sd);
    break;
  case SIM_DIST_FIXED:
    snprintf(buf, n, "fixed(%gs)", d->mean);
    break;
  case SIM_DIST_EMPIRICAL:
    snprintf(buf, n, "empirical(%zu values, mean %.1fs)", d->n_values, d->mean);
    break;
  }
  return buf;
}
