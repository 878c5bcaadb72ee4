import { METRICS, isMetricId, type CanonicalEvent, type MetricSpec } from '@pulsehub/contracts';

/**
 * CSV of one metric: one row per reading, ISO instants (start = end for instant readings),
 * one column per catalog component with its UCUM unit in the header (`bpm [/min]`), and one
 * per series (values joined with `;`). RFC 4180 quoting.
 */
export function csvColumns(metric: string): { header: string; row(e: CanonicalEvent): string } {
  const spec: MetricSpec | undefined = isMetricId(metric) ? METRICS[metric] : undefined;
  const components = Object.entries(spec?.components ?? {}) as [string, { unit: string }][];
  const series = Object.entries(spec?.series ?? {}) as [string, { unit: string }][];
  const header = ['id', 'start', 'end', 'device_id', 'adapter', 'received_at',
    ...components.map(([name, c]) => `${name} [${c.unit}]`), ...series.map(([name, s]) => `${name} [${s.unit}]`)].map(cell).join(',');
  return {
    header: `${header}\r\n`,
    row(e) {
      const [start, end] = 'at' in e.time ? [e.time.at, e.time.at] : [e.time.start, e.time.end];
      const cells = [e.id, start, end, e.deviceId, e.source.adapter, e.source.receivedAt,
        ...components.map(([name]) => e.values[name]?.value ?? ''),
        ...series.map(([name]) => e.series?.[name]?.values.join(';') ?? '')];
      return `${cells.map(cell).join(',')}\r\n`;
    },
  };
}

function cell(v: string | number): string {
  const s = String(v);
  // A leading = + - @ would be a formula to a spreadsheet: quote-prefix text cells that start so.
  const safe = typeof v === 'string' && /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
