/**
 * The accountability Directus would give a user's own requests, built the way Directus builds
 * it from a token (get-accountability-for-token): the user's role, its role tree and the global
 * access (admin, app) of their policies. For dry-runs of authorizers "as that user".
 */
import type { Knex } from 'knex';
import { loadDirectusModule, type Accountability } from '@directus-realtime/shared';

type RolesTree = (role: string | null, context: { knex: Knex }) => Promise<string[]>;
type GlobalAccess = (accountability: { user: string; roles: string[]; ip: null }, context: { knex: Knex }) => Promise<{ admin: boolean; app: boolean }>;

let modules: Promise<{ fetchRolesTree?: RolesTree; fetchGlobalAccess?: GlobalAccess }> | undefined;

function directusAccess() {
	modules ??= Promise.all([
		loadDirectusModule<{ fetchRolesTree?: RolesTree }>('permissions/lib/fetch-roles-tree'),
		loadDirectusModule<{ fetchGlobalAccess?: GlobalAccess }>('permissions/modules/fetch-global-access/fetch-global-access'),
	]).then(([roles, access]) => ({ fetchRolesTree: roles?.fetchRolesTree, fetchGlobalAccess: access?.fetchGlobalAccess }));
	return modules;
}

/** Null when there is no such user. */
export async function accountabilityForUser(database: Knex, userId: string): Promise<Accountability | null> {
	const user = (await database('directus_users').select('id', 'role').where({ id: userId }).first()) as { id: string; role: string | null } | undefined;
	if (!user) return null;
	const { fetchRolesTree, fetchGlobalAccess } = await directusAccess();
	if (!fetchRolesTree || !fetchGlobalAccess) throw new Error('this Directus version does not offer its access modules to extensions');
	const roles = await fetchRolesTree(user.role ?? null, { knex: database });
	const { admin, app } = await fetchGlobalAccess({ user: user.id, roles, ip: null }, { knex: database });
	return { user: user.id, role: user.role ?? null, roles, admin, app, ip: null };
}

/** What Directus gives a request without a token: the public role's permissions. */
const PUBLIC: Accountability = { user: null, role: null, roles: [], admin: false, app: false, ip: null };

/**
 * Whose permissions a client event runs Flows with: the Directus user behind the presence
 * member's `user_id` when there is one, the public's otherwise (private channels carry no user).
 */
export async function senderAccountability(database: Knex, userId: unknown): Promise<Accountability> {
	if (typeof userId !== 'string' || userId === '') return PUBLIC;
	try {
		return (await accountabilityForUser(database, userId)) ?? PUBLIC;
	} catch {
		// Not a user id this database can look up (e.g. not a uuid on PostgreSQL): the public's.
		return PUBLIC;
	}
}
