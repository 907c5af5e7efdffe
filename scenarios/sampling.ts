import { exponential, type Rng } from '../core/random.js';
import type { Duration } from './model.js';

function standardNormal(rng: Rng): number {
  // Box–Muller; 1 - rng() keeps log away from zero.
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

const Z_99 = 2.3263478740408408;

/**
 * A step's work time drawn from its distribution. Every worker runtime (TypeScript,
 * Python) must draw exactly these numbers for the same stream: see adapters/README.md.
 */
export function sampleDuration(duration: Duration, rng: Rng): number {
  switch (duration.dist) {
    case 'constant':
      return duration.ms;
    case 'uniform':
      return duration.minMs + rng() * (duration.maxMs - duration.minMs);
    case 'exponential':
      return exponential(rng, duration.meanMs);
    case 'lognormal': {
      if (duration.medianMs <= 0) return 0;
      const mu = Math.log(duration.medianMs);
      const sigma = Math.max(
        0,
        Math.log(Math.max(duration.p99Ms, duration.medianMs) / duration.medianMs) / Z_99,
      );
      return Math.exp(mu + sigma * standardNormal(rng));
    }
  }
}
