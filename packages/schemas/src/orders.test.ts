import { describe, expect, it } from 'vitest';
import { canTransition, nextStatuses, ORDER_STATUSES, ORDER_TRANSITIONS, type OrderStatus } from './orders.ts';

const allowed: [OrderStatus, OrderStatus][] = [
  ['placed', 'shipped'],
  ['placed', 'cancelled'],
  ['shipped', 'delivered'],
];
const pairs = ORDER_STATUSES.flatMap((from) => ORDER_STATUSES.map((to) => [from, to] as [OrderStatus, OrderStatus]));

describe('order status transitions', () => {
  it.each(pairs)('%s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(allowed.some(([a, b]) => a === from && b === to));
  });

  it('lists the next statuses of every status, and nothing else', () => {
    expect(Object.keys(ORDER_TRANSITIONS).sort()).toEqual([...ORDER_STATUSES].sort());
    for (const from of ORDER_STATUSES) {
      expect([...nextStatuses(from)].sort()).toEqual(
        allowed
          .filter(([a]) => a === from)
          .map(([, b]) => b)
          .sort(),
      );
    }
  });
});
