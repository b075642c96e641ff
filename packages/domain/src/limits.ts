import { createRateLimiter } from '@shop/auth';
import type { Redis } from 'ioredis';
import type { Limits } from './context.ts';

/**
 * Sign-in limits. Per email: 10 failures in 15 minutes, then 15 minutes refused, so an attacker
 * cannot lock the real user out for longer than that. Per IP: 50 failures in 15 minutes.
 */
export function createLimits(redis?: Redis): Limits {
  return {
    loginByEmail: createRateLimiter({ name: 'login-email', points: 10, windowS: 15 * 60, blockS: 15 * 60 }, redis),
    loginByIp: createRateLimiter({ name: 'login-ip', points: 50, windowS: 15 * 60, blockS: 15 * 60 }, redis),
  };
}
