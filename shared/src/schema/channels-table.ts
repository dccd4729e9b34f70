/**
 * The `realtime_channels` table and its Data Model preset, brought to the shape this version
 * needs. One function serves both ways in: the hook at start-up and the files in `migrations/`
 * for `directus database migrate:latest`. Whichever runs first does the work; the other finds it
 * done. It only ever adds: a table made by the seed extension keeps its rows, missing columns
 * and field metadata are added, and field metadata an admin edited stays as edited. Two things
 * come back on every start: a column removed by hand (the columns are this version's contract),
 * and activity-only accountability (a security setting: see admin-only.ts).
 *
 * Several Directus instances may start at once on one database. On PostgreSQL and MySQL the
 * work runs under a database lock, so one instance does it and the others wait and find it
 * done; elsewhere (SQLite: one file, one writer) an attempt that collides is retried.
 */
import type { Knex } from 'knex';
import { carriesScripts, revisionWithoutScripts } from '../channels/admin-only.js';
import { CHANNELS_COLLECTION } from '../channels/row.js';
import { COLLECTION_PRESET, FIELD_PRESETS } from './preset.js';

type Column = (table: Knex.CreateTableBuilder) => void;

/** The seed extension's columns (same names and meaning), plus sort, client_events, the permission mode's three, note and dates. */
const COLUMNS: Record<string, Column> = {
	id: (t) => t.uuid('id').primary().notNullable(),
	enabled: (t) => t.boolean('enabled').notNullable().defaultTo(true),
	sort: (t) => t.integer('sort').nullable(),
	channel_name: (t) => t.string('channel_name', 200).notNullable().unique(),
	collection: (t) => t.string('collection', 64).notNullable(),
	fields: (t) => t.json('fields').nullable(),
	authorizer: (t) => t.text('authorizer').nullable(),
	publisher: (t) => t.text('publisher').nullable(),
	trigger_on_create: (t) => t.boolean('trigger_on_create').notNullable().defaultTo(true),
	trigger_on_update: (t) => t.boolean('trigger_on_update').notNullable().defaultTo(true),
	trigger_on_delete: (t) => t.boolean('trigger_on_delete').notNullable().defaultTo(true),
	client_events: (t) => t.boolean('client_events').notNullable().defaultTo(false),
	authorize: (t) => t.string('authorize', 16).notNullable().defaultTo('script'),
	presence_user_fields: (t) => t.json('presence_user_fields').nullable(),
	event_names: (t) => t.json('event_names').nullable(),
	note: (t) => t.text('note').nullable(),
	date_created: (t) => t.timestamp('date_created', { useTz: true }).nullable(),
	date_updated: (t) => t.timestamp('date_updated', { useTz: true }).nullable(),
};

export const CHANNEL_TABLE_COLUMNS = Object.keys(COLUMNS);

export interface SchemaOptions {
	/** Add the Data Model preset (collection and field metadata); RT_DONT_PRESET turns it off. */
	preset: boolean;
	/** How long to wait for another instance's schema lock before giving up (default a minute). */
	lockWaitMs?: number;
}

/** The schema lock stayed taken (another instance stuck mid-work, or a session left holding it). */
export class SchemaLockTimeout extends Error {}

/** What a run changed; empty when everything was already in place. */
export type SchemaChanges = string[];

export interface SchemaOutcome {
	/** Whether the first look found everything in place (nothing waited for, nothing changed). */
	wasComplete: boolean;
	/** What this run changed; empty also when another instance did the work meanwhile. */
	changes: SchemaChanges;
}

/** The name both the PostgreSQL and the MySQL lock go by. */
const LOCK_NAME = 'directus-realtime-pusher:schema';
/** PostgreSQL advisory locks take a number: the first 8 bytes of the name's hash, fixed here. */
const PG_LOCK_KEY = '7301164730524139611';
const ATTEMPTS = 5;
const LOCK_WAIT_MS = 60_000;

/** Whether the table, every column and (with `preset`) the metadata are there: reads only. */
export async function channelsSchemaComplete(knex: Knex, options: SchemaOptions): Promise<boolean> {
	if (!(await knex.schema.hasTable(CHANNELS_COLLECTION))) return false;
	const columns = Object.keys(await knex(CHANNELS_COLLECTION).columnInfo());
	if (CHANNEL_TABLE_COLUMNS.some((c) => !columns.includes(c))) return false;
	const meta = await knex('directus_collections').select('accountability').where({ collection: CHANNELS_COLLECTION }).first();
	if (meta?.accountability === 'all') return false;
	if (!options.preset) return true;
	if (!meta) return false;
	const known = new Set((await knex('directus_fields').select('field').where({ collection: CHANNELS_COLLECTION })).map((r: { field: string }) => r.field));
	return FIELD_PRESETS.every((f) => known.has(f.field));
}

/**
 * Creates or completes the table and its preset, and keeps script text out of its revisions.
 * Safe to run any number of times, from any number of instances at once.
 */
export async function ensureChannelsSchema(knex: Knex, options: SchemaOptions): Promise<SchemaOutcome> {
	if (await channelsSchemaComplete(knex, options)) return { wasComplete: true, changes: [] };
	for (let attempt = 1; ; attempt++) {
		try {
			return { wasComplete: false, changes: await underLock(knex, options.lockWaitMs ?? LOCK_WAIT_MS, (db) => complete(db, options)) };
		} catch (error) {
			// A lock still held after the whole wait is not a collision that a retry would resolve.
			if (error instanceof SchemaLockTimeout) throw error;
			// Another instance may have done it meanwhile (SQLite reports its lock as an error).
			if (await channelsSchemaComplete(knex, options).catch(() => false)) return { wasComplete: false, changes: [] };
			if (attempt >= ATTEMPTS) throw error;
			await new Promise((resolve) => setTimeout(resolve, 100 * attempt + Math.random() * 200));
		}
	}
}

const lockTimeout = (waitMs: number, how: string) =>
	new SchemaLockTimeout(
		`the realtime_channels schema lock (${how}) was still held by another database session after ${Math.round(waitMs / 1000)} s: ` +
			'another instance may be stuck creating the table; end that session or run the migration instead',
	);

async function underLock<T>(knex: Knex, waitMs: number, work: (db: Knex) => Promise<T>): Promise<T> {
	const client = String(knex.client.config.client ?? '');
	if (/^(pg|postgres|postgresql|cockroachdb)$/.test(client)) {
		// A transaction-scoped lock, released with the transaction; PostgreSQL's DDL is transactional.
		// Tried, not waited on: a session that never lets go would otherwise hold the start forever.
		return knex.transaction(async (trx) => {
			const deadline = Date.now() + waitMs;
			for (;;) {
				const { rows } = await trx.raw('select pg_try_advisory_xact_lock(?::bigint) as locked', [PG_LOCK_KEY]);
				if (rows?.[0]?.locked === true) break;
				if (Date.now() >= deadline) throw lockTimeout(waitMs, `PostgreSQL advisory lock ${PG_LOCK_KEY}`);
				await new Promise((resolve) => setTimeout(resolve, Math.min(250, Math.max(1, deadline - Date.now()))));
			}
			return work(trx);
		});
	}
	if (/^(mysql|mysql2)$/.test(client)) {
		// A session lock on one pinned connection: MySQL commits DDL implicitly, the lock stays.
		return knex.transaction(async (trx) => {
			const [rows] = await trx.raw('select get_lock(?, ?) as locked', [LOCK_NAME, Math.max(1, Math.ceil(waitMs / 1000))]);
			if (Number(rows?.[0]?.locked) !== 1) throw lockTimeout(waitMs, `MySQL named lock ${LOCK_NAME}`);
			try {
				return await work(trx);
			} finally {
				await trx.raw('select release_lock(?)', [LOCK_NAME]);
			}
		});
	}
	return knex.transaction((trx) => work(trx));
}

async function complete(knex: Knex, options: SchemaOptions): Promise<SchemaChanges> {
	const changes: SchemaChanges = [];
	if (!(await knex.schema.hasTable(CHANNELS_COLLECTION))) {
		await knex.schema.createTable(CHANNELS_COLLECTION, (t) => Object.values(COLUMNS).forEach((add) => add(t)));
		changes.push(`created table ${CHANNELS_COLLECTION}`);
	} else {
		const existing = Object.keys(await knex(CHANNELS_COLLECTION).columnInfo());
		for (const [name, add] of Object.entries(COLUMNS)) {
			if (existing.includes(name)) continue;
			await knex.schema.alterTable(CHANNELS_COLLECTION, (t) => add(t as Knex.CreateTableBuilder));
			changes.push(`added column ${name}`);
		}
	}
	if (options.preset) changes.push(...(await addPreset(knex)));
	changes.push(...(await keepScriptsOutOfRevisions(knex)));
	return changes;
}

const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value));

async function addPreset(knex: Knex): Promise<SchemaChanges> {
	const changes: SchemaChanges = [];
	const existing = await knex('directus_collections').where({ collection: CHANNELS_COLLECTION }).first();
	if (!existing) {
		await knex('directus_collections').insert(COLLECTION_PRESET);
		changes.push('added the collection preset');
	}
	const known = new Set((await knex('directus_fields').select('field').where({ collection: CHANNELS_COLLECTION })).map((r: { field: string }) => r.field));
	const rows = FIELD_PRESETS.map((f, index) => ({
		collection: CHANNELS_COLLECTION,
		field: f.field,
		special: f.special ?? null,
		interface: f.interface,
		options: json(f.options),
		display: f.display ?? null,
		display_options: json(f.display_options),
		readonly: f.readonly ?? false,
		hidden: f.hidden ?? false,
		required: f.required ?? false,
		sort: index + 1,
		width: f.width,
		note: f.note,
	})).filter((row) => !known.has(row.field));
	if (rows.length > 0) {
		await knex('directus_fields').insert(rows);
		changes.push(`added field presets for ${rows.map((r) => r.field).join(', ')}`);
	}
	return changes;
}

const stored = (value: unknown) => (value === null || value === undefined || typeof value === 'string' ? value : JSON.stringify(value));

/**
 * Installs made before scripts were kept out of revisions (or by the seed extension) record
 * full revisions: the collection is switched to activity only (who changed which row, when), and
 * the revisions already stored lose their script text (their other fields and the activity stay).
 */
async function keepScriptsOutOfRevisions(knex: Knex): Promise<SchemaChanges> {
	const switched = await knex('directus_collections').where({ collection: CHANNELS_COLLECTION, accountability: 'all' }).update({ accountability: 'activity' });
	if (!switched) return [];
	const revisions = await knex('directus_revisions').select('id', 'collection', 'data', 'delta').where({ collection: CHANNELS_COLLECTION });
	let cleaned = 0;
	for (const revision of revisions) {
		if (!carriesScripts(revision.data) && !carriesScripts(revision.delta)) continue;
		const { data, delta } = revisionWithoutScripts(revision);
		await knex('directus_revisions').where({ id: revision.id }).update({ data: stored(data), delta: stored(delta) });
		cleaned++;
	}
	return [`switched ${CHANNELS_COLLECTION} to activity-only accountability`, ...(cleaned ? [`removed script text from ${cleaned} revision(s)`] : [])];
}

/** Undoes the table and everything Directus keeps about it (`migrate:down`). */
export async function dropChannelsSchema(knex: Knex): Promise<void> {
	await knex.schema.dropTableIfExists(CHANNELS_COLLECTION);
	await knex('directus_permissions').where({ collection: CHANNELS_COLLECTION }).delete();
	await knex('directus_presets').where({ collection: CHANNELS_COLLECTION }).delete();
	await knex('directus_revisions').where({ collection: CHANNELS_COLLECTION }).delete();
	await knex('directus_fields').where({ collection: CHANNELS_COLLECTION }).delete();
	await knex('directus_collections').where({ collection: CHANNELS_COLLECTION }).delete();
}
