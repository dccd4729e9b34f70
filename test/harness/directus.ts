/**
 * A real Directus with the built bundle installed as a local extension, on a temp directory and
 * free port; the bundle creates its table on first start, as for a user. SQLite instances start
 * from a bootstrapped template (cached per Directus version, and per migrations build for the
 * instances that also get the migration file), so a suite boots in seconds.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error plain ESM script shared with the playground and users
import { installExtensions, installMigrations } from '../../scripts/install-extensions.mjs';
import { createDatabase, selectedDatabase, type Database, type DatabaseKind } from './databases.js';
import { runToEnd, startProcess, type ManagedProcess } from './process.js';
import { DIRECTUS_CLI, DIRECTUS_DIR, DIRECTUS_NODE, ROOT, RUNTIME_DIR } from './paths.js';
import { freePort, GiveUp, waitFor } from './ports.js';
import { TEST_APP_SECRET } from './soketi.js';

export const ADMIN_EMAIL = 'admin@example.com';
export const ADMIN_PASSWORD = 'rt-admin-password';
export const ADMIN_TOKEN = 'rt-test-admin-token';


export interface DirectusOptions {
	db?: DatabaseKind;
	/** Extra environment for Directus (RT_* and anything else). */
	env?: Record<string, string | undefined>;
	/** Install the built bundle (default true). */
	extensions?: boolean;
	/** Also put the built migration file into MIGRATIONS_PATH, so bootstrap runs it (default false). */
	migrations?: boolean;
	/** Bootstrap a new database even on SQLite (no template), e.g. when env changes the migration. */
	fresh?: boolean;
	/** Run on another instance's database (a second server of one project); it is not dropped on stop. */
	sameDatabaseAs?: Directus;
	/**
	 * Run a Directus project of the test's own making (its package.json, node_modules, CLI) with
	 * Directus' default EXTENSIONS_PATH, MIGRATIONS_PATH and PACKAGE_FILE_LOCATION, as a user
	 * would: nothing is installed into it. The folder is removed on stop.
	 */
	project?: { dir: string; cli: string };
	/** The port to listen on (chosen beforehand, e.g. for Soketi's webhook URL); a free one by default. */
	port?: number;
	/**
	 * Every piece of Directus' output (stdout and stderr) as it arrives, for suites whose runs
	 * write more than `logs()` keeps (its last 256 KB).
	 */
	onOutput?: (chunk: string) => void;
}

export interface ApiResponse<T = any> {
	status: number;
	headers: Headers;
	body: T;
	text: string;
}

export interface RequestOptions {
	token?: string | null;
	headers?: Record<string, string>;
	/** Sent as application/x-www-form-urlencoded instead of JSON. */
	form?: Record<string, string>;
	/** Sent as is. */
	raw?: string;
}

export interface Directus {
	readonly url: string;
	readonly dir: string;
	readonly db: DatabaseKind;
	readonly process: ManagedProcess;
	/** Parsed JSON log lines Directus has written so far. */
	logs(): Array<Record<string, any>>;
	waitForLog(predicate: (line: Record<string, any>) => boolean, timeoutMs?: number): Promise<Record<string, any>>;
	request<T = any>(method: string, path: string, body?: unknown, options?: RequestOptions): Promise<ApiResponse<T>>;
	/** Runs a Directus CLI command (e.g. `database migrate:down`) against this instance's database. */
	cli(args: string[]): Promise<string>;
	/** DB_* variables of this instance's database, for direct connections. */
	readonly dbEnv: Record<string, string>;
	/** Stops the server but keeps its database (restart() brings it back). */
	halt(): Promise<void>;
	/** Restarts the same instance (same database), optionally with changed environment. */
	restart(env?: Record<string, string | undefined>): Promise<void>;
	stop(): Promise<void>;
}

function baseEnv(dir: string, database: Database, port: number, extra: Record<string, string | undefined>, defaultPaths = false): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {
		PATH: process.env.PATH,
		HOME: process.env.HOME,
		...database.env,
		HOST: '127.0.0.1',
		PORT: String(port),
		PUBLIC_URL: `http://127.0.0.1:${port}`,
		SECRET: 'rt-test-secret-0123456789abcdef0123456789',
		ADMIN_EMAIL,
		ADMIN_PASSWORD,
		ADMIN_TOKEN,
		EXTENSIONS_PATH: join(dir, 'extensions'),
		MIGRATIONS_PATH: join(dir, 'migrations'),
		STORAGE_LOCAL_ROOT: join(dir, 'uploads'),
		EXTENSIONS_AUTO_RELOAD: 'false',
		TELEMETRY: 'false',
		RATE_LIMITER_ENABLED: 'false',
		// On by default: under a busy test machine's load it answers 503 "Under pressure".
		PRESSURE_LIMITER_ENABLED: 'false',
		CACHE_ENABLED: 'false',
		LOG_LEVEL: 'info',
		LOG_STYLE: 'raw',
		NODE_ENV: 'production',
		NODE_OPTIONS: '--no-node-snapshot',
		RT_APP_HOST: '127.0.0.1',
		// RT_APP_SECRET has no default: every Directus the tests start gets the test Soketis'
		// secret, also those started without startStack(). `env: { RT_APP_SECRET: undefined }` unsets it.
		RT_APP_SECRET: TEST_APP_SECRET,
	};
	if (defaultPaths) {
		delete env.EXTENSIONS_PATH;
		delete env.MIGRATIONS_PATH;
	}
	for (const [k, v] of Object.entries(extra)) {
		if (v === undefined) delete env[k];
		else env[k] = v;
	}
	if (env.REDIS) Object.assign(env, { ...redisNamespaces(database), ...onlyDefined(extra) });
	return env;
}

/**
 * Directus' Redis names for one project (its database): the instances of one project share them,
 * those of suites running side by side do not. Redis pub/sub ignores the db number, and Directus
 * sends its whole schema over its bus (`schemaCache--done`): without a bus of its own, a Directus
 * took another suite's schema for its own. The bundle's own keys get a prefix of their own too.
 */
function redisNamespaces(database: Database): Record<string, string> {
	const project = createHash('sha256').update(database.env.DB_DATABASE ?? database.env.DB_FILENAME ?? '').digest('hex').slice(0, 10);
	return {
		REDIS_BUS_NAMESPACE: `rt-test-${project}:bus`,
		REDIS_LOCK_NAMESPACE: `rt-test-${project}:lock`,
		REDIS_PERMISSIONS_NAMESPACE: `rt-test-${project}:permissions`,
		SYNCHRONIZATION_NAMESPACE: `rt-test-${project}:sync`,
		RT_REDIS_PREFIX: `rt-test-${project}:`,
	};
}

function onlyDefined(values: Record<string, string | undefined>): Record<string, string> {
	return Object.fromEntries(Object.entries(values).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

function migrationsHash(): string {
	const dir = join(ROOT, 'migrations', 'dist');
	const hash = createHash('sha256').update(DIRECTUS_DIR);
	if (existsSync(dir)) for (const f of readdirSync(dir).sort()) hash.update(f).update(readFileSync(join(dir, f)));
	return hash.digest('hex').slice(0, 16);
}

async function bootstrap(env: NodeJS.ProcessEnv, cwd: string, cli = DIRECTUS_CLI): Promise<void> {
	await runToEnd('directus bootstrap', DIRECTUS_NODE, [cli, 'bootstrap'], { env, cwd });
}

/** Bootstraps a SQLite database once per Directus install and migrations build; copies it after. */
async function sqliteFromTemplate(target: string, env: NodeJS.ProcessEnv, withMigrations: boolean): Promise<void> {
	const cacheDir = join(RUNTIME_DIR, 'cache');
	const template = join(cacheDir, `sqlite-${withMigrations ? migrationsHash() : `plain-${createHash('sha256').update(DIRECTUS_DIR).digest('hex').slice(0, 16)}`}.db`);
	if (!existsSync(template)) {
		mkdirSync(cacheDir, { recursive: true });
		await bootstrap(env, join(target, '..'));
		const partial = `${template}.${process.pid}.tmp`;
		copyFileSync(target, partial);
		renameSync(partial, template);
		return;
	}
	copyFileSync(template, target);
}

export async function startDirectus(options: DirectusOptions = {}): Promise<Directus> {
	const project = options.project;
	const dir = project?.dir ?? mkdtempSync(join(tmpdir(), 'rt-directus-'));
	const cli = project?.cli ?? DIRECTUS_CLI;
	const kind = options.db ?? selectedDatabase();
	const withExtensions = !project && (options.extensions ?? true);
	mkdirSync(join(dir, 'uploads'), { recursive: true });
	if (!project) {
		mkdirSync(join(dir, 'extensions'), { recursive: true });
		mkdirSync(join(dir, 'migrations'), { recursive: true });
		// Directus looks for extensions installed as npm packages in the project's package.json.
		writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'rt-test-project', private: true }));
		if (withExtensions) installExtensions(join(dir, 'extensions'));
		if (options.migrations) installMigrations(join(dir, 'migrations'));
	}
	const shared = options.sameDatabaseAs;
	const database: Database = shared ? { kind: shared.db, env: shared.dbEnv, drop: async () => {} } : await createDatabase(kind, dir);
	const port = options.port ?? (await freePort());
	let extraEnv = { ...options.env };
	let env = baseEnv(dir, database, port, extraEnv, Boolean(project));
	if (shared) {
		// Already bootstrapped by the first instance.
	} else if (kind === 'sqlite' && !options.fresh && !project) await sqliteFromTemplate(database.env.DB_FILENAME!, env, options.migrations === true);
	else await bootstrap(env, dir, cli);

	const url = `http://127.0.0.1:${port}`;
	let proc: ManagedProcess;
	const boot = async () => {
		proc = startProcess(`directus:${port}`, DIRECTUS_NODE, [cli, 'start'], { env, cwd: dir, onOutput: options.onOutput });
		await waitFor(
			async () => {
				if (!proc.isRunning()) throw new GiveUp('Directus exited');
				return (await fetch(`${url}/server/ping`)).ok;
			},
			60_000,
			() => `Directus did not start on ${url}:\n${proc.output().slice(-6000)}`,
		).catch(async (error) => {
			await proc.stop();
			throw error;
		});
	};
	await boot();

	const logs = () =>
		proc
			.output()
			.split('\n')
			.filter((l) => l.startsWith('{'))
			.flatMap((l) => {
				try {
					return [JSON.parse(l) as Record<string, any>];
				} catch {
					return [];
				}
			});

	const directus: Directus = {
		url,
		dir,
		db: database.kind,
		get process() {
			return proc;
		},
		logs,
		async waitForLog(predicate, timeoutMs = 10_000) {
			let found: Record<string, any> | undefined;
			await waitFor(async () => Boolean((found = logs().find(predicate))), timeoutMs, () => `no such log line in:\n${proc.output().slice(-4000)}`);
			return found!;
		},
		async request(method, path, body, opts = {}) {
			const headers: Record<string, string> = { ...opts.headers };
			const token = opts.token === undefined ? ADMIN_TOKEN : opts.token;
			if (token) headers.authorization = `Bearer ${token}`;
			let payload: string | undefined;
			if (opts.form) {
				headers['content-type'] = 'application/x-www-form-urlencoded';
				payload = new URLSearchParams(opts.form).toString();
			} else if (opts.raw !== undefined) {
				payload = opts.raw;
			} else if (body !== undefined) {
				headers['content-type'] = 'application/json';
				payload = JSON.stringify(body);
			}
			const res = await fetch(`${url}${path}`, { method, headers, body: payload });
			const text = await res.text();
			let parsed: unknown = text;
			try {
				parsed = text ? JSON.parse(text) : null;
			} catch {
				/* not JSON: keep the text */
			}
			return { status: res.status, headers: res.headers, body: parsed as any, text };
		},
		cli: (args) => runToEnd(`directus ${args.join(' ')}`, DIRECTUS_NODE, [cli, ...args], { env, cwd: dir }),
		dbEnv: database.env,
		halt: () => proc.stop(),
		async restart(changes = {}) {
			await proc.stop();
			extraEnv = { ...extraEnv, ...changes };
			env = baseEnv(dir, database, port, extraEnv, Boolean(project));
			await boot();
		},
		async stop() {
			await proc.stop();
			await database.drop();
			rmSync(dir, { recursive: true, force: true });
		},
	};
	return directus;
}
