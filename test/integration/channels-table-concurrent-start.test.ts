/**
 * Several Directus instances starting at once on one database: the realtime_channels table and
 * its preset are made once, and every instance serves the collection at once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectDatabase } from '../harness/databases.js';
import { startDirectus, type Directus } from '../harness/directus.js';
import { createdOnStart, fieldCounts } from '../harness/channels-table.js';
import { createChannel } from '../harness/fixtures.js';

const DB = process.env.DB ?? 'sqlite';
const MIN_FIELDS = 10;

// SQLite runs are one process per file in practice; the servers several instances share are
// PostgreSQL and MySQL. The SQLite pass runs this on PostgreSQL, the DB=mysql pass on MySQL.
const SHARED_DB = DB === 'mysql' ? 'mysql' : 'postgres';

describe(`the realtime_channels table when three instances start at once on one ${SHARED_DB} database`, () => {
	let first: Directus;
	const instances: Directus[] = [];
	before(async () => {
		// A bootstrapped database without the table: the first instance runs without the bundle.
		first = await startDirectus({ db: SHARED_DB, extensions: false });
		await first.halt();
		instances.push(...(await Promise.all([1, 2, 3].map(() => startDirectus({ db: SHARED_DB, sameDatabaseAs: first })))));
	});
	after(async () => {
		await Promise.allSettled(instances.map((d) => d.stop()));
		await first?.stop();
	});

	it('creates the table and its preset once: one instance does it, the others find it done', async () => {
		assert.equal(instances.map((d) => createdOnStart(d).length).reduce((a, b) => a + b, 0), 1);
		const counts = await fieldCounts(first);
		assert.ok(Object.keys(counts).length >= MIN_FIELDS, JSON.stringify(counts));
		assert.ok(Object.values(counts).every((n) => n === 1), `no field preset twice: ${JSON.stringify(counts)}`);
		const db = connectDatabase(first.dbEnv);
		try {
			assert.equal(Number((await db('directus_collections').where({ collection: 'realtime_channels' }).count({ n: '*' }).first()).n), 1);
		} finally {
			await db.destroy();
		}
	});

	it('serves the collection on every instance at once, with no restart', async () => {
		for (const [i, d] of instances.entries()) {
			const row = await createChannel(d, { channel_name: `concurrent-${i}`, collection: 'directus_folders', publisher: '' });
			for (const other of instances) {
				const read = await other.request('GET', `/items/realtime_channels/${row.id}`);
				assert.equal(read.status, 200, `instance ${instances.indexOf(other)} reads a row made on instance ${i}: ${read.text}`);
			}
		}
	});
});
