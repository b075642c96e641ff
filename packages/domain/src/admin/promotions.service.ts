import type { AdminPromotionUpsertInput, Promotion } from '@shop/schemas';
import type { AuthedContext } from '../context.ts';
import { badRequest, notFound, ShopError } from '../errors.ts';
import { PROMOTION_COLUMNS, type PromotionRow, toPromotion } from '../promotions/promotion-row.ts';
import { sql, violatesCheck, violatesUnique } from '../sql.ts';
import { requireStaff } from './admin.service.ts';

/** The columns an input sets: the required ones, and each optional one that was given (null clears). */
function columnsOf(input: AdminPromotionUpsertInput): [string, unknown][] {
  const optional: [string, unknown][] = [
    ['min_subtotal_cents', input.minSubtotalCents],
    ['starts_at', input.startsAt],
    ['ends_at', input.endsAt],
    ['usage_limit', input.usageLimit],
    ['active', input.active],
  ];
  return [['code', input.code], ['kind', input.kind], ['value', input.value], ...optional.filter(([, value]) => value !== undefined)];
}

/**
 * Creates a code (without `id`) or changes one: an omitted optional field keeps its value, null
 * clears it. Disabling is `active: false`; codes are never deleted, as orders name them.
 */
export async function upsertPromotion(ctx: AuthedContext, input: AdminPromotionUpsertInput): Promise<Promotion> {
  requireStaff(ctx);
  const columns = columnsOf(input);
  const names = columns.map(([name]) => name);
  const values = columns.map(([, value]) => value);
  let rows: PromotionRow[];
  try {
    rows =
      input.id === undefined
        ? await sql<PromotionRow>(
            ctx.em,
            `insert into promotions as pr (${names.join(', ')}) values (${names.map(() => '?').join(', ')})
             returning ${PROMOTION_COLUMNS}`,
            values,
          )
        : await sql<PromotionRow>(
            ctx.em,
            `update promotions pr set ${names.map((name) => `${name} = ?`).join(', ')}, updated_at = now()
             where pr.id = ? returning ${PROMOTION_COLUMNS}`,
            [...values, input.id],
          );
  } catch (error) {
    if (violatesUnique(error, 'promotions_code_unique')) throw new ShopError('CONFLICT', `another promotion has the code ${input.code}`);
    if (violatesCheck(error, 'promotions_used_count_check')) {
      throw new ShopError(
        'CONFLICT',
        `the code ${input.code} has been used more than ${input.usageLimit} times already: its limit cannot be lower`,
      );
    }
    // One of the dates kept from before: the schema could only compare the two given.
    if (violatesCheck(error, 'promotions_dates_check')) throw badRequest('the end must come after the start');
    throw error;
  }
  const [row] = rows;
  if (!row) throw notFound('promotion');
  return toPromotion(row);
}

/** Every code, newest first: a shop has few, and staff see them all at once. */
export async function listPromotions(ctx: AuthedContext): Promise<Promotion[]> {
  requireStaff(ctx);
  const rows = await sql<PromotionRow>(ctx.em, `select ${PROMOTION_COLUMNS} from promotions pr order by pr.created_at desc, pr.id desc`);
  return rows.map(toPromotion);
}
