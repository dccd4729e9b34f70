// Makes sure the pieces that cannot live in the workspace's own node_modules are installed:
// a Node 22 (Directus 12 needs it) and a Directus 12 host with its native modules built for
// that Node. Both go into the git-ignored .runtime/ folder on first use and are reused after.
// Kept in folders of their own: node@22's preinstall races native builds in a shared folder.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const RUNTIME_DIR = process.env.RT_RUNTIME_DIR ?? join(ROOT, '.runtime');
/**
 * The Directus hosts the suites run on: 12 by default, 11 with DIRECTUS=11 (CI runs both). Each
 * has its own folder; 12.4.0 keeps the folder name it always had.
 */
export const DIRECTUS_VERSIONS = { 12: { version: '12.4.0', folder: 'directus' }, 11: { version: '11.16.1', folder: 'directus11' } };

export function selectedDirectus(value = process.env.DIRECTUS ?? '12') {
	const major = String(value).split('.')[0];
	const host = DIRECTUS_VERSIONS[major];
	if (!host) throw new Error(`DIRECTUS must be one of ${Object.keys(DIRECTUS_VERSIONS).join(', ')}, got "${value}"`);
	return { major: Number(major), ...host };
}

export const DIRECTUS_VERSION = selectedDirectus().version;
const NODE_RANGE = '22';

function run(cmd, args, opts) {
	const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
	if (r.status !== 0) {
		throw new Error(`${cmd} ${args.join(' ')} failed in ${opts.cwd} (exit ${r.status ?? r.signal})`);
	}
}

function installInto(dir, deps, env = process.env) {
	const stamp = join(dir, '.installed.json');
	const want = JSON.stringify(deps);
	if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return false;
	mkdirSync(dir, { recursive: true });
	writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'rt-runtime', private: true, dependencies: deps }, null, 2));
	run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, env });
	writeFileSync(stamp, want);
	return true;
}

/** Absolute path of a Node >= 22 binary, installing one from the npm registry when needed. */
export function ensureNode22() {
	if (Number(process.versions.node.split('.')[0]) >= 22) return { node: process.execPath, headers: undefined };
	const dir = join(RUNTIME_DIR, 'node22');
	if (installInto(dir, { node: NODE_RANGE })) console.error('[runtime] installed Node 22 into', dir);
	const node = join(dir, 'node_modules', 'node', 'bin', 'node');
	const headers = join(dir, 'node_modules', 'node', 'node_modules', `node-${process.platform}-${process.arch}`);
	if (!existsSync(node)) throw new Error(`Node 22 install incomplete: ${node} is missing`);
	return { node, headers };
}

/**
 * A Node 20 for Soketi: the uWebSockets build it runs on here loads on Node 20 (ABI 115) only,
 * and its fallback server accepts no WebSocket connections on other versions.
 */
export function ensureSoketiNode() {
	if (process.versions.node.split('.')[0] === '20') return process.execPath;
	const dir = join(RUNTIME_DIR, 'node20');
	if (installInto(dir, { node: '20' })) console.error('[runtime] installed Node 20 for Soketi into', dir);
	const node = join(dir, 'node_modules', 'node', 'bin', 'node');
	if (!existsSync(node)) throw new Error(`Node 20 install incomplete: ${node} is missing`);
	return node;
}

/** Directory of a Directus host (its package.json and node_modules), built for Node 22. */
export function ensureDirectus(host = selectedDirectus()) {
	const { node, headers } = ensureNode22();
	const dir = join(RUNTIME_DIR, host.folder);
	const env = { ...process.env, PATH: `${dirname(node)}:${process.env.PATH}` };
	if (headers) env.npm_config_nodedir = headers;
	if (installInto(dir, { directus: host.version }, env)) console.error('[runtime] installed Directus', host.version, 'into', dir);
	// The API's CLI directly: `directus`' own wrapper first asks the npm registry for updates.
	return { node, dir, cli: join(dir, 'node_modules', '@directus', 'api', 'dist', 'cli', 'run.js') };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
	const t = Date.now();
	const r = ensureDirectus();
	console.error('[runtime] ready in', Math.round((Date.now() - t) / 1000), 's:', JSON.stringify(r));
}
