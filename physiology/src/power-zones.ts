/**
 * Cycling power zones as percent of Functional Threshold Power (FTP), the seven training
 * levels of Allen & Coggan ("Training and Racing with a Power Meter"):
 *   1 active recovery ≤ 55 %, 2 endurance 56–75 %, 3 tempo 76–90 %, 4 threshold 91–105 %,
 *   5 VO2max 106–120 %, 6 anaerobic capacity 121–150 %, 7 neuromuscular > 150 %.
 * The published levels are whole percents; between them a value belongs to the lower level
 * (75.5 % is still endurance), so a level starts just above the previous level's top.
 */
export const POWER_ZONE_TOPS = [0.55, 0.75, 0.9, 1.05, 1.2, 1.5] as const;
export const POWER_ZONE_NAMES = ['active recovery', 'endurance', 'tempo', 'threshold', 'VO2max', 'anaerobic capacity', 'neuromuscular'] as const;
export type PowerZone = 1 | 2 | 3 | 4 | 5 | 6 | 7;

export function powerZoneOf(watts: number, ftpW: number): PowerZone {
  if (!(ftpW > 0)) throw new RangeError(`FTP must be a positive number of watts, got ${ftpW}`);
  const pct = Math.round((Math.max(0, watts) / ftpW) * 1e6) / 1e6; // 0.55 × 200 / 200 must stay 0.55
  const above = POWER_ZONE_TOPS.filter((top) => pct > top).length;
  return (above + 1) as PowerZone;
}

/** Percent of FTP, rounded to a whole percent, as a board shows it. */
export function percentOfFtp(watts: number, ftpW: number): number {
  return Math.round((Math.max(0, watts) / ftpW) * 100);
}
