import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateChannelPayload, type ValidationDeps } from '../../shared/src/channels/validate.js';

const deps: ValidationDeps = {
	checkScript: (source) => (source.includes('SYNTAX') ? { message: "Unexpected identifier 'SYNTAX'", line: 2, column: 5 } : null),
	collectionExists: (collection) => collection === 'chat',
	isSecretField: (name) => ['password', 'token', 'auth_data', 'tfa_secret'].includes(name),
};

const valid = { channel_name: 'private-chat-:userId', collection: 'chat', fields: ['*'], authorizer: 'return true;', publisher: 'trigger({}, "e", 1);' };
const fieldsOf = (payload: Record<string, unknown>, creating = true) => validateChannelPayload(payload, deps, creating).map((p) => p.field);

describe('channel row validation', () => {
	it('accepts a valid row', () => {
		assert.deepEqual(validateChannelPayload(valid, deps, true), []);
	});

	it('names line and column of a script that does not compile', () => {
		assert.deepEqual(validateChannelPayload({ ...valid, publisher: 'x\n    SYNTAX' }, deps, true), [
			{ field: 'publisher', message: "Unexpected identifier 'SYNTAX' (line 2, column 5)" },
		]);
		assert.deepEqual(fieldsOf({ ...valid, authorizer: 'SYNTAX' }), ['authorizer']);
	});

	it('refuses patterns that do not parse, use foreign characters or are too long', () => {
		for (const channel_name of ['private-:', 'private room', 'private-ü-:id', 'x'.repeat(165), '', 7]) {
			assert.deepEqual(fieldsOf({ ...valid, channel_name }), ['channel_name'], String(channel_name));
		}
	});

	it('accepts constrained parameters', () => {
		assert.deepEqual(fieldsOf({ ...valid, channel_name: 'private-room-:roomId(\\d+)' }), []);
		assert.deepEqual(fieldsOf({ ...valid, channel_name: 'presence-:team-:room' }), []);
		// Nested groups inside a parameter regex are not literal text.
		assert.deepEqual(fieldsOf({ ...valid, channel_name: 'private-room-:id((?:ab)+)' }), []);
		assert.deepEqual(fieldsOf({ ...valid, channel_name: 'private-:x(a(?:b|c))-:y(\\d+)' }), []);
		assert.deepEqual(fieldsOf({ ...valid, channel_name: 'private-room-:id((?:ab)+)!' }), ['channel_name']);
	});

	it('refuses an unknown or missing collection, the channel rows themselves, and system collections with secrets or no item events', () => {
		assert.deepEqual(fieldsOf({ ...valid, collection: 'nope' }), ['collection']);
		assert.deepEqual(fieldsOf({ ...valid, collection: undefined }), ['collection']);
		const everything: ValidationDeps = { ...deps, collectionExists: () => true };
		const problem = (collection: string) => validateChannelPayload({ ...valid, collection }, everything, true).find((p) => p.field === 'collection')?.message ?? null;
		for (const allowed of ['directus_users', 'directus_files', 'directus_comments', 'directus_notifications', 'directus_folders', 'directus_roles']) {
			assert.equal(problem(allowed), null, allowed);
		}
		assert.match(problem('directus_sessions')!, /cannot be a source: it holds login sessions.*directus_users, directus_files/);
		assert.match(problem('directus_settings')!, /API keys/);
		assert.match(problem('directus_revisions')!, /channel scripts/);
		assert.match(problem('directus_shares')!, /share passwords/);
		assert.match(problem('directus_unknown_thing')!, /not one whose changes Directus reports/);
		assert.match(problem('realtime_channels')!, /channel rows themselves/);
	});

	it('refuses fields that are not a list of names', () => {
		for (const fields of ['*', [1], [''], { a: 1 }]) assert.deepEqual(fieldsOf({ ...valid, fields }), ['fields'], JSON.stringify(fields));
	});

	it('refuses scripts that are not text', () => {
		assert.deepEqual(fieldsOf({ ...valid, publisher: { code: 1 } }), ['publisher']);
	});

	it('checks only the fields a partial update sends', () => {
		assert.deepEqual(fieldsOf({ publisher: 'ok' }, false), []);
		assert.deepEqual(fieldsOf({ channel_name: 'private room' }, false), ['channel_name']);
	});

	it('refuses client events on a public channel pattern, on create and on updates judged with the saved row', () => {
		for (const channel_name of ['public-chat', 'chat-:id', 'cache-board', 'room-:id(\\d+)']) {
			const problems = validateChannelPayload({ ...valid, channel_name, client_events: true }, deps, true);
			assert.deepEqual(problems.map((p) => p.field), ['client_events'], channel_name);
			assert.match(problems[0]!.message, /public channel.*without a Directus account/, channel_name);
		}
		// Every spelling a database may store as true (PostgreSQL: t, yes, on), and anything unclear.
		for (const on of [1, '1', 'true', 't', 'yes', 'on', 'TRUE', 2, {}, [true]]) assert.deepEqual(fieldsOf({ ...valid, channel_name: 'chat', client_events: on }), ['client_events'], String(on));
		for (const channel_name of ['private-chat-:id', 'presence-room-:id', 'private-encrypted-x', 'private-cache-x', 'presence-cache-:id']) {
			assert.deepEqual(fieldsOf({ ...valid, channel_name, client_events: true }), [], channel_name);
		}
		assert.deepEqual(fieldsOf({ ...valid, channel_name: 'chat', client_events: false }), []);
		// Updates: only client_events on a saved public row; only the name, onto a public one, of a row with it on.
		assert.deepEqual(validateChannelPayload({ client_events: true }, deps, false, { channel_name: 'chat-:id', client_events: false }).map((p) => p.field), ['client_events']);
		assert.deepEqual(validateChannelPayload({ channel_name: 'chat-:id' }, deps, false, { channel_name: 'private-chat-:id', client_events: true }).map((p) => p.field), ['channel_name']);
		assert.deepEqual(validateChannelPayload({ channel_name: 'chat-:id' }, deps, false, { channel_name: 'private-chat-:id', client_events: 1 }).map((p) => p.field), ['channel_name']);
		// Both at once to an allowed combination, or turning it off on a legacy public row: fine.
		assert.deepEqual(validateChannelPayload({ channel_name: 'private-chat-:id', client_events: true }, deps, false, { channel_name: 'chat-:id', client_events: false }), []);
		assert.deepEqual(validateChannelPayload({ client_events: false }, deps, false, { channel_name: 'chat-:id', client_events: true }), []);
		assert.deepEqual(validateChannelPayload({ channel_name: 'chat-:id', client_events: false }, deps, false, { channel_name: 'private-x', client_events: true }), []);
	});

	it('requires a pattern and a collection on create', () => {
		assert.deepEqual(fieldsOf({}, true), ['channel_name', 'collection']);
	});

	it('refuses a parameter regex that can backtrack catastrophically, saying why', () => {
		for (const channel_name of ['private-:id((?:a+)+)', 'private-:id((?:a|a)*)']) {
			const problems = validateChannelPayload({ ...valid, channel_name }, deps, true);
			assert.deepEqual(problems.map((p) => p.field), ['channel_name'], channel_name);
			assert.match(problems[0]!.message, /parameter "id".*backtrack catastrophically/, channel_name);
		}
	});

	it('accepts the seed\'s patterns and a safe repetition', () => {
		for (const channel_name of ['private-chat-:userId', 'presence-chat-:userId', 'private-room-:roomId(\\d+)', 'private-chat-notification-:userId', 'presence-:team-:room', 'private-:ids((?:\\d+-)+)']) {
			assert.deepEqual(validateChannelPayload({ ...valid, channel_name }, deps, true), [], channel_name);
		}
	});
});

describe('permission mode settings', () => {
	const row = { ...valid, authorizer: null, publisher: null, authorize: 'permissions' };

	it('accepts a complete script-free row', () => {
		assert.deepEqual(validateChannelPayload({ ...row, presence_user_fields: ['first_name', 'avatar'], event_names: { created: 'added' } }, deps, true), []);
		assert.deepEqual(validateChannelPayload({ ...row, event_names: '{"updated":"changed"}' }, deps, true), []);
	});

	it('refuses an unknown mode, secrets or odd names among the presence fields, and bad event names', () => {
		assert.deepEqual(fieldsOf({ ...row, authorize: 'everyone' }), ['authorize']);
		for (const field of ['password', 'token', 'auth_data', 'tfa_secret', 'json(auth_data)', 'a.b', 7]) {
			assert.deepEqual(fieldsOf({ ...row, presence_user_fields: ['first_name', field] }), ['presence_user_fields'], String(field));
		}
		assert.deepEqual(fieldsOf({ ...row, presence_user_fields: 'first_name' }), ['presence_user_fields']);
		assert.deepEqual(fieldsOf({ ...row, presence_user_fields: Array.from({ length: 21 }, (_, i) => `f${i}`) }), ['presence_user_fields']);
		for (const event_names of [[], 'not json', { created: '' }, { created: 'pusher:x' }, { removed: 'x' }, { created: 'x'.repeat(201) }]) {
			assert.deepEqual(fieldsOf({ ...row, event_names }), ['event_names'], JSON.stringify(event_names));
		}
	});

	it('refuses relational fields in permission mode, which the permission check does not cover', () => {
		assert.deepEqual(fieldsOf({ ...row, fields: ['id', 'author.email'] }), ['fields']);
		assert.deepEqual(fieldsOf({ ...valid, fields: ['id', 'author.email'] }), []);
	});
});
