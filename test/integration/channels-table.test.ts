/**
 * The realtime_channels table comes two ways: the bundle creates it on its first start, and the
 * migration file does it for `directus database migrate:latest`. Both leave the same schema,
 * either after the other is a no-op, and a table made by the seed extension keeps its rows.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { connectDatabase } from '../harness/databases.js';
import { startDirectus, type Directus } from '../harness/directus.js';
import { createdOnStart, fieldCounts, migrationFiles } from '../harness/channels-table.js';
import { createChannel } from '../harness/fixtures.js';
import { ROOT } from '../harness/paths.js';

const SEED_COLUMNS = ['id', 'enabled', 'collection', 'fields', 'channel_name', 'authorizer', 'publisher', 'trigger_on_create', 'trigger_on_update', 'trigger_on_delete'];
const DB = process.env.DB ?? 'sqlite';

async function migration(): Promise<{ up(knex: unknown): Promise<void>; down(knex: unknown): Promise<void> }> {
	const [file] = migrationFiles();
	return import(pathToFileURL(join(ROOT, 'migrations', 'dist', file!)).href);
}

describe(`the realtime_channels table, made on first start (${DB})`, () => {
	let directus: Directus;
	before(async () => {
		directus = await startDirectus({ env: { RT_APP_HOST: '127.0.0.1' } });
	});
	after(async () => directus?.stop());

	it('is created by the bundle when the server starts, with no migration file installed', async () => {
		assert.deepEqual(readdirSync(join(directus.dir, 'migrations')), []);
		assert.equal(createdOnStart(directus).length, 1, 'the start logs what it created');
		const db = connectDatabase(directus.dbEnv);
		try {
			assert.equal(await db('directus_migrations').where('version', 'like', 'rtpusher%').first(), undefined);
		} finally {
			await db.destroy();
		}
	});

	it('creates the seed columns plus sort, client_events, note and dates', async () => {
		const res = await directus.request('GET', '/fields/realtime_channels');
		const fields = res.body.data.map((f: { field: string }) => f.field);
		for (const column of [...SEED_COLUMNS, 'sort', 'client_events', 'note', 'date_created', 'date_updated']) assert.ok(fields.includes(column), column);
		const clientEvents = res.body.data.find((f: { field: string }) => f.field === 'client_events');
		assert.equal(clientEvents.schema.default_value, false, 'client events stay out of Directus unless a row opens them');
		assert.match(clientEvents.meta.note, /realtime\.client_event/);
		assert.match(clientEvents.meta.note, /Refused for public channels/);
	});

	it('creates the Data Model preset: code editors with templates, tags, toggles, a note on every field', async () => {
		const collection = (await directus.request('GET', '/collections/realtime_channels')).body.data;
		assert.equal(collection.meta.icon, 'cell_tower');
		assert.equal(collection.meta.sort_field, 'sort');
		const fields = Object.fromEntries((await directus.request('GET', '/fields/realtime_channels')).body.data.map((f: any) => [f.field, f.meta]));
		assert.equal(fields.authorizer.interface, 'input-code');
		assert.equal(fields.authorizer.options.language, 'javascript');
		assert.match(fields.authorizer.options.template, /return true/);
		assert.equal(fields.publisher.interface, 'input-code');
		assert.match(fields.publisher.options.template, /trigger\(/);
		assert.equal(fields.fields.interface, 'tags');
		for (const t of ['trigger_on_create', 'trigger_on_update', 'trigger_on_delete', 'enabled']) assert.equal(fields[t].interface, 'boolean', t);
		for (const [name, meta] of Object.entries<any>(fields)) assert.ok(meta.note && meta.note.length > 10, `${name} has a note`);
	});

	it('gives new rows the seed defaults', async () => {
		const row = await createChannel(directus, { channel_name: 'defaults-check', collection: 'directus_folders', publisher: '' });
		const read = (await directus.request('GET', `/items/realtime_channels/${row.id}`)).body.data;
		assert.equal(read.enabled, true);
		assert.deepEqual(read.fields, ['*']);
		assert.equal(read.trigger_on_create, true);
		await directus.request('DELETE', `/items/realtime_channels/${row.id}`);
	});

	it('converges: a restart, then `migrate:latest` with the migration file, keep the rows and add nothing twice', async () => {
		const row = await createChannel(directus, { channel_name: 'kept-row', collection: 'directus_folders', publisher: 'trigger({}, "e", {});' });
		const before = await fieldCounts(directus);
		assert.ok(Object.values(before).every((n) => n === 1), JSON.stringify(before));
		await directus.restart();
		assert.equal(createdOnStart(directus).length, 0, 'a second start creates nothing');
		await directus.halt();
		const { installMigrations } = await import(pathToFileURL(join(ROOT, 'scripts', 'install-extensions.mjs')).href);
		installMigrations(join(directus.dir, 'migrations'));
		await directus.cli(['database', 'migrate:latest']);
		await directus.restart();
		assert.deepEqual(await fieldCounts(directus), before);
		const db = connectDatabase(directus.dbEnv);
		try {
			assert.ok(await db('directus_migrations').where('version', 'rtpusher001').first(), 'the migration is recorded as run');
			assert.equal((await db('realtime_channels').where({ id: row.id }).first()).channel_name, 'kept-row');
		} finally {
			await db.destroy();
		}
	});

	it('completes a table the seed extension created on the next start, keeping its rows', async () => {
		await directus.halt();
		const db = connectDatabase(directus.dbEnv);
		try {
			await (await migration()).down(db);
			await createSeedTable(db);
		} finally {
			await db.destroy();
		}
		await directus.restart();
		const fields = (await directus.request('GET', '/fields/realtime_channels')).body.data.map((f: { field: string }) => f.field);
		for (const column of ['sort', 'client_events', 'authorize', 'presence_user_fields', 'event_names', 'note', 'date_created', 'date_updated']) assert.ok(fields.includes(column), column);
		const read = await directus.request('GET', '/items/realtime_channels?filter[channel_name][_eq]=private-chat-:userId');
		assert.equal(read.body.data.length, 1, 'the seed row is still there and readable at once');
		assert.equal((await directus.request('GET', '/fields/realtime_channels/authorizer')).body.data.meta.interface, 'input-code');
	});

	it('the migration file also keeps the rows of a seed table, adding the missing columns and the preset', async () => {
		await directus.halt();
		const db = connectDatabase(directus.dbEnv);
		const { up, down } = await migration();
		try {
			await down(db);
			await createSeedTable(db);
			await up(db);
			const row = await db('realtime_channels').first();
			assert.equal(row.channel_name, 'private-chat-:userId');
			assert.ok(await db.schema.hasColumn('realtime_channels', 'sort'));
			assert.ok((await db('directus_fields').where({ collection: 'realtime_channels', field: 'authorizer' }).first()).interface === 'input-code');
		} finally {
			await db.destroy();
			await directus.restart();
		}
		const read = await directus.request('GET', '/items/realtime_channels?filter[channel_name][_eq]=private-chat-:userId');
		assert.equal(read.body.data.length, 1);
	});

	it('is undone by `directus database migrate:down`: table and metadata gone', async () => {
		await directus.halt();
		await directus.cli(['database', 'migrate:down']);
		const db = connectDatabase(directus.dbEnv);
		try {
			assert.equal(await db.schema.hasTable('realtime_channels'), false);
			assert.equal(Number((await db('directus_fields').where({ collection: 'realtime_channels' }).count({ n: '*' }).first()).n), 0);
			assert.equal(await db('directus_collections').where({ collection: 'realtime_channels' }).first(), undefined);
		} finally {
			await db.destroy();
		}
		await directus.cli(['database', 'migrate:latest']);
		await directus.restart();
		assert.equal((await directus.request('GET', '/collections/realtime_channels')).status, 200);
	});
});

async function createSeedTable(db: any): Promise<void> {
	await db.schema.createTable('realtime_channels', (t: any) => {
		t.uuid('id').primary();
		t.boolean('enabled');
		t.string('collection');
		t.json('fields');
		t.string('channel_name').unique();
		t.text('authorizer');
		t.text('publisher');
		t.boolean('trigger_on_create');
		t.boolean('trigger_on_update');
		t.boolean('trigger_on_delete');
	});
	await db('realtime_channels').insert({ id: '2b8f0a36-6a2e-4e0b-9d7f-0c8a4c1d2e3f', enabled: true, collection: 'chat', fields: '["*"]', channel_name: 'private-chat-:userId', authorizer: 'return true;', publisher: '', trigger_on_create: true, trigger_on_update: false, trigger_on_delete: false });
}
