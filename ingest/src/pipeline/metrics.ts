import type { IntakeStats } from './intake.js';
import type { WriterHealth } from './writer.js';

/** Ingest counters in the Prometheus text format, appended to the hub's `/metrics` (plain numbers: no registry needed). */
const COUNTERS: [name: string, help: string, of: (s: IntakeStats) => number][] = [
  ['pulsehub_ingest_stored_total', 'Readings stored', (s) => s.stored],
  ['pulsehub_ingest_duplicates_total', 'Readings already stored (redeliveries), not stored again', (s) => s.duplicates],
  ['pulsehub_ingest_id_conflicts_total', "Readings reusing an id already stored for their user with another value (the stored one is kept)", (s) => s.conflicts],
  ['pulsehub_ingest_dead_letters_total', 'Messages kept as dead letters', (s) => s.deadLetters],
  ['pulsehub_ingest_refused_total', 'Readings the database refused, kept as dead letters after splitting their batch', (s) => s.refused],
  ['pulsehub_ingest_failed_commits_total', 'Batch commits that failed and were retried', (s) => s.failedCommits],
  ['pulsehub_ingest_worker_restarts_total', 'Ingest worker threads that died and were replaced (PULSEHUB_INGEST_WORKERS)', (s) => s.workerRestarts],
];

export function ingestMetricsText(stats: IntakeStats, health: WriterHealth): string {
  const lines: string[] = [];
  for (const [name, help, of] of COUNTERS) lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`, `${name} ${of(stats)}`);
  lines.push('# HELP pulsehub_ingest_writer_ok 1 while the ingest writer commits, 0 after several failed commits in a row', '# TYPE pulsehub_ingest_writer_ok gauge', `pulsehub_ingest_writer_ok ${health.ok ? 1 : 0}`);
  return `${lines.join('\n')}\n`;
}
