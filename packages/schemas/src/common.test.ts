import { describe, expect, it } from 'vitest';
import { adminProductUpsertInput } from './admin.ts';
import { loginInput, registerInput } from './auth.ts';
import { catalogListInput } from './catalog.ts';
import { chatSendInput } from './chat.ts';
import { addressSchema } from './orders.ts';

const product = { slug: 'lamp', name: 'Lamp', description: '', priceCents: 100, categorySlug: 'home' };
const address = { name: 'Ada', line1: '1 Main St', city: 'Berlin', postalCode: '10115', country: 'DE' };

describe('storedText', () => {
  // PostgreSQL text cannot hold U+0000; the driver would fail the statement as a protocol error.
  it('refuses a NUL character in every free-text field, with the reason', () => {
    const refused = [
      chatSendInput.safeParse({ roomId: 'lobby', text: 'hi\u0000' }),
      registerInput.safeParse({ email: 'a@example.test', password: 'password123', name: '\u0000' }),
      loginInput.safeParse({ email: 'a\u0000@example.test', password: 'x' }),
      catalogListInput.safeParse({ search: 'lamp\u0000' }),
      catalogListInput.safeParse({ cursor: '\u0000' }),
      addressSchema.safeParse({ ...address, line1: '\u0000 Main St' }),
      addressSchema.safeParse({ ...address, line2: 'Flat\u00002' }),
      adminProductUpsertInput.safeParse({ ...product, imageUrl: '/img/\u0000.png' }),
    ];
    for (const result of refused) {
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.message).toBe('must not contain NUL (U+0000) characters');
    }
  });

  it('refuses a lone surrogate, which has no UTF-8 form, and keeps a pair', () => {
    for (const text of ['\uD800', 'a\uDC00b', 'x\uDE00\uD83D']) {
      const result = chatSendInput.safeParse({ roomId: 'lobby', text });
      expect(result.error?.issues[0]?.message).toBe('must be well-formed Unicode (it has a lone surrogate)');
    }
    expect(addressSchema.safeParse({ ...address, city: 'Berlin \uD800' }).success).toBe(false);
    expect(chatSendInput.parse({ roomId: 'lobby', text: '\uD83D\uDE00' }).text).toBe('😀');
  });

  it('keeps other text, control characters and emoji included', () => {
    expect(chatSendInput.parse({ roomId: 'lobby', text: ' tab\there 🎉 ' }).text).toBe('tab\there 🎉');
    expect(addressSchema.parse({ ...address, line2: 'Flat 2' }).line2).toBe('Flat 2');
  });
});
