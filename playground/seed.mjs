// First-start content of the playground: a `messages` collection and two channel rows.
// Idempotent: what exists already is left as it is (your edits survive restarts).

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
			note: 'Playground: a presence channel for logged-in users.',
		},
	];
	for (const row of rows) {
		if (names.has(row.channel_name)) continue;
		const res = await api('POST', '/items/realtime_channels', { enabled: true, ...row });
		if (res.status !== 200) throw new Error(`playground: could not create channel ${row.channel_name}: ${JSON.stringify(res.json)}`);
	}
}
