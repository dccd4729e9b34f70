/**
 * The channel a dry-run runs: a saved row (enabled or not), or unsaved script text with the
 * pattern it would be saved under, compiled as the registry compiles rows.
 */
import { RealtimeError } from '../errors.js';
import { channelPattern } from '../channels/pattern.js';
import type { Channel } from '../channels/registry.js';
import { DEFAULT_EVENT_NAMES, publishesByDefault, type ChannelRow } from '../channels/row.js';
import { decidedByPermissions } from '../auth/permission-join.js';
import type { ScriptSource } from './dry-run-request.js';

/** A saved row by id, or null. */
export type RowLoader = (id: string) => Promise<ChannelRow | null>;

export const UNSAVED_ROW_ID = 'unsaved';

export async function dryRunChannel(
	source: ScriptSource,
	kind: 'authorizer' | 'publisher',
	loadRow: RowLoader,
	unsaved: Partial<ChannelRow> = {},
): Promise<Channel> {
	let row: ChannelRow;
	if ('row' in source) {
		const found = await loadRow(source.row);
		if (found === null) throw new RealtimeError('NOT_FOUND', `no channel row ${source.row}`);
		// A row in permission mode has no scripts to run: its decision or default publishing is dry-run instead.
		const byPermissions = kind === 'authorizer' ? decidedByPermissions(found) : publishesByDefault(found);
		if (!found[kind]?.trim() && !byPermissions) throw new RealtimeError('INVALID_PAYLOAD', `channel row ${source.row} has no ${kind}`);
		row = found;
	} else {
		row = {
			id: UNSAVED_ROW_ID,
			enabled: true,
			sort: null,
			channel_name: source.pattern,
			collection: '',
			fields: ['*'],
			authorizer: null,
			publisher: null,
			trigger_on_create: true,
			trigger_on_update: true,
			trigger_on_delete: true,
			client_events: false,
			authorize: 'script',
			presence_user_fields: [],
			event_names: { ...DEFAULT_EVENT_NAMES },
			...unsaved,
			[kind]: source.script,
		};
	}
	// Throws INVALID_PATTERN with the reason for a pattern the registry would skip.
	const pattern = channelPattern(row.channel_name);
	return { row, pattern, kind: pattern.kind, type: pattern.type, label: row.id === UNSAVED_ROW_ID ? `the unsaved ${kind} (${row.channel_name})` : `channel row ${row.id} (${row.channel_name})` };
}
