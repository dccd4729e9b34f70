/** What the suites about the realtime_channels table look at: field metadata rows, start-up logs and the built migration files. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { connectDatabase } from './databases.js';
import type { Directus } from './directus.js';
import { ROOT } from './paths.js';

/** The migration files the build made (migrations/dist). */
export function migrationFiles(): string[] {
	return readdirSync(join(ROOT, 'migrations', 'dist')).filter((f) => f.endsWith('.mjs'));
}

/** How many directus_fields rows each field of realtime_channels has (1 each when nothing was doubled). */
export async function fieldCounts(directus: Directus): Promise<Record<string, number>> {
	const db = connectDatabase(directus.dbEnv);
	try {
		const rows = await db('directus_fields').select('field').where({ collection: 'realtime_channels' });
		const counts: Record<string, number> = {};
		for (const { field } of rows) counts[field] = (counts[field] ?? 0) + 1;
		return counts;
	} finally {
		await db.destroy();
	}
}

/** The log lines in which this instance's start created the table. */
export const createdOnStart = (directus: Directus) => directus.logs().filter((l) => /realtime: .*created table realtime_channels/.test(String(l.msg)));
