/** The Flows operation `realtime-trigger` (Data Studio side): its name, overview and options form. */
import type { OperationAppConfig } from '@directus/types';

const operationApp: OperationAppConfig = {
	id: 'realtime-trigger',
	name: 'Realtime Event',
	icon: 'cell_tower',
	description: 'Send an event to a Pusher channel, through the same checks and queue as channel publishers.',
	overview: ({ channel, event }) => [
		{ label: 'Channel', text: String(channel ?? '') },
		{ label: 'Event', text: String(event ?? '') },
	],
	options: [
		{
			field: 'channel',
			name: 'Channel',
			type: 'string',
			meta: {
				width: 'full',
				interface: 'input',
				required: true,
				note: 'A channel name; Flow templates work, e.g. private-chat-{{$trigger.payload.recipient}}',
				options: { placeholder: 'private-chat-{{$trigger.payload.recipient}}', font: 'monospace' },
			},
		},
		{
			field: 'event',
			name: 'Event',
			type: 'string',
			meta: { width: 'full', interface: 'input', required: true, options: { placeholder: 'message', font: 'monospace' } },
		},
		{
			field: 'payload',
			name: 'Payload',
			type: 'json',
			meta: {
				width: 'full',
				interface: 'input-code',
				note: 'What subscribers receive: JSON, templates allowed. At most RT_MAX_PAYLOAD_KB.',
				options: { language: 'json', placeholder: '{ "id": "{{$trigger.key}}" }', template: '{\n\t"id": "{{$trigger.key}}"\n}' },
			},
		},
		{
			field: 'exclude_socket_id',
			name: 'Exclude Socket ID',
			type: 'string',
			meta: {
				width: 'full',
				interface: 'input',
				note: 'Optional: a pusher-js socket id that will not receive the event (e.g. the X-Socket-ID of the request behind the Flow)',
				options: { placeholder: '1234.5678', font: 'monospace' },
			},
		},
		{
			field: 'any_channel',
			name: 'Any Channel Name',
			type: 'boolean',
			schema: { default_value: false },
			meta: {
				width: 'full',
				interface: 'boolean',
				options: { label: 'Send to names no channel row decides' },
				note:
					'Warning: leave off unless you must. Off, the rendered name must be decided by an enabled channel row of its type and match its pattern, so item data in a template cannot send into a channel no row guards (private-, presence-, private-encrypted- included). On, any name is sent, past every authorizer, and #server-to-user-<id> reaches that user. Never template this option: a caller could switch it on.',
			},
		},
	],
};

export default operationApp;
