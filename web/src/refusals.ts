import type { Principal } from '@pulsehub/contracts';
import type { Store } from '@pulsehub/store';
import { recordAudit } from './audit.js';

interface Log { warn(o: object, msg: string): void; error(o: object, msg: string): void }

export interface RefusalAuditOptions {
  /** One row per subject, target and code within this window (repeats are counted, not written). */
  windowMs?: number;
  /** At most this many refusal rows per window, whoever asks: a flood cannot fill the table. */
  maxPerWindow?: number;
}

/** Who was refused: the verified token's subject, or `anonymous` when no valid token came. */
export type RefusedActor = Pick<Principal, 'subject' | 'kind'> | { subject: 'anonymous'; kind: 'unauthenticated' };
export const ANONYMOUS: RefusedActor = { subject: 'anonymous', kind: 'unauthenticated' };

/**
 * Writes refused requests (REST 401/403/409, `/live` refusals) to the audit log as
 * `access.denied`, bounded: one row per (subject, kind, target, code) per window, and at most
 * `maxPerWindow` rows per window in all. What was left out is counted in the next row's
 * details and logged once per window, so the table cannot be flooded by an attacker.
 */
export class RefusalAudit {
  private readonly seen = new Map<string, number>();
  private windowStart = Date.now();
  private written = 0;
  private suppressed = 0;
  private readonly pending = new Set<Promise<void>>();
  private readonly windowMs: number;
  private readonly maxPerWindow: number;

  constructor(private readonly store: Store, private readonly log: Log, o: RefusalAuditOptions = {}) {
    this.windowMs = o.windowMs ?? 60_000;
    // Room for one refusal per route and identity kind (the access matrix walks them all in a minute).
    this.maxPerWindow = o.maxPerWindow ?? 1000;
  }

  record(actor: RefusedActor, target: string, code: string, details: Record<string, unknown> = {}): void {
    const now = Date.now();
    if (now - this.windowStart >= this.windowMs) {
      if (this.suppressed > 0) this.log.warn({ suppressed: this.suppressed, windowMs: this.windowMs }, 'repeated access refusals were not audited one by one');
      this.seen.clear();
      this.windowStart = now;
      this.written = 0;
      this.suppressed = 0;
    }
    const key = `${actor.kind}\u0001${actor.subject}\u0001${target}\u0001${code}`;
    if (this.seen.has(key) || this.written >= this.maxPerWindow) {
      this.seen.set(key, (this.seen.get(key) ?? 0) + 1);
      this.suppressed++;
      return;
    }
    this.seen.set(key, 0);
    this.written++;
    const write = recordAudit(this.store, { subject: actor.subject, kind: actor.kind }, 'access.denied', target.slice(0, 300), { code, ...details }, this.log);
    this.pending.add(write);
    void write.finally(() => this.pending.delete(write));
  }

  /** Resolves when the audit writes started so far are done (close, tests). */
  async settle(): Promise<void> {
    await Promise.all([...this.pending]);
  }
}
