/**
 * Creates `realtime_channels` (the seed extension's columns, same names and meaning, plus sort,
 * note and dates) and its Data Model preset. Idempotent: on a project that already has the
 * seed's table the rows stay, only missing columns and metadata are added. RT_DONT_PRESET skips
 * the preset.
 */
import type { Knex } from 'knex';
import { readBoolean } from '@directus-realtime/shared/config';
import { CHANNELS_COLLECTION } from '@directus-realtime/shared/channels/row';
import { directusEnv } from './directus-env.js';
import { COLLECTION_PRESET, FIELD_PRESETS } from './preset.js';

type Column = (table: Knex.CreateTableBuilder) => void;

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
	note: (t) => t.text('note').nullable(),
	date_created: (t) => t.timestamp('date_created', { useTz: true }).nullable(),
	date_updated: (t) => t.timestamp('date_updated', { useTz: true }).nullable(),
};

const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value));

async function createOrComplete(knex: Knex): Promise<void> {
	if (!(await knex.schema.hasTable(CHANNELS_COLLECTION))) {
		await knex.schema.createTable(CHANNELS_COLLECTION, (t) => Object.values(COLUMNS).forEach((add) => add(t)));
		return;
	}
	for (const [name, add] of Object.entries(COLUMNS)) {
		if (!(await knex.schema.hasColumn(CHANNELS_COLLECTION, name))) {
			await knex.schema.alterTable(CHANNELS_COLLECTION, (t) => add(t as Knex.CreateTableBuilder));
		}
	}
}

async function preset(knex: Knex): Promise<void> {
	const existing = await knex('directus_collections').where({ collection: CHANNELS_COLLECTION }).first();
	if (!existing) await knex('directus_collections').insert(COLLECTION_PRESET);
	const known = new Set(
		(await knex('directus_fields').select('field').where({ collection: CHANNELS_COLLECTION })).map((r: { field: string }) => r.field),
	);
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
	if (rows.length > 0) await knex('directus_fields').insert(rows);
}

export async function up(knex: Knex): Promise<void> {
	await createOrComplete(knex);
	if (!readBoolean(await directusEnv(), 'RT_DONT_PRESET')) await preset(knex);
}

export async function down(knex: Knex): Promise<void> {
	await knex.schema.dropTableIfExists(CHANNELS_COLLECTION);
	await knex('directus_permissions').where({ collection: CHANNELS_COLLECTION }).delete();
	await knex('directus_presets').where({ collection: CHANNELS_COLLECTION }).delete();
	await knex('directus_revisions').where({ collection: CHANNELS_COLLECTION }).delete();
	await knex('directus_fields').where({ collection: CHANNELS_COLLECTION }).delete();
	await knex('directus_collections').where({ collection: CHANNELS_COLLECTION }).delete();
}
