/**
 * The install a Directus user makes: a Directus project (a package.json and `npm install
 * directus`), `npm install <the packed bundle>`, a start with Directus' default EXTENSIONS_PATH,
 * MIGRATIONS_PATH and PACKAGE_FILE_LOCATION. Nothing is copied into extensions/ or migrations/,
 * and no migration is run: the bundle is loaded from node_modules and makes its own table.
 *
 * The project starts as the Directus host of this run (DIRECTUS=11 or 12), which is exactly what
 * `npm install directus@<version>` leaves in a folder; it is copied with hard links for speed,
 * its package and lock files as real copies, since npm rewrites those.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
// @ts-expect-error plain ESM script shared with `npm run pack`
import { pack } from '../../scripts/pack.mjs';
import { connectClient, disconnectAll, subscribe, type PusherClient } from '../harness/clients.js';
import { startDirectus, type Directus } from '../harness/directus.js';
import { createChannel, createCollection, createUser, login } from '../harness/fixtures.js';
import { DIRECTUS_DIR, DIRECTUS_HOST, ROOT } from '../harness/paths.js';
import { publishedFiles } from '../harness/package-files.js';
import { startSoketi, type Soketi } from '../harness/soketi.js';

const NAME = 'directus-extension-realtime-pusher';

function freshProject(): string {
	const dir = mkdtempSync(join(tmpdir(), 'rt-npm-project-'));
	const cp = spawnSync('cp', ['-al', join(DIRECTUS_DIR, 'node_modules'), join(dir, 'node_modules')]);
	assert.equal(cp.status, 0, String(cp.stderr));
	rmSync(join(dir, 'node_modules', '.package-lock.json'), { force: true });
	cpSync(join(DIRECTUS_DIR, 'node_modules', '.package-lock.json'), join(dir, 'node_modules', '.package-lock.json'));
	cpSync(join(DIRECTUS_DIR, 'package.json'), join(dir, 'package.json'));
	cpSync(join(DIRECTUS_DIR, 'package-lock.json'), join(dir, 'package-lock.json'));
	return dir;
}

describe(`npm install of the packed bundle into a fresh Directus ${DIRECTUS_HOST.version} project`, () => {
	let project: string;
	let tarball: string;
	let soketi: Soketi;
	let directus: Directus;
	let client: PusherClient | undefined;

	before(async () => {
		const packDir = mkdtempSync(join(tmpdir(), 'rt-pack-'));
		// npm test built dist/ already; a second build would swap it under the suites beside this one.
		tarball = pack({ build: false, destination: packDir });
		project = freshProject();
		const install = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: project, encoding: 'utf8' });
		assert.equal(install.status, 0, `npm install failed:\n${install.stdout}\n${install.stderr}`);
		soketi = await startSoketi();
		directus = await startDirectus({
			project: { dir: project, cli: join(project, 'node_modules', '@directus', 'api', 'dist', 'cli', 'run.js') },
			env: {
				RT_APP_ID: soketi.app.id,
				RT_APP_KEY: soketi.app.key,
				RT_APP_SECRET: soketi.app.secret,
				RT_APP_HOST: soketi.host,
				RT_APP_PORT: String(soketi.port),
			},
		});
	});

	after(async () => {
		disconnectAll(client);
		await Promise.allSettled([directus?.stop(), soketi?.stop()]);
		rmSync(join(tarball, '..'), { recursive: true, force: true });
	});

	it('is a dependency of the project, installed with the published files only', () => {
		const pkg = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8'));
		assert.match(pkg.dependencies[NAME], /^file:.*\.tgz$/);
		const installed = join(project, 'node_modules', NAME);
		const files = readdirSync(installed, { recursive: true, withFileTypes: true })
			.filter((e) => e.isFile())
			.map((e) => join(e.parentPath, e.name).slice(installed.length + 1))
			.sort();
		assert.deepEqual(files, publishedFiles());
		assert.equal(JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')).version, JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
		for (const folder of ['extensions', 'migrations']) {
			assert.ok(!existsSync(join(project, folder)) || readdirSync(join(project, folder)).length === 0, `nothing in ${folder}/`);
		}
	});

	it('gives the project the client helper by its name, directus-extension-realtime-pusher/client', () => {
		const probe = spawnSync(process.execPath, ['--input-type=module', '-e', `const m = await import('${NAME}/client'); console.log(typeof m.createRecoveringClient);`], { cwd: project, encoding: 'utf8' });
		assert.equal(probe.status, 0, probe.stderr);
		assert.equal(probe.stdout.trim(), 'function');
	});

	it('is loaded by Directus from the package file: the bundle and its entries', async () => {
		const res = await directus.request('GET', '/extensions');
		assert.equal(res.status, 200);
		const bundle = res.body.data.find((e: any) => e.schema?.name === NAME);
		assert.ok(bundle, 'the bundle is listed');
		assert.equal(bundle.schema.type, 'bundle');
		assert.equal(bundle.meta.source, 'module', 'loaded from node_modules (the package.json), not from extensions/');
		const entries = res.body.data.filter((e: any) => e.bundle === bundle.id).map((e: any) => `${e.schema.type}:${e.schema.name}`).sort();
		assert.deepEqual(entries, ['endpoint:realtime-endpoints', 'hook:realtime-hooks', 'module:realtime-module', 'operation:realtime-trigger']);
	});

	it('created realtime_channels with its Data Model preset on the first start', async () => {
		const collection = await directus.request('GET', '/collections/realtime_channels');
		assert.equal(collection.status, 200);
		assert.equal(collection.body.data.meta.icon, 'cell_tower');
		const fields = (await directus.request('GET', '/fields/realtime_channels')).body.data;
		assert.equal(fields.find((f: any) => f.field === 'authorizer').meta.interface, 'input-code');
		assert.ok(directus.logs().some((l) => /realtime: created table realtime_channels/.test(String(l.msg))));
	});

	it('authorizes a pusher-js client at /realtime/auth, and refuses another user', async () => {
		await createCollection(directus, 'notes', [{ field: 'title', type: 'string' }]);
		await createChannel(directus, {
			channel_name: 'private-notes-:userId',
			collection: 'notes',
			authorizer: 'return auth.user !== null && auth.user.id === params.userId;',
			publisher: '',
		});
		const ada = await createUser(directus, { first_name: 'Ada' });
		const bob = await createUser(directus, { first_name: 'Bob' });
		client = await connectClient(soketi, { directusUrl: directus.url, token: await login(directus, ada) });
		await subscribe(client, `private-notes-${ada.id}`);
		await assert.rejects(subscribe(client, `private-notes-${bob.id}`), (e: any) => e.detail?.status === 403);
	});
});
