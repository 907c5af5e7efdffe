import { readdirSync, readFileSync } from 'node:fs';
import type { PoolChild } from '../../chaos/ports.js';

/**
 * A worker's pool children, from /proc: the processes whose parent is the worker's main
 * process (a prefork pool's children). Each thread lists the children it forked in
 * /proc/<pid>/task/<tid>/children; without that file (a kernel built without it) every
 * /proc/<pid>/stat is read for its parent pid.
 */
export function childPids(parent: number): number[] {
  try {
    const found = new Set<number>();
    for (const tid of readdirSync(`/proc/${parent}/task`)) {
      const listed = readFileSync(`/proc/${parent}/task/${tid}/children`, 'utf8').trim();
      for (const pid of listed.split(/\s+/).filter(Boolean)) found.add(Number(pid));
    }
    return [...found].sort((a, b) => a - b);
  } catch {
    return scanForChildren(parent);
  }
}

function scanForChildren(parent: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid …: comm may hold spaces and parentheses, so read after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found.sort((a, b) => a - b);
}

interface AttemptLine {
  type?: string;
  runId?: string;
  stepId?: string;
  attempt?: number;
  pid?: number;
}

/**
 * The step each process has in flight, from a worker's history: its last `attempt` carrying
 * that `pid` that no `step-done` of the same (run, step, attempt) followed. Pure.
 */
export function stepsInFlightByPid(historyText: string): Map<number, NonNullable<PoolChild['inFlight']>> {
  const open = new Map<string, { pid: number; runId: string; stepId: string; attempt: number }>();
  for (const line of historyText.split('\n')) {
    if (!line.includes('"attempt"') && !line.includes('"step-done"')) continue;
    let event: AttemptLine;
    try {
      event = JSON.parse(line) as AttemptLine;
    } catch {
      continue; // a line cut by a kill
    }
    const key = `${event.runId}\u0000${event.stepId}\u0000${event.attempt}`;
    if (event.type === 'attempt' && typeof event.pid === 'number') {
      open.set(key, {
        pid: event.pid,
        runId: String(event.runId),
        stepId: String(event.stepId),
        attempt: Number(event.attempt),
      });
    } else if (event.type === 'step-done') open.delete(key);
  }
  const byPid = new Map<number, NonNullable<PoolChild['inFlight']>>();
  for (const { pid, ...step } of open.values()) byPid.set(pid, step);
  return byPid;
}
