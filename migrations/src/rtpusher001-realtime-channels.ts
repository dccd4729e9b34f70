/**
 * `realtime_channels` and its Data Model preset, for projects that run schema changes with
 * `npx directus database migrate:latest` (copy the built file into MIGRATIONS_PATH). The hook
 * does the same on start-up; both call one function, so either order is a no-op the second time,
 * and a table made by the seed extension keeps its rows. RT_DONT_PRESET skips the preset.
 *
 * The id (`rtpusher001`) is not in Directus' own `YYYYMMDD[A-Z]` form, so it can never be taken
 * for, or collide with, one of Directus' migrations; it sorts after all of them.
 */
import type { Knex } from 'knex';
import { dropChannelsSchema, ensureChannelsSchema, readBoolean } from '@directus-realtime/shared';
import { directusEnv } from './directus-env.js';

export async function up(knex: Knex): Promise<void> {
	await ensureChannelsSchema(knex, { preset: !readBoolean(await directusEnv(), 'RT_DONT_PRESET') });
}

export async function down(knex: Knex): Promise<void> {
	await dropChannelsSchema(knex);
}
