import { ConnectionException, DriverException } from '@mikro-orm/core';
import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { databaseUnavailable, toTRPCError } from './errors.ts';

const wrap = (cause: unknown) => new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause });
const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });
// What node-postgres throws for an error the server reported.
const pgError = (message: string, code: string) => Object.assign(new Error(message), { code, severity: 'ERROR' });

describe('toTRPCError', () => {
  it('maps an unreachable database to SERVICE_UNAVAILABLE without quoting the address', () => {
    for (const cause of [
      withCode('connect ECONNREFUSED 127.0.0.1:5999', 'ECONNREFUSED'),
      new ConnectionException(withCode('connect ECONNREFUSED 127.0.0.1:5999', 'ECONNREFUSED')),
      pgError('terminating connection due to administrator command', '57P01'),
      pgError('the database system is starting up', '57P03'),
      new Error('Connection terminated unexpectedly'),
      new Error('outer', { cause: new Error('timeout exceeded when trying to connect') }),
    ]) {
      const mapped = toTRPCError(wrap(cause));
      expect(mapped.code).toBe('SERVICE_UNAVAILABLE');
      expect(mapped.message).not.toMatch(/127\.0\.0\.1/);
    }
  });

  it('keeps client mistakes and bugs apart from outages', () => {
    expect(databaseUnavailable(new DriverException(withCode('value too long', '22001')))).toBe(false);
    expect(toTRPCError(wrap(pgError('value too long', '22001'))).code).toBe('BAD_REQUEST');
    expect(toTRPCError(wrap(pgError('duplicate key', '23505'))).code).toBe('CONFLICT');
    expect(toTRPCError(wrap(new TypeError('x is undefined'))).code).toBe('INTERNAL_SERVER_ERROR');
    const invalid = new ConnectionException(pgError('invalid byte sequence for encoding "UTF8": 0x00', '22021'));
    expect(toTRPCError(wrap(invalid)).code).toBe('BAD_REQUEST');
    // What a NUL byte in a bound parameter gives (the schemas refuse it first): a statement the
    // server refused, not an outage, so not a retryable 503.
    const nul = pgError('invalid message format', '08P01');
    expect(databaseUnavailable(nul)).toBe(false);
    expect(databaseUnavailable(new ConnectionException(nul))).toBe(false);
    expect(toTRPCError(wrap(nul)).code).toBe('INTERNAL_SERVER_ERROR');
    const lostSync = Object.assign(new Error('protocol synchronization was lost'), { code: '08P01', severity: 'FATAL' });
    expect(databaseUnavailable(lostSync)).toBe(true);
  });
});
