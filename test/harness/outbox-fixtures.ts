/** What the outbox suites share: tickets written through REST, and the health each instance reports. */
import assert from 'node:assert/strict';
import type { Directus } from './directus.js';

/** Creates a `tickets` item per title, one after another, each answered 200. */
export async function createTickets(directus: Directus, titles: string[]): Promise<void> {
	for (const title of titles) {
		const res = await directus.request('POST', '/items/tickets', { title });
		assert.equal(res.status, 200, res.text);
	}
}

/** GET /realtime/health of one instance (as the harness' admin). */
export async function health(directus: Directus): Promise<Record<string, any>> {
	const res = await directus.request('GET', '/realtime/health');
	assert.equal(res.status, 200, res.text);
	return res.body;
}
