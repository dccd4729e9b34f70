/**
 * The one secret-safe read of a row by key, and of a user's row in particular: field requests
 * that would read a secret through a function (`json(auth_data, ...)`) are left out before the
 * read, and every secret field is removed from what comes back, at any depth. Used for the
 * caller's row an authorizer sees (`auth.user`), the user_info of /realtime/user-auth, and the
 * item a publisher dry-run runs on.
 */
import { fieldReadsSecret } from './secret-reads.js';
import { redactItem, type SchemaLike } from './redact.js';
import type { CallerServices } from './caller.js';

export interface RowReader {
	readOne(key: string | number, query?: object): Promise<Record<string, unknown>>;
}

/** Row `key` of `collection` through `reader` (a Directus service), with `fields`, no secret in it. */
export async function readRowSafely(reader: RowReader, schema: SchemaLike, collection: string, key: string | number, fields: readonly string[]): Promise<Record<string, unknown>> {
	const row = await reader.readOne(key, { fields: [...new Set(fields.filter((f) => !fieldReadsSecret(schema, f)))] });
	return redactItem(schema, collection, row);
}

/** A user's row as the system reads it (no accountability), without a secret. */
export function readUserSafely(services: Pick<CallerServices, 'UsersService'>, schema: SchemaLike, user: string, fields: readonly string[]): Promise<Record<string, unknown>> {
	return readRowSafely(new services.UsersService({ schema }), schema, 'directus_users', user, fields);
}
