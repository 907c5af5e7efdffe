import { readdirSync, readFileSync } from 'node:fs';

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
