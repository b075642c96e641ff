export { type OrmConfigInput, ormConfig, pgSessionOptions, SESSION_SETTINGS } from './config.ts';
export { type DatabaseHandle, openDatabase } from './embedded.ts';
export * from './entities/index.ts';
export { type DatabaseEnv, databaseEnvProblem, databaseEnvShape, embeddedDataDir, optionalUrl, parseEnv } from './env.ts';
export { migrationsList } from './migrations/index.ts';
export { createOrm, migrate, type Orm } from './orm.ts';
export { type ReadServer, ReplicaReads, type ReplicaReadsOptions, replicaReads } from './replicas.ts';
export { DEFAULT_PRODUCT_COUNT, DEMO_ACCOUNTS, DEMO_SEED_VERSION, seedDemo } from './seed/demo.ts';
export { isSeeded, resetShop } from './seed/seed.ts';
