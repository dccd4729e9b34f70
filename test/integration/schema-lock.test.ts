/**
 * The schema lock at start-up: a session that holds it and never lets go (an instance stuck
 * mid-work, a console left open with the lock taken) must not hold every later start forever.
 * The start gives up after its wait with a message naming the lock, touching nothing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connectDatabase, createDatabase, type Database } from '../harness/databases.js';
import { ensureChannelsSchema } from '../../shared/src/schema/channels-table.js';

const KINDS = process.env.DB === 'mysql' ? (['mysql'] as const) : (['postgres'] as const);
const PG_LOCK_KEY = '7301164730524139611';
const LOCK_NAME = 'directus-realtime-pusher:schema';

for (const kind of KINDS) {
	describe(`the schema lock held by another session forever (${kind})`, () => {
		const dir = mkdtempSync(join(tmpdir(), 'rt-lock-'));
		let database: Database;
		let holder: ReturnType<typeof connectDatabase>;
		let starter: ReturnType<typeof connectDatabase>;
		let holding: { release(): Promise<void> };
		before(async () => {
			database = await createDatabase(kind, dir);
			holder = connectDatabase(database.env);
			starter = connectDatabase(database.env);
			// One pinned connection takes the lock and keeps it until the test ends.
			const trx = await (holder as any).transaction();
			if (kind === 'postgres') await trx.raw('select pg_advisory_lock(?::bigint)', [PG_LOCK_KEY]);
			else await trx.raw('select get_lock(?, 5)', [LOCK_NAME]);
			holding = { release: () => trx.rollback() };
		});
		after(async () => {
			await holding?.release().catch(() => {});
			await holder?.destroy();
			await starter?.destroy();
			await database?.drop();
			rmSync(dir, { recursive: true, force: true });
		});

		it('gives up after the wait with a message naming the lock, and creates nothing', async () => {
			const started = Date.now();
			const hung = new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 20_000).unref());
			const outcome = await Promise.race([
				ensureChannelsSchema(starter as any, { preset: false, lockWaitMs: 1_500 }).then(
					() => 'done' as const,
					(error: Error) => error,
				),
				hung,
			]);
			assert.notEqual(outcome, 'hung', 'the start waited on the lock with no end');
			assert.ok(outcome instanceof Error, `the start fails rather than working without the lock: ${String(outcome)}`);
			assert.match(outcome.message, /realtime_channels schema lock .*still held by another database session/);
			assert.ok(Date.now() - started < 10_000, `gave up after the wait, not after retries (${Date.now() - started} ms)`);
			assert.equal(await (starter as any).schema.hasTable('realtime_channels'), false);
		});
	});
}
