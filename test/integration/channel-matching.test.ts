import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { connectClient, disconnectAll, EventLog, subscribe, type PusherClient } from '../harness/clients.js';
import { connectDatabase } from '../harness/databases.js';
import { createChannel, createCollection, createItem, createUser, type ChannelInput, type TestUser } from '../harness/fixtures.js';
import { startStack, type Stack } from '../harness/stack.js';

const ENCRYPTION_KEY = randomBytes(32).toString('base64');

// The seed README's authorizer, as written there: it ends without a return when it refuses.
const SEED_PRIVATE_AUTHORIZER = `// For private channels
 if (auth.user.id === params.userId) {

    return true;
}`;

describe('which channel row answers a request', () => {
	let stack: Stack;
	let ada: TestUser;
	let bob: TestUser;
	let chatRow: { id: string };
	const clients: PusherClient[] = [];
	const as = async (user: TestUser) => {
		const c = await connectClient(stack.soketi, { directusUrl: stack.directus.url, token: user.token });
		clients.push(c);
		return c;
	};
	/** A subscriber that signs its own subscriptions: it sees whatever is sent, whatever the rows say. */
	const listener = async () => {
		const c = await connectClient(stack.soketi, { signWith: stack.pusher });
		clients.push(c);
		return c;
	};
	const authorize = (channel_name: string, user: TestUser) =>
		stack.directus.request('POST', '/realtime/auth', undefined, { token: user.token, form: { socket_id: '1234.5678', channel_name } });
	const channel = (row: Omit<ChannelInput, 'collection'> & { collection?: string }) =>
		createChannel(stack.directus, { collection: 'notes', publisher: null, trigger_on_create: false, trigger_on_update: false, trigger_on_delete: false, ...row });
	const removeChannel = (id: string) => stack.directus.request('DELETE', `/items/realtime_channels/${id}`);
	const refused = (e: any) => e.detail?.status === 403;

	before(async () => {
		stack = await startStack({ encryptionMasterKey: ENCRYPTION_KEY, directus: { env: { RT_SCRIPT_TIMEOUT: '500', RT_CHANNELS_CHECK_INTERVAL: '0' } } });
		await createCollection(stack.directus, 'notes', [
			{ field: 'target', type: 'string' },
			{ field: 'fallback', type: 'string' },
		]);
		ada = await createUser(stack.directus, { first_name: 'Ada' });
		bob = await createUser(stack.directus, { first_name: 'Bob' });
		// The seed README's two rows, side by side.
		chatRow = await channel({ channel_name: 'private-chat-:userId', authorizer: SEED_PRIVATE_AUTHORIZER });
		await channel({ channel_name: 'private-chat-notification-:userId', authorizer: SEED_PRIVATE_AUTHORIZER });
	});

	after(async () => {
		disconnectAll(...clients);
		await stack?.stop();
	});

	it('lets the seed README rows work side by side: a user joins both of their own channels', async () => {
		const c = await as(ada);
		await subscribe(c, `private-chat-notification-${ada.id}`);
		await subscribe(c, `private-chat-${ada.id}`);
		await assert.rejects(subscribe(await as(bob), `private-chat-notification-${ada.id}`), refused);
	});

	it('does not let a lenient private-:name lobby shadow specific rows or answer encrypted names', async () => {
		const lobby = await channel({ channel_name: 'private-:name', authorizer: 'return true;' });
		try {
			// The lobby is live: it answers names no other row matches.
			await subscribe(await as(bob), 'private-anything');
			// The specific seed row still decides for its names, and refuses Bob.
			await assert.rejects(subscribe(await as(bob), `private-chat-${ada.id}`), refused);
			await subscribe(await as(ada), `private-chat-notification-${ada.id}`);
			// A private- row never answers a private-encrypted- name: no shared_secret.
			const res = await authorize('private-encrypted-payroll', bob);
			assert.equal(res.status, 403, res.text);
			assert.equal(res.body.shared_secret, undefined);
			assert.doesNotMatch(res.text, /shared_secret/);
		} finally {
			await removeChannel(lobby.id);
		}
	});

	it('lets sort override specificity', async () => {
		await channel({ channel_name: 'private-vip-room-:id', authorizer: 'return false;' });
		const general = await channel({ channel_name: 'private-vip-:rest', authorizer: 'return true;' });
		// Without a sort, the more specific row decides.
		assert.equal((await authorize('private-vip-room-1', ada)).status, 403);
		await stack.directus.request('PATCH', `/items/realtime_channels/${general.id}`, { sort: 1 });
		assert.equal((await authorize('private-vip-room-1', ada)).status, 200);
	});

	describe('what an authorizer\'s answer means for the next matching row', () => {
		before(async () => {
			// The specific rows decide first (sort 1); the lenient row would grant (sort 2).
			for (const [kind, authorizer] of [
				['null', 'return null;'],
				['undefined', 'if (params.id === "never") return true;'],
				['false', 'return false;'],
				['throw', 'throw new Error("no");'],
				['loop', 'while (true) {}'],
			]) {
				await channel({ channel_name: `private-answer-${kind}-:id`, authorizer, sort: 1 });
			}
			await channel({ channel_name: 'private-answer-:kind-:id', authorizer: 'return true;', sort: 2 });
			await channel({ channel_name: 'presence-nulls-:id', authorizer: 'return null;', sort: 1 });
			await channel({ channel_name: 'presence-nulls-:id(\\d+)', authorizer: 'return null;', sort: 2 });
		});

		it('passes to the next row on an explicit null', async () => {
			await subscribe(await as(ada), 'private-answer-null-1');
		});

		for (const kind of ['undefined', 'false', 'throw', 'loop']) {
			it(`stops at ${kind}: 403 although a later row would grant`, async () => {
				const res = await authorize(`private-answer-${kind}-1`, ada);
				assert.equal(res.status, 403, res.text);
			});
		}

		it('refuses when every matching row returns null, and logs it', async () => {
			assert.equal((await authorize('presence-nulls-1', ada)).status, 403);
			await stack.directus.waitForLog((l) => String(l.msg).includes('presence-nulls-1') && String(l.msg).includes('every matching row returned null'));
		});
	});

	it('answers "no row matches" and "refused" with the same status and body, for every channel type', async () => {
		await channel({ channel_name: 'private-closed', authorizer: 'return false;' });
		await channel({ channel_name: 'presence-closed', authorizer: 'return false;' });
		await channel({ channel_name: 'private-encrypted-closed', authorizer: 'throw new Error("detail");' });
		await channel({ channel_name: 'private-unguarded', authorizer: null });
		const answers = [];
		for (const name of ['private-nothing-here', 'private-closed', 'private-unguarded', 'presence-nothing-here', 'presence-closed', 'private-encrypted-nothing-here', 'private-encrypted-closed']) {
			const res = await authorize(name, ada);
			answers.push({ name, status: res.status, text: res.text });
		}
		for (const answer of answers) assert.deepEqual({ status: answer.status, text: answer.text }, { status: answers[0]!.status, text: answers[0]!.text }, answer.name);
		assert.equal(answers[0]!.status, 403);
		assert.equal(JSON.parse(answers[0]!.text).errors[0].extensions.code, 'FORBIDDEN');
		// Only the log tells them apart.
		await stack.directus.waitForLog((l) => String(l.msg).includes('refused private-nothing-here') && String(l.msg).includes('no channel row matches'));
		await stack.directus.waitForLog((l) => String(l.msg).includes('refused private-closed') && String(l.msg).includes('(private-closed)'));
	});

	describe('publishing into a filled name', () => {
		it('does not let item data steer trigger() into another row\'s channel', async () => {
			// The row publishes to the item's target (refused), then to its fallback (sent): the
			// fallback event arriving means the first would have arrived before it.
			const patched = await stack.directus.request('PATCH', `/items/realtime_channels/${chatRow.id}`, {
				trigger_on_create: true,
				publisher: `try { trigger({ userId: meta.payload.target }, "note", { via: "target" }); } catch (e) {}
trigger({ userId: meta.payload.fallback }, "note", { via: "fallback" });`,
			});
			assert.equal(patched.status, 200, patched.text);
			const c = await listener();
			const stolen = new EventLog(await subscribe(c, 'private-chat-notification-5'), 'note');
			const legitimate = new EventLog(await subscribe(c, 'private-chat-7'), 'note');

			await createItem(stack.directus, 'notes', { target: 'notification-5', fallback: '7' });

			assert.deepEqual(await legitimate.waitFor(1), [{ via: 'fallback' }]);
			assert.deepEqual(stolen.events, []);
			await stack.directus.waitForLog(
				(l) => String(l.msg).includes('(private-chat-:userId) refused an event') && String(l.msg).includes('private-chat-notification-5'),
			);
		});

		it('does not let broadcastTo() with a row\'s pattern reach another row\'s channel, nor change the channel type', async () => {
			await createCollection(stack.directus, 'alerts', [{ field: 'target', type: 'string' }]);
			await channel({
				channel_name: 'alerts',
				collection: 'alerts',
				trigger_on_create: true,
				publisher: `for (const [pattern, params] of [
	["private-chat-notification-:userId", { userId: meta.payload.target }],
	["private-:name", { name: "encrypted-" + meta.payload.target }],
]) { try { broadcastTo(pattern, params, "alert", { to: pattern }); } catch (e) {} }
broadcastTo("private-chat-:userId", { userId: "notification-" + meta.payload.target }, "alert", { to: "steered" });`,
			});
			// The last call is uncaught: it fails the run and is logged with the row.
			const c = await listener();
			const own = new EventLog(await subscribe(c, 'private-chat-notification-9'), 'alert');
			const encrypted = new EventLog(await subscribe(c, 'private-encrypted-9'), 'alert');

			await createItem(stack.directus, 'alerts', { target: '9' });

			assert.deepEqual(await own.waitFor(1), [{ to: 'private-chat-notification-:userId' }]);
			await stack.directus.waitForLog((l) => String(l.msg).includes('publisher of') && String(l.msg).includes('(alerts) failed') && String(l.msg).includes('private-chat-notification-9'));
			assert.deepEqual(own.events, [{ to: 'private-chat-notification-:userId' }]);
			assert.deepEqual(encrypted.events, []);
		});
	});

	it('refuses a broadcastTo() pattern built from item data that carries a regex, and still sends plain ones', async () => {
		await createCollection(stack.directus, 'crafted', [{ field: 'suffix', type: 'string' }]);
		await channel({
			channel_name: 'crafted',
			collection: 'crafted',
			trigger_on_create: true,
			// An admin's mistake: the pattern text itself comes from the item.
			publisher: `try { broadcastTo("private-crafted-" + meta.payload.suffix, { id: "aaaa" }, "hit", { by: "crafted" }); } catch (e) {}
broadcastTo("private-plain-:id", { id: meta.key }, "hit", { by: "plain" });`,
		});
		const c = await listener();
		const crafted = new EventLog(await subscribe(c, 'private-crafted-aaaa'), 'hit');
		const plain = new EventLog(await subscribe(c, 'private-plain-1'), 'hit');

		// A harmless regex, so only the rule refuses it (a crafted one would cost the server its analysis per new text).
		await createItem(stack.directus, 'crafted', { suffix: ':id(a+)' });

		// The plain call comes after the crafted one in the same run: once it arrived, the crafted one was refused.
		assert.deepEqual(await plain.waitFor(1), [{ by: 'plain' }]);
		assert.deepEqual(crafted.events, []);
		assert.equal((await fetch(`${stack.directus.url}/server/ping`)).status, 200);
	});

	describe('unsafe parameter regexes', () => {
		const save = (channel_name: string) =>
			stack.directus.request('POST', '/items/realtime_channels', { collection: 'notes', channel_name, authorizer: 'return true;' });

		it('refuses a regex that can backtrack catastrophically on save, saying why on channel_name', async () => {
			for (const channel_name of ['private-redos-:id((?:a+)+)', 'private-redos-:id((a+)+)', 'private-redos-:x((a|a)*)', 'private-redos-:x((?:a|a)*)']) {
				const res = await save(channel_name);
				assert.equal(res.status, 400, channel_name);
				const [error] = res.body.errors;
				assert.equal(error.extensions.code, 'FAILED_VALIDATION');
				assert.equal(error.extensions.field, 'channel_name');
				assert.ok(String(error.extensions.validation_message).length > 20, error.extensions.validation_message);
			}
			assert.match((await save('private-redos-:id((?:a+)+)')).body.errors[0].extensions.validation_message, /parameter "id".*backtrack catastrophically/);
			// Overlapping alternatives in one repetition: no nested quantifier, still exponential.
			assert.match((await save('private-redos-:x((?:a|a)*)')).body.errors[0].extensions.validation_message, /parameter "x".*backtrack catastrophically/);
			const rows = await stack.directus.request('GET', '/items/realtime_channels?filter[channel_name][_starts_with]=private-redos-');
			assert.deepEqual(rows.body.data, []);
		});

		it('accepts the usual constrained parameter and an unambiguous repetition', async () => {
			assert.equal((await save('private-digits-:id(\\d+)')).status, 200);
			assert.equal((await authorize('private-digits-42', ada)).status, 200);
			assert.equal((await save('private-ranges-:ids((?:\\d+-)+)')).status, 200);
			assert.equal((await authorize('private-ranges-1-2-', ada)).status, 200);
		});

		it('skips a row already in the database with such a regex, with a warning', async () => {
			const db = connectDatabase(stack.directus.dbEnv);
			try {
				await db('realtime_channels').insert(
					['private-legacy-:id((?:a+)+)', 'private-overlap-:x((?:a|a)*)'].map((channel_name) => ({
						id: randomUUID(),
						enabled: true,
						channel_name,
						collection: 'notes',
						fields: JSON.stringify(['*']),
						authorizer: 'return true;',
						publisher: null,
						trigger_on_create: false,
						trigger_on_update: false,
						trigger_on_delete: false,
					})),
				);
			} finally {
				await db.destroy();
			}
			assert.equal((await authorize('private-legacy-aaaa', ada)).status, 403);
			assert.equal((await authorize('private-overlap-aaaa', ada)).status, 403);
			for (const pattern of ['private-legacy-:id((?:a+)+)', 'private-overlap-:x((?:a|a)*)']) {
				await stack.directus.waitForLog((l) => String(l.msg).includes(`(${pattern}) is skipped`) && String(l.msg).includes('backtrack catastrophically'));
			}
		});
	});
});
