/**
 * The top self-time functions of V8 CPU profiles (`--cpu-prof`, or FAULTLINE_CPU_PROF for
 * every Node process faultline starts): where a bench's time goes, per process, without
 * opening a profiler UI. `node --import tsx harness/bench/profile-top.ts DIR_OR_FILES… [--top N]`
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface SelfTime {
  what: string;
  ms: number;
  share: number;
}

/** Self time per function (name and file:line), summed over the profile's samples, most first. */
export function selfTimes(profile: CpuProfile): { totalMs: number; idleMs: number; top: SelfTime[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const ms = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let totalMs = 0;
  let idleMs = 0;
  for (let i = 0; i < samples.length; i++) {
    // A sample's time is the delta to the next one.
    const dt = (deltas[i + 1] ?? 0) / 1000;
    const node = byId.get(samples[i]!);
    if (!node) continue;
    totalMs += dt;
    const key = label(node);
    if (key === '(idle)') idleMs += dt;
    ms.set(key, (ms.get(key) ?? 0) + dt);
  }
  const busy = totalMs - idleMs;
  const top = [...ms.entries()]
    .filter(([key]) => key !== '(idle)')
    .map(([what, t]) => ({ what, ms: t, share: busy > 0 ? t / busy : 0 }))
    .sort((a, b) => b.ms - a.ms);
  return { totalMs, idleMs, top };
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  if (!url) return functionName || '(anonymous)';
  const file = url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, '~/');
  const short = file.includes('/work/')
    ? file.replace(/^.*?\/(core|scenarios|analysis|adapters|chaos|reports|harness)\//, '$1/')
    : file;
  return `${functionName || '(anonymous)'} ${short}:${lineNumber + 1}`;
}

function profilesIn(paths: string[]): string[] {
  return paths.flatMap((path) =>
    statSync(path).isDirectory()
      ? readdirSync(path)
          .filter((f) => f.endsWith('.cpuprofile'))
          .map((f) => join(path, f))
      : [path],
  );
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--top');
  const n = at >= 0 ? Number(args[at + 1]) : 15;
  const paths = at >= 0 ? args.filter((_, i) => i !== at && i !== at + 1) : args;
  for (const file of profilesIn(paths)) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const { totalMs, idleMs, top } = selfTimes(profile);
    console.log(
      `\n${basename(file)}: ${(totalMs / 1000).toFixed(1)} s sampled, ${((totalMs - idleMs) / 1000).toFixed(1)} s busy`,
    );
    for (const t of top.slice(0, n))
      console.log(
        `  ${t.ms.toFixed(0).padStart(7)} ms  ${(t.share * 100).toFixed(1).padStart(5)}%  ${t.what}`,
      );
  }
}
