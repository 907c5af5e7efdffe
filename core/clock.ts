/**
 * Epoch milliseconds with a sub-millisecond fraction. performance.now() is monotonic
 * within a process, so events a process writes never go back in time, and
 * timeOrigin anchors them to the wall clock shared with the other processes.
 */
export function now(): number {
  return performance.timeOrigin + performance.now();
}
