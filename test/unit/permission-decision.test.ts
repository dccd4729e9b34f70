import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { channelParamsOf } from '../../shared/src/channels/permission-mode.js';
import { channelScope, decideItems, impliedBy, sentFields, type PermissionSchema } from '../../shared/src/auth/permission-decision.js';
import { decidePermissionJoin } from '../../shared/src/auth/permission-join.js';
import type { ReadAccess } from '../../shared/src/auth/read-access.js';

const schema: PermissionSchema = {
	collections: {
		articles: {
			primary: 'id',
			fields: {
				id: { type: 'integer' },
				title: { type: 'string' },
				owner: { type: 'uuid' },
				password: { type: 'hash', special: ['hash'] },
				divider: { type: 'alias', special: ['alias', 'no-data'] },
			},
		},
		docs: { primary: 'id', fields: { id: { type: 'uuid' }, title: { type: 'string' } } },
	},
};

const OWNER = '6f1c6a52-3b0f-4c55-8d0e-2a6c1f6d9b21';

describe('permission mode: what a channel carries and sends', () => {
	it('expands * to the fields with data, without secrets', () => {
		assert.deepEqual(sentFields(schema, 'articles', ['*']), { fields: ['id', 'title', 'owner'] });
		assert.deepEqual(sentFields(schema, 'articles', ['title', 'password']), { fields: ['title'] });
	});

	it('refuses relational paths, functions and unknown fields, which the check does not cover', () => {
		for (const field of ['owner.email', 'count(id)', 'nope']) assert.ok('problem' in sentFields(schema, 'articles', [field]), field);
	});

	it('a parameter named after the primary key names one item; other parameters a filter', () => {
		assert.deepEqual(channelScope(schema, 'articles', { id: '5' }), { kind: 'item', primaryKey: 'id', key: '5' });
		assert.deepEqual(channelScope(schema, 'articles', {}), { kind: 'items', filter: {} });
		assert.deepEqual(channelScope(schema, 'articles', { owner: OWNER }), { kind: 'items', filter: { owner: OWNER } });
	});

	it('refuses keys their column cannot hold and parameters that name no field', () => {
		for (const id of ['abc', '1.5', '99999999999999999999', '']) assert.ok('problem' in channelScope(schema, 'articles', { id }), id);
		assert.ok('problem' in channelScope(schema, 'docs', { id: 'not-a-uuid' }));
		assert.ok('problem' in channelScope(schema, 'articles', { userId: '1' }));
	});
});

describe('permission mode: item rules a channel implies', () => {
	const filter = { owner: OWNER };
	it('no rule, and field = value clauses the channel fixes to that value', () => {
		assert.equal(impliedBy(null, filter), true);
		assert.equal(impliedBy({ owner: { _eq: OWNER } }, filter), true);
		assert.equal(impliedBy({ _and: [{ owner: { _eq: OWNER } }] }, filter), true);
		assert.equal(impliedBy({ _or: [{ owner: { _eq: 'x' } }, { owner: { _in: ['y', OWNER] } }] }, filter), true);
	});

	it('not another value, another field, another operator, or a rule on the whole collection', () => {
		assert.equal(impliedBy({ owner: { _eq: 'someone else' } }, filter), false);
		assert.equal(impliedBy({ status: { _eq: 'published' } }, filter), false);
		assert.equal(impliedBy({ owner: { _neq: 'x' } }, filter), false);
		assert.equal(impliedBy({ owner: { _eq: OWNER } }, {}), false);
		assert.equal(impliedBy({ owner: {} }, filter), false);
		assert.equal(impliedBy({ _and: [{ owner: { _eq: OWNER } }, { status: { _eq: 'published' } }] }, filter), false);
	});
});

describe('permission mode: the decision for a channel of items', () => {
	it('grants when the permissions covering every item include every field sent', () => {
		const decision = decideItems([{ policy: 'p1', fields: ['*'], permissions: {} }], {}, ['id', 'title'], 'articles');
		assert.equal(decision.granted, true);
		assert.match(decision.reason, /p1/);
	});

	it('refuses without permission, with an item rule the channel does not imply, and names a field not granted', () => {
		assert.equal(decideItems([], {}, ['id'], 'articles').granted, false);
		assert.equal(decideItems([{ fields: ['*'], permissions: { owner: { _eq: OWNER } } }], {}, ['id'], 'articles').granted, false);
		const decision = decideItems([{ fields: ['id'], permissions: null }, { fields: ['title'], permissions: { owner: { _eq: 'x' } } }], {}, ['id', 'title'], 'articles');
		assert.deepEqual(decision.granted ? null : decision.field, 'title');
	});

	it('an inbox: a rule owner = the caller covers the channel of the caller\'s items only', () => {
		const rules = [{ fields: ['*'], permissions: { owner: { _eq: OWNER } } }];
		assert.equal(decideItems(rules, { owner: OWNER }, ['id'], 'articles').granted, true);
		assert.equal(decideItems(rules, { owner: 'another' }, ['id'], 'articles').granted, false);
	});
});

describe('permission mode: the join', () => {
	const access = (readable: Set<string>): ReadAccess & { asked: string[] } => {
		const asked: string[] = [];
		return {
			asked,
			async item(_collection, key, fields) {
				asked.push(`${key}:${fields.join(',')}`);
				return fields.every((f) => readable.has(f)) && key === '1';
			},
			async rules() {
				return [];
			},
		};
	};

	it('asks Directus for the item with every field sent; the dry-run names the refused field', async () => {
		const row = { collection: 'articles', fields: ['id', 'title'] };
		assert.equal((await decidePermissionJoin(row, { id: '1' }, access(new Set(['id', 'title'])), schema)).granted, true);
		const narrow = access(new Set(['id']));
		const refused = await decidePermissionJoin(row, { id: '1' }, narrow, schema, true);
		assert.deepEqual(refused.granted ? null : refused.field, 'title');
		assert.deepEqual(narrow.asked, ['1:id,title', '1:', '1:id', '1:title']);
	});

	it('refuses without asking when the name cannot be judged', async () => {
		const none = access(new Set());
		assert.equal((await decidePermissionJoin({ collection: 'articles', fields: ['owner.email'] }, { id: '1' }, none, schema)).granted, false);
		assert.equal((await decidePermissionJoin({ collection: 'articles', fields: ['id'] }, { id: 'x' }, none, schema)).granted, false);
		assert.deepEqual(none.asked, []);
	});
});

describe('default publishing: the channel an item names', () => {
	it('fills each parameter from the item field of its name', () => {
		assert.deepEqual(channelParamsOf(['id'], { id: 5, title: 't' }), { id: '5' });
		assert.deepEqual(channelParamsOf(['owner'], { owner: OWNER }), { owner: OWNER });
		assert.deepEqual(channelParamsOf([], { id: 1 }), {});
	});

	it('names no channel when a parameter is missing, empty of value or a related object', () => {
		assert.equal(channelParamsOf(['owner'], { id: 1 }), null);
		assert.equal(channelParamsOf(['owner'], { owner: null }), null);
		assert.equal(channelParamsOf(['owner'], { owner: { id: OWNER } }), null);
	});
});
