/** Reads channel rows straight from the database (no permissions apply: this is the system's own read). */
import { createHash, type Hash } from 'node:crypto';
import type { Knex } from 'knex';
import type { ChannelSource } from './registry.js';
import { CHANNELS_COLLECTION, CHANNEL_COLUMNS, DEFAULT_EVENT_NAMES, type ChannelRow, type EventNames } from './row.js';

const bool = (value: unknown) => value === true || value === 1 || value === '1' || value === 'true';

function parseList(value: unknown): string[] {
	let list = value;
	if (typeof value === 'string') {
		try {
			list = JSON.parse(value);
		} catch {
			list = value.split(',');
		}
	}
	return Array.isArray(list) ? list.map((f) => String(f).trim()).filter(Boolean) : [];
}

/** A row's fields: a stored list, or every field when it names none. */
function parseFields(value: unknown): string[] {
	const fields = parseList(value);
	return fields.length > 0 ? fields : ['*'];
}

/** Stored event names, each falling back to its default when missing or not a string. */
export function parseEventNames(value: unknown): EventNames {
	let names = value;
	if (typeof value === 'string') {
		try {
			names = JSON.parse(value);
		} catch {
			names = null;
		}
	}
	const given = names !== null && typeof names === 'object' && !Array.isArray(names) ? (names as Record<string, unknown>) : {};
	const pick = (key: keyof EventNames) => (typeof given[key] === 'string' && (given[key] as string).trim() !== '' ? (given[key] as string).trim() : DEFAULT_EVENT_NAMES[key]);
	return { created: pick('created'), updated: pick('updated'), deleted: pick('deleted') };
}

export function normalizeRow(raw: Record<string, unknown>): ChannelRow {
	return {
		id: String(raw.id),
		enabled: bool(raw.enabled),
		sort: raw.sort === null || raw.sort === undefined ? null : Number(raw.sort),
		channel_name: String(raw.channel_name ?? ''),
		collection: String(raw.collection ?? ''),
		// Frozen: nothing changes a row's field list, and fieldSetKey remembers frozen lists' keys.
		fields: Object.freeze(parseFields(raw.fields)) as string[],
		authorizer: typeof raw.authorizer === 'string' ? raw.authorizer : null,
		publisher: typeof raw.publisher === 'string' ? raw.publisher : null,
		trigger_on_create: bool(raw.trigger_on_create),
		trigger_on_update: bool(raw.trigger_on_update),
		trigger_on_delete: bool(raw.trigger_on_delete),
		client_events: bool(raw.client_events),
		authorize: raw.authorize === 'permissions' ? 'permissions' : 'script',
		presence_user_fields: Object.freeze(parseList(raw.presence_user_fields)) as string[],
		event_names: parseEventNames(raw.event_names),
	};
}

export function databaseChannelSource(database: Knex): ChannelSource {
	return {
		async load() {
			const rows = await database(CHANNELS_COLLECTION).select(CHANNEL_COLUMNS as unknown as string[]);
			return rows.map(normalizeRow).filter((row) => row.enabled);
		},
		async signature() {
			const digestInDatabase = DIGESTS_IN_DATABASE.test(String(database.client?.config?.client ?? ''));
			const columns = CHANNEL_COLUMNS.map((column) =>
				digestInDatabase && SCRIPT_COLUMNS.has(column) ? database.raw('md5(??) as ??', [column, column]) : column,
			);
			const rows = await database(CHANNELS_COLLECTION).select(columns).orderBy('id');
			return contentSignature(rows);
		},
		through: (connection) => databaseChannelSource(connection as Knex),
	};
}

/** The columns that hold script text, the only ones that can be large. */
const SCRIPT_COLUMNS = new Set<string>(['authorizer', 'publisher']);
/** Clients whose database digests script text itself (`md5`), so a check does not fetch it. */
const DIGESTS_IN_DATABASE = /^(pg|postgres|postgresql|cockroachdb|mysql|mysql2)$/;

/**
 * A hash of every column the registry reads (`CHANNEL_COLUMNS`) of every row, in id order: any
 * change to what decides matching, authorizing or publishing changes it, whether or not a date
 * column moved (RT_DONT_PRESET leaves nothing to set them; /utils/sort sets none; MySQL keeps
 * whole seconds). Each value goes in with its kind and length, so no two contents hash alike by
 * running into each other; text is fed to the hash as is, never copied into a bigger string.
 */
export function contentSignature(rows: Array<Record<string, unknown>>): string {
	const hash = createHash('sha256');
	hash.update(`${rows.length};`);
	for (const row of rows) for (const column of CHANNEL_COLUMNS) feed(hash, row[column]);
	return hash.digest('base64url');
}

function feed(hash: Hash, value: unknown): void {
	if (value === null || value === undefined) {
		hash.update('n;');
	} else if (typeof value === 'string') {
		hash.update(`s${Buffer.byteLength(value)}:`);
		hash.update(value);
	} else if (Buffer.isBuffer(value)) {
		hash.update(`b${value.length}:`);
		hash.update(value);
	} else {
		// Numbers, booleans, dates and parsed JSON (`fields` on PostgreSQL) are small.
		const text = value instanceof Date ? value.toISOString() : JSON.stringify(value);
		hash.update(`j${Buffer.byteLength(text)}:`);
		hash.update(text);
	}
}
