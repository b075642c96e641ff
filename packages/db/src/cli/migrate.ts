import { createOrm, migrate } from '../orm.ts';
import { cliDatabase } from './env.ts';

const db = await cliDatabase();
const orm = await createOrm({ url: db.url });
try {
  const applied = await migrate(orm);
  console.log(applied.length ? `applied ${applied.join(', ')}` : 'database is up to date');
} finally {
  await orm.close();
  await db.stop();
}
