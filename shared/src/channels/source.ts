/** Reads channel rows straight from the database (no permissions apply: this is the system's own read). */
import type { Knex } from 'knex';
import type { ChannelSource } from './registry.js';
import { CHANNELS_COLLECTION, CHANNEL_COLUMNS, type ChannelRow } from './row.js';

const bool = (value: unknown) => value === true || value === 1 || value === '1' || value === 'true';

function parseFields(value: unknown): string[] {
	let list = value;
	if (typeof value === 'string') {
		try {
			list = JSON.parse(value);
		} catch {
			list = value.split(',');
		}
	}
	const fields = Array.isArray(list) ? list.map((f) => String(f).trim()).filter(Boolean) : [];
	return fields.length > 0 ? fields : ['*'];
}

export function normalizeRow(raw: Record<string, unknown>): ChannelRow {
	return {
		id: String(raw.id),
		enabled: bool(raw.enabled),
		sort: raw.sort === null || raw.sort === undefined ? null : Number(raw.sort),
		channel_name: String(raw.channel_name ?? ''),
		collection: String(raw.collection ?? ''),
		// Frozen: nothing changes a row's field list, and fieldSetKey remembers frozen lists' keys.
		fields: Object.freeze(parseFields(raw.fields)) as string[],
		authorizer: typeof raw.authorizer === 'string' ? raw.authorizer : null,
		publisher: typeof raw.publisher === 'string' ? raw.publisher : null,
		trigger_on_create: bool(raw.trigger_on_create),
		trigger_on_update: bool(raw.trigger_on_update),
		trigger_on_delete: bool(raw.trigger_on_delete),
		client_events: bool(raw.client_events),
	};
}

export function databaseChannelSource(database: Knex): ChannelSource {
	return {
		async load() {
			const rows = await database(CHANNELS_COLLECTION).select(CHANNEL_COLUMNS as unknown as string[]);
			return rows.map(normalizeRow).filter((row) => row.enabled);
		},
		async signature() {
			const row = await database(CHANNELS_COLLECTION)
				.count({ n: '*' })
				.max({ created: 'date_created' })
				.max({ updated: 'date_updated' })
				.first();
			return JSON.stringify(row ?? null);
		},
	};
}
