import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authorizeChannel, type ChannelAuthDeps } from '../../shared/src/auth/channel-auth.js';
import { ChannelRegistry } from '../../shared/src/channels/registry.js';
import type { ChannelRow } from '../../shared/src/channels/row.js';
import type { PusherApp } from '../../shared/src/pusher/app.js';

function row(id: string, channel_name: string, authorizer: string | null, sort: number | null = null): ChannelRow {
	return {
		id,
		enabled: true,
		sort,
		channel_name,
		collection: 'chat',
		fields: ['*'],
		authorizer,
		publisher: null,
		trigger_on_create: false,
		trigger_on_update: false,
		trigger_on_delete: false,
		client_events: false,
		authorize: 'script',
		presence_user_fields: [],
		event_names: { created: 'created', updated: 'updated', deleted: 'deleted' },
	};
}

/** Authorizers are named by what they do; the fake runner maps each name to its outcome. */
const OUTCOMES: Record<string, () => unknown> = {
	grant: () => true,
	null: () => null,
	undefined: () => undefined,
	false: () => false,
	other: () => 'yes',
	throw: () => {
		throw new Error('boom');
	},
};

function setup(rows: ChannelRow[]) {
	const ran: string[] = [];
	const logs: string[] = [];
	const deps: ChannelAuthDeps = {
		registry: new ChannelRegistry({ load: async () => rows, signature: async () => '1' }, { checkIntervalMs: 60_000, warn: () => {} }),
		scripts: {
			run: async ({ source, context }) => {
				ran.push(`${source}@${(context as { channel_name: string }).channel_name}`);
				return OUTCOMES[source]!();
			},
		},
		pusher: { signChannel: (_socket: string, channel: string) => ({ auth: `signed:${channel}` }) } as unknown as PusherApp,
		encryption: true,
		caller: async () => ({ user: { id: 'u1' }, role: null, roles: [], admin: false, app: false, ip: null, userAgent: null, permissions: [] }),
		helpers: { can: async () => false, query: async () => [] },
		directusUserNamed: async () => null,
		log: { info: (m) => logs.push(m), warn: (m) => logs.push(m) },
	};
	const ask = (channel_name: string) => authorizeChannel({ socket_id: '1.2', channel_name }, 'u1', deps);
	return { ran, logs, ask };
}

const refused = { code: 'FORBIDDEN', message: 'not allowed to join this channel' };

describe('what of the caller a join reads', () => {
	function reading(rows: ChannelRow[]) {
		const reads: string[] = [];
		const deps: ChannelAuthDeps = {
			registry: new ChannelRegistry({ load: async () => rows, signature: async () => '1' }, { checkIntervalMs: 60_000, warn: () => {} }),
			scripts: { run: async ({ source }) => (source.includes('grant') ? true : null) },
			pusher: { signChannel: (_socket: string, channel: string) => ({ auth: `signed:${channel}` }) } as unknown as PusherApp,
			encryption: true,
			caller: async (withPermissions, withUserAliases) => {
				reads.push(`permissions:${withPermissions} aliases:${withUserAliases}`);
				return { user: { id: 'u1' }, role: null, roles: [], admin: false, app: false, ip: null, userAgent: null, permissions: [] };
			},
			readsUserAliases: (source) => source.includes('policies'),
			helpers: { can: async () => false, query: async () => [] },
			directusUserNamed: async () => null,
			log: { info: () => {}, warn: () => {} },
		};
		return { reads, ask: (channel_name: string) => authorizeChannel({ socket_id: '1.2', channel_name }, 'u1', deps) };
	}

	it('asks for the user\'s aliases and permissions only for a script that names them', async () => {
		const { reads, ask } = reading([row('plain', 'private-:name', 'grant')]);
		await ask('private-lobby');
		assert.deepEqual(reads, ['permissions:false aliases:false']);
		const named = reading([row('named', 'private-:name', 'grant: auth.user.policies.length > 0 && auth.permissions')]);
		await named.ask('private-lobby');
		assert.deepEqual(named.reads, ['permissions:true aliases:true']);
	});

	it('reads the caller again for a later row only when it needs more than the earlier one read', async () => {
		const more = reading([row('first', 'private-chat-:id', 'pass'), row('second', 'private-:name', 'grant if auth.user.policies')]);
		await more.ask('private-chat-1');
		assert.deepEqual(more.reads, ['permissions:false aliases:false', 'permissions:false aliases:true']);
		const less = reading([row('first', 'private-chat-:id', 'pass on auth.user.policies'), row('second', 'private-:name', 'grant')]);
		await less.ask('private-chat-1');
		assert.deepEqual(less.reads, ['permissions:false aliases:true']);
	});
});

describe('which matching row decides at /realtime/auth', () => {
	it('passes to the next matching row only when an authorizer returns null', async () => {
		const { ran, ask } = setup([row('specific', 'private-chat-:id', 'null'), row('lobby', 'private-:name', 'grant')]);
		assert.deepEqual(await ask('private-chat-1'), { auth: 'signed:private-chat-1' });
		assert.deepEqual(ran, ['null@private-chat-1', 'grant@private-chat-1']);
	});

	for (const final of ['undefined', 'false', 'other', 'throw']) {
		it(`stops at an authorizer whose answer is ${final}, even when a later row would grant`, async () => {
			const { ran, ask } = setup([row('specific', 'private-chat-:id', final), row('lobby', 'private-:name', 'grant')]);
			await assert.rejects(ask('private-chat-1'), refused);
			assert.deepEqual(ran, [`${final}@private-chat-1`]);
		});
	}

	it('stops at a matching row without an authorizer', async () => {
		const { ran, ask } = setup([row('specific', 'private-chat-:id', null), row('lobby', 'private-:name', 'grant')]);
		await assert.rejects(ask('private-chat-1'), refused);
		assert.deepEqual(ran, []);
	});

	it('refuses when every matching row returned null, and logs it', async () => {
		const { logs, ask } = setup([row('a', 'private-chat-:id', 'null'), row('b', 'private-:name', 'null')]);
		await assert.rejects(ask('private-chat-1'), refused);
		assert.match(logs.at(-1)!, /every matching row returned null \(channel row a .*, channel row b /);
	});

	it('answers "no row matches" and "refused" alike; only the log tells them apart', async () => {
		const { logs, ask } = setup([row('refuses', 'private-refuses', 'false')]);
		const noMatch = await ask('private-nothing').catch((e) => e);
		const refusal = await ask('private-refuses').catch((e) => e);
		assert.deepEqual([noMatch.code, noMatch.message], [refusal.code, refusal.message]);
		assert.match(logs[0]!, /refused private-nothing for user u1: no channel row matches/);
		assert.match(logs[1]!, /refused private-refuses for user u1: by channel row refuses \(private-refuses\)/);
	});

	it('follows sort before specificity', async () => {
		const { ran, ask } = setup([row('specific', 'private-chat-:id', 'false'), row('lobby', 'private-:name', 'grant', 1)]);
		assert.deepEqual(await ask('private-chat-1'), { auth: 'signed:private-chat-1' });
		assert.deepEqual(ran, ['grant@private-chat-1']);
	});

	it('never asks a private row about an encrypted name', async () => {
		const { ran, ask } = setup([row('lobby', 'private-:name', 'grant')]);
		await assert.rejects(ask('private-encrypted-doc'), refused);
		assert.deepEqual(ran, []);
	});

	it('answers a cache channel only from rows of its cache kind, exactly as for its type', async () => {
		const { ran, ask } = setup([row('plain', 'private-:name', 'grant'), row('cached', 'private-cache-:name', 'grant')]);
		assert.deepEqual(await ask('private-cache-lobby'), { auth: 'signed:private-cache-lobby' });
		assert.deepEqual(await ask('private-lobby'), { auth: 'signed:private-lobby' });
		assert.deepEqual(ran, ['grant@private-cache-lobby', 'grant@private-lobby']);
	});

	it('never asks a plain row about a cache name, nor a cache row about a plain name', async () => {
		const plain = setup([row('plain', 'private-:name', 'grant')]);
		await assert.rejects(plain.ask('private-cache-lobby'), refused);
		const cached = setup([row('cached', 'private-cache-:name', 'grant')]);
		await assert.rejects(cached.ask('private-lobby'), refused);
		assert.deepEqual([...plain.ran, ...cached.ran], []);
	});

	it('refuses to authorize a public cache channel, as any public one', async () => {
		const { ask } = setup([row('cached', 'cache-:name', 'grant')]);
		await assert.rejects(ask('cache-news'), { code: 'PUBLIC_CHANNEL' });
	});
});
