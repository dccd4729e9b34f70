/**
 * Field requests that would read a secret under another name, which redactItem() (it removes
 * secrets by name) cannot see in the answer: a function over a secret field
 * (`json(auth_data, refresh_token)` answers as `auth_data_refresh_token_json`, in plain text) and
 * an alias of a secret or of such a function (`alias: { a: 'auth_data' }`), and a filter or sort
 * on a secret (an oracle: `{ auth_data: { _contains: 'a' } }` tells one character at a time).
 * Row fields that do so are dropped before the read; a query() that does so is refused. Names are
 * checked without their collection: every name secret in some collection counts.
 */
import { secretFieldNames, type SchemaLike } from './redact.js';

/** The field names a field request reads: the arguments of a function, else its last segment. */
function namesRead(request: string): string[] {
	const open = request.indexOf('(');
	if (open === -1) return [request.split('.').pop()!.trim()];
	const close = request.lastIndexOf(')');
	const inner = request.slice(open + 1, close === -1 ? undefined : close);
	return inner.split(',').flatMap((part) => part.trim().split('.').pop()!.trim());
}

/** Whether a `fields` entry reads a secret through a function (plain names are redacted by name). */
export function fieldReadsSecret(schema: SchemaLike, field: string): boolean {
	if (!field.includes('(')) return false;
	const secrets = secretFieldNames(schema);
	return namesRead(field).some((name) => secrets.has(name));
}

function aliasReadsSecret(schema: SchemaLike, target: unknown): boolean {
	if (typeof target !== 'string') return false;
	const secrets = secretFieldNames(schema);
	return namesRead(target).some((name) => secrets.has(name));
}

function listOf(value: unknown): unknown[] {
	if (Array.isArray(value)) return value;
	return typeof value === 'string' ? value.split(',') : [];
}

function isSecretName(schema: SchemaLike, name: string): boolean {
	const secrets = secretFieldNames(schema);
	return namesRead(name).some((n) => secrets.has(n));
}

/** The first filter key (at any depth: _and, _or, relations, _some) that names a secret. */
function filterReadsSecret(schema: SchemaLike, filter: unknown, depth = 0): string | null {
	if (filter === null || typeof filter !== 'object' || depth > 32) return null;
	for (const [key, value] of Object.entries(filter)) {
		if (!key.startsWith('_') && isSecretName(schema, key)) return key;
		const found = filterReadsSecret(schema, value, depth + 1);
		if (found !== null) return found;
	}
	return null;
}

/** The first request of a Directus query (deep included) that reads a secret; null when none. */
export function queryReadsSecret(schema: SchemaLike, query: unknown, depth = 0): string | null {
	if (query === null || typeof query !== 'object' || depth > 16) return null;
	const q = query as Record<string, unknown>;
	for (const key of ['fields', '_fields', 'groupBy', '_groupBy']) {
		const found = listOf(q[key]).find((f) => typeof f === 'string' && fieldReadsSecret(schema, f));
		if (found !== undefined) return found as string;
	}
	for (const key of ['alias', '_alias']) {
		const alias = q[key];
		if (alias === null || typeof alias !== 'object') continue;
		const found = Object.values(alias).find((target) => aliasReadsSecret(schema, target));
		if (found !== undefined) return found as string;
	}
	for (const key of ['aggregate', '_aggregate']) {
		const aggregate = q[key];
		if (aggregate === null || typeof aggregate !== 'object') continue;
		const found = Object.values(aggregate).flatMap(listOf).find((target) => aliasReadsSecret(schema, target));
		if (found !== undefined) return found as string;
	}
	for (const key of ['filter', '_filter']) {
		const found = filterReadsSecret(schema, q[key]);
		if (found !== null) return found;
	}
	for (const key of ['sort', '_sort']) {
		const found = listOf(q[key]).find((f) => typeof f === 'string' && isSecretName(schema, f.trim().replace(/^-/, '')));
		if (found !== undefined) return found as string;
	}
	const deep = q.deep ?? (depth > 0 ? q : undefined);
	if (deep !== null && typeof deep === 'object') {
		for (const [key, nested] of Object.entries(deep)) {
			if (depth > 0 && !/^[^_]/.test(key)) continue;
			const found = queryReadsSecret(schema, nested, depth + 1);
			if (found !== null) return found;
		}
	}
	return null;
}
