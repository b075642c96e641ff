// pnpm staff:create <email> [--name <name>]: the first staff account of an install (production
// seeds none). The password comes from standard input when piped (`… < file`, `printf … |`), else a
// strong one is generated and printed once. An existing account is promoted to staff.
import { randomBytes } from 'node:crypto';
import { text } from 'node:stream/consumers';
import { parseArgs } from 'node:util';
import { hashPassword } from '@shop/auth';
import { emailSchema, registerInput } from '@shop/schemas';
import { User } from '../entities/user.ts';
import { createOrm, migrate } from '../orm.ts';
import { cliDatabase } from './env.ts';

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

const usage = 'usage: pnpm staff:create <email> [--name <name>] (password on standard input, or generated)';
function readArgs() {
  try {
    return parseArgs({ allowPositionals: true, options: { name: { type: 'string' } } });
  } catch (error) {
    fail(`${(error as Error).message}\n${usage}`);
  }
}
const { values, positionals } = readArgs();
if (positionals.length !== 1) fail(usage);
const email = emailSchema.safeParse(positionals[0]);
if (!email.success) fail(`not an email address: ${positionals[0]}`);
const name = registerInput.shape.name.safeParse(values.name ?? email.data.split('@')[0]);
if (!name.success) fail(`--name: ${name.error.issues[0]?.message}`);

// A terminal is never read (nothing would echo-protect it): pipe the password in, or get one made.
const piped = process.stdin.isTTY ? '' : (await text(process.stdin)).replace(/\r?\n$/, '');
const password = registerInput.shape.password.safeParse(piped);
if (piped && !password.success) fail('password: at least 8 and at most 128 characters');
const generated = piped ? undefined : randomBytes(18).toString('base64url');

const db = await cliDatabase();
const orm = await createOrm({ url: db.url, poolMax: 2 });
try {
  await migrate(orm);
  const em = orm.em.fork();
  const existing = await em.findOne(User, { email: email.data });
  if (existing) {
    existing.role = 'staff';
    if (piped) {
      existing.passwordHash = await hashPassword(piped);
      // The old password's sessions end with it.
      existing.sessionVersion += 1;
    }
    await em.flush();
    console.log(`${email.data} is staff now (${piped ? 'password replaced' : 'password unchanged'})`);
  } else {
    em.create(User, {
      email: email.data,
      name: name.data,
      role: 'staff',
      passwordHash: await hashPassword(piped || (generated as string)),
    });
    await em.flush();
    console.log(`created staff account ${email.data} (${name.data})`);
    if (generated) console.log(`password: ${generated}\n(shown this once: keep it in a password manager)`);
  }
} finally {
  await orm.close();
  await db.stop();
}
