// `npm start`: the playground. A local Directus 12 on SQLite with Soketi and the bundle, an
// example collection and channel, and a demo page that shows events live as items change.
// State lives in .playground/ (git-ignored); a second start reuses it; Ctrl-C stops everything.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { installExtensions } from './install-extensions.mjs';
import { ensureDirectus, ensureSoketiNode, ROOT } from './runtime.mjs';
import { createPlaygroundServer } from '../playground/serve.mjs';
import { PLAYGROUND_DIRECTUS_ENV, seedPlayground } from '../playground/seed.mjs';

const STATE = process.env.RT_PLAYGROUND_DIR ?? join(ROOT, '.playground');
const PORTS = {
	directus: Number(process.env.DIRECTUS_PORT ?? 8055),
	soketi: Number(process.env.SOKETI_PORT ?? 6001),
	page: Number(process.env.PLAYGROUND_PORT ?? 8056),
};
const ADMIN = { email: 'admin@example.com', password: 'directus-realtime' };
// RT_APP_SECRET has no default: the playground makes its own on the first start and keeps it
// in .playground/app-secret, shared by its Soketi and its Directus.
const APP = { id: 'app-id', key: 'app-key', secret: readOrCreate('app-secret', () => randomBytes(24).toString('base64url')) };
const children = [];

function log(message) {
	console.log(`\x1b[36m[playground]\x1b[0m ${message}`);
}

const SUPERVISOR = join(ROOT, 'scripts', 'supervise.mjs');

// Each child runs under supervise.mjs, which ends it when this process goes away, however it ends.
function start(name, command, args, env, cwd) {
	const child = spawn(process.execPath, [SUPERVISOR, command, ...args], { env: { ...process.env, ...env }, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
	const logFile = join(STATE, `${name}.log`);
	writeFileSync(logFile, '');
	const append = (chunk) => writeFileSync(logFile, chunk, { flag: 'a' });
	child.stdout.on('data', append);
	child.stderr.on('data', append);
	child.on('exit', (code, signal) => {
		if (!stopping) {
			console.error(`[playground] ${name} stopped (${signal ?? code}); its log: ${logFile}`);
			shutdown(1);
		}
	});
	children.push(child);
	return child;
}

async function waitUntil(url, what) {
	const deadline = Date.now() + 60_000;
	while (Date.now() < deadline) {
		try {
			if ((await fetch(url)).ok) return;
		} catch {
			/* not yet */
		}
		await new Promise((r) => setTimeout(r, 250));
	}
	throw new Error(`${what} did not come up at ${url} (see ${STATE}/*.log)`);
}

let stopping = false;
function shutdown(code = 0) {
	if (stopping) return;
	stopping = true;
	for (const child of children) child.stdin.end();
	setTimeout(() => process.exit(code), 1500).unref();
	Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r() : c.on('exit', r))))).then(() => process.exit(code));
}
process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));
process.on('SIGHUP', () => shutdown(0));

const { node, cli } = ensureDirectus();
// PLAYGROUND_NO_BUILD: the suite's own playground test (npm test built the tree already, and a
// second build would swap dist/ under the suites running beside it).
if (!process.env.PLAYGROUND_NO_BUILD) {
	log('building the bundle...');
	if (spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' }).status !== 0) process.exit(1);
}

const project = join(STATE, 'directus');
const firstRun = !existsSync(join(project, 'data.db'));
mkdirSync(join(project, 'uploads'), { recursive: true });
writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'realtime-playground', private: true }));
// Playgrounds made before the bundle had two extension folders and the migrations there.
for (const old of ['realtime-hooks', 'realtime-endpoints', 'migrations']) rmSync(join(project, 'extensions', old), { recursive: true, force: true });
installExtensions(join(project, 'extensions'));

const directusEnv = {
	DB_CLIENT: 'sqlite3',
	DB_FILENAME: join(project, 'data.db'),
	HOST: '127.0.0.1',
	PORT: String(PORTS.directus),
	PUBLIC_URL: `http://localhost:${PORTS.directus}`,
	SECRET: readOrCreate('secret', () => crypto.randomUUID() + crypto.randomUUID()),
	ADMIN_EMAIL: ADMIN.email,
	ADMIN_PASSWORD: ADMIN.password,
	EXTENSIONS_PATH: join(project, 'extensions'),
	MIGRATIONS_PATH: join(project, 'migrations'),
	STORAGE_LOCAL_ROOT: join(project, 'uploads'),
	TELEMETRY: 'false',
	CORS_ENABLED: 'true',
	CORS_ORIGIN: 'true',
	WEBSOCKETS_ENABLED: 'true',
	// isolated-vm (the script sandbox) needs it on Node 20 and later.
	NODE_OPTIONS: '--no-node-snapshot',
	RT_APP_ID: APP.id,
	RT_APP_KEY: APP.key,
	RT_APP_SECRET: APP.secret,
	RT_APP_HOST: '127.0.0.1',
	RT_APP_PORT: String(PORTS.soketi),
	RT_ENCRYPTION_MASTER_KEY: readOrCreate('encryption-key', () => randomBytes(32).toString('base64')),
	...PLAYGROUND_DIRECTUS_ENV,
};

/** A random value made on the first start and kept in .playground/<name> for the next ones. */
function readOrCreate(name, make) {
	const file = join(STATE, name);
	if (!existsSync(file)) {
		mkdirSync(STATE, { recursive: true });
		writeFileSync(file, make(), { mode: 0o600 });
	}
	return readFileSync(file, 'utf8').trim();
}

// Directus runs its migrations at bootstrap: also on later starts, so new ones apply. The
// bundle creates (or completes) realtime_channels itself when the server starts.
log(firstRun ? 'creating the Directus database (first start only)...' : 'reusing .playground/directus');
const boot = spawnSync(node, [cli, 'bootstrap'], { cwd: project, env: { ...process.env, ...directusEnv }, encoding: 'utf8' });
if (boot.status !== 0) {
	console.error(boot.stdout, boot.stderr);
	process.exit(1);
}

// Soketi's WebSocket server (uWebSockets) loads on Node 20 only.
start('soketi', ensureSoketiNode(), [join(ROOT, 'node_modules', '@soketi', 'soketi', 'bin', 'server.js'), 'start'], {
	SOKETI_PORT: String(PORTS.soketi),
	SOKETI_METRICS_SERVER_PORT: String(PORTS.soketi + 3600),
	SOKETI_DEFAULT_APP_ID: APP.id,
	SOKETI_DEFAULT_APP_KEY: APP.key,
	SOKETI_DEFAULT_APP_SECRET: APP.secret,
	SOKETI_DEFAULT_APP_USER_AUTHENTICATION: 'true',
	SOKETI_DEFAULT_APP_ENABLE_CLIENT_MESSAGES: 'true',
	// A subscriber of a cache channel whose event Soketi no longer holds gets it again from Directus.
	SOKETI_DEFAULT_APP_WEBHOOKS: JSON.stringify([{ url: `http://127.0.0.1:${PORTS.directus}/realtime/webhook`, event_types: ['cache_miss'] }]),
	AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
});
await waitUntil(`http://127.0.0.1:${PORTS.soketi}/`, 'Soketi');
start('directus', node, [cli, 'start'], directusEnv, project);
await waitUntil(`http://127.0.0.1:${PORTS.directus}/server/ping`, 'Directus');
await seedPlayground({ url: `http://127.0.0.1:${PORTS.directus}`, ...ADMIN });

// Ready is said once the page listens: a port already taken says so and stops everything.
const pageServer = createPlaygroundServer({ directusUrl: directusEnv.PUBLIC_URL, appKey: APP.key, soketiPort: PORTS.soketi });
const pageError = await new Promise((resolve) => {
	pageServer.once('error', resolve);
	pageServer.listen(PORTS.page, '127.0.0.1', () => resolve(undefined));
});
if (pageError) {
	console.error(`[playground] the demo page cannot listen on 127.0.0.1:${PORTS.page} (${pageError.code ?? pageError.message}); set PLAYGROUND_PORT to a free port`);
	shutdown(1);
	await new Promise(() => {}); // shutdown ends the process
}

log('ready.');
console.log(`
  Data Studio   http://localhost:${PORTS.directus}/admin   (${ADMIN.email} / ${ADMIN.password})
  Demo page     http://localhost:${PORTS.page}/   (events appear live as you edit "messages";
                log in there for the live list on "private-messages", a channel with no scripts)
  Channels      http://localhost:${PORTS.directus}/admin/content/realtime_channels
  Realtime      http://localhost:${PORTS.directus}/admin/realtime   (rows, counters, live tail, dry-run)
  Soketi        ws://localhost:${PORTS.soketi}   app key "${APP.key}"
  Logs          ${STATE}/*.log

  Ctrl-C stops everything; state stays in ${STATE} for the next start.
`);
