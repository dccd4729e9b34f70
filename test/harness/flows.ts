/** Directus Flows for tests, created through the REST API as the admin. */
import type { Directus } from './directus.js';
import { sleep } from './time.js';

function ok<T>(res: { status: number; body: any }, what: string): T {
	if (res.status >= 300) throw new Error(`${what} failed with ${res.status}: ${JSON.stringify(res.body)}`);
	return res.body?.data as T;
}

/**
 * An active Flow with an Event Hook trigger (type action) on `scope`, whose one operation creates
 * an item of `collection` from `payload` (a template: `{{$trigger.channel}}` and so on), with
 * full permissions.
 */
export async function createItemFlow(directus: Directus, scope: string | string[], collection: string, payload: Record<string, unknown>): Promise<string> {
	return createOperationFlow(directus, scope, 'item-create', { collection, permissions: '$full', emitEvents: true, payload });
}

/** An active Flow with an Event Hook trigger (type action) on `scope` and one operation. */
export async function createOperationFlow(directus: Directus, scope: string | string[], type: string, options: Record<string, unknown>): Promise<string> {
	const flow = ok<{ id: string }>(
		await directus.request('POST', '/flows', {
			name: `log ${[scope].flat().join(', ')}`,
			status: 'active',
			trigger: 'event',
			accountability: 'all',
			options: { type: 'action', scope: [scope].flat() },
		}),
		'creating a flow',
	);
	const operation = ok<{ id: string }>(
		await directus.request('POST', '/operations', {
			flow: flow.id,
			name: 'Log',
			key: 'log',
			type,
			position_x: 19,
			position_y: 1,
			options,
		}),
		'creating an operation',
	);
	ok(await directus.request('PATCH', `/flows/${flow.id}`, { operation: operation.id }), 'linking the operation');
	return flow.id;
}

/** Reads items of `collection` matching `filter`, as the admin. */
export async function readItems<T = any>(directus: Directus, collection: string, filter: Record<string, unknown> = {}): Promise<T[]> {
	return ok<T[]>(await directus.request('GET', `/items/${collection}?limit=-1&sort=id&filter=${encodeURIComponent(JSON.stringify(filter))}`), `reading ${collection}`);
}

/** Polls `collection` until `done(rows)` holds (Flows run after the request that caused them). */
export async function waitForItems<T = any>(directus: Directus, collection: string, filter: Record<string, unknown>, done: (rows: T[]) => boolean, timeoutMs = 15_000): Promise<T[]> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const rows = await readItems<T>(directus, collection, filter);
		if (done(rows)) return rows;
		if (Date.now() > deadline) throw new Error(`${collection} never reached the expected rows; last: ${JSON.stringify(rows)}`);
		await sleep(100);
	}
}

/** The first item of `collection` whose `field` contains `text`, once one is there. */
export async function waitForItemWith<T extends Record<string, unknown> = Record<string, any>>(directus: Directus, collection: string, field: string, text: string): Promise<T> {
	const rows = await waitForItems<T>(directus, collection, {}, (r) => r.some((row) => String(row[field]).includes(text)));
	return rows.find((row) => String(row[field]).includes(text))!;
}
