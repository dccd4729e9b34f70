import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { afterCommit } from '../../realtime-hooks/src/channel-rows.js';
import { directusBusPeers, fromAnotherInstance, ROWS_BUS_CHANNEL } from '../../realtime-hooks/src/row-announcements.js';
import { CHANNEL_COLUMNS } from '../../shared/src/channels/row.js';
import { contentSignature } from '../../shared/src/channels/source.js';
import { sleep } from '../harness/time.js';

const raw = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
	id: '6a1f0c1e-0000-4000-8000-000000000001',
	enabled: true,
	sort: 1,
	channel_name: 'private-chat-:userId',
	collection: 'chat',
	fields: ['*'],
	authorizer: 'return true;',
	publisher: 'trigger({}, "x", {});',
	trigger_on_create: true,
	trigger_on_update: true,
	trigger_on_delete: false,
	client_events: false,
	...extra,
});

/** A value of the same kind that differs. */
function other(value: unknown): unknown {
	if (typeof value === 'boolean') return !value;
	if (typeof value === 'number') return value + 1;
	if (Array.isArray(value)) return [...value, 'title'];
	return `${String(value)}x`;
}

describe('contentSignature: the rows as the registry reads them', () => {
	it('changes with every column the registry reads, and with nothing else', () => {
		const base = contentSignature([raw()]);
		for (const column of CHANNEL_COLUMNS) {
			assert.notEqual(contentSignature([raw({ [column]: other(raw()[column]) })]), base, `a change of ${column}`);
		}
		// Dates and notes are for people: the rows as the registry reads them have none.
		assert.equal(contentSignature([raw({ date_updated: new Date(), note: 'hi' })]), base);
		assert.equal(contentSignature([raw()]), base);
	});

	it('tells a reorder, a disable and a null script apart from what they were', () => {
		const a = raw({ id: 'a', sort: 1 });
		const b = raw({ id: 'b', sort: 2 });
		const sig = contentSignature([a, b]);
		assert.notEqual(contentSignature([{ ...a, sort: 2 }, { ...b, sort: 1 }]), sig);
		assert.notEqual(contentSignature([{ ...a, enabled: false }, b]), sig);
		assert.notEqual(contentSignature([{ ...a, authorizer: null }, b]), contentSignature([{ ...a, authorizer: '' }, b]));
		assert.notEqual(contentSignature([a]), sig, 'a row fewer');
	});

	it('does not let values run into each other', () => {
		assert.notEqual(contentSignature([raw({ authorizer: 'ab', publisher: 'c' })]), contentSignature([raw({ authorizer: 'a', publisher: 'bc' })]));
		assert.notEqual(contentSignature([raw({ sort: 1 })]), contentSignature([raw({ sort: '1' })]));
	});

	it('takes large script text (8 MB) without copying it into one string', () => {
		const big = 'x'.repeat(8 * 1024 * 1024);
		const started = Date.now();
		const sig = contentSignature([raw({ publisher: big })]);
		assert.notEqual(contentSignature([raw({ publisher: `${big.slice(1)}y` })]), sig);
		assert.ok(Date.now() - started < 2000);
	});
});

describe("row announcements over Directus' bus", () => {
	function fakeBus() {
		const published: unknown[] = [];
		const handlers: Array<(m: unknown) => void> = [];
		return {
			published,
			deliver: (m: unknown) => handlers.forEach((h) => h(m)),
			bus: {
				publish: async (channel: string, message: unknown) => {
					assert.equal(channel, ROWS_BUS_CHANNEL);
					published.push(message);
					// Redis hands a publisher its own messages too.
					handlers.forEach((h) => h(JSON.parse(JSON.stringify(message))));
				},
				subscribe: async (channel: string, callback: (m: unknown) => void) => {
					assert.equal(channel, ROWS_BUS_CHANNEL);
					handlers.push(callback);
				},
			},
		};
	}
	const tick = () => new Promise((resolve) => setImmediate(resolve));

	it('is off without a Redis bus', async () => {
		assert.equal(await directusBusPeers({ warn: () => {} }, async () => null), null);
	});

	it('announces once per turn of the event loop, and does not hear itself', async () => {
		const fake = fakeBus();
		const peers = (await directusBusPeers({ warn: () => {} }, async () => fake.bus))!;
		let heard = 0;
		peers.listen(() => heard++);
		for (let i = 0; i < 1000; i++) peers.announce();
		await tick();
		await tick();
		assert.equal(fake.published.length, 1);
		assert.equal(heard, 0, 'its own message came back and was ignored');
		fake.deliver({ origin: 'another-instance' });
		assert.equal(heard, 1);
	});

	it('ignores messages that are not announcements', () => {
		for (const message of [null, undefined, 5, 'x', [], {}, { origin: 5 }, { origin: '' }, { origin: 'x'.repeat(65) }]) {
			assert.equal(fromAnotherInstance(message, 'self'), false, JSON.stringify(message));
		}
		assert.equal(fromAnotherInstance({ origin: 'self' }, 'self'), false);
		assert.equal(fromAnotherInstance({ origin: 'other' }, 'self'), true);
	});

	it('says so and keeps going when publishing fails', async () => {
		const warnings: string[] = [];
		const peers = (await directusBusPeers({ warn: (m) => warnings.push(m) }, async () => ({
			publish: async () => {
				throw new Error('redis down');
			},
			subscribe: async () => {},
		})))!;
		peers.announce();
		await tick();
		await tick();
		assert.match(warnings.join('\n'), /redis down/);
	});
});

describe('afterCommit', () => {
	it('waits for an open transaction to end, and not for anything else', async () => {
		let commit!: () => void;
		const executionPromise = new Promise<void>((resolve) => (commit = resolve));
		let completed = false;
		const trx = { isTransaction: true, isCompleted: () => completed, executionPromise };
		let done = false;
		const waiting = afterCommit(trx).then(() => (done = true));
		await sleep(10);
		assert.equal(done, false);
		completed = true;
		commit();
		await waiting;
		assert.equal(done, true);
		await afterCommit(undefined);
		await afterCommit({ isTransaction: false });
		// A rolled-back transaction ends too.
		await afterCommit({ isTransaction: true, isCompleted: () => false, executionPromise: Promise.reject(new Error('rolled back')) });
	});
});
