// First-start content of the playground: a `messages` collection, channel rows (the public
// `messages` channel; `presence-lobby`, where the demo page shows who is online and the chat's
// typing indicator; and `private-messages`, a channel with no scripts at all, decided by Directus'
// permissions, which feeds the demo page's live list once logged in), a Flow with the `realtime-trigger` operation, the Realtime module in the
// module bar, and the Studio's licensing questions answered for a local trial.
// Idempotent: what exists already is left as it is (your edits survive restarts).

/**
 * Directus settings of the playground's server (scripts/start.mjs), also used by the tests.
 * Directus 12 asks the admin of a fresh project for a project owner (an e-mail address it reports
 * to Directus); PROJECT_OWNER_ENABLED=false turns that question off. (ACCEPT_TERMS, the switch of
 * Directus 11.9-11.x, is no longer read by Directus 12.)
 */
export const PLAYGROUND_DIRECTUS_ENV = { PROJECT_OWNER_ENABLED: 'false' };

/** The module bar Directus shows when `settings.module_bar` is unset (Directus 12's own default). */
const DEFAULT_MODULE_BAR = [
	{ type: 'module', id: 'content', enabled: true },
	{ type: 'module', id: 'visual', enabled: false },
	{ type: 'module', id: 'users', enabled: true },
	{ type: 'module', id: 'files', enabled: true },
	{ type: 'module', id: 'insights', enabled: true },
	{ type: 'module', id: 'flows', enabled: true },
	{ type: 'module', id: 'deployments', enabled: false },
	{ type: 'link', id: 'docs', enabled: true, name: '$t:documentation', icon: 'help', url: 'https://directus.com/docs' },
	{ type: 'module', id: 'settings', enabled: true, locked: true },
];

const PUBLISHER = `// Every change of a message goes to the public "messages" channel.
trigger({}, action, { key: meta.key, item: meta.payload, changed: meta.changed ?? null, by: meta.user ?? null }, meta.socket_id);
`;

const LOBBY_AUTHORIZER = `// Anyone logged in may join; members see each other's name.
if (!auth.user) return false;
return { user_id: auth.user.id, user_info: { name: auth.user.first_name || auth.user.email } };
`;

export async function seedPlayground({ url, email, password }) {
	const login = await fetch(`${url}/auth/login`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ email, password }),
	});
	if (!login.ok) throw new Error(`playground: admin login failed (${login.status})`);
	const token = (await login.json()).data.access_token;
	const api = async (method, path, body) => {
		const res = await fetch(`${url}${path}`, {
			method,
			headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const json = res.status === 204 ? null : await res.json();
		return { status: res.status, json };
	};

	if ((await api('GET', '/collections/messages')).status !== 200) {
		await api('POST', '/collections', {
			collection: 'messages',
			meta: { icon: 'chat', note: 'Playground: edit items here and watch the demo page.' },
			schema: {},
			fields: [
				{ field: 'id', type: 'integer', meta: { hidden: true, interface: 'input', readonly: true }, schema: { is_primary_key: true, has_auto_increment: true } },
				{ field: 'text', type: 'string', meta: { interface: 'input', width: 'full' }, schema: {} },
				{ field: 'date_created', type: 'timestamp', meta: { special: ['date-created'], interface: 'datetime', readonly: true, hidden: true }, schema: {} },
				{ field: 'user_created', type: 'uuid', meta: { special: ['user-created'], interface: 'select-dropdown-m2o', readonly: true, hidden: true }, schema: {} },
			],
		});
		await api('POST', '/items/messages', { text: 'Hello from the playground' });
	}

	const existing = await api('GET', '/items/realtime_channels?fields=channel_name&limit=-1');
	const names = new Set((existing.json?.data ?? []).map((r) => r.channel_name));
	const rows = [
		{ channel_name: 'messages', collection: 'messages', fields: ['*'], publisher: PUBLISHER, note: 'Playground: public channel of the messages collection.' },
		{
			channel_name: 'presence-lobby',
			collection: 'messages',
			fields: ['*'],
			authorizer: LOBBY_AUTHORIZER,
			publisher: '// Nothing is published here: the lobby only shows who is online.\n',
			trigger_on_create: false,
			trigger_on_update: false,
			trigger_on_delete: false,
			note: 'Playground: a presence channel for logged-in users; members chat and send "is typing" as client events (client-typing) to each other.',
		},
		{
			// The Realtime module's "Collection channel" preset: no authorizer, no publisher. Directus'
			// read permissions decide who joins; each created / updated / deleted message is sent as
			// the row's fields, under the events created / updated / deleted.
			channel_name: 'private-messages',
			collection: 'messages',
			fields: ['id', 'text', 'date_created'],
			authorize: 'permissions',
			authorizer: null,
			publisher: null,
			note: 'Playground: a channel with no scripts (Collection channel preset). Whoever may read messages joins; the demo page\'s live list follows it with the client helper.',
		},
		{
			channel_name: 'flow-notices',
			collection: 'messages',
			fields: ['id'],
			publisher: '// Nothing is published here: the row decides the name the Flow "Realtime: announce new messages" sends to.\n',
			trigger_on_create: false,
			trigger_on_update: false,
			trigger_on_delete: false,
			note: 'Playground: the public channel of the Flow "Realtime: announce new messages". The Realtime Event operation sends only to names a channel row decides.',
		},
	];
	for (const row of rows) {
		if (names.has(row.channel_name)) continue;
		const res = await api('POST', '/items/realtime_channels', { enabled: true, ...row });
		if (res.status !== 200) throw new Error(`playground: could not create channel ${row.channel_name}: ${JSON.stringify(res.json)}`);
	}

	await seedFlow(api);
	await settleStudio(api);
}

const FLOW_NAME = 'Realtime: announce new messages';

/**
 * A Flow that sends through the bundle's `realtime-trigger` operation: each new message is
 * announced on the public channel `flow-notices` (watch it in the Realtime module's live tail).
 */
async function seedFlow(api) {
	const existing = await api('GET', `/flows?filter[name][_eq]=${encodeURIComponent(FLOW_NAME)}&fields=id`);
	if ((existing.json?.data ?? []).length > 0) return;
	const flow = await api('POST', '/flows', {
		name: FLOW_NAME,
		icon: 'cell_tower',
		status: 'active',
		accountability: 'all',
		trigger: 'event',
		options: { type: 'action', scope: ['items.create'], collections: ['messages'] },
	});
	if (flow.status !== 200) throw new Error(`playground: could not create the flow: ${JSON.stringify(flow.json)}`);
	const operation = await api('POST', '/operations', {
		flow: flow.json.data.id,
		key: 'announce',
		name: 'Announce',
		type: 'realtime-trigger',
		position_x: 19,
		position_y: 1,
		options: { channel: 'flow-notices', event: 'message-created', payload: { id: '{{$trigger.key}}', text: '{{$trigger.payload.text}}' } },
	});
	if (operation.status !== 200) throw new Error(`playground: could not create the flow's operation: ${JSON.stringify(operation.json)}`);
	await api('PATCH', `/flows/${flow.json.data.id}`, { operation: operation.json.data.id });
}

/**
 * The Studio of a local trial: the Realtime module in the module bar (Directus shows an
 * extension's module only once an admin enables it under Settings > Module Bar), and the first
 * question of Directus 12's license dialog answered the way its "Core" choice does (no license
 * key, `project_usage` "personal"): a playground is one developer trying things on their machine.
 * Change it under Settings > Project > License when that is not so.
 */
async function settleStudio(api) {
	const { json } = await api('GET', '/settings');
	const settings = json?.data ?? {};
	const patch = {};
	const bar = settings.module_bar ?? DEFAULT_MODULE_BAR;
	if (!bar.some((m) => m.type === 'module' && m.id === 'realtime')) {
		const at = bar.findIndex((m) => m.id === 'settings');
		patch.module_bar = [...bar.slice(0, at < 0 ? bar.length : at), { type: 'module', id: 'realtime', enabled: true }, ...bar.slice(at < 0 ? bar.length : at)];
	}
	// Directus 11 has no such setting (the field is absent from its answer).
	if ('project_usage' in settings && !settings.project_usage) patch.project_usage = 'personal';
	if (Object.keys(patch).length === 0) return;
	const res = await api('PATCH', '/settings', patch);
	if (res.status !== 200) throw new Error(`playground: could not update the settings: ${JSON.stringify(res.json)}`);
}
