import type { ChatMessage, ChatRoom } from '@shop/schemas';
import { configure, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { chatMessage, SHOPPER, STAFF } from '../test/fixtures.ts';
import { live, type Resolvers, server, TrpcFailure, trpc } from '../test/msw.ts';
import { renderApp } from '../test/render.tsx';

// A bound on waiting, not a speed requirement: the first render loads the lazy page on a busy machine.
configure({ asyncUtilTimeout: 5_000 });

const SUPPORT_ID = `support:${SHOPPER.id}`;
const ROOMS: ChatRoom[] = [
  { id: 'lobby', name: 'Lobby', kind: 'lobby' },
  { id: SUPPORT_ID, name: `Support: ${SHOPPER.name}`, kind: 'support' },
];
const range = (from: number, to: number) => Array.from({ length: Math.abs(to - from) + 1 }, (_, i) => (from < to ? from + i : from - i));
/** The server's page: newest first. */
const newestFirst = (ids: number[], nextCursor: string | null = null) => ({ items: ids.map((id) => chatMessage(id)), nextCursor });

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const texts = (log: HTMLElement) =>
  within(log)
    .queryAllByRole('listitem')
    .map((li) => li.querySelector('.message-text')?.textContent);

async function openLobby(history: Resolvers['chat.history'] = () => newestFirst([3, 2, 1]), more: Resolvers = {}) {
  server.use(...trpc({ 'auth.me': () => SHOPPER, 'chat.rooms': () => ROOMS, 'chat.history': history, ...more }));
  renderApp('/chat');
  const log = await screen.findByRole('log', { name: 'Messages' });
  await within(log).findAllByRole('listitem');
  return log;
}

/** The lobby, with chat.send recording its inputs and answering when the test resolves `reply`. */
async function openLobbyWithPendingSend() {
  const reply = deferred<ChatMessage>();
  const sent: { text: string; clientId?: string }[] = [];
  const log = await openLobby(undefined, {
    'chat.send': (input) => {
      sent.push(input);
      return reply.promise;
    },
  });
  return { log, reply, sent };
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('ChatPage', () => {
  it('asks a guest to sign in', async () => {
    server.use(...trpc({}));
    renderApp('/chat');
    expect((await screen.findByRole('heading', { level: 1 })).textContent).toBe('Sign in to chat');
  });

  it('shows the rooms and the history with the oldest message at the top', async () => {
    const log = await openLobby();
    expect(texts(log)).toEqual(['Message 1', 'Message 2', 'Message 3']);
    expect(within(log).getAllByRole('listitem')[0]?.textContent).toContain('Alex');
    expect(screen.getByRole('tab', { name: 'Lobby' }).getAttribute('aria-selected')).toBe('true');
    expect(screen.getByRole('tab', { name: 'Support' }).getAttribute('aria-selected')).toBe('false');
    expect(screen.getByRole('link', { name: 'Chat' }).getAttribute('href')).toBe('/chat');
    expect(screen.queryByRole('link', { name: 'Staff' })).toBeNull();
  });

  it('switches rooms with the keyboard and loads that room’s history', async () => {
    const asked: string[] = [];
    server.use(
      ...trpc({
        'auth.me': () => SHOPPER,
        'chat.rooms': () => ROOMS,
        'chat.history': ({ roomId }) => {
          asked.push(roomId);
          return roomId === 'lobby'
            ? newestFirst([1])
            : { items: [chatMessage(9, { roomId, text: 'How can we help?' })], nextCursor: null };
        },
      }),
    );
    renderApp('/chat');
    await screen.findByText('Message 1');
    screen.getByRole('tab', { name: 'Lobby' }).focus();
    await userEvent.keyboard('{ArrowRight}');
    expect(document.activeElement).toBe(screen.getByRole('tab', { name: 'Support' }));
    expect(await screen.findByText('How can we help?')).toBeTruthy();
    expect(screen.getByRole('tab', { name: 'Support' }).getAttribute('aria-selected')).toBe('true');
    expect(asked).toEqual(['lobby', SUPPORT_ID]);
  });

  it('lists every support room for staff, under the customer’s name', async () => {
    const rooms: ChatRoom[] = [...ROOMS, { id: 'support:00000000-0000-4000-8000-0000000000ff', name: 'Support: Robin', kind: 'support' }];
    server.use(...trpc({ 'auth.me': () => STAFF, 'chat.rooms': () => rooms, 'chat.history': () => newestFirst([]) }));
    renderApp('/chat');
    const tabs = await screen.findAllByRole('tab');
    expect(tabs.map((t) => t.textContent)).toEqual(['Lobby', 'Support: Sam', 'Support: Robin']);
  });

  it('resumes live messages after the newest loaded one and shows each message once', async () => {
    const log = await openLobby();
    const subscription = await live.subscribed('chat.onMessage');
    expect(subscription.input).toEqual({ roomId: 'lobby', lastEventId: 3 });
    subscription.emit(chatMessage(3), '3'); // already in the history
    subscription.emit(chatMessage(4), '4');
    subscription.emit(chatMessage(4), '4'); // a repeat, as after a resumed socket
    subscription.emit(chatMessage(5), '5');
    await within(log).findByText('Message 5');
    expect(texts(log)).toEqual(['Message 1', 'Message 2', 'Message 3', 'Message 4', 'Message 5']);
  });

  it('shows a sent message as pending, then as the server’s message, once', async () => {
    const { log, reply, sent } = await openLobbyWithPendingSend();
    await userEvent.type(screen.getByRole('textbox', { name: 'Message' }), '  Hello there  ');
    await userEvent.click(screen.getByRole('button', { name: 'Send' }));

    const pending = (await within(log).findByText('Hello there')).closest('li');
    expect(pending?.textContent).toContain('Sending…');
    expect(pending?.textContent).toContain(SHOPPER.name);
    expect((screen.getByRole('textbox', { name: 'Message' }) as HTMLTextAreaElement).value).toBe('');
    expect(sent).toEqual([{ roomId: 'lobby', text: 'Hello there', clientId: expect.stringMatching(/^[0-9a-f-]{36}$/) }]);
    // Over the chat page's socket, not an HTTP request.
    expect(live.calls()).toEqual(['chat.send']);

    const confirmed = chatMessage(4, { text: 'Hello there', author: { id: SHOPPER.id, name: SHOPPER.name, role: 'shopper' } });
    reply.resolve(confirmed);
    await waitFor(() => expect(within(log).queryByText('Sending…')).toBeNull());
    // The same message arriving over the socket too changes nothing.
    (await live.subscribed('chat.onMessage')).emit(confirmed, '4');
    (await live.subscribed('chat.onMessage')).emit(chatMessage(5), '5');
    await within(log).findByText('Message 5');
    expect(within(log).getAllByText('Hello there')).toHaveLength(1);
    expect(texts(log).at(-2)).toBe('Hello there');
  });

  it('shows a sent message once when the socket delivers it before chat.send answers', async () => {
    const { log, reply, sent } = await openLobbyWithPendingSend();
    await userEvent.type(screen.getByRole('textbox', { name: 'Message' }), 'Me first{Enter}');
    await within(log).findByText('Sending…');
    const mine = { id: SHOPPER.id, name: SHOPPER.name, role: 'shopper' as const };
    const confirmed = chatMessage(4, { text: 'Me first', author: mine, clientId: sent[0]?.clientId ?? null });
    const subscription = await live.subscribed('chat.onMessage');
    subscription.emit(confirmed, '4');
    subscription.emit(chatMessage(5), '5');
    await within(log).findByText('Message 5');
    expect(within(log).getAllByText('Me first')).toHaveLength(1);
    expect(within(log).queryByText('Sending…')).toBeNull();
    expect(texts(log).slice(-2)).toEqual(['Me first', 'Message 5']);

    reply.resolve(confirmed);
    subscription.emit(chatMessage(6), '6');
    await within(log).findByText('Message 6');
    expect(within(log).getAllByText('Me first')).toHaveLength(1);
  });

  it('sends with Enter, keeps a refused message for a retry with the same client id, and says when sending too fast', async () => {
    const clientIds: (string | undefined)[] = [];
    const log = await openLobby(undefined, {
      'chat.send': ({ text, clientId }) => {
        clientIds.push(clientId);
        if (clientIds.length === 1) return new TrpcFailure('TOO_MANY_REQUESTS', 'sending too fast; wait 3 s', 429);
        return chatMessage(4, { text, author: { id: SHOPPER.id, name: SHOPPER.name, role: 'shopper' } });
      },
    });
    await userEvent.type(screen.getByRole('textbox', { name: 'Message' }), 'Anyone here?{Enter}');
    expect((await screen.findByRole('alert')).textContent).toMatch(/sending too fast/);
    const failed = within(log).getByText('Anyone here?').closest('li') as HTMLElement;
    await within(failed).findByText('Not sent.');
    await userEvent.click(within(failed).getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(within(log).queryByText('Not sent.')).toBeNull());
    expect(within(log).getAllByText('Anyone here?')).toHaveLength(1);
    expect(clientIds).toHaveLength(2);
    expect(clientIds[1]).toBe(clientIds[0]);
  });

  it('keeps a refused message across a room switch', async () => {
    const log = await openLobby(undefined, { 'chat.send': () => new TrpcFailure('NOT_FOUND', 'room not found', 404) });
    await userEvent.type(screen.getByRole('textbox', { name: 'Message' }), 'Still here?{Enter}');
    await within(log).findByText('Not sent.');
    await userEvent.click(screen.getByRole('tab', { name: 'Support' }));
    await userEvent.click(screen.getByRole('tab', { name: 'Lobby' }));
    const back = await screen.findByRole('log', { name: 'Messages' });
    expect((await within(back).findByText('Still here?')).closest('li')?.textContent).toContain('Not sent.');
  });

  it('loads the older page with the “Load older messages” button, above the loaded ones', async () => {
    const cursors: unknown[] = [];
    const log = await openLobby((input) => {
      cursors.push(input.cursor);
      return input.cursor ? newestFirst(range(30, 1)) : newestFirst(range(60, 31), '31');
    });
    expect(texts(log)).toHaveLength(30);
    await userEvent.click(within(log).getByRole('button', { name: 'Load older messages' }));
    await within(log).findByText('Message 1');
    expect(texts(log)).toEqual(range(1, 60).map((id) => `Message ${id}`));
    expect(cursors).toEqual([undefined, '31']);
    // Nothing older: the button is gone.
    expect(within(log).queryByRole('button', { name: 'Load older messages' })).toBeNull();
  });

  it('loads the older page when the top of the list scrolls into view', async () => {
    const observers: { callback: IntersectionObserverCallback; targets: Element[] }[] = [];
    vi.stubGlobal(
      'IntersectionObserver',
      class {
        readonly entry: { callback: IntersectionObserverCallback; targets: Element[] };
        constructor(callback: IntersectionObserverCallback) {
          this.entry = { callback, targets: [] };
          observers.push(this.entry);
        }
        observe(target: Element) {
          this.entry.targets.push(target);
        }
        disconnect() {
          this.entry.targets = [];
        }
      },
    );
    const log = await openLobby((input) => (input.cursor ? newestFirst([1]) : newestFirst([3, 2], '2')));
    const watching = observers.find((o) => o.targets.length > 0);
    expect(watching).toBeTruthy();
    const target = watching?.targets[0] as Element;
    watching?.callback([{ isIntersecting: true, target } as unknown as IntersectionObserverEntry], {} as IntersectionObserver);
    await within(log).findByText('Message 1');
    expect(texts(log)).toEqual(['Message 1', 'Message 2', 'Message 3']);
  });

  it('shows markup in a message as text', async () => {
    const attack = '<img src=x onerror=alert(1)>';
    const log = await openLobby(() => ({ items: [chatMessage(3, { text: attack })], nextCursor: null }));
    expect(within(log).getByText(attack)).toBeTruthy();
    expect(log.querySelector('img')).toBeNull();
  });
});
