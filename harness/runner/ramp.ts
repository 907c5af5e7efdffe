/**
 * The capacity ramp, pure: from the steps done so far (rate, whether the SLO held), the
 * next rate to try or why to stop. Up by `factor` while the SLO holds; down by it while it
 * breaks from the first step; once a rate that held and a higher one that broke bracket the
 * knee, `refine` geometric middles between them.
 */
export interface RampStep {
  rate: number;
  held: boolean;
}

export interface RampSettings {
  fromRate: number;
  factor: number;
  maxRate: number;
  minRate: number;
  refine: number;
}

export type RampStop = 'knee' | 'max-rate' | 'min-rate' | 'time-bound';
export type RampDecision = { next: number } | { stop: RampStop };

/** Rates keep 3 significant digits: 283 runs/s, not 282.842712. */
const roundRate = (rate: number) => Number(rate.toPrecision(3));

/** The highest rate that held and the lowest that broke above it (null where there is none). */
export function kneeOf(steps: readonly RampStep[]): { held: number | null; broke: number | null } {
  const held = steps.filter((s) => s.held).map((s) => s.rate);
  const maxHeld = held.length === 0 ? null : Math.max(...held);
  const broke = steps.filter((s) => !s.held && (maxHeld === null || s.rate > maxHeld)).map((s) => s.rate);
  return { held: maxHeld, broke: broke.length === 0 ? null : Math.min(...broke) };
}

export function nextRate(steps: readonly RampStep[], settings: RampSettings): RampDecision {
  if (steps.length === 0)
    return { next: roundRate(Math.min(settings.maxRate, Math.max(settings.minRate, settings.fromRate))) };
  const { held, broke } = kneeOf(steps);
  if (held !== null && broke !== null) {
    const refined = steps.length - bracketedAt(steps);
    const middle = roundRate(Math.sqrt(held * broke));
    if (refined >= settings.refine || middle <= held || middle >= broke) return { stop: 'knee' };
    return { next: middle };
  }
  if (broke === null) {
    // Every step held: up, unless the ceiling was already tried.
    if (held! >= settings.maxRate) return { stop: 'max-rate' };
    return { next: roundRate(Math.min(settings.maxRate, held! * settings.factor)) };
  }
  // Every step broke: down, unless the floor was already tried.
  const lowest = Math.min(...steps.map((s) => s.rate));
  if (lowest <= settings.minRate) return { stop: 'min-rate' };
  return { next: roundRate(Math.max(settings.minRate, lowest / settings.factor)) };
}

/** How many steps it took until a held and a broken rate first bracketed the knee. */
function bracketedAt(steps: readonly RampStep[]): number {
  for (let i = 1; i <= steps.length; i++) {
    const { held, broke } = kneeOf(steps.slice(0, i));
    if (held !== null && broke !== null) return i;
  }
  return steps.length;
}
