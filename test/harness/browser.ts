/**
 * A real headless Chromium for the browser suites, driven with playwright-core (no bundled
 * browser: Playwright's own download does not work on these machines, so the system's Chromium
 * is used). Where no Chromium is found the suites skip with the reason, except under CI, where
 * a missing browser fails the run.
 *
 *   const chromium = chromiumOrSkip();            // at the top of a test file
 *   describe('...', { skip: chromium.skip }, () => { ... browser = await launchBrowser(); ... });
 */
import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_ARGS, findChromium } from './chromium.js';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export type { Browser, BrowserContext, Page } from 'playwright-core';

/**
 * `{ path }` of the Chromium to use, or `{ skip: reason }` for node:test when there is none.
 * Under CI (env CI set) a missing Chromium throws instead: the browser suites must run there.
 */
export function chromiumOrSkip(): { path?: string; skip: string | false } {
	const path = findChromium();
	if (path) return { path, skip: false };
	const reason =
		'no Chromium found (set RT_CHROMIUM, or install it: apt-get install -y chromium); the real-browser suites need one';
	if (process.env.CI) throw new Error(`CI runs the browser suites but ${reason}.`);
	return { skip: reason };
}

/** A headless Chromium with a fresh profile (a temp user data dir, removed on close). */
export async function launchBrowser(): Promise<Browser> {
	const executablePath = findChromium();
	if (!executablePath) throw new Error('no Chromium found (set RT_CHROMIUM)');
	return chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
}

/**
 * A page whose console errors, uncaught exceptions and failed requests are recorded, so a
 * failing assertion can say what the page went through (`diagnostics()`).
 */
export async function openPage(context: Browser | BrowserContext): Promise<{ page: Page; diagnostics: () => string }> {
	const page = await context.newPage();
	// tsx compiles the tests with esbuild's keepNames, which wraps named functions in __name(...);
	// functions handed to page.evaluate() carry those calls into the page, so define it there.
	await page.addInitScript({ content: 'globalThis.__name ??= (fn) => fn;' });
	const notes: string[] = [];
	page.on('console', (m) => {
		if (m.type() === 'error' || m.type() === 'warning') notes.push(`console.${m.type()}: ${m.text()}`);
	});
	page.on('pageerror', (e) => notes.push(`page error: ${e.message}`));
	page.on('requestfailed', (r) => notes.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText ?? ''}`));
	return { page, diagnostics: () => (notes.length ? `\npage diagnostics:\n  ${notes.slice(-30).join('\n  ')}` : '') };
}

export interface LocalServer {
	url: string;
	port: number;
	close(): Promise<void>;
}

/** Listens with `server` (or a server for `handler`) on a free port of 127.0.0.1. */
export async function listenLocally(serverOrHandler: Server | ((req: IncomingMessage, res: ServerResponse) => void)): Promise<LocalServer> {
	const server = typeof serverOrHandler === 'function' ? createServer(serverOrHandler) : serverOrHandler;
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => resolve());
	});
	const address = server.address();
	const port = typeof address === 'object' && address ? address.port : 0;
	return {
		url: `http://127.0.0.1:${port}`,
		port,
		close: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			}),
	};
}

/** A temp directory for screenshots and other artefacts of a browser suite (kept: its path is logged). */
export function artefactDir(prefix: string): string {
	return mkdtempSync(join(tmpdir(), `rt-browser-${prefix}-`));
}
