import type { ChatRoom as Room, User } from '@shop/schemas';
import { useQuery } from '@tanstack/react-query';
import { type KeyboardEvent, useRef, useState } from 'react';
import { ChatRoom, type Outgoing } from '../components/chat/ChatRoom.tsx';
import { SignInLink } from '../components/SignInLink.tsx';
import { useTRPC } from '../lib/trpc.ts';

/** A shopper's own support room is just "Support"; staff see each one under its customer's name. */
function roomLabel(room: Room, me: User): string {
  if (room.kind === 'support' && room.id === `support:${me.id}`) return 'Support';
  return room.name;
}

export default function ChatPage() {
  const trpc = useTRPC();
  const me = useQuery(trpc.auth.me.queryOptions());
  const rooms = useQuery(
    trpc.chat.rooms.queryOptions(undefined, {
      enabled: Boolean(me.data),
      // A customer's first support message creates a room staff should see without reloading.
      refetchInterval: me.data?.role === 'staff' ? 30_000 : false,
    }),
  );
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const tabs = useRef<(HTMLButtonElement | null)[]>([]);
  const [outbox, setOutbox] = useState<Readonly<Record<string, readonly Outgoing[]>>>({});

  if (me.isPending) return <ChatSkeleton />;
  if (!me.data) {
    return (
      <section className="empty">
        <h1>Sign in to chat</h1>
        <SignInLink />
      </section>
    );
  }
  if (rooms.isPending) return <ChatSkeleton />;
  if (rooms.isError) {
    return (
      <div role="alert" className="error">
        <p>Could not load the chat rooms: {rooms.error.message}</p>
        <button type="button" onClick={() => void rooms.refetch()}>
          Try again
        </button>
      </div>
    );
  }

  const user = me.data;
  const list = rooms.data;
  const current = list.find((r) => r.id === selectedId) ?? list[0];
  const currentIndex = current ? list.indexOf(current) : -1;

  // Arrow keys move between rooms (WAI-ARIA tabs pattern, automatic activation).
  const onTabKey = (event: KeyboardEvent<HTMLButtonElement>) => {
    const last = list.length - 1;
    const next =
      event.key === 'ArrowRight' || event.key === 'ArrowDown'
        ? currentIndex === last
          ? 0
          : currentIndex + 1
        : event.key === 'ArrowLeft' || event.key === 'ArrowUp'
          ? currentIndex === 0
            ? last
            : currentIndex - 1
          : event.key === 'Home'
            ? 0
            : event.key === 'End'
              ? last
              : null;
    if (next === null) return;
    event.preventDefault();
    const room = list[next];
    if (!room) return;
    setSelectedId(room.id);
    tabs.current[next]?.focus();
  };

  return (
    <section className="chat" aria-labelledby="chat-title">
      <h1 id="chat-title">Chat</h1>
      <div role="tablist" aria-label="Rooms" className="room-tabs">
        {list.map((room, i) => (
          <button
            key={room.id}
            ref={(el) => {
              tabs.current[i] = el;
            }}
            type="button"
            role="tab"
            id={`room-tab-${i}`}
            aria-selected={room === current}
            aria-controls="room-panel"
            tabIndex={room === current ? 0 : -1}
            onClick={() => setSelectedId(room.id)}
            onKeyDown={onTabKey}
          >
            {roomLabel(room, user)}
          </button>
        ))}
      </div>
      {current && (
        <div role="tabpanel" id="room-panel" aria-labelledby={`room-tab-${currentIndex}`}>
          {/* Keyed by room: each room has its own history, subscription and draft. */}
          <ChatRoom
            key={current.id}
            room={current}
            me={user}
            outgoing={outbox[current.id] ?? []}
            setOutgoing={(update) => setOutbox((all) => ({ ...all, [current.id]: update(all[current.id] ?? []) }))}
          />
        </div>
      )}
    </section>
  );
}

function ChatSkeleton() {
  return (
    <section className="chat" aria-busy="true" aria-label="Loading the chat">
      <span className="skeleton-line short" />
      <div className="chat-log chat-log-skeleton card-skeleton" />
    </section>
  );
}
