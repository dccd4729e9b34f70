/**
 * The realtime_channels table in its other two set-ups, each on a fresh database: made on start
 * with RT_DONT_PRESET (no Data Model preset), and made by the migration file before the server
 * ever starts (the start then has nothing to do). Beside channels-table.test.ts, so that neither
 * file's Directus restarts add up past one file's time limit on a slow database.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectDatabase } from '../harness/databases.js';
import { startDirectus, type Directus } from '../harness/directus.js';
import { createdOnStart, fieldCounts, migrationFiles } from '../harness/channels-table.js';

const DB = process.env.DB ?? 'sqlite';

describe(`the table with RT_DONT_PRESET (${DB})`, () => {
	let directus: Directus;
	before(async () => {
		directus = await startDirectus({ env: { RT_DONT_PRESET: 'true' }, fresh: true });
	});
	after(async () => directus?.stop());

	it('creates the table without the preset', async () => {
		const db = connectDatabase(directus.dbEnv);
		try {
			assert.ok(await db.schema.hasTable('realtime_channels'));
			assert.equal(Number((await db('directus_fields').where({ collection: 'realtime_channels' }).count({ n: '*' }).first()).n), 0);
			assert.equal(await db('directus_collections').where({ collection: 'realtime_channels' }).first(), undefined);
		} finally {
			await db.destroy();
		}
	});
});

describe(`the realtime_channels table, made by the migration file (${DB})`, () => {
	let directus: Directus;
	before(async () => {
		// Bootstrap runs the migration file (MIGRATIONS_PATH), before the server ever starts.
		directus = await startDirectus({ migrations: true, fresh: true });
	});
	after(async () => directus?.stop());

	it('leaves the start nothing to do, and the same schema as the start-up path', async () => {
		assert.equal(createdOnStart(directus).length, 0);
		assert.ok(directus.logs().every((l) => !/realtime: (created|added|switched)/.test(String(l.msg))), 'no change on start');
		const counts = await fieldCounts(directus);
		assert.ok(Object.values(counts).every((n) => n === 1), JSON.stringify(counts));
		const collection = (await directus.request('GET', '/collections/realtime_channels')).body.data;
		assert.equal(collection.meta.accountability, 'activity');
		assert.equal(collection.meta.sort_field, 'sort');
	});

	it('has an id not in Directus\' own YYYYMMDD[A-Z] form', () => {
		for (const file of migrationFiles()) assert.doesNotMatch(file, /^\d{8}[A-Z]-/, file);
	});
});
