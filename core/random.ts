/** A seeded source of uniform numbers in [0, 1). Same seed, same sequence, on every machine. */
export type Rng = () => number;

/** mulberry32: tiny, fast, and good enough for schedules and failure draws. */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A 32-bit seed derived from several parts, so each (run, step, attempt) gets its own
 * stream. FNV-1a alone leaves ids that differ in one character (run-01, run-07) with
 * seeds so close that mulberry32's first draws are correlated; murmur3's finalizer
 * spreads every input bit over the whole seed.
 */
export function deriveSeed(...parts: (string | number)[]): number {
  let h = 0x811c9dc5;
  const text = parts.join('\u0000');
  // Code point by code point (a surrogate pair is one), without an iterator: this runs per attempt.
  for (let i = 0; i < text.length; ) {
    const point = text.codePointAt(i)!;
    h ^= point;
    h = Math.imul(h, 0x01000193);
    i += point > 0xffff ? 2 : 1;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function exponential(rng: Rng, mean: number): number {
  return -Math.log(1 - rng()) * mean;
}
