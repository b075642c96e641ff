import { describe, expect, it } from 'vitest';
import { Order, User } from '../entities/index.ts';
import { rowColumnMismatches } from './columns.ts';

describe('rowColumnMismatches', () => {
  it('accepts a row that matches its table, joined columns and computed values', async () => {
    type Row = { id: string; number: string; created_at: string; user_name: string; rank: number };
    const problems = await rowColumnMismatches<Row>(Order, {
      id: 'uuid',
      number: 'bigint',
      created_at: 'timestamptz',
      user_name: { of: User, column: 'name', kind: 'text' },
      rank: 'computed',
    });
    expect(problems).toEqual([]);
  });

  it('names each field whose column is missing or differs in kind or nullability', async () => {
    type Row = { id: number; gone: string; currency: string | null; total: string };
    const problems = await rowColumnMismatches<Row>(Order, {
      id: 'int',
      gone: 'text',
      currency: 'text?',
      total: { column: 'total_cents', kind: 'text' },
    });
    expect(problems).toEqual([
      'id: the row says int, Order.id is uuid',
      'gone: Order has no column gone',
      'currency: the row says text null, Order.currency is text',
      'total: the row says text, Order.total_cents is int',
    ]);
  });
});
