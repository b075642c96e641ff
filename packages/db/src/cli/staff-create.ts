// pnpm staff:create <email> [--name <name>] [--promote]: the first staff account of an install
// (production seeds none). The password comes from standard input when piped (`… < file`,
// `printf … |`), else a strong one is generated and printed once. An existing account is promoted
// only with --promote, and then always gets the new password and loses its sessions: anyone may
// sign up, so an account waiting under the operator's address must not keep what its maker knows.
import { randomBytes } from 'node:crypto';
import { text } from 'node:stream/consumers';
import { parseArgs } from 'node:util';
import { hashPassword, passwordProblem } from '@shop/auth';
import { emailSchema, registerInput } from '@shop/schemas';
import { User } from '../entities/user.ts';
import { createOrm, migrate } from '../orm.ts';
import { cliDatabase } from './env.ts';

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

const usage = 'usage: pnpm staff:create <email> [--name <name>] [--promote] (password on standard input, or generated)';
function readArgs() {
  try {
    return parseArgs({ allowPositionals: true, options: { name: { type: 'string' }, promote: { type: 'boolean' } } });
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
const weak = piped ? await passwordProblem(piped, [email.data, name.data]) : null;
if (weak) fail(`password: ${weak}`);
const generated = piped ? undefined : randomBytes(18).toString('base64url');
const newPassword = piped || (generated as string);

const db = await cliDatabase();
const orm = await createOrm({ url: db.url, poolMax: 2 });
try {
  await migrate(orm);
  const em = orm.em.fork();
  const existing = await em.findOne(User, { email: email.data });
  if (existing) {
    if (!values.promote) fail(`${email.data} has an account already: add --promote to make it staff (with a new password)`);
    existing.role = 'staff';
    existing.passwordHash = await hashPassword(newPassword);
    // Whoever signed in with the old password is signed out.
    existing.sessionVersion += 1;
    await em.flush();
    console.log(`${email.data} is staff now, with a new password; its sessions were ended`);
  } else {
    em.create(User, {
      email: email.data,
      name: name.data,
      role: 'staff',
      passwordHash: await hashPassword(newPassword),
    });
    await em.flush();
    console.log(`created staff account ${email.data} (${name.data})`);
  }
  if (generated) console.log(`password: ${generated}\n(shown this once: keep it in a password manager)`);
} finally {
  await orm.close();
  await db.stop();
}
