/**
 * The world as its own process, so its work never competes with the harness's
 * event loop and its CPU use can be reported. Talks to the harness over IPC.
 */
import { HistoryWriter } from '../../core/history/writer.js';
import type { FromWorld, ToWorld } from '../../core/world-protocol.js';
import { startWorld } from './server.js';

const historyPath = process.env.FAULTLINE_WORLD_HISTORY;
if (!historyPath || !process.send) {
  console.error('world: started without FAULTLINE_WORLD_HISTORY or IPC; the harness starts the world');
  process.exit(2);
}
const send = (message: FromWorld) => process.send?.(message);
process.on('disconnect', () => process.exit(0));
// An orderly exit on the harness's SIGTERM (a CPU profile, when asked for, is written then).
process.on('SIGTERM', () => process.exit(0));

const world = await startWorld({ history: new HistoryWriter(historyPath), onDecision: send });

let lastCpu = process.cpuUsage();
let lastRequests = 0;
let lastAt = performance.now();
process.on('message', (message: ToWorld) => {
  switch (message.type) {
    case 'faults':
      world.setFaults(message.faults);
      return;
    case 'approver':
      world.setApprover(message.settings);
      return;
    case 'stats': {
      const cpu = process.cpuUsage(lastCpu);
      const elapsedMs = performance.now() - lastAt;
      lastCpu = process.cpuUsage();
      lastAt = performance.now();
      // Requests and share of one core since the last reading: near 1 means the world was the limit.
      const cpuUtilisation = elapsedMs > 0 ? (cpu.user + cpu.system) / 1000 / elapsedMs : null;
      const { requests } = world.stats();
      send({ type: 'stats', requests: requests - lastRequests, cpuUtilisation });
      lastRequests = requests;
    }
  }
});
send({ type: 'ready', port: world.port });
