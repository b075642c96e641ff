import { MikroORM } from '@mikro-orm/postgresql';
import { type OrmConfigInput, ormConfig } from './config.ts';

export type Orm = MikroORM;

export async function createOrm(input: OrmConfigInput): Promise<Orm> {
  return MikroORM.init(ormConfig(input));
}

/** Applies every pending migration; returns the names applied. */
export async function migrate(orm: Orm): Promise<string[]> {
  const applied = await orm.migrator.up();
  return applied.map((m) => m.name);
}
