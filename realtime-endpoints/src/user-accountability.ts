/**
 * Who a request acts for, decided with the database and not with the token. A Directus access
 * token carries the role it was issued with and stays valid until it expires, whatever happens to
 * its user; Directus rebuilds only `roles`, `admin` and `app` from the token's role. So every
 * /realtime route that acts for a user reads the user's current `status` and `role` (one query by
 * primary key), refuses a user who is missing or not `active`, and rebuilds role, roles, admin
 * and app with Directus' own functions (fetchRolesTree, fetchGlobalAccess: cached by Directus in
 * its permissions cache, which it clears on every change of roles, policies and access, across
 * instances when it runs with Redis). Nothing of a user's status is cached here.
 */
import type { Knex } from 'knex';
import { isUuid, loadDirectusModule, type Accountability } from '@directus-realtime/shared';

type RolesTree = (role: string | null, context: { knex: Knex }) => Promise<string[]>;
type GlobalAccess = (
	accountability: { user: string; roles: string[]; ip: string | null },
	context: { knex: Knex },
) => Promise<{ admin: boolean; app: boolean }>;

let modules: Promise<{ fetchRolesTree?: RolesTree; fetchGlobalAccess?: GlobalAccess }> | undefined;

function directusAccess() {
	modules ??= Promise.all([
		loadDirectusModule<{ fetchRolesTree?: RolesTree }>('permissions/lib/fetch-roles-tree'),
		loadDirectusModule<{ fetchGlobalAccess?: GlobalAccess }>('permissions/modules/fetch-global-access/fetch-global-access'),
	]).then(([roles, access]) => ({ fetchRolesTree: roles?.fetchRolesTree, fetchGlobalAccess: access?.fetchGlobalAccess }));
	return modules;
}

/** Databases whose uuid column throws on a string that is not a uuid (rather than matching nothing). */
const TYPED_UUID_CLIENTS = new Set(['pg', 'postgres', 'postgresql', 'cockroachdb', 'mssql']);

function clientOf(database: Knex): string {
	const client = (database.client as { config?: { client?: unknown } } | undefined)?.config?.client;
	return typeof client === 'string' ? client : '';
}

export interface UserState {
	id: string;
	role: string | null;
	status: string;
}

/** Reads what decides whether a user may act: their row's id, role and status; null when there is no such user. */
export type UserStateReader = (id: string) => Promise<UserState | null>;

/** id, role and status of a user's row as Directus' UsersService reads it (the role as its key). */
export function stateOfRow(row: Record<string, unknown>): UserState {
	const role = row.role !== null && typeof row.role === 'object' ? (row.role as { id?: unknown }).id : row.role;
	return { id: String(row.id), role: role === undefined || role === null ? null : String(role), status: String(row.status) };
}

/**
 * The user a string names, as the database sees it (PostgreSQL and MySQL may match another
 * spelling of the id), or null. A string that cannot be a user id on this database is no user;
 * any other failure is thrown, so nothing is decided on a database that did not answer.
 */
async function userState(database: Knex, id: string): Promise<UserState | null> {
	if (id === '' || id.length > 255) return null;
	if (!isUuid(id) && TYPED_UUID_CLIENTS.has(clientOf(database))) return null;
	const row = (await database('directus_users').select('id', 'role', 'status').where({ id }).first()) as UserState | undefined;
	return row ? { id: String(row.id), role: row.role ?? null, status: String(row.status) } : null;
}

/** The id of the Directus user a presence member's `user_id` names, or null when it names none. */
export async function directusUserNamed(database: Knex, id: string): Promise<string | null> {
	return (await userState(database, id))?.id ?? null;
}

/** role, roles, admin and app of a user in this role, the way Directus builds them for a token. */
async function accessOf(database: Knex, user: string, role: string | null, ip: string | null): Promise<Pick<Accountability, 'role' | 'roles' | 'admin' | 'app'>> {
	const { fetchRolesTree, fetchGlobalAccess } = await directusAccess();
	if (!fetchRolesTree || !fetchGlobalAccess) throw new Error('this Directus version does not offer its access modules to extensions');
	const roles = await fetchRolesTree(role, { knex: database });
	const access = await fetchGlobalAccess({ user, roles, ip }, { knex: database });
	const { admin, app } = ip === null ? await withoutIpLimitedAccess(database, user, roles, access) : access;
	return { role, roles, admin: admin === true, app: app === true };
}

const truthy = (value: unknown) => value === true || value === 1 || value === '1' || value === 'true';

/**
 * With no IP to go by (client events, dry-runs), Directus' global access still counts policies
 * limited to IP ranges, while its item permissions leave them out: a user whose admin policy is
 * limited to the office would be an admin for a Flow run on their client event from anywhere.
 * Here those policies are left out of admin and app too. Reads only when one of them is on.
 */
async function withoutIpLimitedAccess(database: Knex, user: string, roles: string[], access: { admin: boolean; app: boolean }): Promise<{ admin: boolean; app: boolean }> {
	if (access.admin !== true && access.app !== true) return access;
	const rows = (await database('directus_access')
		.leftJoin('directus_policies', 'directus_policies.id', 'directus_access.policy')
		.select('directus_policies.admin_access as admin_access', 'directus_policies.app_access as app_access', 'directus_policies.ip_access as ip_access')
		.where((q) => {
			q.where('directus_access.user', user);
			if (roles.length > 0) q.orWhereIn('directus_access.role', roles);
		})) as Array<{ admin_access: unknown; app_access: unknown; ip_access: unknown }>;
	let admin = false;
	let app = false;
	for (const row of rows) {
		const limited = row.ip_access !== null && row.ip_access !== undefined && String(row.ip_access).trim() !== '' && String(row.ip_access).trim() !== '[]';
		if (limited) continue;
		admin ||= truthy(row.admin_access);
		app ||= admin || truthy(row.app_access);
	}
	return { admin: access.admin === true && admin, app: access.app === true && app };
}

/** Why a user may not act now: missing, or a status other than active; null when they may. */
export type Inactive = { missing: true } | { status: string };

export function describeInactive(why: Inactive): string {
	return 'missing' in why ? 'the user no longer exists' : `the user's status is ${why.status}`;
}

/** What Directus gives a request without a token: the public role's permissions. */
export const PUBLIC_ACCOUNTABILITY: Accountability = { user: null, role: null, roles: [], admin: false, app: false, ip: null };

/**
 * The accountability of user `userId` as it is now (their current role, roles, admin and app,
 * for a request from `ip`), or why they may not act: missing, or not active.
 */
async function actingAs(database: Knex, userId: string, ip: string | null): Promise<{ accountability: Accountability } | { inactive: Inactive }> {
	const state = await userState(database, userId);
	if (!state) return { inactive: { missing: true } };
	if (state.status !== 'active') return { inactive: { status: state.status } };
	return { accountability: { user: state.id, ip, ...(await accessOf(database, state.id, state.role, ip)) } };
}

/**
 * The request's accountability with the user's current role, roles, admin and app; ip,
 * userAgent and the rest (session, OAuth scopes) from the request. `{ inactive }` when the user
 * is missing or not active. Only for a request that carries a user. `readState` reads the user's
 * id, role and status (by default those three columns alone).
 */
export async function currentAccountability(
	database: Knex,
	token: Accountability & { user: string },
	readState: UserStateReader = (id) => userState(database, id),
): Promise<{ accountability: Accountability } | { inactive: Inactive }> {
	const ip = token.ip ?? null;
	const state = await readState(token.user);
	if (!state) return { inactive: { missing: true } };
	if (state.status !== 'active') return { inactive: { status: state.status } };
	// Directus built the token's roles, admin and app for this very request, with the same two
	// functions, from the role the token was issued with: while that is still the user's role
	// (and the request has an IP, so no IP-limited policy is left out), they are what accessOf()
	// would give, and are not asked for twice.
	if (ip !== null && state.id === token.user && state.role === (token.role ?? null) && Array.isArray(token.roles)) {
		return { accountability: { ...token, user: state.id, ip, role: state.role, roles: token.roles, admin: token.admin === true, app: token.app === true } };
	}
	return { accountability: { ...token, user: state.id, ip, ...(await accessOf(database, state.id, state.role, ip)) } };
}

/**
 * The accountability Directus would give a user's own requests now, for dry-runs of authorizers
 * "as that user": null when there is no such user, `{ inactive }` when a real request of theirs
 * would be refused.
 */
export async function accountabilityForUser(database: Knex, userId: string): Promise<{ accountability: Accountability } | { inactive: Inactive } | null> {
	const current = await actingAs(database, userId, null);
	return 'inactive' in current && 'missing' in current.inactive ? null : current;
}

/**
 * Whose permissions a client event runs Flows with: the Directus user the presence member's
 * `user_id` names, when that user is active now (by the binding rule of /realtime/auth, only
 * that user could have joined with their id); the public's otherwise: ids that are no Directus
 * user's ("guest-5"), users suspended or deleted since, and private channels (no user).
 */
export async function senderAccountability(database: Knex, userId: unknown): Promise<Accountability> {
	if (typeof userId !== 'string' || userId === '') return PUBLIC_ACCOUNTABILITY;
	try {
		const current = await actingAs(database, userId, null);
		return 'accountability' in current ? current.accountability : PUBLIC_ACCOUNTABILITY;
	} catch {
		// The database did not answer: the least, rather than the whole webhook batch failing.
		return PUBLIC_ACCOUNTABILITY;
	}
}
