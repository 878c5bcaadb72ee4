import { randomBytes } from 'node:crypto';
import type { Store } from '@pulsehub/store';
import { csvColumns } from './csv.js';
import { toOmh } from './omh.js';
import { toObservation } from './fhir.js';

export const EXPORT_FORMATS = ['csv', 'omh', 'fhir'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportBody {
  contentType: string;
  filename: string;
  /** Pulled by the response stream: a page is read only when the client has taken the last. */
  chunks: AsyncGenerator<string>;
}

interface Query { userId: string; from: Date; to: Date; pageSize?: number }

async function* readings(store: Store, q: Query, metric: string) {
  yield* store.export.pages({ userId: q.userId, metric, from: q.from, to: q.to, ...(q.pageSize ? { pageSize: q.pageSize } : {}) });
}

/**
 * A person's readings in one of the export formats, as a stream of text chunks (one per page
 * of readings, so memory holds one page whatever the size of the export).
 *
 * - csv: `multipart/mixed`, one part per metric (`<metric>.csv`, a CSV file each);
 * - omh: `application/json` `{ "data_points": [...] }` (Open mHealth data points);
 * - fhir: `application/fhir+json`, a FHIR R4 Bundle of type `collection` of Observations.
 */
export async function exportBody(store: Store, format: ExportFormat, q: Query): Promise<ExportBody> {
  const metrics = await store.export.metrics(q);
  const stem = `pulsehub-${q.userId}-${q.from.toISOString().slice(0, 10)}-${q.to.toISOString().slice(0, 10)}`;
  if (format === 'csv') {
    const boundary = `pulsehub-${randomBytes(12).toString('hex')}`;
    return {
      contentType: `multipart/mixed; boundary=${boundary}`,
      filename: `${stem}.multipart`,
      chunks: (async function* () {
        for (const metric of metrics) {
          const cols = csvColumns(metric);
          yield `--${boundary}\r\nContent-Type: text/csv; charset=utf-8; header=present\r\nContent-Disposition: attachment; filename="${metric}.csv"\r\n\r\n${cols.header}`;
          for await (const page of readings(store, q, metric)) yield page.map(cols.row).join('');
          yield '\r\n';
        }
        yield `--${boundary}--\r\n`;
      })(),
    };
  }
  if (format === 'omh') {
    return {
      contentType: 'application/json; charset=utf-8',
      filename: `${stem}.omh.json`,
      chunks: (async function* () {
        yield '{"data_points":[';
        let first = true;
        for (const metric of metrics) {
          for await (const page of readings(store, q, metric)) {
            const parts: string[] = [];
            for (const e of page) {
              const dp = toOmh(e);
              if (!dp) continue;
              parts.push(`${first ? '' : ','}\n${JSON.stringify(dp)}`);
              first = false;
            }
            if (parts.length) yield parts.join('');
          }
        }
        yield '\n]}\n';
      })(),
    };
  }
  return {
    contentType: 'application/fhir+json; charset=utf-8',
    filename: `${stem}.fhir.json`,
    chunks: (async function* () {
      yield `{"resourceType":"Bundle","type":"collection","timestamp":${JSON.stringify(new Date().toISOString())},"entry":[`;
      let first = true;
      for (const metric of metrics) {
        for await (const page of readings(store, q, metric)) {
          const parts = page.map((e) => {
            const resource = toObservation(e);
            const s = `${first ? '' : ','}\n${JSON.stringify({ fullUrl: `urn:uuid:${uuidOf(resource.id!)}`, resource })}`;
            first = false;
            return s;
          });
          yield parts.join('');
        }
      }
      yield '\n]}\n';
    })(),
  };
}

/** The observation id (40 hex digits) as a UUID-shaped URN for `fullUrl`. */
function uuidOf(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
