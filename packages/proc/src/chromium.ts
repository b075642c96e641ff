/** Debian's Chromium: Playwright's own browser download does not work on these machines. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// Headless Chromium as root needs no sandbox; the rest keeps it from calling out to Google's services.
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Options for playwright-core's `chromium.launch` and `chromium.launchPersistentContext`: plain
 * data, so this package needs no browser library of its own.
 */
export function chromiumOptions(executablePath = CHROMIUM): { executablePath: string; args: string[]; headless: true } {
  return { executablePath, args: [...ARGS], headless: true };
}
