/**
 * The effect ledger: the world's own record of what was applied. It, not the
 * sender, is the ground truth for duplicates: a worker whose response was lost
 * does not know whether its effect applied; the ledger does.
 */
export class EffectLedger {
  private readonly appliedKeys = new Set<string>();
  private readonly compensatedKeys = new Set<string>();

  /** Applies an effect; with a key, only the first application counts. Returns `deduplicated`. */
  apply(key: string | null): boolean {
    if (key === null) return false;
    if (this.appliedKeys.has(key)) return true;
    this.appliedKeys.add(key);
    return false;
  }

  /** Undoes an effect; with a key, a repeated compensation is blocked. Returns `deduplicated`. */
  compensate(key: string | null): boolean {
    if (key === null) return false;
    if (this.compensatedKeys.has(key)) return true;
    this.compensatedKeys.add(key);
    return false;
  }
}
