import type { ChatMessage, ChatRoom as Room, User } from '@shop/schemas';
import { skipToken, useInfiniteQuery } from '@tanstack/react-query';
import { TRPCClientError } from '@trpc/client';
import { useSubscription } from '@trpc/tanstack-react-query';
import { type FormEvent, type KeyboardEvent, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useTRPC, useTRPCClient } from '../../lib/trpc.ts';
import { useToast } from '../Toasts.tsx';

const PAGE_SIZE = 30;
// The server's limit (MAX_MESSAGE_LENGTH in @shop/schemas), kept here so this chunk needs no zod.
const MAX_LENGTH = 2_000;
// Within this many pixels of the end counts as "at the bottom": sub-pixel scroll positions happen.
const BOTTOM_SLACK_PX = 48;

/** A message this tab sent that the server has not confirmed (yet). */
export interface Outgoing {
  clientId: string;
  text: string;
  state: 'pending' | 'failed';
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

function formatWhen(iso: string): string {
  const date = new Date(iso);
  return date.toDateString() === new Date().toDateString() ? timeFormat.format(date) : dateTimeFormat.format(date);
}

/**
 * One room: history pages (newest first from the server, shown oldest at the top), live messages
 * resumed from the newest loaded one, and optimistic sending.
 */
export function ChatRoom({
  room,
  me,
  outgoing,
  setOutgoing,
}: {
  room: Room;
  me: User;
  /** Kept by the page, so a message still in flight or refused survives switching rooms. */
  outgoing: readonly Outgoing[];
  setOutgoing: (update: (list: readonly Outgoing[]) => readonly Outgoing[]) => void;
}) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const toast = useToast();

  const history = useInfiniteQuery(
    trpc.chat.history.infiniteQueryOptions({ roomId: room.id, limit: PAGE_SIZE }, { getNextPageParam: (page) => page.nextCursor }),
  );

  // Live messages start right after the newest one history returned, frozen at first load: the
  // server back-fills anything sent in between, and a refetch must not restart the subscription.
  const newestLoaded = history.data ? (history.data.pages[0]?.items[0]?.id ?? 0) : null;
  const [resumeFrom, setResumeFrom] = useState<number | null>(null);
  if (resumeFrom === null && newestLoaded !== null) setResumeFrom(newestLoaded);

  const [live, setLive] = useState<ReadonlyMap<number, ChatMessage>>(() => new Map());
  const addLive = useCallback((message: ChatMessage) => {
    setLive((map) => (map.has(message.id) ? map : new Map(map).set(message.id, message)));
  }, []);

  const subscription = useSubscription(
    trpc.chat.onMessage.subscriptionOptions(resumeFrom === null ? skipToken : { roomId: room.id, lastEventId: resumeFrom }, {
      // Our own message can arrive here before chat.send answers: `unconfirmed` then hides the pending copy.
      onData: (event) => addLive(event.data),
    }),
  );

  // History and live overlap (a refetch, a resumed socket): one entry per message id, in send order.
  const messages = useMemo(() => {
    const byId = new Map<number, ChatMessage>();
    for (const page of history.data?.pages ?? []) for (const m of page.items) byId.set(m.id, m);
    for (const m of live.values()) byId.set(m.id, m);
    return [...byId.values()].sort((a, b) => a.id - b.id);
  }, [history.data, live]);
  // A pending message the server already delivered (history or socket) shows once, as the server's.
  const unconfirmed = useMemo(() => {
    const delivered = new Set(messages.flatMap((m) => (m.clientId && m.author.id === me.id ? [m.clientId] : [])));
    return outgoing.filter((o) => !delivered.has(o.clientId));
  }, [messages, outgoing, me.id]);

  const [draft, setDraft] = useState('');
  const [draftError, setDraftError] = useState<string | null>(null);

  // --- scrolling -------------------------------------------------------------------------------
  const logRef = useRef<HTMLDivElement>(null);
  const sentinelRef = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const olderAnchor = useRef<{ height: number; top: number } | null>(null);
  const lastKey = useRef<string | null>(null);
  const [unseen, setUnseen] = useState(false);

  const onScroll = () => {
    const el = logRef.current;
    if (!el) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight <= BOTTOM_SLACK_PX;
    if (atBottom.current) setUnseen(false);
  };

  const scrollToBottom = () => {
    const el = logRef.current;
    if (el) el.scrollTop = el.scrollHeight;
    atBottom.current = true;
    setUnseen(false);
  };

  const loadOlder = () => {
    if (!history.hasNextPage || history.isFetchingNextPage) return;
    const el = logRef.current;
    // Remember the distance from the top so the messages in view stay put when older ones appear above.
    if (el) olderAnchor.current = { height: el.scrollHeight, top: el.scrollTop };
    void history.fetchNextPage();
  };
  const loadOlderRef = useRef(loadOlder);
  loadOlderRef.current = loadOlder;

  const newestKey = unconfirmed.at(-1)?.clientId ?? String(messages.at(-1)?.id ?? '');
  useLayoutEffect(() => {
    const el = logRef.current;
    if (!el) return;
    if (olderAnchor.current && !history.isFetchingNextPage) {
      el.scrollTop = el.scrollHeight - olderAnchor.current.height + olderAnchor.current.top;
      olderAnchor.current = null;
    }
    if (newestKey !== lastKey.current) {
      // Follow the conversation only if the reader was already following it.
      if (atBottom.current) el.scrollTop = el.scrollHeight;
      else if (lastKey.current !== null) setUnseen(true);
      lastKey.current = newestKey;
    }
  }, [newestKey, history.isFetchingNextPage]);

  // Scrolling near the top loads the next older page; re-observing after each page keeps loading
  // while the sentinel is still in view (a tall window, short messages).
  const canLoadOlder = history.hasNextPage && !history.isFetchingNextPage;
  useEffect(() => {
    const sentinel = sentinelRef.current;
    if (!canLoadOlder || !sentinel || typeof IntersectionObserver === 'undefined') return;
    const observer = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && loadOlderRef.current(), {
      root: logRef.current,
      rootMargin: '150px 0px 0px 0px',
    });
    observer.observe(sentinel);
    return () => observer.disconnect();
  }, [canLoadOlder]);

  // --- sending ---------------------------------------------------------------------------------
  const deliver = async (clientId: string, text: string) => {
    setOutgoing((list) =>
      list.some((o) => o.clientId === clientId)
        ? list.map((o) => (o.clientId === clientId ? { ...o, state: 'pending' } : o))
        : [...list, { clientId, text, state: 'pending' }],
    );
    try {
      const message = await client.chat.send.mutate({ roomId: room.id, text, clientId });
      addLive(message);
      setOutgoing((list) => list.filter((o) => o.clientId !== clientId));
    } catch (error) {
      if (error instanceof TRPCClientError && error.data?.code === 'TOO_MANY_REQUESTS') {
        toast(`You are sending too fast: ${error.message}`, 'error');
      }
      setOutgoing((list) => list.map((o) => (o.clientId === clientId ? { ...o, state: 'failed' } : o)));
    }
  };

  const submit = (event?: FormEvent) => {
    event?.preventDefault();
    const text = draft.trim();
    if (!text) {
      setDraftError('Write a message first.');
      return;
    }
    if (text.length > MAX_LENGTH) {
      setDraftError(`At most ${MAX_LENGTH} characters.`);
      return;
    }
    setDraftError(null);
    setDraft('');
    // Your own message always scrolls into view.
    atBottom.current = true;
    void deliver(crypto.randomUUID(), text);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    // Enter sends, Shift+Enter starts a new line; an IME composition keeps Enter for itself.
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      submit();
    }
  };

  const composerId = `chat-message-${room.kind}`;
  return (
    <div className="chat-room">
      {subscription.status === 'connecting' && subscription.error && (
        <p className="chat-notice" role="status">
          Reconnecting…
        </p>
      )}
      {subscription.status === 'error' && (
        <div className="chat-notice" role="alert">
          Live updates stopped: {subscription.error.message}{' '}
          <button type="button" className="link-button" onClick={() => subscription.reset()}>
            Reconnect
          </button>
        </div>
      )}
      <div
        ref={logRef}
        className="chat-log"
        role="log"
        aria-label="Messages"
        aria-busy={history.isPending}
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must take focus so keyboard users can scroll it.
        tabIndex={0}
        onScroll={onScroll}
      >
        {history.hasNextPage && (
          <>
            <div ref={sentinelRef} className="chat-sentinel" />
            <button type="button" className="chat-older" onClick={loadOlder} disabled={history.isFetchingNextPage}>
              {history.isFetchingNextPage ? 'Loading older messages…' : 'Load older messages'}
            </button>
          </>
        )}
        {history.isError ? (
          <div className="error">
            <p>Could not load messages: {history.error.message}</p>
            <button type="button" onClick={() => void history.refetch()}>
              Try again
            </button>
          </div>
        ) : history.isPending ? (
          <ul className="messages" aria-hidden="true">
            {[1, 2, 3].map((i) => (
              <li key={i} className="message message-skeleton">
                <span className="skeleton-line short" />
                <span className="skeleton-line" />
              </li>
            ))}
          </ul>
        ) : messages.length === 0 && unconfirmed.length === 0 ? (
          <p className="status">No messages yet. Say hello!</p>
        ) : (
          <ol className="messages">
            {messages.map((m) => (
              <li key={m.id} className={m.author.id === me.id ? 'message mine' : 'message'}>
                <span className="message-meta">
                  <span className="message-author">{m.author.name}</span>
                  {m.author.role === 'staff' && <span className="role-badge">Staff</span>}
                  <time dateTime={m.createdAt}>{formatWhen(m.createdAt)}</time>
                </span>
                <p className="message-text">{m.text}</p>
              </li>
            ))}
            {unconfirmed.map((o) => (
              <li key={o.clientId} className={`message mine ${o.state}`}>
                <span className="message-meta">
                  <span className="message-author">{me.name}</span>
                  <span className="message-state">{o.state === 'pending' ? 'Sending…' : 'Not sent.'}</span>
                  {o.state === 'failed' && (
                    <button type="button" className="link-button" onClick={() => void deliver(o.clientId, o.text)}>
                      Retry
                    </button>
                  )}
                </span>
                <p className="message-text">{o.text}</p>
              </li>
            ))}
          </ol>
        )}
      </div>
      {unseen && (
        <button type="button" className="chat-unseen" onClick={scrollToBottom}>
          New messages below
        </button>
      )}
      <form className="composer" onSubmit={submit} noValidate>
        <label htmlFor={composerId}>Message</label>
        <div className="composer-row">
          <textarea
            id={composerId}
            rows={2}
            value={draft}
            maxLength={MAX_LENGTH}
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={onKeyDown}
            aria-invalid={draftError ? true : undefined}
            aria-describedby={draftError ? `${composerId}-error` : `${composerId}-hint`}
          />
          <button type="submit">Send</button>
        </div>
        {draftError ? (
          <span id={`${composerId}-error`} className="form-error">
            {draftError}
          </span>
        ) : (
          <span id={`${composerId}-hint`} className="hint">
            Enter sends, Shift+Enter adds a line.
          </span>
        )}
      </form>
    </div>
  );
}
