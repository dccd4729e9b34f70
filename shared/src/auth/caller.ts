/**
 * Who is asking, as authorizer scripts see it (`auth`), and the helpers that let a script follow
 * Directus' own permissions: `can(action, collection, id?)` and a read-only `query()`, both run
 * with the caller's accountability. Directus services are the edge here.
 */
import type { Knex } from 'knex';
import { RealtimeError } from '../errors.js';
import { loadValidateAccess } from '../host.js';
import { queryReadsSecret } from './secret-reads.js';
import { aliasFields, redactItem, type SchemaLike } from './redact.js';
import { readUserSafely, type UserRowServices } from './safe-read.js';
import { adminsOnly } from './http-errors.js';

export interface Accountability {
	user: string | null;
	role: string | null;
	roles?: string[];
	admin: boolean;
	app: boolean;
	ip?: string | null;
	userAgent?: string;
}

export interface CallerServices extends UserRowServices {
	ItemsService: new (collection: string, options: { schema: any; accountability?: any; knex?: Knex }) => {
		readOne(key: string | number, query?: object): Promise<Record<string, unknown>>;
		readByQuery(query: object): Promise<Array<Record<string, unknown>>>;
	};
	AccessService: new (options: { schema: any; knex?: Knex }) => { readByQuery(query: object): Promise<Array<Record<string, any>>> };
	PermissionsService: new (options: { schema: any; knex?: Knex }) => { readByQuery(query: object): Promise<Array<Record<string, any>>> };
}

export interface AuthContext {
	user: Record<string, unknown> | null;
	role: string | null;
	roles: string[];
	admin: boolean;
	app: boolean;
	ip: string | null;
	userAgent: string | null;
	permissions: Array<Record<string, unknown>>;
}

/**
 * The one administrator check, for the routes and for the channel rows' hooks alike: throws the
 * refusal unless the accountability is an administrator's (`admin: true`, exactly).
 */
export function requireAdmin<A extends Pick<Accountability, 'admin'>>(accountability: A | null | undefined, refusal: () => Error = adminsOnly): asserts accountability is A {
	if (accountability?.admin !== true) throw refusal();
}

const ACTIONS = new Set(['create', 'read', 'update', 'delete', 'share']);
export const MAX_QUERY_LIMIT = 100;

/**
 * Whether an authorizer may read a relational alias of `auth.user` (`policies`): its source
 * mentions one by name. The others get the fields stored in the row (readUserRow), as
 * `auth.permissions` is read only for the scripts that mention `permissions`.
 */
export function readsUserAliases(source: string, schema: SchemaLike): boolean {
	return aliasFields(schema, 'directus_users').some((field) => source.includes(field));
}

/**
 * The caller's row without its relational aliases: what `auth.user` is for a script that does
 * not mention one, whichever read of the row the request happened to make (the same for every
 * request, so a script sees one shape).
 */
export function withoutUserAliases(user: Record<string, unknown>, schema: SchemaLike): Record<string, unknown> {
	const aliases = aliasFields(schema, 'directus_users');
	if (!aliases.some((field) => Object.hasOwn(user, field))) return user;
	const copy = { ...user };
	for (const field of aliases) delete copy[field];
	return copy;
}

/**
 * `auth` for the authorizers. `known.user` is the caller's row when the request has read it
 * already (readUserRow(), with the check that they may act): it is not read again.
 */
export async function readCaller(
	accountability: Accountability,
	services: CallerServices,
	schema: any,
	withPermissions: boolean,
	known?: { user: Record<string, unknown> | null },
): Promise<AuthContext> {
	const user = known ? known.user : accountability.user ? await readUserSafely(services, schema, accountability.user, ['*']) : null;
	return {
		user,
		role: accountability.role ?? null,
		roles: accountability.roles ?? (accountability.role ? [accountability.role] : []),
		admin: accountability.admin === true,
		app: accountability.app === true,
		ip: accountability.ip ?? null,
		userAgent: accountability.userAgent ?? null,
		permissions: withPermissions ? await readPermissions(accountability, services, schema) : [],
	};
}

/** The permission rows of the caller's policies (through their roles and directly). */
async function readPermissions(accountability: Accountability, services: CallerServices, schema: any): Promise<Array<Record<string, unknown>>> {
	const roles = accountability.roles ?? (accountability.role ? [accountability.role] : []);
	const roleFilter = roles.length ? { role: { _in: roles } } : { _and: [{ role: { _null: true } }, { user: { _null: true } }] };
	const filter = accountability.user ? { _or: [{ user: { _eq: accountability.user } }, roleFilter] } : roleFilter;
	const access = await new services.AccessService({ schema }).readByQuery({ filter, fields: ['policy'], limit: -1 });
	const policies = [...new Set(access.map((a) => a.policy).filter(Boolean))];
	if (policies.length === 0) return [];
	return new services.PermissionsService({ schema }).readByQuery({
		filter: { policy: { _in: policies } },
		fields: ['collection', 'action', 'fields', 'permissions', 'validation', 'presets', 'policy'],
		limit: -1,
	});
}

export function callerHelpers(accountability: Accountability, services: CallerServices, schema: any, knex: Knex) {
	return {
		async can(action: unknown, collection: unknown, id?: unknown): Promise<boolean> {
			if (typeof action !== 'string' || !ACTIONS.has(action)) throw new RealtimeError('INVALID_PAYLOAD', `can(): action must be one of ${[...ACTIONS].join(', ')}`);
			if (typeof collection !== 'string' || !schema.collections?.[collection]) throw new RealtimeError('INVALID_PAYLOAD', `can(): unknown collection ${JSON.stringify(collection)}`);
			if (id !== undefined && id !== null && typeof id !== 'string' && typeof id !== 'number') throw new RealtimeError('INVALID_PAYLOAD', 'can(): id must be a string or number');
			const check = await loadValidateAccess();
			if (!check) throw new Error('can() is not available on this Directus version');
			try {
				await check(
					{ accountability, action, collection, ...(id !== undefined && id !== null ? { primaryKeys: [id as string | number] } : {}) },
					{ schema, knex },
				);
				// Access to an item that does not exist is not access.
				if (id !== undefined && id !== null && action !== 'create') {
					await new services.ItemsService(collection, { schema }).readOne(id as string | number, { fields: [schema.collections[collection].primary] });
				}
				return true;
			} catch (error) {
				if ((error as { code?: string }).code === 'FORBIDDEN') return false;
				throw error;
			}
		},
		async query(collection: unknown, query: unknown = {}): Promise<Array<Record<string, unknown>>> {
			if (typeof collection !== 'string' || !schema.collections?.[collection]) throw new RealtimeError('INVALID_PAYLOAD', `query(): unknown collection ${JSON.stringify(collection)}`);
			if (query === null || typeof query !== 'object' || Array.isArray(query)) throw new RealtimeError('INVALID_PAYLOAD', 'query(): the query must be an object');
			const q = { ...(query as Record<string, unknown>) };
			// A function or alias over a secret would bring it back under a name redaction does not know.
			const secret = queryReadsSecret(schema, q);
			if (secret !== null) throw new RealtimeError('INVALID_PAYLOAD', `query(): ${JSON.stringify(secret.slice(0, 100))} reads a secret field`);
			const limit = typeof q.limit === 'number' && q.limit >= 0 ? Math.min(q.limit, MAX_QUERY_LIMIT) : MAX_QUERY_LIMIT;
			const rows = await new services.ItemsService(collection, { schema, accountability }).readByQuery({ ...q, limit });
			// Nothing read through query() carries a secret, at any depth (a role may read auth_data).
			return redactItem(schema, collection, rows);
		},
	};
}
