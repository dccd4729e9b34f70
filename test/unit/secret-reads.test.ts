import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SchemaLike } from '../../shared/src/auth/redact.js';
import { fieldReadsSecret, queryReadsSecret } from '../../shared/src/auth/secret-reads.js';

const schema: SchemaLike = {
	collections: {
		directus_users: { fields: { id: { type: 'uuid' }, first_name: { type: 'string' }, auth_data: { type: 'json' }, token: { type: 'string', special: ['conceal'] } } },
		docs: { fields: { id: { type: 'integer' }, meta: { type: 'json' }, pin: { type: 'hash', special: ['hash'] } } },
	},
};

describe('field requests that read a secret under another name', () => {
	it('finds functions over secrets, at any relational depth, and leaves other fields alone', () => {
		for (const field of ['json(auth_data, refresh_token)', 'user_created.json(auth_data, a.b)', 'json( token , x)', 'count(pin)', 'year(owner.password)']) {
			assert.equal(fieldReadsSecret(schema, field), true, field);
		}
		for (const field of ['json(meta, color)', 'year(date_created)', 'auth_data', '*.*', 'first_name', 'count(id)']) {
			assert.equal(fieldReadsSecret(schema, field), false, field);
		}
	});

	it('finds them in a query: fields, alias, deep, aggregate, groupBy', () => {
		const bad = [
			{ fields: ['id', 'json(auth_data, x)'] },
			{ fields: 'id,json(auth_data, x)' },
			{ alias: { a: 'auth_data' }, fields: ['a'] },
			{ alias: { a: 'json(auth_data, x)' } },
			{ deep: { user_created: { _alias: { t: 'token' } } } },
			{ deep: { user_created: { role: { _fields: ['json(auth_data, x)'] } } } },
			{ aggregate: { max: ['auth_data'] } },
			{ groupBy: ['json(auth_data, x)'] },
			{ filter: { auth_data: { _contains: 'a' } } },
			{ filter: { _or: [{ id: { _eq: 1 } }, { owner: { token: { _starts_with: 'a' } } }] } },
			{ filter: { 'year(password)': { _eq: 1 } } },
			{ sort: ['-token'] },
			{ sort: 'id,auth_data' },
			{ deep: { owner: { _filter: { tfa_secret: { _null: false } } } } },
			{ deep: { owner: { _sort: ['pin'] } } },
		];
		for (const query of bad) assert.notEqual(queryReadsSecret(schema, query), null, JSON.stringify(query));
		for (const query of [{}, { fields: ['*', 'json(meta, a)'] }, { alias: { n: 'first_name' } }, { deep: { user_created: { _limit: 1 } } }, { aggregate: { count: ['*'] } }, { filter: { _and: [{ first_name: { _eq: 'a' } }] }, sort: ['-id'] }]) {
			assert.equal(queryReadsSecret(schema, query), null, JSON.stringify(query));
		}
	});
});
