/**
 * A real headless Chromium for tests (Debian's `chromium`, driven by
 * playwright-core; `npm run setup` installs it where it can). Where there is
 * no browser the tests that need one fail with one line saying how to get
 * it: a browser check never passes without a browser.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';

const CANDIDATES = [process.env.MAS2_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean) as string[];

export const CHROMIUM = CANDIDATES.find((p) => fs.existsSync(p));
export const NO_BROWSER = 'no Chromium for the browser checks: run `npm run setup` as root (it installs Debian\'s chromium), or `apt-get update && apt-get install -y chromium`, or set MAS2_CHROMIUM=/path/to/chromium';

/** Loopback only, nothing phoning home. */
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function launchBrowser(): Promise<Browser> {
  if (!CHROMIUM) throw new Error(NO_BROWSER);
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
}

export const ARTIFACTS = path.join(__dirname, '..', 'artifacts');

export function artifactPath(name: string): string {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return path.join(ARTIFACTS, name);
}
