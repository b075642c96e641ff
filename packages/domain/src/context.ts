import type { EntityManager } from '@mikro-orm/postgresql';

/** What every service call receives first: explicit, no hidden globals. */
export interface ServiceContext {
  /** Forked per call: its identity map lives exactly as long as the request. */
  em: EntityManager;
}
