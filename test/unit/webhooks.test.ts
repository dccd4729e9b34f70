/** The webhook's verification and its events as actions, pure. */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { RealtimeError } from '../../shared/src/errors.js';
import { webhookActions, WebhookCounters } from '../../shared/src/webhooks/actions.js';
import { verifyWebhook } from '../../shared/src/webhooks/verify.js';

const app = { key: 'app-key', secret: 'the-secret' };
const sign = (body: string, secret = app.secret) => createHmac('sha256', secret).update(body).digest('hex');
const code = (fn: () => unknown) => {
	try {
		fn();
	} catch (error) {
		return (error as RealtimeError).code;
	}
	return 'none';
};

describe('webhook verification', () => {
	const body = JSON.stringify({ time_ms: 1, events: [{ name: 'member_added', channel: 'presence-a', user_id: 'u1' }] });

	it('accepts the raw bytes signed with the app secret, in either case of hex', () => {
		assert.deepEqual(verifyWebhook(Buffer.from(body), { key: 'app-key', signature: sign(body) }, app).events, [{ name: 'member_added', channel: 'presence-a', user_id: 'u1' }]);
		assert.equal(verifyWebhook(Buffer.from(body), { key: 'app-key', signature: sign(body).toUpperCase() }, app).time_ms, 1);
	});

	it('signs bytes, not a re-serialisation: the same JSON spaced differently does not pass', () => {
		const spaced = body.replace(':', ': ');
		assert.equal(code(() => verifyWebhook(Buffer.from(spaced), { key: 'app-key', signature: sign(body) }, app)), 'INVALID_SIGNATURE');
	});

	it('refuses missing headers, another key, another secret, a malformed signature', () => {
		assert.equal(code(() => verifyWebhook(Buffer.from(body), { key: undefined, signature: sign(body) }, app)), 'UNAUTHENTICATED');
		assert.equal(code(() => verifyWebhook(Buffer.from(body), { key: 'app-key', signature: undefined }, app)), 'UNAUTHENTICATED');
		assert.equal(code(() => verifyWebhook(Buffer.from(body), { key: 'app-kez', signature: sign(body) }, app)), 'INVALID_SIGNATURE');
		assert.equal(code(() => verifyWebhook(Buffer.from(body), { key: 'app-key', signature: sign(body, 'app-secret') }, app)), 'INVALID_SIGNATURE');
		assert.equal(code(() => verifyWebhook(Buffer.from(body), { key: 'app-key', signature: `${sign(body)}00` }, app)), 'INVALID_SIGNATURE');
		assert.equal(code(() => verifyWebhook(Buffer.from(body), { key: 'app-key', signature: 'g'.repeat(64) }, app)), 'INVALID_SIGNATURE');
	});

	it('refuses signed bodies that are not Pusher\'s shape', () => {
		for (const bad of ['{', '[]', '{"time_ms":1}', '{"time_ms":1,"events":[{"name":"x"}]}', '{"time_ms":1,"events":[null]}']) {
			assert.equal(code(() => verifyWebhook(Buffer.from(bad), { key: 'app-key', signature: sign(bad) }, app)), 'INVALID_PAYLOAD', bad);
		}
	});
});

describe('webhook events as actions', () => {
	const rows: Record<string, boolean> = { 'presence-open': true, 'private-closed': false };
	const snapshot = { match: (name: string) => (name in rows ? ({ channel: { row: { client_events: rows[name] } } } as any) : null) };

	it('names actions realtime.<name>, with the fields given and time_ms', () => {
		const out = webhookActions({ time_ms: 7, events: [{ name: 'member_added', channel: 'presence-open', user_id: 'u' }] }, snapshot);
		assert.deepEqual(out.actions, [{ name: 'realtime.member_added', payload: { channel: 'presence-open', user_id: 'u', time_ms: 7 } }]);
	});

	it('passes client events only for channels whose deciding row opened them, and counts the rest', () => {
		const client = (channel: string) => ({ name: 'client_event', channel, event: 'client-typing', data: '{}', socket_id: '1.2' });
		const out = webhookActions({ time_ms: 1, events: [client('presence-open'), client('private-closed'), client('private-no-row'), { name: 'future_thing', channel: 'x' }] }, snapshot);
		assert.deepEqual(out.actions.map((a) => a.payload.channel), ['presence-open']);
		assert.equal(out.closedClientEvents, 2);
		assert.equal(out.unknownEvents, 1);
		const counters = new WebhookCounters();
		counters.count(out);
		assert.deepEqual(counters.stats(), { received: 1, refused: 0, emitted: 1, dropped_client_events: 2, unknown_events: 1 });
	});
});
