import type { ConsentView } from './rules.js';

/**
 * The athletes consenting to each connected viewer (coach), shared by that viewer's
 * connections and kept current by consentChanged(), so `%a` rules follow a grant or a
 * revocation at the next message without a database round trip per message.
 */
export class ConsentViews {
  private readonly views = new Map<string, { set: Set<string>; refs: number }>();

  constructor(private readonly load: ((viewerId: string) => Promise<readonly string[]>) | undefined) {}

  async acquire(viewerId: string): Promise<ConsentView> {
    const existing = this.views.get(viewerId);
    if (existing) {
      existing.refs++;
      return existing.set;
    }
    const athletes = this.load ? await this.load(viewerId) : [];
    // Another connection of the same viewer may have loaded it meanwhile.
    const again = this.views.get(viewerId);
    if (again) {
      again.refs++;
      return again.set;
    }
    const view = { set: new Set(athletes), refs: 1 };
    this.views.set(viewerId, view);
    return view.set;
  }

  release(viewerId: string): void {
    const v = this.views.get(viewerId);
    if (v && --v.refs <= 0) this.views.delete(viewerId);
  }

  update(athleteId: string, viewerId: string, granted: boolean): void {
    const v = this.views.get(viewerId);
    if (!v) return;
    if (granted) v.set.add(athleteId);
    else v.set.delete(athleteId);
  }
}
