import { cleanup, configure } from '@testing-library/react';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { live, server } from './msw.ts';

// The first render of a lazy route compiles its chunk: on a busy machine that alone can take over
// the default second. A wait only ends early when its condition holds, so a longer bound costs nothing.
configure({ asyncUtilTimeout: 5_000 });

beforeAll(() => server.listen({ onUnhandledFrame: 'error' }));
afterEach(() => {
  cleanup();
  server.resetHandlers();
  live.reset();
});
afterAll(() => server.close());
