/** A row of the `realtime_channels` collection, as the bundle reads it. */
export const CHANNELS_COLLECTION = 'realtime_channels';

export type ChannelAction = 'create' | 'update' | 'delete';

/**
 * Who decides a join when the row has no authorizer script: `script` (the seed's rule: nobody)
 * or `permissions` (Directus' own read permissions of the caller; see auth/permission-decision.ts).
 */
export type AuthorizeMode = 'script' | 'permissions';
export const AUTHORIZE_MODES: readonly AuthorizeMode[] = ['script', 'permissions'];

/** The event names of default publishing (a `permissions` row without a publisher). */
export interface EventNames {
	created: string;
	updated: string;
	deleted: string;
}
export const DEFAULT_EVENT_NAMES: EventNames = Object.freeze({ created: 'created', updated: 'updated', deleted: 'deleted' });

export interface ChannelRow {
	id: string;
	enabled: boolean;
	sort: number | null;
	channel_name: string;
	collection: string;
	fields: string[];
	authorizer: string | null;
	publisher: string | null;
	trigger_on_create: boolean;
	trigger_on_update: boolean;
	trigger_on_delete: boolean;
	/** client_event webhooks of the channels this row decides become `realtime.client_event` actions. */
	client_events: boolean;
	/** What decides a join when `authorizer` is empty; `script` for rows saved before this setting. */
	authorize: AuthorizeMode;
	/** Fields of the caller's user row a `permissions` presence channel shows as user_info. */
	presence_user_fields: string[];
	/** Event names of default publishing. */
	event_names: EventNames;
}

/** Whether the row's joins are decided by permissions (no authorizer script, mode `permissions`). */
export function decidedByPermissions(row: Pick<ChannelRow, 'authorizer' | 'authorize'>): boolean {
	return row.authorize === 'permissions' && !row.authorizer?.trim();
}

/** The mode in force and what a subscriber receives, in words, for the admins' overview. */
export function rowModeSummary(row: ChannelRow): { mode: AuthorizeMode; receives: string } {
	const mode: AuthorizeMode = decidedByPermissions(row) ? 'permissions' : 'script';
	const actions = (['create', 'update', 'delete'] as const).filter((a) => row[`trigger_on_${a}`]);
	let receives: string;
	if (row.publisher?.trim()) receives = 'what the publisher script sends';
	else if (!publishesByDefault(row)) receives = 'nothing from items (no publisher)';
	else if (actions.length === 0) receives = 'nothing (no trigger is on)';
	else {
		const names = actions.map((a) => row.event_names[`${a}d` as keyof EventNames]).join(' / ');
		receives = `${names} with ${row.fields.join(', ')}`;
	}
	return { mode, receives };
}

/** Whether a row publishes without a script: permission mode and no publisher (default publishing). */
export function publishesByDefault(row: Pick<ChannelRow, 'authorize' | 'publisher'>): boolean {
	return row.authorize === 'permissions' && !row.publisher?.trim();
}

/** Columns the bundle reads; `note` and the dates are for people only. */
export const CHANNEL_COLUMNS = [
	'id',
	'enabled',
	'sort',
	'channel_name',
	'collection',
	'fields',
	'authorizer',
	'publisher',
	'trigger_on_create',
	'trigger_on_update',
	'trigger_on_delete',
	'client_events',
	'authorize',
	'presence_user_fields',
	'event_names',
] as const;
