/** The Flows operation `realtime-trigger` (Data Studio side): its name, overview and options form. */
import type { OperationAppConfig } from '@directus/types';

const operation: OperationAppConfig = {
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
	],
};

export default operation;
