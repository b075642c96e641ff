import { defineEntity, p } from '@mikro-orm/core';
import { CHAT_ROOM_KINDS } from '@shop/schemas';
import { User } from './user.ts';

const ChatRoomSchema = defineEntity({
  name: 'ChatRoom',
  tableName: 'chat_rooms',
  properties: {
    // 'lobby' or 'support:<userId>'.
    id: p.string().length(64).primary(),
    kind: p.enum([...CHAT_ROOM_KINDS]),
    name: p.string().length(120),
    owner: () => p.manyToOne(User).nullable().deleteRule('cascade'),
    // Last message sequence number handed out; incremented under the room row's lock so
    // sequence numbers become visible in commit order.
    lastSeq: p.bigint('number').default(0),
    createdAt: p.datetime().defaultRaw('now()'),
  },
});
export class ChatRoom extends ChatRoomSchema.class {}
ChatRoomSchema.setClass(ChatRoom);

const ChatMessageSchema = defineEntity({
  name: 'ChatMessage',
  tableName: 'chat_messages',
  properties: {
    room: () => p.manyToOne(ChatRoom).primary().deleteRule('cascade'),
    seq: p.bigint('number').primary(),
    author: () => p.manyToOne(User).deleteRule('cascade'),
    text: p.string().length(2000),
    // Set by the client so a retried send stores one message.
    clientId: p.uuid().nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
  },
  uniques: [{ name: 'chat_messages_client_unique', properties: ['author', 'clientId'] }],
});
export class ChatMessage extends ChatMessageSchema.class {}
ChatMessageSchema.setClass(ChatMessage);
