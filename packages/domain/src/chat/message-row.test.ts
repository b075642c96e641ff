import { ChatMessage, User } from '@shop/db';
import { rowColumnMismatches } from '@shop/db/testing';
import { describe, expect, it } from 'vitest';
import type { MessageRow } from './message-row.ts';

describe('MessageRow', () => {
  it('matches chat_messages and the author columns of users', async () => {
    const problems = await rowColumnMismatches<MessageRow>(ChatMessage, {
      seq: 'bigint',
      room_id: 'text',
      author_id: 'uuid',
      author_name: { of: User, column: 'name', kind: 'text' },
      author_role: { of: User, column: 'role', kind: 'text' },
      text: 'text',
      created_at: 'timestamptz',
      client_id: 'uuid?',
    });
    expect(problems).toEqual([]);
  });
});
