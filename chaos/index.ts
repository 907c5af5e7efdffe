import { unknownName } from '../harness/config/errors.js';
import type { CellFaults } from '../harness/runner/cell.js';

/** The fault catalog: name → one-line description. */
export interface FaultDefinition {
  name: string;
  description: string;
}

const NONE: FaultDefinition = {
  name: 'none',
  description: 'no fault: the baseline every other cell is compared with',
};

const CATALOG: FaultDefinition[] = [NONE];

export function faultCatalog(): FaultDefinition[] {
  return CATALOG;
}

export function faultNames(): string[] {
  return CATALOG.map((f) => f.name);
}

export function checkFaultName(name: string): void {
  if (!faultNames().includes(name)) throw unknownName('fault', name, faultNames());
}

export const noFaults: CellFaults = {
  start() {},
  async healAll() {},
};

export function createCellFaults(name: string): CellFaults {
  checkFaultName(name);
  return noFaults;
}
