import { readFileSync } from 'node:fs';

/** Linux's USER_HZ: /proc reports times in these ticks (100 on every architecture Node runs on). */
const TICKS_PER_SECOND = 100;

/**
 * CPU seconds this process and every child it has reaped have used so far (user + system,
 * /proc/self/stat's utime, stime, cutime, cstime). Over a measurement that starts and stops
 * its own services and workers, the difference is what the whole measurement cost the
 * machine, whatever else the machine was doing: on a shared machine, where throughput
 * follows the load of others, it is the figure that does not. Null off Linux.
 */
export function cpuSecondsWithChildren(): number | null {
  try {
    return parseCpuTicks(readFileSync('/proc/self/stat', 'utf8')) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** utime + stime + cutime + cstime of a /proc/PID/stat line (fields 14–17; the name in parentheses may hold spaces). */
export function parseCpuTicks(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): field n is fields[n - 3].
  const ticks = [14, 15, 16, 17].map((n) => Number(fields[n - 3]));
  if (ticks.some((t) => !Number.isFinite(t))) throw new Error('unexpected /proc stat line');
  return ticks.reduce((a, b) => a + b, 0);
}
