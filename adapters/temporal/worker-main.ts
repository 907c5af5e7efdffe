/** The Temporal worker process (the supervisor starts it; adapters/README.md, the worker protocol). */
import { runNodeWorker } from '../../scenarios/node-worker.js';
import { startWorker } from './worker.js';

await runNodeWorker(startWorker);
