/** Directus content for tests, created through the REST API as the admin. */
import { randomBytes } from 'node:crypto';
import type { Directus } from './directus.js';

function ok<T>(res: { status: number; body: any }, what: string): T {
	if (res.status >= 300) throw new Error(`${what} failed with ${res.status}: ${JSON.stringify(res.body)}`);
	return res.body?.data as T;
}

export interface FieldSpec {
	field: string;
	type: string;
	schema?: Record<string, unknown>;
	meta?: Record<string, unknown>;
}

/** A collection with an auto-increment integer `id` and the given fields. */
export async function createCollection(directus: Directus, collection: string, fields: FieldSpec[]): Promise<void> {
	ok(
		await directus.request('POST', '/collections', {
			collection,
			schema: {},
			meta: {},
			fields: [{ field: 'id', type: 'integer', schema: { is_primary_key: true, has_auto_increment: true }, meta: { hidden: true } }, ...fields],
		}),
		`creating collection ${collection}`,
	);
}

export async function createRelationM2O(directus: Directus, collection: string, field: string, related: string): Promise<void> {
	ok(await directus.request('POST', '/relations', { collection, field, related_collection: related }), `relating ${collection}.${field}`);
}

export interface ChannelInput {
	channel_name: string;
	collection: string;
	fields?: string[];
	authorizer?: string | null;
	publisher?: string | null;
	enabled?: boolean;
	sort?: number | null;
	trigger_on_create?: boolean;
	trigger_on_update?: boolean;
	trigger_on_delete?: boolean;
	client_events?: boolean;
	authorize?: 'script' | 'permissions';
	presence_user_fields?: string[];
	event_names?: Partial<Record<'created' | 'updated' | 'deleted', string>>;
}

export async function createChannel(directus: Directus, row: ChannelInput): Promise<{ id: string } & ChannelInput> {
	return ok(await directus.request('POST', '/items/realtime_channels', { enabled: true, ...row }), `creating channel ${row.channel_name}`);
}

export interface TestUser {
	id: string;
	email: string;
	password: string;
	/** A static token: `Authorization: Bearer <token>`. */
	token: string;
	role: string;
	first_name: string;
}

export interface Grant {
	collection: string;
	action: 'create' | 'read' | 'update' | 'delete' | 'share';
}

/** A role with one policy granting `grants` (whole collections), and a user in it. */
export async function createUser(directus: Directus, options: { first_name?: string; grants?: Grant[]; admin?: boolean } = {}): Promise<TestUser> {
	const tag = randomBytes(4).toString('hex');
	const role = ok<{ id: string }>(await directus.request('POST', '/roles', { name: `role-${tag}` }), 'creating a role');
	const policy = ok<{ id: string }>(
		await directus.request('POST', '/policies', { name: `policy-${tag}`, admin_access: options.admin ?? false, app_access: false }),
		'creating a policy',
	);
	ok(await directus.request('POST', '/access', { role: role.id, policy: policy.id }), 'attaching the policy');
	for (const grant of options.grants ?? []) {
		ok(await directus.request('POST', '/permissions', { policy: policy.id, ...grant, fields: ['*'], permissions: {}, validation: {} }), 'granting');
	}
	const user = {
		email: `user-${tag}@example.com`,
		password: `pw-${tag}-secret`,
		token: `token-${tag}-${randomBytes(8).toString('hex')}`,
		first_name: options.first_name ?? `User ${tag}`,
	};
	const created = ok<{ id: string }>(
		await directus.request('POST', '/users', { ...user, role: role.id, status: 'active' }),
		'creating a user',
	);
	return { ...user, id: created.id, role: role.id };
}

/** Logs in with email and password; returns the access token (JSON mode) or the session cookie. */
export async function login(directus: Directus, user: TestUser, mode: 'json' | 'session' = 'json'): Promise<string> {
	const res = await fetch(`${directus.url}/auth/login`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ email: user.email, password: user.password, mode }),
	});
	if (!res.ok) throw new Error(`login failed: ${res.status} ${await res.text()}`);
	if (mode === 'json') return ((await res.json()) as any).data.access_token;
	const cookie = res.headers.getSetCookie().find((c) => c.startsWith('directus_session_token='));
	if (!cookie) throw new Error('no session cookie in the login answer');
	return cookie.split(';')[0]!;
}

export async function createItem<T = any>(directus: Directus, collection: string, item: unknown, token?: string): Promise<T> {
	return ok(await directus.request('POST', `/items/${collection}`, item, token ? { token } : {}), `creating ${collection} item`);
}

export interface PermissionSpec {
	collection: string;
	action: 'create' | 'read' | 'update' | 'delete' | 'share';
	fields?: string[];
	permissions?: Record<string, unknown>;
}

/** A user whose role has one policy with these permissions (item rules and field lists as given); the policy and its attachment for later removal. */
export async function createUserWithPolicy(
	directus: Directus,
	options: { first_name?: string; app_access?: boolean; permissions?: PermissionSpec[] } = {},
): Promise<TestUser & { policy: string; access: string }> {
	const user = await createUser(directus, { first_name: options.first_name });
	const tag = randomBytes(4).toString('hex');
	const policy = ok<{ id: string }>(await directus.request('POST', '/policies', { name: `policy-${tag}`, admin_access: false, app_access: options.app_access ?? false }), 'creating a policy');
	const access = ok<{ id: string }>(await directus.request('POST', '/access', { role: user.role, policy: policy.id }), 'attaching the policy');
	for (const p of options.permissions ?? []) {
		ok(await directus.request('POST', '/permissions', { policy: policy.id, fields: ['*'], permissions: {}, validation: {}, ...p }), `granting ${p.action} on ${p.collection}`);
	}
	return { ...user, policy: policy.id, access: access.id };
}
