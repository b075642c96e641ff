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

export interface GeneratedProduct {
  slug: string;
  name: string;
  description: string;
  priceCents: number;
  stock: number;
  categorySlug: string;
  imageUrl: string;
  createdAt: Date;
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
    yield {
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
  }
}
