import type { EntityManager } from '@mikro-orm/postgresql';
import { preparedStatement } from '@shop/db';
import { notFound, ShopError } from '../errors.ts';
import { prepared } from '../sql.ts';

export interface PickedVariant {
  id: number;
  stock: number;
}

/**
 * SQL: a variant's options (`options`, jsonb, of product `productId`) as JSON in the product's option
 * order, then any other keys. jsonb keeps keys shortest first, so without this "Colour / Size"
 * could read "Size / Colour"; clients label options in the order the keys come.
 */
export const optionsInOrder = (options: string, productId: string) =>
  `coalesce((select json_object_agg(e.key, e.value order by o.position nulls last, e.key)
   from jsonb_each_text(${options}) e left join product_options o on o.product_id = ${productId} and o.name = e.key), '{}'::json)`;

/** A call about a product with several variants that names none (BAD_REQUEST, reason VARIANT_REQUIRED). */
export const variantRequired = (productId: number, variants: number) =>
  new ShopError(
    'BAD_REQUEST',
    `product ${productId} comes in ${variants} variants: say which one (variantId)`,
    undefined,
    'VARIANT_REQUIRED',
  );

/**
 * The variant a call about a product means: the one it names, which must be that product's, or
 * else the product's only one. NOT_FOUND for an unknown product or another product's variant;
 * BAD_REQUEST when the product has several and the call names none.
 */
/** $1 product. Prepared: every cart write runs it. */
const PRODUCT_VARIANTS = preparedStatement<PickedVariant>(
  'product_variants_stock',
  'select id, stock from product_variants where product_id = $1 order by id',
);

export async function pickVariant(db: EntityManager, productId: number, variantId: number | undefined): Promise<PickedVariant> {
  const variants = await prepared(db, PRODUCT_VARIANTS, [productId]);
  if (variants.length === 0) throw notFound('product');
  if (variantId === undefined) {
    const [only] = variants;
    if (!only || variants.length > 1) throw variantRequired(productId, variants.length);
    return only;
  }
  const named = variants.find((v) => v.id === variantId);
  if (!named) throw notFound(`variant ${variantId} of product ${productId}`);
  return named;
}
