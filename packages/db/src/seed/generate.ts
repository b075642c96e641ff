import { ADJECTIVES, CATEGORIES, COLOURS, MATERIALS, PHRASES } from './vocabulary.ts';

/** mulberry32: a tiny seeded PRNG, so the same seed always yields the same catalog. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface GeneratedVariant {
  sku: string;
  options: Record<string, string>;
  priceCents: number;
  stock: number;
}

export interface GeneratedProduct {
  slug: string;
  name: string;
  description: string;
  priceCents: number;
  stock: number;
  categorySlug: string;
  imageUrl: string;
  createdAt: Date;
  /** Only for a product with options; others have one variant, with the product's price and stock. */
  options?: { name: string; values: string[] }[];
  variants?: GeneratedVariant[];
}

export const SIZES = ['S', 'M', 'L', 'XL'] as const;
/**
 * Products with options are among the first this many: the demo catalog has dozens, a benchmark's
 * million no more (so its load stays one variant per product but for about 3,300).
 */
export const OPTIONS_UP_TO = 20_000;

/**
 * Apparel comes in sizes and two colours (the larger size in the second colour not always made),
 * bath goods in three colours. Drawn from a generator of the product's own, so the catalog's other
 * draws stay as they were; stock per variant, some sold out, the largest size a little dearer.
 */
function withOptions(product: GeneratedProduct, i: number, seed: number): GeneratedProduct {
  if (i > OPTIONS_UP_TO || (product.categorySlug !== 'apparel' && product.categorySlug !== 'bath')) return product;
  const random = seededRandom(seed * 7_919 + i);
  const first = Math.floor(random() * COLOURS.length);
  const colours = [0, 1, 2].map((k) => COLOURS[(first + k * 3) % COLOURS.length] as string);
  const options =
    product.categorySlug === 'apparel'
      ? [
          { name: 'Size', values: [...SIZES] },
          { name: 'Colour', values: colours.slice(0, 2) },
        ]
      : [{ name: 'Colour', values: colours }];
  const noLargeSecond = random() < 0.5;
  const variants: GeneratedVariant[] = [];
  const combine = (chosen: Record<string, string>, rest: typeof options): void => {
    const [option, ...others] = rest;
    if (!option) {
      if (noLargeSecond && chosen.Size === 'XL' && chosen.Colour === colours[1]) return;
      const sku = `${product.slug}-${Object.values(chosen).map(slugify).join('-')}`;
      const stock = random() < 0.15 ? 0 : 1 + Math.floor(random() * 40);
      variants.push({ sku, options: chosen, priceCents: product.priceCents + (chosen.Size === 'XL' ? 200 : 0), stock });
      return;
    }
    for (const value of option.values) combine({ ...chosen, [option.name]: value }, others);
  };
  combine({}, options);
  return {
    ...product,
    priceCents: Math.min(...variants.map((v) => v.priceCents)),
    stock: variants.reduce((sum, v) => sum + v.stock, 0),
    options,
    variants,
  };
}

/**
 * One product in this many is an heirloom (product 501, 20,501, …): a word rare at every size, so a
 * "rare word" search has a few real matches (one at 1,000 products, 50 at 1,000,000).
 */
export const HEIRLOOM_EVERY = 20_000;
const HEIRLOOM_OFFSET = 501;

const pick = <T>(random: () => number, list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;

function slugify(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** Prices look like shop prices: spread log-uniformly over the category's range, ending in 99 or 49. */
function price(random: () => number, [low, high]: readonly [number, number]): number {
  const raw = Math.exp(Math.log(low) + random() * (Math.log(high) - Math.log(low)));
  const euros = Math.max(1, Math.floor(raw / 100));
  return euros * 100 + (random() < 0.8 ? 99 : 49);
}

/**
 * Yields `count` products deterministically. `now` anchors creation dates (spread over a year),
 * so runs on different days differ only in those dates.
 */
export function* generateProducts(count: number, seed = 42, now = new Date()): Generator<GeneratedProduct> {
  const random = seededRandom(seed);
  const yearMs = 365 * 24 * 3600 * 1000;
  for (let i = 1; i <= count; i++) {
    const category = CATEGORIES[(i - 1) % CATEGORIES.length] as (typeof CATEGORIES)[number];
    const noun = pick(random, category.nouns);
    // The adjective is drawn either way, so heirlooms leave every other product as it was.
    const adjective = pick(random, ADJECTIVES);
    const name = `${i % HEIRLOOM_EVERY === HEIRLOOM_OFFSET ? 'Heirloom' : adjective} ${pick(random, MATERIALS)} ${noun}`;
    const colour = pick(random, COLOURS);
    const description = [`The ${name.toLowerCase()} in ${colour.toLowerCase()}.`, pick(random, PHRASES), pick(random, PHRASES)].join(' ');
    const slug = `${slugify(name)}-${i}`;
    const product: GeneratedProduct = {
      slug,
      name,
      description,
      priceCents: price(random, category.price),
      // About one product in twelve is sold out, so the in-stock filter has something to do.
      stock: random() < 0.08 ? 0 : 1 + Math.floor(random() * 200),
      categorySlug: category.slug,
      imageUrl: `/img/products/${slug}.svg`,
      createdAt: new Date(now.getTime() - Math.floor(random() * yearMs)),
    };
    yield withOptions(product, i, seed);
  }
}
