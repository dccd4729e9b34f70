/**
 * Channels without scripts: rows in permission mode, decided by Directus' read permissions of
 * the caller (roles and policies as they are now) and published by default.
 *
 * Directus 12 without a license refuses custom permission rules (item rules, field lists: its
 * `custom_permission_rules_enabled` entitlement) when they are saved, and leaves such rules out of
 * every permission read. The item rule and field list tests therefore use the rules Directus
 * gives every user with app access on both 11 and 12 (directus_users: `id = $CURRENT_USER` with
 * a list of fields; directus_notifications: `recipient = $CURRENT_USER`); rules of one's own on a
 * custom collection are tested on Directus 11, and on 12 the test shows the refusal instead.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectClient, disconnectAll, EventLog, subscribe, type PusherClient } from '../harness/clients.js';
import { createChannel, createCollection, createItem, createUser, createUserWithPolicy, type TestUser } from '../harness/fixtures.js';
import { DIRECTUS_HOST } from '../harness/paths.js';
import { startStack, type Stack } from '../harness/stack.js';

const licensedRules = DIRECTUS_HOST.major < 12;

describe('permission mode: channels decided by Directus permissions, published without scripts', () => {
	let stack: Stack;
	let reader: TestUser;
	let outsider: TestUser;
	let appUser: TestUser;
	let otherAppUser: TestUser;
	let article: { id: number };
	const rows: Record<string, string> = {};
	const clients: PusherClient[] = [];
	const as = async (user: TestUser) => {
		const c = await connectClient(stack.soketi, { directusUrl: stack.directus.url, token: user.token });
		clients.push(c);
		return c;
	};
	const authorize = (channel_name: string, user: TestUser) =>
		stack.directus.request('POST', '/realtime/auth', undefined, { token: user.token, form: { socket_id: '1234.5678', channel_name } });
	const refused = (e: any) => e.detail?.status === 403;
	const permissionRow = async (channel_name: string, collection: string, fields: string[], extra: Record<string, unknown> = {}) => {
		const row = await createChannel(stack.directus, { channel_name, collection, fields, authorizer: null, publisher: null, authorize: 'permissions', ...extra });
		rows[channel_name] = row.id;
	};

	before(async () => {
		stack = await startStack();
		const d = stack.directus;
		await createCollection(d, 'articles', [
			{ field: 'title', type: 'string' },
			{ field: 'body', type: 'text' },
			{ field: 'secret_note', type: 'string' },
			{ field: 'user_created', type: 'uuid', meta: { special: ['user-created'] } },
		]);
		await createCollection(d, 'tags', [{ field: 'slug', type: 'string' }]);
		article = await createItem(d, 'articles', { title: 'First', body: 'Hello', secret_note: 'not for readers' });
		reader = await createUserWithPolicy(d, {
			first_name: 'Reader',
			permissions: [
				{ collection: 'articles', action: 'read' },
				{ collection: 'tags', action: 'read' },
			],
		});
		outsider = await createUser(d, { first_name: 'Outsider' });
		appUser = await createUserWithPolicy(d, { first_name: 'App', app_access: true });
		otherAppUser = await createUserWithPolicy(d, { first_name: 'Other', app_access: true });
		await permissionRow('private-articles.:id', 'articles', ['id', 'title', 'body', 'user_created'], { trigger_on_delete: true });
		await permissionRow('private-articles', 'articles', ['id', 'title'], { event_names: { created: 'article-added' } });
		await permissionRow('presence-articles.:id', 'articles', ['id', 'title'], { presence_user_fields: ['first_name'], trigger_on_create: false, trigger_on_update: false, trigger_on_delete: false });
		await permissionRow('private-articles.user.:user_created', 'articles', ['id', 'title', 'user_created']);
		await permissionRow('private-articles.full.:id', 'articles', ['*'], { trigger_on_create: false, trigger_on_update: false, trigger_on_delete: false });
		const quiet = { trigger_on_create: false, trigger_on_update: false, trigger_on_delete: false };
		await permissionRow('private-directus_users.:id', 'directus_users', ['id', 'first_name'], quiet);
		await permissionRow('private-directus_users.full.:id', 'directus_users', ['id', 'first_name', 'external_identifier'], quiet);
		await permissionRow('private-directus_notifications.user.:recipient', 'directus_notifications', ['id', 'subject', 'recipient'], { event_names: { created: 'notification' } });
		await permissionRow('private-tags.:slug', 'tags', ['id', 'slug']);
		// A scripted row with a more specific pattern: item data must not steer events into it.
		await createChannel(d, { channel_name: 'private-tags.admin', collection: 'tags', authorizer: 'return true;', publisher: null, trigger_on_create: false, trigger_on_update: false, trigger_on_delete: false });
	});

	after(async () => {
		disconnectAll(...clients);
		await stack?.stop();
	});

	it('admits a reader of the collection to an item channel and to the collection channel', async () => {
		const client = await as(reader);
		await subscribe(client, `private-articles.${article.id}`);
		await subscribe(client, 'private-articles');
	});

	it('refuses a caller without read permission, an item that does not exist and a key its column cannot hold, all with the same 403', async () => {
		const answers = await Promise.all([
			authorize(`private-articles.${article.id}`, outsider),
			authorize('private-articles', outsider),
			authorize('private-articles.999999', reader),
			authorize('private-articles.abc', reader),
			authorize('private-articles.99999999999999999999', reader),
			authorize('private-articles.9223372036854775807', reader),
		]);
		for (const answer of answers) {
			assert.equal(answer.status, 403);
			assert.deepEqual(answer.body, answers[0]!.body);
		}
	});

	it('publishes an update to the item channel and a create to the collection channel, with the row fields and event names', async () => {
		const client = await as(reader);
		const updated = new EventLog(await subscribe(client, `private-articles.${article.id}`), 'updated');
		const added = new EventLog(await subscribe(client, 'private-articles'), 'article-added');
		await stack.directus.request('PATCH', `/items/articles/${article.id}`, { title: 'First, edited' });
		const [update] = await updated.waitFor(1);
		assert.deepEqual(Object.keys(update).sort(), ['body', 'id', 'title', 'user_created']);
		assert.equal(update.title, 'First, edited');
		const created = await createItem<{ id: number }>(stack.directus, 'articles', { title: 'Second', secret_note: 'hidden' });
		const [add] = await added.waitFor(1);
		assert.deepEqual(add, { id: created.id, title: 'Second' });
	});

	it('shows presence members with the chosen fields of their own user row', async () => {
		const channel: any = await subscribe(await as(reader), `presence-articles.${article.id}`);
		assert.equal(channel.members.me.id, reader.id);
		assert.deepEqual(channel.members.me.info, { first_name: 'Reader' });
	});

	it('refuses secrets among the presence fields when the row is saved', async () => {
		for (const field of ['password', 'token', 'auth_data', 'tfa_secret']) {
			const res = await stack.directus.request('POST', '/items/realtime_channels', {
				channel_name: `presence-leak-${field.replace('_', '')}`,
				collection: 'articles',
				authorize: 'permissions',
				presence_user_fields: ['first_name', field],
			});
			assert.equal(res.status, 400, field);
			assert.match(JSON.stringify(res.body), /secret/);
		}
	});

	it('an item rule (id = $CURRENT_USER): the own user channel joins, another user\'s is refused, as Directus\' own read decides', async () => {
		await subscribe(await as(appUser), `private-directus_users.${appUser.id}`);
		assert.equal((await authorize(`private-directus_users.${otherAppUser.id}`, appUser)).status, 403);
		assert.equal((await stack.directus.request('GET', `/users/${appUser.id}?fields=id,first_name`, undefined, { token: appUser.token })).status, 200);
		assert.equal((await stack.directus.request('GET', `/users/${otherAppUser.id}?fields=id,first_name`, undefined, { token: appUser.token })).status, 403);
	});

	it('a field limit: a row that sends a field the permission hides is refused, as Directus\' own read of that field is', async () => {
		assert.equal((await authorize(`private-directus_users.full.${appUser.id}`, appUser)).status, 403);
		assert.equal((await stack.directus.request('GET', `/users/${appUser.id}?fields=id,first_name,external_identifier`, undefined, { token: appUser.token })).status, 403);
	});

	it('a user inbox: the caller joins the channel of items whose user field is theirs, gets them published, and not another user\'s', async () => {
		const inbox = new EventLog(await subscribe(await as(appUser), `private-directus_notifications.user.${appUser.id}`), 'notification');
		assert.equal((await authorize(`private-directus_notifications.user.${otherAppUser.id}`, appUser)).status, 403);
		await stack.directus.request('POST', '/notifications', { recipient: appUser.id, subject: 'Hello App' });
		const [note] = await inbox.waitFor(1);
		assert.equal(note.subject, 'Hello App');
		assert.equal(note.recipient, appUser.id);
	});

	it('a policy removed while subscribed: the subscription was admitted, the next authorization refuses', async () => {
		const temporary = await createUserWithPolicy(stack.directus, { permissions: [{ collection: 'articles', action: 'read' }] });
		await subscribe(await as(temporary), `private-articles.${article.id}`);
		assert.equal((await stack.directus.request('DELETE', `/access/${temporary.access}`)).status, 204);
		await assert.rejects(subscribe(await as(temporary), `private-articles.${article.id}`), refused);
	});

	it('a read permission added later admits at the next authorization', async () => {
		const later = await createUserWithPolicy(stack.directus, {});
		assert.equal((await authorize('private-articles', later)).status, 403);
		const grant = await stack.directus.request('POST', '/permissions', { policy: later.policy, collection: 'articles', action: 'read', fields: ['*'], permissions: {}, validation: {} });
		assert.equal(grant.status, 200);
		assert.equal((await authorize('private-articles', later)).status, 200);
	});

	it('refuses and logs an event whose filled name belongs to another row, and still publishes the next', async () => {
		const client = await as(reader);
		const guarded = new EventLog(await subscribe(client, 'private-tags.admin'), 'created');
		const news = new EventLog(await subscribe(client, 'private-tags.news'), 'created');
		await createItem(stack.directus, 'tags', { slug: 'admin' });
		await stack.directus.waitForLog((line) => /refused an event/.test(String(line.msg)) && /private-tags\.admin/.test(String(line.msg)));
		await createItem(stack.directus, 'tags', { slug: 'news' });
		await news.waitFor(1);
		assert.equal(guarded.events.length, 0);
	});

	it('the dry-run shows the permission decision: which field is refused, what is granted', async () => {
		const dry = (channel_name: string, user: TestUser) =>
			stack.directus.request('POST', '/realtime/dry-run', { row: rows[channel_name.replace(/\.[^.]+$/, '.:id')], channel_name, user: user.id });
		const refusedField = await dry(`private-directus_users.full.${appUser.id}`, appUser);
		assert.equal(refusedField.status, 200, JSON.stringify(refusedField.body));
		assert.equal(refusedField.body.data.granted, false);
		assert.equal(refusedField.body.data.permission_decision.field, 'external_identifier');
		const granted = await dry(`private-articles.${article.id}`, reader);
		assert.equal(granted.body.data.granted, true);
		assert.equal(granted.body.data.permission_decision.scope, 'item');
		assert.match(granted.body.data.permission_decision.reason, /title/);
	});

	if (licensedRules) {
		describe('rules of its own on a custom collection (Directus 11)', () => {
			let owner: TestUser;
			let narrow: TestUser;
			let own: { id: number };
			before(async () => {
				owner = await createUserWithPolicy(stack.directus, {
					permissions: [
						{ collection: 'articles', action: 'read', permissions: { user_created: { _eq: '$CURRENT_USER' } } },
						{ collection: 'articles', action: 'create' },
					],
				});
				narrow = await createUserWithPolicy(stack.directus, { permissions: [{ collection: 'articles', action: 'read', fields: ['id', 'title'] }] });
				own = await createItem(stack.directus, 'articles', { title: 'Mine' }, owner.token);
			});

			it('an item rule user_created = $CURRENT_USER: own items and own inbox join; others, and the whole collection, are refused', async () => {
				assert.equal((await authorize(`private-articles.${own.id}`, owner)).status, 200);
				assert.equal((await authorize(`private-articles.${article.id}`, owner)).status, 403);
				assert.equal((await authorize('private-articles', owner)).status, 403);
				assert.equal((await authorize(`private-articles.user.${owner.id}`, owner)).status, 200);
				assert.equal((await authorize(`private-articles.user.${reader.id}`, owner)).status, 403);
			});

			it('a field list: the channel whose row sends only allowed fields joins, the one sending more is refused', async () => {
				assert.equal((await authorize('private-articles', narrow)).status, 200);
				assert.equal((await authorize(`private-articles.${article.id}`, narrow)).status, 403);
				assert.equal((await authorize(`private-articles.full.${article.id}`, narrow)).status, 403);
			});
		});
	} else {
		it('Directus 12 without a license refuses item rules and field lists of one\'s own (so the tests above use the rules it gives app users)', async () => {
			const policy = await createUserWithPolicy(stack.directus, {});
			const res = await stack.directus.request('POST', '/permissions', {
				policy: policy.policy,
				collection: 'articles',
				action: 'read',
				fields: ['id', 'title'],
				permissions: { user_created: { _eq: '$CURRENT_USER' } },
			});
			assert.equal(res.status, 403);
			assert.equal(res.body.errors[0].extensions.code, 'RESOURCE_RESTRICTED');
		});
	}
});
