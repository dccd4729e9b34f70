/** A row of the `realtime_channels` collection, as the bundle reads it. */
export const CHANNELS_COLLECTION = 'realtime_channels';

export type ChannelAction = 'create' | 'update' | 'delete';

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
] as const;
