/**
 * The Data Model preset: how `realtime_channels` looks in the Data Studio. Plain data, so the
 * migration only inserts it and tests can compare against it.
 */
import { CHANNELS_COLLECTION } from '../channels/row.js';
import { AUTHORIZER_TEMPLATE, PUBLISHER_TEMPLATE } from './templates.js';

export const COLLECTION_PRESET = {
	collection: CHANNELS_COLLECTION,
	icon: 'cell_tower',
	note: 'Realtime channels served by Pusher/Soketi: who may join them (authorizer) and what is pushed when items change (publisher). Admins only: scripts are code.',
	display_template: '{{channel_name}} · {{collection}}',
	hidden: false,
	singleton: false,
	sort_field: 'sort',
	// Activity (who changed which row, when) but no revisions: a revision is a copy of the row,
	// scripts included, in a collection roles are granted for other reasons. See admin-only.ts.
	accountability: 'activity',
};

export interface FieldPreset {
	field: string;
	special?: string;
	interface: string;
	options?: Record<string, unknown>;
	display?: string;
	display_options?: Record<string, unknown>;
	readonly?: boolean;
	hidden?: boolean;
	width: 'half' | 'full';
	required?: boolean;
	note: string;
}

const trigger = (action: string): FieldPreset => ({
	field: `trigger_on_${action}`,
	special: 'cast-boolean',
	interface: 'boolean',
	options: { label: `On ${action}` },
	display: 'boolean',
	width: 'half',
	note: `Run the publisher when an item of the collection is ${action}d.`,
});

export const FIELD_PRESETS: FieldPreset[] = [
	{ field: 'id', special: 'uuid', interface: 'input', readonly: true, hidden: true, width: 'full', note: 'Primary key.' },
	{
		field: 'enabled',
		special: 'cast-boolean',
		interface: 'boolean',
		options: { label: 'Enabled' },
		display: 'boolean',
		width: 'half',
		note: 'Disabled channels neither authorize subscribers nor publish.',
	},
	{ field: 'sort', interface: 'input', hidden: true, width: 'half', note: 'Match order among rows of the same channel type whose pattern matches: the lowest sort decides first; rows without a sort come after, the most specific pattern first. Only an authorizer that returns null passes to the next row; any other refusal is final.' },
	{
		field: 'channel_name',
		interface: 'input',
		options: { placeholder: 'private-chat-:userId', font: 'monospace', trim: true },
		display: 'formatted-value',
		display_options: { font: 'monospace' },
		width: 'full',
		required: true,
		note: 'Channel name pattern, e.g. private-chat-:userId or private-room-:roomId(\\d+). The prefix sets the type: private-, presence-, private-encrypted-, each also as a cache channel (cache-, private-cache-, presence-cache-, private-encrypted-cache-); anything else is public. Case-sensitive, unique.',
	},
	{
		field: 'collection',
		interface: 'system-collection',
		options: { includeSystem: false },
		width: 'half',
		required: true,
		note: 'The collection whose creates, updates and deletes run the publisher.',
	},
	{
		field: 'fields',
		special: 'cast-json',
		interface: 'tags',
		options: { placeholder: 'Add a field and press Enter', presets: ['*', '*.*'], allowCustom: true, iconRight: 'account_tree' },
		display: 'labels',
		width: 'half',
		note: 'Fields read into meta.payload, dot notation for relations (recipient.first_name, *.*). Default: *.',
	},
	{
		field: 'authorizer',
		interface: 'input-code',
		options: { language: 'javascript', lineNumber: true, template: AUTHORIZER_TEMPLATE },
		width: 'full',
		note: 'JavaScript run in a sandbox for POST /realtime/auth. Return true (private) or { user_id, user_info } (presence) to let the subscriber in. Empty: nobody may join private/presence channels of this row.',
	},
	{
		field: 'publisher',
		interface: 'input-code',
		options: { language: 'javascript', lineNumber: true, template: PUBLISHER_TEMPLATE },
		width: 'full',
		note: 'JavaScript run in a sandbox for each created, updated or deleted item: call trigger(), broadcastTo() or sendToUser() to push events.',
	},
	trigger('create'),
	trigger('update'),
	trigger('delete'),
	{
		field: 'client_events',
		special: 'cast-boolean',
		interface: 'boolean',
		options: { label: 'Client events reach Directus' },
		display: 'boolean',
		width: 'half',
		note: 'Client events (client-* sent by members of this private or presence channel) become realtime.client_event actions for Flows and hooks, through POST /realtime/webhook. Off: they still reach the other members (that is Pusher\'s protocol), but Directus drops them, so no client drives a Flow you did not open to it. Refused for public channels (no prefix): anyone may join those without an account. Each sender (presence user, else connection) is held to RT_CLIENT_EVENTS_PER_SECOND; the rest are dropped and counted.',
	},
	{
		field: 'authorize',
		interface: 'select-dropdown',
		options: {
			choices: [
				{ text: 'Script (the authorizer decides; empty: nobody joins)', value: 'script' },
				{ text: "Permissions (Directus' read permissions decide)", value: 'permissions' },
			],
		},
		display: 'labels',
		width: 'half',
		note: "Who decides a private, presence or encrypted join when the authorizer is empty. Permissions: a caller who may read the item named by the pattern's parameters (the collection, for a pattern without one) and every field this row sends, with their current role and policies. A row in this mode with no publisher sends created / updated / deleted with its fields to the channel filled from the item by parameter name. An authorizer or publisher script, when set, is used instead.",
	},
	{
		field: 'presence_user_fields',
		special: 'cast-json',
		interface: 'tags',
		options: { placeholder: 'first_name, avatar …', allowCustom: true },
		display: 'labels',
		width: 'half',
		note: "Permission mode, presence channels: fields of the caller's own user row shown to the other members as user_info (e.g. first_name, avatar). Secrets (password, token, auth_data, tfa_secret) are refused.",
	},
	{
		field: 'event_names',
		special: 'cast-json',
		interface: 'input-code',
		options: { language: 'JSON', lineNumber: false, template: '{\n  "created": "created",\n  "updated": "updated",\n  "deleted": "deleted"\n}' },
		width: 'full',
		note: 'Permission mode without a publisher: the event names sent for created, updated and deleted items. Missing names keep these defaults.',
	},
	{ field: 'note', interface: 'input-multiline', width: 'full', note: 'For people: what this channel is for.' },
	{ field: 'date_created', special: 'date-created', interface: 'datetime', display: 'datetime', display_options: { relative: true }, readonly: true, hidden: true, width: 'half', note: 'When the row was created.' },
	{ field: 'date_updated', special: 'date-updated', interface: 'datetime', display: 'datetime', display_options: { relative: true }, readonly: true, hidden: true, width: 'half', note: 'When the row was last changed.' },
];
