/**
 * A user id in another spelling, where the features meet: the presence binding rule, the
 * client-event sender cache and the per-sender bound.
 *
 * - The sender cache must answer each spelling as the database does. On SQLite ids compare
 *   exactly, so the upper-case spelling of a user's id is no user's (the binding rule lets any
 *   caller join under it) and its client events run as the public. A cache keyed in lower case
 *   handed that spelling the user's cached permissions (and the user the public's), for as long
 *   as the other's entry lived.
 * - Where the database takes another spelling for the caller's own id (PostgreSQL, MySQL), the
 *   member joins under the id as Directus spells it: one user is one member and one sender, not
 *   one per spelling (each spelling its own budget of client events per second).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createCollection, createUser } from '../harness/fixtures.js';
import { createOperationFlow, waitForItemWith } from '../harness/flows.js';
import { createPresenceChannel } from '../harness/presence.js';
import { startStack, type Stack } from '../harness/stack.js';
import { postWebhookEvents } from '../harness/webhooks.js';
import { sleep } from '../harness/time.js';

describe('a user id in another spelling', () => {
	let stack: Stack;

	/** One signed webhook carrying a client event per [user_id, note], in that order. */
	const clientEvents = async (events: Array<[string, string]>) => {
		const res = await postWebhookEvents(
			stack.directus,
			stack.soketi.app,
			events.map(([user_id, note]) => ({ name: 'client_event', channel: 'presence-desk-1', event: 'client-note', data: JSON.stringify({ note }), socket_id: '1.2', user_id })),
		);
		assert.equal(res.status, 200, res.text);
	};
	/** The note a client event made, once its Flow ran. */
	const noteOf = (note: string) => waitForItemWith(stack.directus, 'notes', 'note', note);

	before(async () => {
		stack = await startStack();
		const d = stack.directus;
		await createCollection(d, 'notes', [
			{ field: 'note', type: 'string' },
			{ field: 'user_created', type: 'uuid', meta: { special: ['user-created'] } },
		]);
		await createPresenceChannel(d, { collection: 'notes', channel_name: 'presence-desk-:id', authorizer: 'return { user_id: auth.user.id };', client_events: true });
		await createPresenceChannel(d, { collection: 'notes', channel_name: 'presence-as-:memberId', authorizer: 'return { user_id: params.memberId };' });
		await createOperationFlow(d, 'realtime.client_event', 'item-create', { collection: 'notes', permissions: '$trigger', emitEvents: true, payload: { note: '{{$trigger.data}}' } });
		const access = await d.request('GET', `/access?filter=${encodeURIComponent(JSON.stringify({ _and: [{ role: { _null: true } }, { user: { _null: true } }] }))}&fields=policy`);
		assert.equal(access.status, 200, access.text);
		const grant = await d.request('POST', '/permissions', { policy: access.body.data[0].policy, collection: 'notes', action: 'create', fields: ['*'], permissions: {}, validation: {} });
		assert.equal(grant.status, 200, grant.text);
	});
	after(async () => stack?.stop());

	it('never hands one spelling the permissions cached for another that the database tells apart', async () => {
		const writer = await createUser(stack.directus, { first_name: 'Cached', grants: [{ collection: 'notes', action: 'create' }] });
		const upper = writer.id.toUpperCase();
		// What the database says the upper-case spelling is: no user on SQLite, the writer elsewhere.
		const upperIs = stack.directus.db === 'sqlite' ? null : writer.id;

		await clientEvents([
			[writer.id, 'own-spelling-first'],
			[upper, 'upper-after-own'],
		]);
		assert.equal((await noteOf('own-spelling-first')).user_created, writer.id);
		assert.equal((await noteOf('upper-after-own')).user_created, upperIs, "the upper-case spelling got the writer's cached permissions");

		// Past the cache's second, the other order: the writer is not left with the public's.
		await sleep(1200);
		await clientEvents([
			[upper, 'upper-first'],
			[writer.id, 'own-spelling-after-upper'],
		]);
		assert.equal((await noteOf('upper-first')).user_created, upperIs);
		assert.equal((await noteOf('own-spelling-after-upper')).user_created, writer.id, "the writer got the permissions cached for the upper-case spelling");
	});

	it('joins a caller under their id as Directus spells it when the authorizer gives another spelling the database takes for it', async () => {
		const alice = await createUser(stack.directus, { first_name: 'Alice' });
		const upper = alice.id.toUpperCase();
		const res = await stack.directus.request('POST', '/realtime/auth', undefined, { token: alice.token, form: { socket_id: '123.456', channel_name: `presence-as-${upper}` } });
		assert.equal(res.status, 200, res.text);
		// On SQLite the spelling is no user's id (an id of the authorizer's making); elsewhere it is Alice's.
		assert.equal(JSON.parse(res.body.channel_data).user_id, stack.directus.db === 'sqlite' ? upper : alice.id);
	});
});
