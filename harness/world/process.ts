import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InfrastructureError } from '../../core/errors.js';
import type { ApproverSettings, FromWorld, ToWorld, WorldFaults } from '../../core/world-protocol.js';
import { type ManagedProcess, spawnManaged, stopManaged } from '../processes.js';
import { nodeArgsFor } from '../supervisor/node.js';

const WORLD_MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

export type ApprovalMessage = Extract<FromWorld, { type: 'approval' }>;

/** The harness's handle on the world process. */
export class WorldProcess {
  private onApproval: (message: ApprovalMessage) => void = () => {};

  private constructor(
    private readonly proc: ManagedProcess,
    readonly port: number,
  ) {
    proc.child.on('message', (message: FromWorld) => {
      if (message.type === 'approval') this.onApproval(message);
    });
  }

  static async start(runDir: string): Promise<WorldProcess> {
    const proc = spawnManaged('world', process.execPath, nodeArgsFor(WORLD_MAIN), {
      env: { ...process.env, FAULTLINE_WORLD_HISTORY: join(runDir, 'history.d', 'world.jsonl') },
      logFile: join(runDir, 'logs', 'world.log'),
      ipc: true,
    });
    const died = proc.exited.then(() => {
      throw new InfrastructureError(
        `the world process exited on start; see ${join(runDir, 'logs', 'world.log')}`,
      );
    });
    const [ready] = (await Promise.race([once(proc.child, 'message'), died])) as [FromWorld];
    if (ready.type !== 'ready') throw new InfrastructureError('the world process did not report ready');
    return new WorldProcess(proc, ready.port);
  }

  /** The world's process id (the footprint samples it apart, with the role `world`). */
  get pid(): number {
    return this.proc.pid;
  }

  /** Where approval decisions go: the runner relays them to the cell's adapter. */
  onApprovalDecision(listener: (message: ApprovalMessage) => void): void {
    this.onApproval = listener;
  }

  setFaults(faults: Partial<WorldFaults>): void {
    this.send({ type: 'faults', faults });
  }

  setApprover(settings: ApproverSettings): void {
    this.send({ type: 'approver', settings });
  }

  /** Requests served and share of one core used since the previous call. */
  async stats(): Promise<{ requests: number; cpuUtilisation: number | null }> {
    const reply = new Promise<FromWorld>((resolve) => {
      const listener = (message: FromWorld) => {
        if (message.type !== 'stats') return;
        this.proc.child.off('message', listener);
        resolve(message);
      };
      this.proc.child.on('message', listener);
    });
    this.send({ type: 'stats' });
    const stats = (await reply) as Extract<FromWorld, { type: 'stats' }>;
    return { requests: stats.requests, cpuUtilisation: stats.cpuUtilisation };
  }

  async stop(): Promise<void> {
    await stopManaged(this.proc, 2000);
  }

  private send(message: ToWorld): void {
    this.proc.child.send(message);
  }
}
