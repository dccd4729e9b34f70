/**
 * The one secret-safe read of a row by key, and of a user's row in particular: field requests
 * that would read a secret through a function (`json(auth_data, ...)`) are left out before the
 * read, and every secret field is removed from what comes back, at any depth. Used for the
 * caller's row an authorizer sees (`auth.user`), the user_info of /realtime/user-auth, and the
 * item a publisher dry-run runs on.
 */
import type { Knex } from 'knex';
import { fieldReadsSecret } from './secret-reads.js';
import { redactItem, storedFields, type SchemaLike } from './redact.js';

export interface RowReader {
	readOne(key: string | number, query?: object): Promise<Record<string, unknown>>;
}

/** The Directus service a user's row is read with (as the system: no accountability). */
export interface UserRowServices {
	UsersService: new (options: { schema: any; knex?: Knex }) => RowReader;
}

/** Row `key` of `collection` through `reader` (a Directus service), with `fields`, no secret in it. */
export async function readRowSafely(reader: RowReader, schema: SchemaLike, collection: string, key: string | number, fields: readonly string[]): Promise<Record<string, unknown>> {
	const row = await reader.readOne(key, { fields: [...new Set(fields.filter((f) => !fieldReadsSecret(schema, f)))] });
	return redactItem(schema, collection, row);
}

/** A user's row as the system reads it (no accountability), without a secret. */
export function readUserSafely(services: UserRowServices, schema: SchemaLike, user: string, fields: readonly string[]): Promise<Record<string, unknown>> {
	return readRowSafely(new services.UsersService({ schema }), schema, 'directus_users', user, fields);
}

/**
 * The caller's own row as an authorizer sees it (`auth.user`: every field, no secret), or null
 * when there is no such user (Directus answers a read of a missing key, or of a string that
 * cannot be a key, with FORBIDDEN). Any other failure is thrown: nothing is decided on a database
 * that did not answer. One read serves both the check that the user may act now (its `status`
 * and `role`) and the authorizers. Without `withAliases`, the fields stored in the row only:
 * Directus reads each relational alias (`policies`, the user's access rows) with a query of its
 * own, for authorizers that do not mention it.
 */
export async function readUserRow(services: UserRowServices, schema: SchemaLike, user: string, withAliases = true): Promise<Record<string, unknown> | null> {
	const stored = withAliases ? null : storedFields(schema, 'directus_users');
	try {
		return await readUserSafely(services, schema, user, stored && stored.length > 0 ? stored : ['*']);
	} catch (error) {
		if ((error as { code?: unknown } | null)?.code === 'FORBIDDEN') return null;
		throw error;
	}
}
