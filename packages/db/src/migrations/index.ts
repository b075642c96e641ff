import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261122032308_initial } from './Migration20261122032308_initial.ts';
import { Migration20261122044452_order_events } from './Migration20261122044452_order_events.ts';
import { Migration20261206145351_staff_mfa } from './Migration20261206145351_staff_mfa.ts';
import { Migration20261206155000_catalog_scale } from './Migration20261206155000_catalog_scale.ts';
import { Migration20261206170000_catalog_name_query } from './Migration20261206170000_catalog_name_query.ts';
import { Migration20261206174000_catalog_locks } from './Migration20261206174000_catalog_locks.ts';
import { Migration20261206190000_category_windows } from './Migration20261206190000_category_windows.ts';
import { Migration20261206193000_numword_lexemes } from './Migration20261206193000_numword_lexemes.ts';
import { Migration20261206201119_email_outbox } from './Migration20261206201119_email_outbox.ts';
import { Migration20261206201129_staff_stats } from './Migration20261206201129_staff_stats.ts';
import { Migration20261206213000_promotions } from './Migration20261206213000_promotions.ts';
import { Migration20261206224832_variants } from './Migration20261206224832_variants.ts';

// Every migration, in order. `pnpm db:migration:create <name>` writes a file here; add it to this list.
export const migrationsList: MigrationObject[] = [
  { name: 'Migration20261122032308_initial', class: Migration20261122032308_initial },
  { name: 'Migration20261122044452_order_events', class: Migration20261122044452_order_events },
  { name: 'Migration20261206145351_staff_mfa', class: Migration20261206145351_staff_mfa },
  { name: 'Migration20261206155000_catalog_scale', class: Migration20261206155000_catalog_scale },
  { name: 'Migration20261206170000_catalog_name_query', class: Migration20261206170000_catalog_name_query },
  { name: 'Migration20261206174000_catalog_locks', class: Migration20261206174000_catalog_locks },
  { name: 'Migration20261206190000_category_windows', class: Migration20261206190000_category_windows },
  { name: 'Migration20261206193000_numword_lexemes', class: Migration20261206193000_numword_lexemes },
  { name: 'Migration20261206201119_email_outbox', class: Migration20261206201119_email_outbox },
  { name: 'Migration20261206201129_staff_stats', class: Migration20261206201129_staff_stats },
  { name: 'Migration20261206213000_promotions', class: Migration20261206213000_promotions },
  { name: 'Migration20261206224832_variants', class: Migration20261206224832_variants },
];
