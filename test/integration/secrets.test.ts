import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectClient, disconnectAll, EventLog, subscribe, type PusherClient } from '../harness/clients.js';
import { connectDatabase } from '../harness/databases.js';
import { ADMIN_TOKEN } from '../harness/directus.js';
import { createChannel, createCollection, createItem, createRelationM2O, type TestUser } from '../harness/fixtures.js';
import { createPresenceChannel } from '../harness/presence.js';
import type { Stack } from '../harness/stack.js';
import { startStackWithUsers } from '../harness/stack-users.js';
import { keysOf } from '../harness/json.js';

const SECRET_KEYS = ['password', 'token', 'tfa_secret', 'auth_data', 'pin'];
const AUTH_DATA = 'sso-refresh-token-7d2f91';
const TFA_SECRET = 'JBSWY3DPEHPK3PXPTFASECRET';
const PIN = 'plain-pin-98765';


describe('secrets never reach a channel, a script\'s answer or the log', () => {
	let stack: Stack;
	let ada: TestUser;
	let secrets: string[];
	const clients: PusherClient[] = [];

	const assertClean = (json: unknown, what: string) => {
		const text = typeof json === 'string' ? json : JSON.stringify(json);
		for (const secret of secrets) assert.ok(!text.includes(secret), `${what} carries a secret value (${secret.slice(0, 12)}…): ${text.slice(0, 400)}`);
		const keys = keysOf(typeof json === 'string' ? JSON.parse(json) : json);
		for (const key of SECRET_KEYS) assert.ok(!keys.has(key), `${what} carries the field ${key}`);
	};

	before(async () => {
		({
			stack,
			users: { ada },
		} = await startStackWithUsers({
			directus: { env: { RT_MAX_PAYLOAD_KB: '100' } },
			prepare: async (d) => {
				await createCollection(d, 'letters', [
					{ field: 'text', type: 'string' },
					{ field: 'recipient', type: 'uuid' },
					{ field: 'pin', type: 'hash', meta: { special: ['hash', 'conceal'], interface: 'input-hash' } },
				]);
				await createRelationM2O(d, 'letters', 'recipient', 'directus_users');
			},
			users: {
				ada: {
					first_name: 'Ada',
					grants: [
						{ collection: 'letters', action: 'read' },
						{ collection: 'directus_users', action: 'read' },
						{ collection: 'directus_roles', action: 'read' },
					],
				},
			},
		}));
		const d = stack.directus;
		// What an SSO login and a 2FA set-up leave on the user row; the API does not write these.
		const db = connectDatabase(d.dbEnv);
		try {
			await db('directus_users').where({ id: ada.id }).update({ auth_data: JSON.stringify({ refresh_token: AUTH_DATA }), tfa_secret: TFA_SECRET });
			const hashes = (await db('directus_users').select('password')).map((r: { password: string }) => r.password);
			secrets = [AUTH_DATA, TFA_SECRET, ada.token, ada.password, ADMIN_TOKEN, PIN, ...hashes];
		} finally {
			await db.destroy();
		}
		const common = { collection: 'letters', trigger_on_create: true, trigger_on_update: true, trigger_on_delete: true };
		await createChannel(d, { ...common, channel_name: 'letters-star', fields: ['*', 'recipient.*'], publisher: 'trigger({}, action, meta);' });
		await createChannel(d, { ...common, channel_name: 'letters-deep', fields: ['*.*.*'], publisher: 'trigger({}, action, meta.payload);' });
		// o2m: the users of the recipient's role, full rows.
		await createChannel(d, { ...common, channel_name: 'letters-o2m', fields: ['id', 'recipient.role.users.*'], publisher: 'trigger({}, action, meta.payload);' });
		// Everything an authorizer can see, dumped: through presence user_info (1 KB per member, so
		// in slices by a parameter), and through a thrown message (to the log).
		const dump = `const dump = JSON.stringify({
			auth,
			users: await query('directus_users', { fields: ['*', 'role.*', 'role.users.*'] }),
			letters: await query('letters', { fields: ['*', 'recipient.*', 'recipient.role.users.*'] }),
		});`;
		await createPresenceChannel(d, {
			channel_name: 'presence-dump-:part(\\d+)',
			collection: 'letters',
			authorizer: `${dump}\nconst start = Number(params.part) * 600;\nreturn { user_id: auth.user.id, user_info: { more: dump.length > start + 600, text: dump.slice(start, start + 600) } };`,
		});
		// A thrown message is cut at 2000 characters: this one puts what could leak first.
		await createChannel(d, {
			channel_name: 'private-dump-throws',
			collection: 'letters',
			publisher: null,
			authorizer: `const letters = await query('letters', { fields: ['id', 'recipient.first_name', 'recipient.auth_data', 'recipient.token', 'recipient.tfa_secret'] });
throw new Error('dump ' + JSON.stringify({ me: [auth.user.first_name, auth.user.auth_data, auth.user.token], letters }));`,
		});

	});

	after(async () => {
		disconnectAll(...clients);
		await stack?.stop();
	});

	it('a publisher reading fields ["*", "recipient.*"], ["*.*.*"] or an o2m of users sends users without their secrets', async () => {
		const client = await connectClient(stack.soketi, { signWith: stack.pusher });
		clients.push(client);
		const star = await subscribe(client, 'letters-star');
		const deep = await subscribe(client, 'letters-deep');
		const o2m = await subscribe(client, 'letters-o2m');
		const logs = {
			star: { create: new EventLog(star, 'create'), update: new EventLog(star, 'update') },
			deep: { create: new EventLog(deep, 'create'), update: new EventLog(deep, 'update'), delete: new EventLog(deep, 'delete') },
			o2m: { create: new EventLog(o2m, 'create') },
		};
		const letter = await createItem(stack.directus, 'letters', { text: 'for Ada', recipient: ada.id, pin: PIN });
		const [created] = await logs.star.create.waitFor(1);
		assert.equal(created.payload.recipient.first_name, 'Ada', 'the recipient was read');
		assertClean(created, 'the create event (meta)');
		const [deepCreated] = await logs.deep.create.waitFor(1);
		assert.equal(deepCreated.recipient.first_name, 'Ada', 'the recipient was read');
		assert.equal(typeof deepCreated.recipient.role, 'object', 'and its role');
		assertClean(deepCreated, 'the *.*.* create event');
		const [o2mCreated] = await logs.o2m.create.waitFor(1);
		assert.equal(o2mCreated.recipient.role.users[0].first_name, 'Ada', 'an o2m three levels down was read');
		assertClean(o2mCreated, 'the o2m create event');

		// An update's delta is as sent: the plain text of a hashed field.
		assert.equal((await stack.directus.request('PATCH', `/items/letters/${letter.id}`, { text: 'changed', pin: PIN })).status, 200);
		const [updated] = await logs.star.update.waitFor(1);
		assert.deepEqual(updated.changed, { text: 'changed' });
		assertClean(updated, 'the update event (meta.changed)');
		assertClean((await logs.deep.update.waitFor(1))[0], 'the *.*.* update event');

		assert.equal((await stack.directus.request('DELETE', `/items/letters/${letter.id}`)).status, 204);
		assertClean((await logs.deep.delete.waitFor(1))[0], 'the *.*.* delete event');
	});

	it('an authorizer dumping auth and query() results through presence user_info shows no secret', async () => {
		// A letter that stays, for the authorizers' queries.
		await createItem(stack.directus, 'letters', { text: 'kept', recipient: ada.id, pin: PIN });
		let dump = '';
		for (let part = 0; part < 200; part++) {
			const res = await stack.directus.request('POST', '/realtime/auth', { socket_id: '1234.5678', channel_name: `presence-dump-${part}` }, { token: ada.token });
			assert.equal(res.status, 200, res.text);
			const { user_info } = JSON.parse(res.body.channel_data);
			dump += user_info.text;
			if (!user_info.more) break;
		}
		const parsed = JSON.parse(dump);
		assert.equal(parsed.auth.user.first_name, 'Ada');
		assert.ok(parsed.users.some((u: { role: { users: unknown[] } | null }) => u.role?.users?.length), 'users with their role\'s users were read');
		assert.equal(parsed.letters[0].recipient.first_name, 'Ada', 'letters with their recipient were read');
		assertClean(parsed, 'the authorizer\'s view');
	});

	it('an authorizer throwing its view refuses with a reason that carries no secret', async () => {
		const res = await stack.directus.request('POST', '/realtime/auth', { socket_id: '1234.5678', channel_name: 'private-dump-throws' }, { token: ada.token });
		assert.equal(res.status, 403);
		for (const secret of secrets) assert.ok(!res.text.includes(secret));
		await stack.directus.waitForLog((l) => String(l.msg).includes('(private-dump-throws)') && String(l.msg).includes('Ada'));
	});

	it('the Directus log carries none of the secrets', () => {
		const log = stack.directus.process.output();
		assert.ok(log.includes('private-dump-throws'));
		for (const secret of secrets) assert.ok(!log.includes(secret), `the log carries ${secret.slice(0, 12)}…`);
	});
});
