/**
 * `faultline capacity` (#15), the parts that decide without servers: the ramp, whose limit a
 * breaking step hit, the settings from a file and flags, and the machine's CPU from /proc/stat.
 */
import { describe, expect, it } from 'vitest';
import { capacitySettings, durationMs } from '../../harness/cli/capacity.js';
import { parseExperiment } from '../../harness/config/load-experiment.js';
import { parseMachine } from '../../harness/footprint/proc.js';
import { limitOf } from '../../harness/runner/capacity.js';
import { kneeOf, nextRate, type RampSettings, type RampStep } from '../../harness/runner/ramp.js';

const SETTINGS: RampSettings = { fromRate: 20, factor: 2, maxRate: 5000, minRate: 1, refine: 2 };

/** The rates a sweep tries against a system that holds up to `knee`, and why it stops. */
function sweep(knee: number, settings = SETTINGS): { rates: number[]; stop: string } {
  const steps: RampStep[] = [];
  for (let i = 0; i < 50; i++) {
    const decision = nextRate(steps, settings);
    if ('stop' in decision) return { rates: steps.map((s) => s.rate), stop: decision.stop };
    steps.push({ rate: decision.next, held: decision.next <= knee });
  }
  throw new Error('the ramp never stopped');
}

describe('the capacity ramp', () => {
  it('doubles until the SLO breaks, then narrows the knee by geometric middles', () => {
    // 20 40 80 160 320 (broke) → √(160·320) = 226 (held) → √(226·320) = 269 (held) → stop.
    expect(sweep(300)).toEqual({ rates: [20, 40, 80, 160, 320, 226, 269], stop: 'knee' });
    const steps = [20, 40, 80, 160, 320, 226, 269].map((rate) => ({ rate, held: rate <= 300 }));
    expect(kneeOf(steps)).toEqual({ held: 269, broke: 320 });
  });

  it('goes down when the first rate already breaks', () => {
    // 20, 10 (broke) 5 (held) → √(5·10) = 7.07 (broke) → √(5·7.07) = 5.95 (held) → stop.
    expect(sweep(6)).toEqual({ rates: [20, 10, 5, 7.07, 5.95], stop: 'knee' });
  });

  it('stops at the highest and the lowest rate allowed, saying so', () => {
    expect(sweep(1e9).stop).toBe('max-rate');
    expect(sweep(1e9).rates.at(-1)).toBe(5000);
    expect(sweep(0.5)).toEqual({ rates: [20, 10, 5, 2.5, 1.25, 1], stop: 'min-rate' });
  });

  it('refines as many times as asked, and not at all with refine 0', () => {
    expect(sweep(300, { ...SETTINGS, refine: 0 }).rates).toEqual([20, 40, 80, 160, 320]);
    expect(sweep(300, { ...SETTINGS, refine: 4 }).rates.length).toBe(5 + 4);
  });
});

describe('whose limit a breaking step hit', () => {
  const at = (world: number | null, harness: number | null, machine: number | null) =>
    limitOf({ utilisation: { world, harness, machine } });

  it('is the world’s or the harness’s when one used nearly a core, the machine’s when it was busy, else the system’s', () => {
    expect(at(0.9, 0.2, 0.5)).toBe('world');
    expect(at(0.1, 0.95, 0.5)).toBe('harness');
    expect(at(0.1, 0.3, 0.97)).toBe('machine');
    expect(at(0.1, 0.3, 0.4)).toBe('system');
    expect(at(null, null, null)).toBe('system');
  });
});

describe('capacity settings', () => {
  const experiment = parseExperiment(
    {
      scenarios: ['noop'],
      adapters: [{ name: 'bullmq' }],
      capacity: { slo: ['latency.p99 < 500ms'], workers: [1, 2], stepSeconds: 5 },
    },
    'test',
  );

  it('takes the file’s capacity section, the flags over it, and the defaults for the rest', () => {
    const settings = capacitySettings(experiment, { workers: '1,2,4', 'time-bound': '90s' });
    expect(settings).toMatchObject({
      slo: ['latency.p99 < 500ms'],
      workers: [1, 2, 4],
      stepSeconds: 5,
      timeBoundMs: 90_000,
      fromRate: 20,
      factor: 2,
    });
  });

  it('names a bad field and its valid values', () => {
    // One line: the field and the bound it broke.
    expect(() => capacitySettings(experiment, { factor: '1' })).toThrow(/^capacity: factor: [^\n]*>\s*1$/);
    expect(() => durationMs('time-bound', 'soon')).toThrow(
      '--time-bound: "soon" is not a duration; e.g. 10m, 90s, 1500ms',
    );
    expect(durationMs('time-bound', '10m')).toBe(600_000);
    expect(durationMs('time-bound', '1500')).toBe(1500);
  });
});

describe('the machine’s CPU from /proc/stat', () => {
  it('counts user, nice, system, irq, softirq and steal as busy, idle and iowait as idle', () => {
    const stat =
      'cpu  100 5 50 800 20 3 2 10 0 0\ncpu0 50 2 25 400 10 1 1 5 0 0\ncpu1 50 3 25 400 10 2 1 5 0 0\nintr 1';
    expect(parseMachine(stat, 100)).toEqual({
      busyMs: (100 + 5 + 50 + 3 + 2 + 10) * 10,
      idleMs: (800 + 20) * 10,
      cores: 2,
    });
    expect(parseMachine('intr 1', 100)).toBeNull();
  });
});
