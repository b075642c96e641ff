import { createRateLimiter } from '@shop/auth';
import type { Redis } from 'ioredis';
import type { Limits } from './context.ts';

/**
 * Sign-in limits. Per email: 10 failures in 15 minutes, then 15 minutes refused, so an attacker
 * cannot lock the real user out for longer than that. Per IP: 50 failures in 15 minutes.
 * Chat: 10 messages per user in 10 seconds.
 */
export function createLimits(redis?: Redis): Limits {
  return {
    loginByEmail: createRateLimiter({ name: 'login-email', points: 10, windowS: 15 * 60, blockS: 15 * 60 }, redis),
    loginByIp: createRateLimiter({ name: 'login-ip', points: 50, windowS: 15 * 60, blockS: 15 * 60 }, redis),
    // A burst of 10 messages per 10 seconds: plenty for people, too little for a flood.
    chatSend: createRateLimiter({ name: 'chat-send', points: 10, windowS: 10 }, redis),
  };
}
