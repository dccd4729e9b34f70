/**
 * The database a Directus instance runs on: SQLite in a temp dir by default, or a fresh database
 * on the PostgreSQL / MariaDB server of the machine (DB=postgres|mysql), dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { DIRECTUS_DIR } from './paths.js';

export type DatabaseKind = 'sqlite' | 'postgres' | 'mysql';

export interface Database {
	kind: DatabaseKind;
	/** DB_* variables for Directus. */
	env: Record<string, string>;
	drop(): Promise<void>;
}

export function selectedDatabase(): DatabaseKind {
	const value = (process.env.DB ?? 'sqlite').toLowerCase();
	if (value === 'sqlite' || value === 'postgres' || value === 'mysql') return value;
	throw new Error(`DB must be sqlite, postgres or mysql, got "${value}"`);
}

// knex and the drivers come with the Directus install: the same versions Directus uses.
const requireFromDirectus = createRequire(join(DIRECTUS_DIR, 'package.json'));
type Knex = { raw(sql: string): Promise<unknown>; destroy(): Promise<void> };
const knexFactory = requireFromDirectus('knex') as (config: object) => Knex;

const SERVERS = {
	postgres: {
		host: process.env.RT_TEST_PG_HOST ?? '127.0.0.1',
		port: Number(process.env.RT_TEST_PG_PORT ?? 5432),
		user: process.env.RT_TEST_PG_USER ?? 'postgres',
		password: process.env.RT_TEST_PG_PASSWORD ?? '',
		admin: 'postgres',
	},
	mysql: {
		host: process.env.RT_TEST_MYSQL_HOST ?? '127.0.0.1',
		port: Number(process.env.RT_TEST_MYSQL_PORT ?? 3306),
		user: process.env.RT_TEST_MYSQL_USER ?? 'root',
		password: process.env.RT_TEST_MYSQL_PASSWORD ?? '',
		admin: 'mysql',
	},
} as const;

async function onServer<T>(kind: 'postgres' | 'mysql', work: (db: Knex) => Promise<T>): Promise<T> {
	const s = SERVERS[kind];
	const db = knexFactory({
		client: kind === 'postgres' ? 'pg' : 'mysql2',
		connection: { host: s.host, port: s.port, user: s.user, password: s.password, database: s.admin },
		pool: { min: 0, max: 1 },
	});
	try {
		return await work(db);
	} catch (error) {
		throw new Error(
			`${kind} is required for DB=${kind} but ${s.host}:${s.port} refused: ${(error as Error).message}. ` +
				'Start the server (see docs/development.md) or run with DB=sqlite.',
		);
	} finally {
		await db.destroy();
	}
}

export async function createDatabase(kind: DatabaseKind, dir: string): Promise<Database> {
	if (kind === 'sqlite') {
		return { kind, env: { DB_CLIENT: 'sqlite3', DB_FILENAME: join(dir, 'data.db') }, drop: async () => {} };
	}
	const name = `rt_test_${randomBytes(5).toString('hex')}`;
	const s = SERVERS[kind];
	await onServer(kind, (db) => db.raw(kind === 'postgres' ? `create database "${name}"` : `create database \`${name}\` character set utf8mb4`));
	return {
		kind,
		env: {
			DB_CLIENT: kind === 'postgres' ? 'pg' : 'mysql',
			DB_HOST: s.host,
			DB_PORT: String(s.port),
			DB_DATABASE: name,
			DB_USER: s.user,
			DB_PASSWORD: s.password,
		},
		drop: () =>
			onServer(kind, (db) =>
				db.raw(kind === 'postgres' ? `drop database if exists "${name}" with (force)` : `drop database if exists \`${name}\``),
			).then(() => undefined),
	};
}

/** A knex connection to a Directus database described by its DB_* variables (for assertions). */
export function connectDatabase(env: Record<string, string>): Knex & ((table: string) => any) & { schema: any } {
	if (env.DB_CLIENT === 'sqlite3') {
		return knexFactory({ client: 'sqlite3', connection: { filename: env.DB_FILENAME }, useNullAsDefault: true }) as any;
	}
	return knexFactory({
		client: env.DB_CLIENT === 'pg' ? 'pg' : 'mysql2',
		connection: { host: env.DB_HOST, port: Number(env.DB_PORT), user: env.DB_USER, password: env.DB_PASSWORD, database: env.DB_DATABASE },
		pool: { min: 0, max: 2 },
	}) as any;
}
