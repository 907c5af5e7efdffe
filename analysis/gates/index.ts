export {
  compare,
  evaluateGate,
  evaluateGates,
  type GateCellOutcome,
  type GateResult,
  type GateStatus,
  gatesExitCode,
  matchesSelector,
} from './evaluate.js';
export {
  type CellSelector,
  GATE_OPS,
  type Gate,
  type GateOp,
  gatesFromConfig,
  parseGate,
  parseGates,
} from './parse.js';
