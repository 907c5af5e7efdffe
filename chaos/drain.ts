import type { PlannedFault } from './kind.js';
import { faultKind } from './registry.js';

/** Time the drain leaves beyond the recovery bound, for the recovered work to finish. */
const DRAIN_MARGIN_MS = 15_000;

/** Whether an occurrence kills steps in flight, as its kind defines it. */
export const killsMidStep = (fault: Pick<PlannedFault, 'kind' | 'params'>) =>
  faultKind(fault.kind).killsMidStep(fault.params);

/**
 * The drain a cell needs: a worker killed mid-step leaves its work until the adapter's
 * recovery timeouts fire (its recovery facts' bound), which at production defaults can
 * exceed the configured drain. Such cells get at least the bound plus a margin, so slow
 * recovery is measured, not counted lost.
 */
export function drainTimeoutFor(
  planned: readonly PlannedFault[],
  recoveryBoundMs: number,
  configuredMs: number,
): number {
  if (!planned.some(killsMidStep)) return configuredMs;
  return Math.max(configuredMs, recoveryBoundMs + DRAIN_MARGIN_MS);
}
