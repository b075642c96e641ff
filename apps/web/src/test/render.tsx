import { render } from '@testing-library/react';
import { Router } from 'wouter';
import { memoryLocation } from 'wouter/memory-location';
import { App } from '../App.tsx';
import { createApi, createQueryClient } from '../lib/trpc.ts';
import { API_ORIGIN } from './msw.ts';

/** Renders the whole app at `path`, talking to msw through the real tRPC client. */
export function renderApp(path = '/') {
  const queryClient = createQueryClient();
  queryClient.setDefaultOptions({ queries: { ...queryClient.getDefaultOptions().queries, retry: false } });
  const location = memoryLocation({ path, record: true });
  const utils = render(
    <Router hook={location.hook} searchHook={location.searchHook}>
      <App queryClient={queryClient} api={createApi(API_ORIGIN)} />
    </Router>,
  );
  return { ...utils, location, queryClient };
}
