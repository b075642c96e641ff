import { chromiumOptions } from '@shop/proc';
import { type Browser, chromium } from 'playwright-core';

export function launchBrowser(executablePath?: string): Promise<Browser> {
  return chromium.launch(chromiumOptions(executablePath));
}
