export { openStore, createStore, type Store, type DeadLetter, type DeadLetterInput, type UserRow, type DeviceRow } from './store.js';
export { openDb, redactUrl, MIGRATIONS_FOLDER, type Db, type StoreTarget, type OpenedDb } from './open.js';
export { createTestDatabase, TEST_ADMIN_URL, type TestDatabase } from './testing.js';
export * as schema from './schema.js';
export { createClassRepo, createAdminRepo, type ClassRepo, type AdminRepo, type ClassSessionRow, type ClassSummaryRow, type AuditEntry, type AuditRow } from './classes.js';
