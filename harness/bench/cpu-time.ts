import { procClock, readStat } from '../footprint/proc.js';

/**
 * CPU seconds this process and every child it has reaped have used so far (user + system,
 * /proc/self/stat's utime, stime, cutime, cstime). Over a measurement that starts and stops
 * its own services and workers, the difference is what the whole measurement cost the
 * machine, whatever else the machine was doing: on a shared machine, where throughput
 * follows the load of others, it is the figure that does not. Null off Linux.
 */
export function cpuSecondsWithChildren(): number | null {
  const stat = readStat(process.pid);
  return stat === null ? null : stat.cpuTicks / procClock().ticksPerSecond;
}
