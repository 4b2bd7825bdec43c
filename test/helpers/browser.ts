// Debian's Chromium driven by playwright-core, started the way this machine allows: headless,
// no sandbox (root), no background networking (the network is closed), a fresh profile.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type BrowserContext, type Page, chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface TestBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A persistent context on a fresh profile directory: how Playwright takes --user-data-dir. */
export async function openBrowser(viewport?: { width: number; height: number }): Promise<TestBrowser> {
  const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-chromium-'));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    ...(viewport ? { viewport } : {}),
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      fs.rmSync(profileDir, { recursive: true, force: true });
    },
  };
}

/** Options of a CDP virtual authenticator (Chrome DevTools Protocol, WebAuthn domain). */
export interface VirtualAuthenticatorOptions {
  protocol?: 'ctap2' | 'u2f';
  transport?: 'internal' | 'usb' | 'nfc' | 'ble' | 'hybrid' | 'cable';
  hasResidentKey?: boolean;
  hasUserVerification?: boolean;
  isUserVerified?: boolean;
  automaticPresenceSimulation?: boolean;
}

export interface VirtualCredential {
  credentialId: string; // base64 (standard alphabet, as CDP gives it)
  isResidentCredential: boolean;
  rpId?: string;
  userHandle?: string; // base64
  signCount: number;
}

/** A platform authenticator that Chromium believes in, driven over CDP: a real FIDO2 peer for tests. */
export interface VirtualAuthenticator {
  id: string;
  setUserVerified(verified: boolean): Promise<void>;
  credentials(): Promise<VirtualCredential[]>;
  remove(): Promise<void>;
}

/**
 * Attaches a virtual authenticator to `page` (a passkey platform authenticator by default: CTAP2,
 * internal, resident keys, user verification that succeeds). It lives as long as the page.
 */
export async function addVirtualAuthenticator(page: Page, options: VirtualAuthenticatorOptions = {}): Promise<VirtualAuthenticator> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
      ...options,
    },
  });
  return {
    id: authenticatorId,
    async setUserVerified(verified) {
      await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: verified });
    },
    async credentials() {
      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      return credentials as VirtualCredential[];
    },
    async remove() {
      await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
    },
  };
}
