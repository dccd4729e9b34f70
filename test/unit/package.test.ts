/**
 * What `npm publish` would upload: `npm pack --dry-run` lists the files (the built bundle, the
 * README, licence and changelog: no sources, tests or local state), and the manifest says what
 * Directus and npm need to install and load it.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';
// @ts-expect-error plain ESM script shared with `npm run pack`
import { packedFiles } from '../../scripts/pack.mjs';
import { clientModules, publishedFiles } from '../harness/package-files.js';
import { ROOT } from '../harness/paths.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const semver = createRequire(join(ROOT, 'package.json'))('semver') as { satisfies(version: string, range: string): boolean };

describe('the published package', () => {
	it('holds the built bundle, the client helper, README, LICENSE.md and CHANGELOG, and nothing else', () => {
		assert.ok(clientModules().includes('index'));
		assert.deepEqual(packedFiles(), publishedFiles());
	});

	it('exports the client helper as /client, typed, with pusher-js as an optional peer and no dependency (not even the Directus SDK it works with)', async () => {
		assert.deepEqual(pkg.exports['./client'], { types: './dist/client/index.d.ts', import: './dist/client/index.js' });
		assert.ok(existsSync(join(ROOT, pkg.exports['./client'].types)));
		const client = await import(join(ROOT, pkg.exports['./client'].import));
		assert.equal(typeof client.createRecoveringClient, 'function');
		for (const name of ['channelAuthorization', 'userAuthentication', 'itemChannel', 'collectionChannel', 'inboxChannel']) assert.equal(typeof client[name], 'function', name);
		assert.match(readFileSync(join(ROOT, 'dist', 'client', 'index.d.ts'), 'utf8'), /subscribeItem<T = Record<string, unknown>>\(collection: string, id: string \| number, handlers: RowHandlers<T>\): RecoveringSubscription;/);
		assert.deepEqual(pkg.peerDependenciesMeta['pusher-js'], { optional: true });
		assert.equal(pkg.dependencies?.['@directus/sdk'] ?? pkg.peerDependencies?.['@directus/sdk'], undefined, 'the SDK is the application\'s, never the package\'s');
		for (const file of ['index', 'history', 'ledger', 'sealed', 'authorize', 'channels', 'token']) {
			const text = readFileSync(join(ROOT, 'dist', 'client', `${file}.js`), 'utf8');
			assert.deepEqual([...text.matchAll(/^import .* from '([^']+)'/gm)].map((m) => m[1]).filter((spec) => !spec!.startsWith('./')), [], `${file}.js imports only its siblings`);
		}
	});

	it('is a Directus bundle whose entries are the hook, the endpoint, the Flows operation and the Data Studio module', () => {
		const manifest = pkg['directus:extension'];
		assert.equal(pkg.name, 'directus-extension-realtime-pusher');
		assert.equal(manifest.type, 'bundle');
		assert.deepEqual(manifest.path, { app: 'dist/app.js', api: 'dist/api.js' });
		assert.deepEqual(
			manifest.entries.map((e: { type: string; name: string }) => `${e.type}:${e.name}`),
			['hook:realtime-hooks', 'endpoint:realtime-endpoints', 'operation:realtime-trigger', 'module:realtime-module'],
		);
		for (const entry of manifest.entries) {
			const sources = typeof entry.source === 'string' ? [entry.source] : Object.values(entry.source as Record<string, string>);
			for (const source of sources) assert.ok(existsSync(join(ROOT, source)), source);
		}
	});

	it('says which Directus it runs on: 11 from 11.16.1, and 12', () => {
		const host = pkg['directus:extension'].host;
		for (const version of ['11.16.1', '11.17.0', '12.0.0', '12.4.0']) assert.ok(semver.satisfies(version, host), `${version} in ${host}`);
		for (const version of ['10.13.0', '11.15.0', '13.0.0']) assert.ok(!semver.satisfies(version, host), `${version} not in ${host}`);
		assert.ok(semver.satisfies('22.0.0', pkg.engines.node) && !semver.satisfies('20.19.0', pkg.engines.node), 'Node 22, as Directus 11 and 12');
	});

	it('installs without dependencies or install scripts: everything is in the bundle', () => {
		assert.deepEqual(pkg.dependencies ?? {}, {});
		for (const script of ['preinstall', 'install', 'postinstall', 'prepare', 'prepublish']) assert.equal(pkg.scripts?.[script], undefined, script);
		assert.equal(pkg.private, undefined);
		assert.deepEqual(pkg.peerDependenciesMeta?.['isolated-vm'], { optional: true }, 'isolated-vm comes with Directus');
	});

	it('carries what a registry page needs: licence, repository, homepage, keywords, changelog entry', () => {
		assert.equal(pkg.license, 'MIT');
		assert.match(readFileSync(join(ROOT, 'LICENSE.md'), 'utf8'), /^MIT License/);
		assert.match(pkg.repository?.url ?? '', /^git\+https:\/\//);
		assert.match(pkg.homepage ?? '', /^https:\/\//);
		for (const keyword of ['directus', 'directus-extension', 'directus-extension-bundle', 'pusher', 'soketi']) assert.ok(pkg.keywords.includes(keyword), keyword);
		assert.match(readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8'), new RegExp(`^## \\[${pkg.version.replace(/\./g, '\\.')}\\]`, 'm'));
		const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
		assert.match(readme, new RegExp(`npm install ${pkg.name}`));
	});

	it('ships no trace of the machine it was built on', () => {
		for (const file of ['dist/api.js', 'dist/app.js', 'dist/client/index.js', 'dist/client/index.d.ts']) {
			const text = readFileSync(join(ROOT, file), 'utf8');
			assert.ok(!text.includes(ROOT), `${file} names the build folder`);
			assert.doesNotMatch(text, /sourceMappingURL/);
		}
	});
});
