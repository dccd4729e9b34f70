/**
 * The replies the Realtime module reads, as the server's own functions build them, parse with
 * the schemas of shared/src/wire.ts: health (runtime counters, row overview), tail, dry-runs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Knex } from 'knex';
import { dryRunAuthorizer } from '../../shared/src/admin/authorizer-dry-run.js';
import { channelRowsOverview } from '../../shared/src/admin/overview.js';
import { dryRunPublisher } from '../../shared/src/admin/publisher-dry-run.js';
import { ChannelRegistry } from '../../shared/src/channels/registry.js';
import { normalizeRow } from '../../shared/src/channels/source.js';
import { DeliveryActivity } from '../../shared/src/delivery/activity.js';
import { PublishQueue } from '../../shared/src/delivery/queue.js';
import { ReadCoalescer } from '../../shared/src/items/coalesce.js';
import { runtimeStats, type RealtimeRuntime } from '../../shared/src/runtime.js';
import { WebhookCounters } from '../../shared/src/webhooks/actions.js';
import * as wire from '../../shared/src/wire.js';
import { testSandbox } from '../harness/sandbox.js';

const sandbox = testSandbox({ timeoutMs: 1000, memoryMb: 32 });

const USER = '6f1c1b1e-7a57-4c2e-9d0b-1f2a3b4c5d6e';

/** The rows table as channelRowsOverview and the row loader read it. */
const TABLE = [
	{ id: 'r-public', enabled: true, channel_name: 'chat-:id', collection: 'chat', fields: '["*"]', trigger_on_create: true, publisher: 'console.log("to", meta.key); trigger({ id: meta.key }, "saved", { id: meta.key })' },
	{ id: 'r-presence', enabled: true, channel_name: 'presence-room-:id', collection: 'chat', fields: '["*"]', authorizer: 'console.info("joining"); return { user_id: auth.user.id, user_info: { name: "Ann" } }' },
	{ id: 'r-broken', enabled: false, channel_name: 'private-:x', collection: 'chat', fields: '["*"]', publisher: 'throw new Error("boom")' },
];
const ROWS = TABLE.map(normalizeRow);

const database = (() => ({ select: async () => TABLE })) as unknown as Knex;
const registry = new ChannelRegistry({ load: async () => ROWS.filter((r) => r.enabled), signature: async () => '1' }, { checkIntervalMs: 60_000, warn: () => {} });
const loadRow = async (id: string) => ROWS.find((r) => r.id === id) ?? null;

function activity(): DeliveryActivity {
	const activity = new DeliveryActivity();
	activity.queued('r-public', { channel: 'chat-1', name: 'saved', data: '{"id":1}', source: 'test' });
	activity.queued(null, { channel: 'private-encrypted-x', name: 'flow', data: '{}', source: 'test' });
	activity.failed('r-broken', { message: 'Error: boom', line: 1, column: 7 });
	activity.clientEvent('r-presence', true);
	return activity;
}

const publisherDeps = {
	registry,
	scripts: sandbox,
	loadRow,
	collectionExists: (collection: string) => collection === 'chat',
	readItem: async (_collection: string, key: string | number) => ({ id: key, text: 'hi' }),
	maxPayloadBytes: 10_240,
	encryption: false,
	envelope: false,
	user: USER,
};

const authorizerDeps = {
	registry,
	scripts: sandbox,
	loadRow,
	caller: async (user: string) => ({ user: { id: user }, role: null, roles: [], admin: false, app: false, ip: null, userAgent: null, permissions: [] }),
	refusedBefore: async () => null,
	directusUserNamed: async (id: string) => id,
	helpers: async () => ({ can: async () => false, query: async () => [] }),
	permissionDecision: async () => ({ granted: false as const, reason: 'not in this test' }),
	userInfo: async () => ({}),
};

describe('the wire schemas describe the server\'s replies', () => {
	it('health for admins: the runtime\'s counters, the Pusher probe and the row overview', async () => {
		const runtime = {
			queue: new PublishQueue(async () => {}, { retryForMs: 1000, maxQueued: 10, logger: { warn: () => {}, error: () => {} } }),
			reads: new ReadCoalescer(),
			webhooks: new WebhookCounters(),
		} as unknown as RealtimeRuntime;
		const rows = await channelRowsOverview(database, activity());
		const reply = { status: 'ok', ...runtimeStats(runtime), pusher: { reachable: false, latency_ms: 3, error: 'connect ECONNREFUSED' }, rows };
		assert.deepEqual(wire.adminHealthReply.parse(reply), reply);
		assert.equal(wire.healthReply.safeParse(reply).success, true);
		assert.deepEqual(rows.map((r) => [r.id, r.type, r.order, r.counters.errors]), [
			['r-presence', 'presence', 1, 0],
			['r-broken', 'private', null, 1],
			['r-public', 'public', 1, 0],
		]);
	});

	it('health for anyone else: the bare status, and nothing more', () => {
		assert.equal(wire.healthReply.safeParse({ status: 'ok' }).success, true);
		assert.equal(wire.publicHealthReply.safeParse({ status: 'ok', rows: [] }).success, false);
	});

	it('tail: the kept events and the last seq, encrypted previews null', () => {
		const reply = activity().since(0);
		assert.deepEqual(wire.tailReply.parse(reply), reply);
		assert.deepEqual(reply.data.map((e) => e.preview), ['{"id":1}', null]);
	});

	it('a publisher dry-run: events, console lines and no error', async () => {
		const answer = await dryRunPublisher({ kind: 'publisher', source: { row: 'r-public' }, action: 'create', key: 7, changed: null }, publisherDeps);
		assert.deepEqual(wire.publisherDryRunReply.parse({ data: answer }), { data: answer });
		assert.deepEqual(answer.events, [{ channel: 'chat-7', event: 'saved', data: { id: 7 } }]);
		assert.deepEqual(answer.logs, [{ level: 'log', message: 'to 7' }]);
	});

	it('a publisher dry-run whose script throws: the error with its line and column', async () => {
		const answer = await dryRunPublisher(
			{ kind: 'publisher', source: { script: 'throw new Error("boom")', pattern: 'chat-:id' }, collection: 'chat', fields: ['*'], action: 'delete', key: 'a', changed: null },
			publisherDeps,
		);
		assert.deepEqual(wire.dryRunReply.parse({ data: answer }), { data: answer });
		assert.match(answer.error?.message ?? '', /boom/);
	});

	it('an authorizer dry-run: the decision, the presence member, the deciding row and the console lines', async () => {
		const answer = await dryRunAuthorizer({ kind: 'authorizer', source: { row: 'r-presence' }, channel_name: 'presence-room-1', user: USER, socket_id: '1.2' }, authorizerDeps);
		assert.deepEqual(wire.authorizerDryRunReply.parse({ data: answer }), { data: answer });
		assert.deepEqual(answer, { granted: true, channel_data: { user_id: USER, user_info: { name: 'Ann' } }, matched_row: 'r-presence', logs: [{ level: 'info', message: 'joining' }], error: null });
	});

	it('refuses a reply with a field the schemas do not know, so a new field is added here first', () => {
		const reply = activity().since(0);
		assert.equal(wire.tailReply.safeParse({ ...reply, more: true }).success, false);
	});
});
