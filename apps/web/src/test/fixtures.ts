import type { Cart, CartLine, Category, ChatMessage, Order, Page, Product, ProductSummary, User } from '@shop/schemas';

export const categories: Category[] = [
  { id: 1, slug: 'kitchen', name: 'Kitchen', productCount: 40 },
  { id: 2, slug: 'lighting', name: 'Lighting', productCount: 12 },
];

export function product(id: number, overrides: Partial<ProductSummary> = {}): ProductSummary {
  return {
    id,
    slug: `product-${id}`,
    name: `Product ${id}`,
    priceCents: 1000 + id,
    currency: 'EUR',
    imageUrl: `/img/products/product-${id}.svg`,
    stock: 5,
    category: { slug: 'kitchen', name: 'Kitchen' },
    ...overrides,
  };
}

/** The variant id of the one variant `productDetail(id)` has (and `cartLine(id)` holds). */
export const onlyVariantId = (id: number) => 100 + id;

/**
 * The product page's Product for `product(id, overrides)`: one variant with its price and stock
 * (id `onlyVariantId(id)`), unless `overrides` bring options and variants.
 */
export function productDetail(id: number, overrides: Partial<Product> = {}): Product {
  const summary = product(id, overrides);
  return {
    ...summary,
    description: 'A product.',
    createdAt: '2026-01-01T00:00:00.000Z',
    options: [],
    variants: [{ id: onlyVariantId(id), sku: summary.slug, options: {}, priceCents: summary.priceCents, stock: summary.stock }],
    ...overrides,
  };
}

export function page(ids: number[], nextCursor: string | null = null): Page<ProductSummary> {
  return { items: ids.map((id) => product(id)), nextCursor };
}

export const SHOPPER: User = {
  id: '00000000-0000-4000-8000-00000000000a',
  email: 'sam@example.test',
  name: 'Sam',
  role: 'shopper',
  mfa: false,
};
export const STAFF: User = { id: '00000000-0000-4000-8000-00000000000b', email: 'kim@shop.test', name: 'Kim', role: 'staff', mfa: false };
const ALEX = { id: '00000000-0000-4000-8000-00000000000c', name: 'Alex', role: 'shopper' as const };

/** A lobby message by Alex, "Message <id>" unless overridden. */
export function chatMessage(id: number, overrides: Partial<ChatMessage> = {}): ChatMessage {
  return { id, roomId: 'lobby', author: ALEX, text: `Message ${id}`, createdAt: '2026-11-30T10:00:00.000Z', clientId: null, ...overrides };
}

/** An order numbered 100000 + n, with an id the server's uuid schema accepts. */
export function order(n: number, overrides: Partial<Order> = {}): Order {
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    number: 100_000 + n,
    status: 'placed',
    createdAt: '2026-11-22T10:00:00.000Z',
    lines: [
      {
        productId: 3,
        variantId: onlyVariantId(3),
        sku: 'oak-stool',
        options: {},
        name: 'Oak Stool',
        unitPriceCents: 4_999,
        quantity: 2,
        lineTotalCents: 9_998,
      },
    ],
    code: null,
    subtotalCents: 9_998,
    discountCents: 0,
    totalCents: 9_998,
    currency: 'EUR',
    shippingAddress: { name: 'Sam Shopper', line1: '1 Main St', city: 'Berlin', postalCode: '10115', country: 'DE' },
    ...overrides,
  };
}

/** A cart line of `quantity` of product `id` (priced as `product(id)`). */
export function cartLine(id: number, quantity: number, overrides: Partial<CartLine> = {}): CartLine {
  const { slug, name, imageUrl, priceCents, stock } = product(id);
  return {
    productId: id,
    variantId: onlyVariantId(id),
    sku: slug,
    options: {},
    slug,
    name,
    imageUrl,
    priceCents,
    quantity,
    stock,
    lineTotalCents: priceCents * quantity,
    ...overrides,
  };
}

/** A cart of these lines, without a code unless overridden; counts and totals follow from the lines. */
export function cart(lines: CartLine[], overrides: Partial<Cart> = {}): Cart {
  const subtotalCents = lines.reduce((sum, l) => sum + l.lineTotalCents, 0);
  return {
    lines,
    itemCount: lines.reduce((sum, l) => sum + l.quantity, 0),
    subtotalCents,
    currency: 'EUR',
    code: null,
    discountCents: 0,
    totalCents: subtotalCents - (overrides.discountCents ?? 0),
    codeProblem: null,
    ...overrides,
  };
}
