export { openStore, createStore, type Store, type DeadLetter, type DeadLetterInput, type IngestBatch, type UserRow, type DeviceRow } from './store.js';
export { rowsOf, queryRows } from './batch.js';
export type { HistoryRepo, Bucket, SyncCursor, DailySummaryRow } from './history.js';
export type { RollupRepo, StaleRollup } from './rollups.js';
export { setupStorageLayout, type StorageLayout } from './timescale.js';
export { openDb, redactUrl, MIGRATIONS_FOLDER, type Db, type StoreTarget, type OpenedDb } from './open.js';
export { createTestDatabase, TEST_ADMIN_URL, type TestDatabase } from './testing.js';
export * as schema from './schema.js';
export { createClassRepo, createAdminRepo, type ClassRepo, type AdminRepo, type ClassSessionRow, type ClassSummaryRow, type AuditEntry, type AuditRow } from './classes.js';
