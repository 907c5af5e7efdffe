export {
  evaluateGate,
  evaluateGates,
  evaluateGatesOnCell,
  type GateResult,
  type GateStatus,
  gatesExitCode,
} from './evaluate.js';
export {
  type CellSelector,
  type Gate,
  gatesFromConfig,
  parseGate,
  parseGates,
} from './parse.js';
