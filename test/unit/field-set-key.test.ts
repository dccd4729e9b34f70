import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fieldSetKey } from '../../shared/src/items/types.js';
import { normalizeRow } from '../../shared/src/channels/source.js';

describe('fieldSetKey: one key per field set', () => {
	it('ignores the order of the fields', () => {
		assert.equal(fieldSetKey(['b', 'a']), fieldSetKey(['a', 'b']));
		assert.notEqual(fieldSetKey(['a']), fieldSetKey(['a', 'b']));
	});

	it('follows a list that changed since its last key (only frozen lists are remembered)', () => {
		const fields = ['a'];
		assert.equal(fieldSetKey(fields), '["a"]');
		fields.push('b');
		assert.equal(fieldSetKey(fields), '["a","b"]');
	});

	it('gives the same key again for a channel row, whose field list is frozen', () => {
		const row = normalizeRow({ id: 1, enabled: true, channel_name: 'c', collection: 'x', fields: '["title","id"]' });
		assert.equal(Object.isFrozen(row.fields), true);
		assert.equal(fieldSetKey(row.fields), '["id","title"]');
		assert.equal(fieldSetKey(row.fields), '["id","title"]');
		assert.throws(() => row.fields.push('secret'));
	});
});
