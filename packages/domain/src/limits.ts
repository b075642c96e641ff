import { createRateLimiter } from '@shop/auth';
import type { Redis } from 'ioredis';
import type { Limits } from './context.ts';

export interface LimitOptions {
  /**
   * Sign-in window and block time, in seconds (the server's LOGIN_WINDOW_S). Also the longest an
   * attacker can lock the real user out for.
   */
  loginWindowS?: number;
}

/**
 * Sign-in limits. Per email: 10 failures in the window (15 minutes unless configured), then
 * refused for as long again. Per IP: 50 failures in the same window.
 * Chat: 10 messages per user in 10 seconds.
 * Promotion codes: 20 refused attempts per IP in 15 minutes, then refused for as long again.
 */
export function createLimits(redis?: Redis, { loginWindowS = 15 * 60 }: LimitOptions = {}): Limits {
  const login = { windowS: loginWindowS, blockS: loginWindowS };
  return {
    loginByEmail: createRateLimiter({ name: 'login-email', points: 10, ...login }, redis),
    loginByIp: createRateLimiter({ name: 'login-ip', points: 50, ...login }, redis),
    // A burst of 10 messages per 10 seconds: plenty for people, too little for a flood.
    chatSend: createRateLimiter({ name: 'chat-send', points: 10, windowS: 10 }, redis),
    // Enough for a shopper's typos, far too few to enumerate codes (accepted ones are given back).
    codeByIp: createRateLimiter({ name: 'code-ip', points: 20, windowS: 15 * 60, blockS: 15 * 60 }, redis),
  };
}
