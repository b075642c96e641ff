export { type ColumnKind, type FieldSource, type RowColumns, rowColumnMismatches } from './columns.ts';
export { createTestDatabase, type TestDatabase } from './database.ts';
export { type ReplicatedDatabase, startReplicatedDatabase } from './replicated.ts';
export { startTestServer } from './server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the maintenance database on the test PostgreSQL server (see global-setup.ts). */
    pgAdminUrl: string;
  }
}
