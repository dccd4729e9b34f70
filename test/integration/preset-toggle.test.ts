/**
 * RT_DONT_PRESET switched on and off across restarts: the preset is added when it is off, never
 * added twice, never removed when it is turned back on, and an admin's change to a field's
 * metadata outlives every restart.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectDatabase } from '../harness/databases.js';
import { startDirectus, type Directus } from '../harness/directus.js';

const DB = process.env.DB ?? 'sqlite';

describe(`RT_DONT_PRESET toggled across restarts (${DB})`, () => {
	let directus: Directus;
	before(async () => {
		directus = await startDirectus({ env: { RT_DONT_PRESET: 'true' }, fresh: true });
	});
	after(async () => directus?.stop());

	const snapshot = async () => {
		const db = connectDatabase(directus.dbEnv);
		try {
			const fields = await db('directus_fields').select('field', 'note').where({ collection: 'realtime_channels' });
			const collections = await db('directus_collections').select('collection').where({ collection: 'realtime_channels' });
			const counts: Record<string, number> = {};
			for (const { field } of fields) counts[field] = (counts[field] ?? 0) + 1;
			return { counts, collections: collections.length, notes: Object.fromEntries(fields.map((f: any) => [f.field, f.note])) };
		} finally {
			await db.destroy();
		}
	};

	it('adds the preset once when turned off, keeps it (and an admin edit) when turned back on', async () => {
		assert.deepEqual((await snapshot()).counts, {});
		await directus.restart({ RT_DONT_PRESET: undefined });
		const added = await snapshot();
		assert.equal(added.collections, 1);
		assert.ok(Object.keys(added.counts).length > 5 && Object.values(added.counts).every((n) => n === 1), JSON.stringify(added.counts));

		const edit = await directus.request('PATCH', '/fields/realtime_channels/note', { meta: { note: 'edited by an admin' } });
		assert.equal(edit.status, 200, edit.text);

		await directus.restart({ RT_DONT_PRESET: 'true' });
		await directus.restart({ RT_DONT_PRESET: undefined });
		const after = await snapshot();
		assert.deepEqual(after.counts, added.counts, 'nothing removed, nothing added twice');
		assert.equal(after.collections, 1);
		assert.equal(after.notes.note, 'edited by an admin');
	});
});
