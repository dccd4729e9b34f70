/**
 * The `realtime_channels` table on first start: before Directus serves a request, the table and
 * its Data Model preset are created or completed (the same code the migration file runs, so
 * either way in leaves the same schema). When Directus' cached schema predates the table, the
 * cache is cleared, so the collection shows at once. A failure stops the start: without
 * the table nothing would publish or authorize, and a running server would hide why.
 * Resolves to whether anything was changed.
 */
import type { Knex } from 'knex';
import { CHANNELS_COLLECTION, ensureChannelsSchema, loadDirectusModule, type Logger, type SchemaOutcome } from '@directus-realtime/shared';

type ClearSystemCache = (options?: { forced?: boolean }) => Promise<void>;

export async function ensureChannelsTable(
	database: Knex,
	options: { preset: boolean },
	logger: Logger,
	getSchema: () => Promise<{ collections: Record<string, unknown> }>,
): Promise<boolean> {
	let outcome: SchemaOutcome;
	try {
		outcome = await ensureChannelsSchema(database, options);
	} catch (error) {
		throw new Error(
			`could not create or complete the realtime_channels table: ${(error as Error).message}. ` +
				'Give the database user the right to create tables, or run the migration (docs/operations.md) with one that has it.',
		);
	}
	if (outcome.changes.length > 0) logger.info(`realtime: ${outcome.changes.join('; ')}`);
	// Directus reads its schema before this runs (to load extension settings). The table may have
	// been made since, here or by another instance starting beside this one: then that copy
	// lacks it, and the collection would answer 403 until the next restart.
	const changed = outcome.changes.length > 0;
	if (outcome.wasComplete && CHANNELS_COLLECTION in (await getSchema()).collections) return changed;
	const cache = await loadDirectusModule<{ clearSystemCache?: ClearSystemCache }>('cache');
	if (cache?.clearSystemCache) await cache.clearSystemCache({ forced: true });
	else logger.warn("realtime: Directus' schema cache could not be cleared; the realtime_channels collection shows after a restart");
	return changed;
}
