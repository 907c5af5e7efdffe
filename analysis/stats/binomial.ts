import { CONFIDENCE, type Interval } from './interval.js';

/**
 * Exact (Clopper–Pearson) interval for a rate: `successes` of `n` trials, e.g. runs lost
 * of runs submitted under a fault. Guaranteed coverage, also at 0 of n and n of n, where
 * normal approximations collapse. Bounds found by bisection on the binomial CDF, in log
 * space so large n stays exact.
 */
export function binomialInterval(successes: number, n: number, level = CONFIDENCE): Interval | null {
  if (!(n > 0) || successes < 0 || successes > n || !Number.isInteger(successes) || !Number.isInteger(n))
    return null;
  const alpha = 1 - level;
  // Lower: the p at which seeing `successes` or more has probability alpha/2.
  const low = successes === 0 ? 0 : solve((p) => 1 - binomialCdf(successes - 1, n, p) - alpha / 2);
  // Upper: the p at which seeing `successes` or fewer has probability alpha/2.
  const high = successes === n ? 1 : solve((p) => alpha / 2 - binomialCdf(successes, n, p));
  return { low, high, level, method: 'exact binomial' };
}

/** P(X ≤ k) for X ~ Binomial(n, p). */
export function binomialCdf(k: number, n: number, p: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  if (p <= 0) return 1;
  if (p >= 1) return 0;
  const logP = Math.log(p);
  const logQ = Math.log1p(-p);
  const lnChoose = logChooseRow(n);
  let sum = 0;
  for (let i = 0; i <= k; i++) sum += Math.exp(lnChoose(i) + i * logP + (n - i) * logQ);
  return Math.min(1, sum);
}

/** ln C(n, i), by the log-gamma function. */
function logChooseRow(n: number): (i: number) => number {
  const lgn = logGamma(n + 1);
  return (i) => lgn - logGamma(i + 1) - logGamma(n - i + 1);
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9): 15 significant digits, plenty for probabilities. */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const g = 7;
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  const z = x - 1;
  let a = c[0]!;
  const t = z + g + 0.5;
  for (let i = 1; i < g + 2; i++) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** The root in (0, 1) of an increasing function, by bisection to 1e-12. */
function solve(f: (p: number) => number): number {
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (f(mid) < 0) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * Interval for the difference of two rates a/n − b/m (Newcombe's hybrid score method,
 * built on each rate's exact interval): a difference is significant when it excludes 0.
 */
export function rateDifferenceInterval(
  a: number,
  n: number,
  b: number,
  m: number,
  level = CONFIDENCE,
): Interval | null {
  const ia = binomialInterval(a, n, level);
  const ib = binomialInterval(b, m, level);
  if (!ia || !ib) return null;
  const pa = a / n;
  const pb = b / m;
  const d = pa - pb;
  const low = d - Math.sqrt((pa - ia.low) ** 2 + (ib.high - pb) ** 2);
  const high = d + Math.sqrt((ia.high - pa) ** 2 + (pb - ib.low) ** 2);
  return { low, high, level, method: 'Newcombe (exact binomial)' };
}
