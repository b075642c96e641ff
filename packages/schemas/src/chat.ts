import { z } from 'zod';
import type { UserRole } from './auth.ts';
import { pageLimit, storedText } from './common.ts';

export const CHAT_ROOM_KINDS = ['lobby', 'support'] as const;
export type ChatRoomKind = (typeof CHAT_ROOM_KINDS)[number];
export const MAX_MESSAGE_LENGTH = 2_000;

/** 'lobby' or 'support:<user id>'. */
export const roomIdSchema = z
  .string()
  .max(64)
  .regex(/^(lobby|support:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/, "'lobby' or 'support:<user id>'");

/** A message id, or a tracked event id (the same number as a string, as tRPC sends it back). */
export const messageIdSchema = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const chatHistoryInput = z.strictObject({
  roomId: roomIdSchema,
  before: messageIdSchema.optional(),
  limit: pageLimit(50),
  // Sent by tRPC's infinite queries as the page cursor and direction.
  cursor: messageIdSchema.nullish(),
  direction: z.enum(['forward', 'backward']).optional(),
});
export type ChatHistoryInput = z.infer<typeof chatHistoryInput>;

export const chatSendInput = z.strictObject({
  roomId: roomIdSchema,
  text: storedText().trim().min(1).max(MAX_MESSAGE_LENGTH),
  clientId: z.uuid().optional(),
});
export type ChatSendInput = z.infer<typeof chatSendInput>;

export const chatSubscribeInput = z.strictObject({
  roomId: roomIdSchema,
  lastEventId: messageIdSchema.nullish(),
});
export type ChatSubscribeInput = z.infer<typeof chatSubscribeInput>;

export const ordersSubscribeInput = z.strictObject({ lastEventId: messageIdSchema.nullish() }).prefault({});
export type OrdersSubscribeInput = z.infer<typeof ordersSubscribeInput>;

export interface ChatRoom {
  id: string;
  name: string;
  kind: ChatRoomKind;
}

export interface ChatMessage {
  /** Sorts in send order within its room. */
  id: number;
  roomId: string;
  author: { id: string; name: string; role: UserRole };
  text: string;
  /** ISO-8601, UTC. */
  createdAt: string;
  /** The `clientId` it was sent with, if any: lets the sender match it to its pending copy. */
  clientId: string | null;
}
