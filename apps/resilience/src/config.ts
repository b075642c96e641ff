// How hard the suite pushes: RESILIENCE=short (CI, `pnpm test`) or long (`pnpm test:resilience`).
import { randomInt } from 'node:crypto';

export const LONG = process.env.RESILIENCE === 'long';

/** The fast-check seed: FUZZ_SEED replays a run, otherwise a fresh one (printed by the suite). */
export const FUZZ_SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : randomInt(2 ** 31 - 1);

export const settings = LONG
  ? { fuzzInputs: 60_000, killLoadMs: 60_000, redisLoadMs: 30_000, postgresOutageMs: 8_000, oversellBuyers: 400 }
  : { fuzzInputs: 10_000, killLoadMs: 10_000, redisLoadMs: 8_000, postgresOutageMs: 4_000, oversellBuyers: 200 };
