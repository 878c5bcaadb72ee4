/**
 * The class leaderboard: effort points first, then calories. Ties are stable and the same on
 * every board: between equal totals, who reached that effort first (`effortSince`, from the
 * hub's tally) ranks higher, then name, then id. Nobody "reaches" 0, so ties at 0 go by name.
 */
export interface LeaderEntry { id: string; name: string; effortPoints: number; kcal: number; effortSince?: number | null }

export function rankLeaders(entries: readonly LeaderEntry[]): LeaderEntry[] {
  const since = (e: LeaderEntry) => (e.effortPoints > 0 && e.effortSince != null ? e.effortSince : Number.MAX_SAFE_INTEGER);
  return [...entries].sort((a, b) => compareTotals(a, b) || since(a) - since(b) || compareNames(a, b));
}

function compareTotals(a: LeaderEntry, b: LeaderEntry): number {
  return b.effortPoints - a.effortPoints || b.kcal - a.kcal;
}

function compareNames(a: LeaderEntry, b: LeaderEntry): number {
  return a.name.localeCompare(b.name) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The end-of-class podium: the first three by effort points, calories, name, id. */
export function podium(entries: readonly LeaderEntry[]): LeaderEntry[] {
  return [...entries].sort((a, b) => compareTotals(a, b) || compareNames(a, b)).slice(0, 3);
}
