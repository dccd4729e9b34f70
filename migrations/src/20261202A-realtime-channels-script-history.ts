/**
 * Brings installs made before scripts were kept out of revisions to the same protection: the
 * collection records activity only (who changed which row, when), and the revisions already
 * stored lose their script text (their other fields and the activity stay). The removed script
 * text cannot be brought back by `down`; docs/scripts.md ("Security model") says so.
 */
import type { Knex } from 'knex';
import { carriesScripts, revisionWithoutScripts } from '@directus-realtime/shared/channels/admin-only';
import { CHANNELS_COLLECTION } from '@directus-realtime/shared/channels/row';

const stored = (value: unknown) => (value === null || value === undefined || typeof value === 'string' ? value : JSON.stringify(value));

export async function up(knex: Knex): Promise<void> {
	await knex('directus_collections').where({ collection: CHANNELS_COLLECTION, accountability: 'all' }).update({ accountability: 'activity' });
	const revisions = await knex('directus_revisions').select('id', 'collection', 'data', 'delta').where({ collection: CHANNELS_COLLECTION });
	for (const revision of revisions) {
		if (!carriesScripts(revision.data) && !carriesScripts(revision.delta)) continue;
		const { data, delta } = revisionWithoutScripts(revision);
		await knex('directus_revisions').where({ id: revision.id }).update({ data: stored(data), delta: stored(delta) });
	}
}

export async function down(knex: Knex): Promise<void> {
	await knex('directus_collections').where({ collection: CHANNELS_COLLECTION, accountability: 'activity' }).update({ accountability: 'all' });
}
