import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aliasFields, isSecretAnywhere, redactItem, secretFieldNames, storedFields, type SchemaLike } from '../../shared/src/auth/redact.js';
import { carriesScripts, revisionWithoutScripts, withoutChannelPermissions } from '../../shared/src/channels/admin-only.js';
import { readsUserAliases, withoutUserAliases } from '../../shared/src/auth/caller.js';

const f = (type: string, special: string[] = []) => ({ type, special });

/** A slice of a Directus schema: users, roles, shares, and a project with m2o, o2m and m2a. */
const schema: SchemaLike = {
	collections: {
		directus_users: {
			fields: {
				id: f('uuid'),
				first_name: f('string'),
				password: f('hash', ['hash', 'conceal']),
				token: f('string', ['conceal']),
				tfa_secret: f('string', ['conceal']),
				auth_data: f('json'),
				role: f('uuid', ['m2o']),
			},
		},
		directus_roles: { fields: { id: f('uuid'), name: f('string'), users: f('alias', ['o2m']) } },
		directus_shares: { fields: { id: f('uuid'), name: f('string'), password: f('hash', ['hash', 'conceal']) } },
		messages: {
			fields: {
				id: f('integer'),
				text: f('string'),
				extra: f('json', ['cast-json']),
				recipient: f('uuid', ['m2o']),
				pin: f('hash', ['hash']),
				notes: f('alias', ['o2m']),
				attachments: f('alias', ['m2a']),
			},
		},
		notes: { fields: { id: f('integer'), message: f('integer'), author: f('uuid', ['m2o']), secret_code: f('string', ['conceal']) } },
		messages_attachments: { fields: { id: f('integer'), messages_id: f('integer'), item: f('string'), collection: f('string') } },
	},
	relations: [
		{ collection: 'directus_users', field: 'role', related_collection: 'directus_roles', meta: { one_field: 'users' } },
		{ collection: 'messages', field: 'recipient', related_collection: 'directus_users', meta: null },
		{ collection: 'notes', field: 'message', related_collection: 'messages', meta: { one_field: 'notes' } },
		{ collection: 'notes', field: 'author', related_collection: 'directus_users', meta: null },
		{ collection: 'messages_attachments', field: 'messages_id', related_collection: 'messages', meta: { one_field: 'attachments' } },
		{
			collection: 'messages_attachments',
			field: 'item',
			related_collection: null,
			meta: { one_allowed_collections: ['directus_users', 'directus_shares', 'notes'], one_collection_field: 'collection' },
		},
	],
};

const SECRETS = ['pw-hash-$argon2', 'static-token-1', 'TFA-SECRET', 'sso-refresh-token', 'share-pw-hash', 'pin-hash', 'note-secret'];
const user = (id: string) => ({
	id,
	first_name: `U${id}`,
	password: 'pw-hash-$argon2',
	token: 'static-token-1',
	tfa_secret: 'TFA-SECRET',
	auth_data: { refresh_token: 'sso-refresh-token' },
	role: { id: 'r1', name: 'Editors', users: [{ id: 'u9', first_name: 'Nine', auth_data: 'sso-refresh-token', token: 'static-token-1' }] },
});
const assertNoSecret = (value: unknown) => {
	const text = JSON.stringify(value);
	for (const secret of SECRETS) assert.ok(!text.includes(secret), `${secret} in ${text}`);
};

describe('the fields of a collection\'s rows', () => {
	it('stored in the row: every column but the secrets and the aliases', () => {
		assert.deepEqual(storedFields(schema, 'directus_users'), ['id', 'first_name', 'role']);
		assert.deepEqual(storedFields(schema, 'messages'), ['id', 'text', 'extra', 'recipient']);
		assert.equal(storedFields(schema, 'nowhere'), null);
	});

	it('aliases: the fields that are no column (o2m, m2a)', () => {
		assert.deepEqual(aliasFields(schema, 'messages'), ['notes', 'attachments']);
		assert.deepEqual(aliasFields(schema, 'directus_roles'), ['users']);
		assert.deepEqual(aliasFields(schema, 'directus_users'), []);
		assert.deepEqual(aliasFields(schema, 'nowhere'), []);
	});

	it('auth.user without its aliases unless the script names one: one shape whichever read the request made', () => {
		const withPolicies: SchemaLike = structuredClone(schema);
		withPolicies.collections!.directus_users!.fields!.policies = f('alias', ['o2m']);
		const read = { id: 'u1', first_name: 'Ada', role: 'r1', policies: ['a1', 'a2'] };
		assert.deepEqual(withoutUserAliases(read, withPolicies), { id: 'u1', first_name: 'Ada', role: 'r1' });
		assert.deepEqual(read.policies, ['a1', 'a2'], 'the row read is not changed');
		const stored = { id: 'u1', first_name: 'Ada', role: 'r1' };
		assert.equal(withoutUserAliases(stored, withPolicies), stored, 'nothing to take away: the same object');
		assert.equal(readsUserAliases('return auth.user.policies.length > 0;', withPolicies), true);
		assert.equal(readsUserAliases('return auth.user.id === params.userId;', withPolicies), false);
	});

	it('secret somewhere: the secrets of every collection and the four of users', () => {
		assert.deepEqual([...secretFieldNames(schema)].sort(), ['auth_data', 'password', 'pin', 'secret_code', 'tfa_secret', 'token']);
	});

	it('secret somewhere, asked name by name: the same answers, before and after the whole set is made', () => {
		const names = [...new Set([...Object.values(schema.collections!).flatMap((c) => Object.keys(c!.fields!)), 'auth_data', 'nowhere', '__proto__', 'constructor'])];
		const fresh = structuredClone(schema);
		const byName = names.map((name) => isSecretAnywhere(fresh, name));
		assert.deepEqual(byName, names.map((name) => secretFieldNames(schema).has(name)));
		assert.deepEqual(names.map((name) => isSecretAnywhere(fresh, name)), byName);
		assert.deepEqual(names.filter((name, i) => byName[i]).sort(), ['auth_data', 'password', 'pin', 'secret_code', 'tfa_secret', 'token']);
	});
});

describe('redacting items read for scripts', () => {
	it('removes the user secrets from a row of directus_users, keeping the rest', () => {
		const out = redactItem(schema, 'directus_users', { ...user('u1'), role: 'r1' });
		assert.deepEqual(out, { id: 'u1', first_name: 'Uu1', role: 'r1' });
	});

	it('removes fields Directus stores encrypted (special: encrypted), as it does concealed and hashed ones', () => {
		const withKeys: SchemaLike = { collections: { vault: { fields: { id: f('integer'), label: f('string'), api_key: f('text', ['encrypted']) } } } };
		assert.deepEqual(redactItem(withKeys, 'vault', { id: 1, label: 'ai', api_key: 'sk-live-123' }), { id: 1, label: 'ai' });
	});

	it('removes fields with Directus 12\'s special `encrypt` (settings\' AI keys, license key), in the list or in a comma list', () => {
		const withKeys: SchemaLike = {
			collections: { vault: { fields: { id: f('integer'), label: f('string'), api_key: f('text', ['encrypt']), license: { type: 'text', special: 'cast-json,encrypt' } } } },
		};
		assert.deepEqual(redactItem(withKeys, 'vault', { id: 1, label: 'ai', api_key: 'sk-live-123', license: 'lic-9' }), { id: 1, label: 'ai' });
		assert.ok(secretFieldNames(withKeys).has('api_key') && secretFieldNames(withKeys).has('license'));
	});

	it('follows m2o, o2m and nested relations to any depth (fields: *, recipient.*, *.*.*)', () => {
		const row = {
			id: 1,
			text: 'hi',
			pin: 'pin-hash',
			recipient: user('u1'),
			notes: [{ id: 5, secret_code: 'note-secret', author: user('u2'), message: { id: 1, recipient: user('u3') } }],
		};
		const out = redactItem(schema, 'messages', row) as any;
		assertNoSecret(out);
		assert.equal(out.recipient.first_name, 'Uu1');
		assert.equal(out.recipient.role.users[0].first_name, 'Nine');
		assert.equal(out.notes[0].author.first_name, 'Uu2');
		assert.equal(out.notes[0].message.recipient.first_name, 'Uu3');
		assert.equal(out.text, 'hi');
		assert.equal('pin' in out, false, 'a hashed field of any collection');
	});

	it('follows m2a by the row\'s collection field, and without it removes what is secret in any allowed collection', () => {
		const row = {
			id: 1,
			attachments: [
				{ id: 1, collection: 'directus_users', item: user('u4') },
				{ id: 2, collection: 'directus_shares', item: { id: 's1', name: 'link', password: 'share-pw-hash' } },
				{ id: 3, item: { id: 'u5', token: 'static-token-1', auth_data: 'sso-refresh-token' } },
			],
		};
		const out = redactItem(schema, 'messages', row) as any;
		assertNoSecret(out);
		assert.equal(out.attachments[0].item.first_name, 'Uu4');
		assert.equal(out.attachments[1].item.name, 'link');
	});

	it('removes every secret name where it cannot tell the collection (aliases, unknown collections)', () => {
		assertNoSecret(redactItem(schema, 'messages', { id: 1, renamed: user('u6') }));
		assertNoSecret(redactItem(schema, 'not_in_schema', [user('u7')]));
	});

	it('leaves data of JSON columns and lists alone, and does not change its input', () => {
		const row = { id: 1, extra: { token: 'app-level value, not a Directus secret' }, recipient: user('u8') };
		const before = structuredClone(row);
		const out = redactItem(schema, 'messages', row) as any;
		assert.deepEqual(out.extra, row.extra);
		assert.deepEqual(row, before);
		assert.equal(out.recipient.auth_data, undefined);
	});

	it('handles lists, nulls and primitive keys', () => {
		assert.deepEqual(redactItem(schema, 'messages', [{ id: 1, recipient: null }, { id: 2, recipient: 'u1' }]), [
			{ id: 1, recipient: null },
			{ id: 2, recipient: 'u1' },
		]);
		assert.equal(redactItem(schema, 'messages', null), null);
	});

	it('cuts nesting deeper than any Directus read instead of walking it', () => {
		let deep: any = { id: 'u0', auth_data: 'sso-refresh-token' };
		for (let i = 0; i < 200; i++) deep = { id: `u${i}`, role: { id: 'r', users: [deep] } };
		assertNoSecret(redactItem(schema, 'directus_users', deep));
	});
});

describe('redaction and fresh schema copies', () => {
	// Directus hands every request and event a fresh deep copy of its schema (unless
	// CACHE_SCHEMA_FREEZE_ENABLED): whatever is kept between them, each copy is redacted by what it says.
	const copy = (): SchemaLike => structuredClone(schema);

	it('redacts the same in every copy of an unchanged schema', () => {
		const first = redactItem(copy(), 'messages', { id: 1, pin: 'pin-hash', recipient: user('u1') });
		for (let i = 0; i < 3; i++) assert.deepEqual(redactItem(copy(), 'messages', { id: 1, pin: 'pin-hash', recipient: user('u1') }), first);
		assertNoSecret(first);
	});

	it('follows a copy that gives one of a collection\'s fields a secret special', () => {
		assert.deepEqual(redactItem(copy(), 'messages', { id: 1, text: 'hi' }), { id: 1, text: 'hi' });
		const changed = copy();
		changed.collections!.messages!.fields!.text = f('string', ['conceal']);
		assert.deepEqual(redactItem(changed, 'messages', { id: 1, text: 'now a secret' }), { id: 1 });
		assert.deepEqual(redactItem(copy(), 'messages', { id: 1, text: 'hi' }), { id: 1, text: 'hi' }, 'and back');
	});

	it('tells a special list from one comma-joined name', () => {
		const listed: SchemaLike = { collections: { vault: { fields: { id: f('integer'), key: f('string', ['cast-json', 'conceal']) } } } };
		const joined: SchemaLike = { collections: { vault: { fields: { id: f('integer'), key: f('string', ['cast-json,conceal']) } } } };
		assert.deepEqual(redactItem(listed, 'vault', { id: 1, key: 'k' }), { id: 1 });
		assert.deepEqual(redactItem(joined, 'vault', { id: 1, key: 'k' }), { id: 1, key: 'k' });
		assert.deepEqual(redactItem(listed, 'vault', { id: 1, key: 'k' }), { id: 1 });
	});

	it('follows a relation added in a later copy (a new field, or an o2m on the other side)', () => {
		const before = copy();
		before.collections!.messages!.fields!.author = f('uuid');
		// Not a relation yet: a column's value is the row's own data.
		assert.deepEqual((redactItem(before, 'messages', { id: 1, author: { token: 'a value' } }) as any).author, { token: 'a value' });
		const after = copy();
		after.collections!.messages!.fields!.author = f('uuid', ['m2o']);
		after.relations!.push({ collection: 'messages', field: 'author', related_collection: 'directus_users', meta: null });
		assert.deepEqual((redactItem(after, 'messages', { id: 1, author: user('u2') }) as any).author, { id: 'u2', first_name: 'Uu2', role: { id: 'r1', name: 'Editors', users: [{ id: 'u9', first_name: 'Nine' }] } });
		// A relation that points at the collection from elsewhere changes it too.
		const reversed = copy();
		reversed.relations!.push({ collection: 'directus_shares', field: 'user', related_collection: 'directus_users', meta: { one_field: 'shares' } });
		reversed.collections!.directus_users!.fields!.shares = f('alias', ['o2m']);
		assert.deepEqual(redactItem(reversed, 'directus_users', { id: 'u1', shares: [{ id: 's1', password: 'share-pw-hash' }] }), { id: 'u1', shares: [{ id: 's1' }] });
	});

	it('stays right over many collections and copies', () => {
		const many: SchemaLike = { collections: {} };
		for (let i = 0; i < 600; i++) many.collections![`c${i}`] = { fields: { id: f('integer'), [`secret_${i}`]: f('string', ['conceal']) } };
		for (let round = 0; round < 2; round++) {
			for (let i = 0; i < 600; i++) assert.deepEqual(redactItem(structuredClone(many), `c${i}`, { id: i, [`secret_${i}`]: 'x', other: 1 }), { id: i, other: 1 });
		}
	});
});

describe('channel rows are for admins only', () => {
	it('drops every permission row on realtime_channels and keeps the others', () => {
		const rows = [
			{ collection: 'realtime_channels', action: 'read' },
			{ collection: 'realtime_channels', action: 'update' },
			{ collection: 'messages', action: 'read' },
		];
		assert.deepEqual(withoutChannelPermissions(rows), [{ collection: 'messages', action: 'read' }]);
	});

	it('keeps revisions of channel rows without script text, JSON text or objects', () => {
		const data = { id: 'c1', channel_name: 'private-x', authorizer: 'return true;', publisher: 'trigger({}, "e", meta.payload);' };
		const out = revisionWithoutScripts({ collection: 'realtime_channels', item: 'c1', data, delta: JSON.stringify({ publisher: 'x' }) });
		assert.deepEqual(out.data, { id: 'c1', channel_name: 'private-x' });
		assert.equal(out.delta, '{}');
		assert.equal(carriesScripts(JSON.stringify(data)), true);
		assert.equal(carriesScripts(out.data), false);
		const other = { collection: 'messages', data: { publisher: 'kept' } };
		assert.equal(revisionWithoutScripts(other), other);
	});
});
