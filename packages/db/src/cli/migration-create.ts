// Writes a migration with the difference between the entities and the database at DATABASE_URL.
import { createOrm } from '../orm.ts';
import { cliDatabase } from './env.ts';

const db = await cliDatabase();
const orm = await createOrm({ url: db.url });
try {
  await orm.migrator.up();
  const result = await orm.migrator.create(undefined, false, false, process.argv[2]);
  console.log(result.fileName ? `created ${result.fileName}` : 'no schema changes');
  if (result.diff.up.length) console.log(result.diff.up.join('\n'));
} finally {
  await orm.close();
  await db.stop();
}
