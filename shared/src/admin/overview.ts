/**
 * The channel rows as admins see them in GET /realtime/health: every row (enabled or not), its
 * channel kind and type, its place in the match order among enabled rows of its kind (1 decides first;
 * null when disabled or its pattern is skipped), and its counters since this process started.
 */
import type { Knex } from 'knex';
import { channelPattern } from '../channels/pattern.js';
import { compareChannels, type Channel } from '../channels/registry.js';
import { CHANNEL_COLUMNS, CHANNELS_COLLECTION, rowModeSummary } from '../channels/row.js';
import { normalizeRow } from '../channels/source.js';
import type { DeliveryActivity } from '../delivery/activity.js';
import { channelKind, channelType, type ChannelKind } from '../pusher/names.js';
import type { RowOverview } from '../wire.js';

export async function channelRowsOverview(database: Knex, activity: DeliveryActivity): Promise<RowOverview[]> {
	const rows = ((await database(CHANNELS_COLLECTION).select([...CHANNEL_COLUMNS])) as Array<Record<string, unknown>>).map(normalizeRow);
	const compiled: Channel[] = [];
	for (const row of rows) {
		if (!row.enabled) continue;
		try {
			const pattern = channelPattern(row.channel_name);
			compiled.push({ row, pattern, kind: pattern.kind, type: pattern.type, label: '' });
		} catch {
			// Skipped by the registry too: no place in the order.
		}
	}
	const order = new Map<string, number>();
	const places = new Map<ChannelKind, number>();
	for (const channel of compiled.sort(compareChannels)) {
		const place = (places.get(channel.kind) ?? 0) + 1;
		places.set(channel.kind, place);
		order.set(channel.row.id, place);
	}
	return rows
		.map((row) => ({
			id: row.id,
			channel_name: row.channel_name,
			collection: row.collection,
			type: channelType(row.channel_name),
			kind: channelKind(row.channel_name),
			enabled: row.enabled,
			order: order.get(row.id) ?? null,
			...rowModeSummary(row),
			counters: activity.counters(row.id),
		}))
		.sort((a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : (a.order ?? Infinity) - (b.order ?? Infinity) || (a.channel_name < b.channel_name ? -1 : 1)));
}

/** A saved row by id, enabled or not (dry-runs); null when there is none. */
export function databaseRowLoader(database: Knex) {
	return async (id: string) => {
		const raw = (await database(CHANNELS_COLLECTION).select([...CHANNEL_COLUMNS]).where({ id }).first()) as Record<string, unknown> | undefined;
		return raw ? normalizeRow(raw) : null;
	};
}
