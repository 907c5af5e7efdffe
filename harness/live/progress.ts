import { MultiBar, type SingleBar } from 'cli-progress';
import type { LiveCell } from './live-state.js';

/** What a progress line says of a cell, computed from its live counts. */
export interface CellProgress {
  cell: string;
  done: number;
  total: number;
  submitted: number;
  /** Runs the drain gave up on (known once the cell ended). */
  lost: number;
  duplicates: number;
  /** The faults going on, or the last one injected (a kill), or none. */
  fault: string;
  elapsedSec: number;
  /** At the rate runs finished so far; null before the first one. */
  etaSec: number | null;
  ended: boolean;
}

export function cellProgress(cell: LiveCell, now: number): CellProgress {
  const done = cell.completed + cell.failed;
  const end = cell.endedAt ?? now;
  const elapsedSec = cell.startedAt === null ? 0 : Math.max(0, (end - cell.startedAt) / 1000);
  const active = [...cell.activeFaults.values()].map((f) => `${f.kind} (${f.target})`);
  const fault = active.length > 0 ? active.join(', ') : cell.lastFault ? `${cell.lastFault} (done)` : 'none';
  const remaining = Math.max(0, cell.runs - done - cell.lost);
  return {
    cell: cell.id,
    done,
    total: cell.runs,
    submitted: cell.submitted,
    lost: cell.lost,
    duplicates: cell.duplicateEffects,
    fault,
    elapsedSec,
    etaSec: cell.endedAt !== null ? 0 : done > 0 ? (elapsedSec / done) * remaining : null,
    ended: cell.endedAt !== null,
  };
}

/** 75 s → "1:15", 3725 s → "1:02:05". */
export function clock(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  const [h, m, r] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(r).padStart(2, '0')}`;
}

/** A line for logs without a terminal (CI): the same figures as the live bar. */
export function plainLine(p: CellProgress): string {
  return (
    `progress ${p.cell}: ${p.done}/${p.total} done, ${p.submitted} submitted, ${p.lost} lost, ` +
    `${p.duplicates} duplicate effects, fault ${p.fault}, ${clock(p.elapsedSec)} elapsed` +
    (p.ended ? ', ended' : `, ~${clock(p.etaSec)} left`)
  );
}

export interface ProgressView {
  /** Redraws from the live state (called on the monitor's timer, never per event). */
  render(cells: readonly LiveCell[], now: number): void;
  /** Prints a log line without tearing the bars. */
  log(line: string): void;
  stop(cells: readonly LiveCell[], now: number): void;
}

/** On a terminal: a live bar per cell (cli-progress), each cell's bar kept when it ends. */
export function terminalProgress(stream: NodeJS.WriteStream): ProgressView {
  const bars = new MultiBar({
    stream,
    format:
      '{cell} [{bar}] {value}/{total} done | {submitted} submitted | lost {lost} | dup {duplicates} | fault {fault} | {elapsed} elapsed, ~{left} left',
    barsize: 20,
    // A Ctrl-C exits without stopping the bars: a hidden cursor would stay hidden.
    hideCursor: false,
    clearOnComplete: false,
    stopOnComplete: false,
    // Figures change when the monitor polls (twice a second): no need to redraw faster.
    fps: 2,
  });
  const byCell = new Map<string, SingleBar>();
  const update = (cells: readonly LiveCell[], now: number) => {
    for (const cell of cells) {
      if (cell.startedAt === null) continue;
      const p = cellProgress(cell, now);
      const payload = {
        cell: p.cell,
        submitted: p.submitted,
        lost: p.lost,
        duplicates: p.duplicates,
        fault: p.fault,
        elapsed: clock(p.elapsedSec),
        left: p.ended ? '0:00' : clock(p.etaSec),
      };
      const bar = byCell.get(cell.id);
      if (bar === undefined) byCell.set(cell.id, bars.create(p.total, p.done, payload));
      else bar.update(p.done, payload);
    }
  };
  return {
    render: update,
    log: (line) => bars.log(`${line}\n`),
    stop(cells, now) {
      update(cells, now);
      bars.stop();
    },
  };
}

/** Without a terminal: a plain line per running cell every `everyMs`, and one as each cell ends. */
export function plainProgress(write: (line: string) => void, everyMs: number): ProgressView {
  let lastAt = Number.NEGATIVE_INFINITY;
  const reported = new Set<string>();
  const endings = (cells: readonly LiveCell[], now: number) => {
    for (const cell of cells) {
      if (cell.endedAt === null || reported.has(cell.id)) continue;
      reported.add(cell.id);
      write(plainLine(cellProgress(cell, now)));
    }
  };
  return {
    render(cells, now) {
      endings(cells, now);
      if (now - lastAt < everyMs) return;
      lastAt = now;
      for (const cell of cells)
        if (cell.startedAt !== null && cell.endedAt === null) write(plainLine(cellProgress(cell, now)));
    },
    log: write,
    stop: endings,
  };
}
