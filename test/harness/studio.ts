/**
 * The Data Studio (Directus' own Vue app) in a real headless Chromium, as the Studio suites use
 * it: a page with a generous wait, optionally past Directus 12's licensing dialogs, a log-in as
 * an admin types it, and waits that fail with a screenshot and what the page logged.
 *
 *   studio = await openStudio(stack.directus.url, { artefacts: 'data-studio', dismissLicensing: true });
 *   await studio.logIn();
 *   await studio.seen('the channel list', () => studio.page.waitForURL(/realtime_channels/));
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { artefactDir, launchBrowser, openPage, type Browser, type BrowserContext, type Page } from './browser.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from './directus.js';

/** The Studio is a large app; on a 2-core machine a view can take several seconds to appear. */
export const STUDIO_WAIT = 30_000;

export interface StudioOptions {
	/** Prefix of the folder the screenshots go to (see artefactDir). */
	artefacts: string;
	viewport?: { width: number; height: number };
	/**
	 * Answer Directus 12's licensing dialogs ("Have a license key?", "You have not set a project
	 * owner") as an admin would. Off where the project's own settings must keep them away.
	 */
	dismissLicensing?: boolean;
}

export interface Studio {
	browser: Browser;
	context: BrowserContext;
	page: Page;
	/** What the page logged: console errors, uncaught exceptions, failed requests. */
	diagnostics: () => string;
	/** The folder of this suite's screenshots. */
	shots: string;
	/** Waits for `what`; on a time-out, fails with a screenshot of `where` and what the page logged. */
	seen(what: string, wait: () => Promise<unknown>, where?: Page): Promise<void>;
	/** Logs in through the Studio's login form and waits for the content module. */
	logIn(email?: string, password?: string, where?: Page): Promise<void>;
	/** Directus 12 asks for a project owner again after each login; this remembers "later" for the session. */
	dismissOwnerReminder(): Promise<void>;
	close(): Promise<void>;
}

export async function openStudio(directusUrl: string, options: StudioOptions): Promise<Studio> {
	const shots = artefactDir(options.artefacts);
	const browser = await launchBrowser();
	try {
		// With reduced motion the login view's animated WebGL background stays still: rendered in
		// software here, it would take most of the CPU while the test types.
		const context = await browser.newContext({ viewport: options.viewport ?? { width: 1400, height: 1000 }, reducedMotion: 'reduce' });
		const { page, diagnostics } = await openPage(context);
		page.setDefaultTimeout(STUDIO_WAIT);
		const dismissOwnerReminder = () => context.addCookies([{ name: 'license-banner-dismissed', value: 'true', url: directusUrl }]);
		if (options.dismissLicensing) {
			// The first dialog is remembered in a cookie that survives login, the second is asked again
			// after each login (dismissOwnerReminder). Handlers catch them should they appear anyway.
			await context.addCookies([{ name: 'license-onboarding-dismissed', value: 'true', url: directusUrl }]);
			await page.addLocatorHandler(page.getByText('Have a license key?'), () => page.getByRole('button', { name: 'Skip' }).click());
			await page.addLocatorHandler(page.getByText('You have not set a project owner'), () => page.getByRole('button', { name: 'Remind Later' }).click());
		}

		const seen: Studio['seen'] = async (what, wait, where = page) => {
			try {
				await wait();
			} catch (error) {
				const path = join(shots, `failed-${what.replace(/\W+/g, '-')}.png`);
				await where.screenshot({ path, fullPage: true }).catch(() => undefined);
				assert.fail(`the Studio did not show ${what} (screenshot: ${path}): ${(error as Error).message.split('\n')[0]}${diagnostics()}`);
			}
		};

		const logIn: Studio['logIn'] = async (email = ADMIN_EMAIL, password = ADMIN_PASSWORD, where = page) => {
			await where.goto(`${directusUrl}/admin/login`);
			await seen('the login form', () => where.locator('input[type=email]').waitFor(), where);
			await where.fill('input[type=email]', email);
			await where.fill('input[type=password]', password);
			await where.click('button[type=submit]');
			await seen('the content module after login', () => where.waitForURL(/\/admin\/content/), where);
			if (options.dismissLicensing) await dismissOwnerReminder();
		};

		return { browser, context, page, diagnostics, shots, seen, logIn, dismissOwnerReminder, close: () => browser.close() };
	} catch (error) {
		await browser.close();
		throw error;
	}
}
