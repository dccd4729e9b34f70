/**
 * Modules of the running Directus that are not part of the extension API: its own access check
 * (`validateAccess`, the one its services run before a write), its CORS middleware and its
 * cache. They are looked up from the host's own dependency tree, so nothing of Directus is
 * bundled; callers decide what to do when one cannot be found (`can()` explains itself, the
 * delete guard reads nothing).
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { Knex } from 'knex';

export type ValidateAccess = (
	options: { accountability: unknown; action: string; collection: string; primaryKeys?: Array<string | number> },
	context: { schema: unknown; knex: Knex },
) => Promise<void>;

/** A module of the running Directus (`@directus/api/<path>`), or null when it cannot be found. */
export async function loadDirectusModule<T>(path: string): Promise<T | null> {
	try {
		const anchor = process.argv[1];
		if (!anchor) return null;
		const resolved = createRequire(anchor).resolve(`@directus/api/${path}`);
		return (await import(pathToFileURL(resolved).href)) as T;
	} catch {
		return null;
	}
}

let validateAccess: Promise<ValidateAccess | null> | undefined;

export function loadValidateAccess(): Promise<ValidateAccess | null> {
	validateAccess ??= loadDirectusModule<{ validateAccess?: ValidateAccess }>('permissions/modules/validate-access/validate-access').then(
		(mod) => mod?.validateAccess ?? null,
	);
	return validateAccess;
}

export type Middleware = (req: any, res: any, next: (error?: unknown) => void) => void;

/** The `action` of a Directus hook's register functions: runs `handler` after the event is committed. */
export interface ActionRegistrar {
	action(event: string, handler: (meta: Record<string, any>, context: any) => void): void;
}

/**
 * Directus' CORS middleware (configured by its CORS_* variables; a pass-through when CORS is
 * off), so that answers given before Directus' own middlewares run still carry its CORS headers:
 * a browser shows a refused pusher-js request as the 401 it is, not as a network error.
 */
export async function loadDirectusCors(): Promise<Middleware | null> {
	const mod = await loadDirectusModule<{ default?: Middleware }>('middleware/cors');
	return typeof mod?.default === 'function' ? mod.default : null;
}

export interface ActionEmitter {
	emitAction(event: string, meta: Record<string, unknown>, context?: unknown): void;
}

let emitter: Promise<ActionEmitter | null> | undefined;

/**
 * Directus' own event emitter, the one Flows' Event Hook triggers and other extensions'
 * `action(...)` listen on. (The `emitter` an extension is handed is a separate one, scoped to
 * extensions: its actions reach neither.)
 */
export function loadDirectusEmitter(): Promise<ActionEmitter | null> {
	emitter ??= loadDirectusModule<{ default?: ActionEmitter }>('emitter').then((mod) => (typeof mod?.default?.emitAction === 'function' ? mod.default : null));
	return emitter;
}

/** A transaction of Directus' shared Redis client (ioredis): the commands the bundle queues. */
export interface HostRedisTransaction {
	incr(key: string): HostRedisTransaction;
	pexpire(key: string, milliseconds: number): HostRedisTransaction;
	/** Each command's `[error, answer]`, in order; null when the transaction was aborted. */
	exec(): Promise<Array<[Error | null, unknown]> | null>;
}

/** The part of Directus' shared Redis client (ioredis) the bundle uses. */
export interface HostRedis {
	multi(): HostRedisTransaction;
	/** Any command, as ioredis' `call` sends it (the history's Lua scripts). */
	call(command: string, ...args: Array<string | number>): Promise<unknown>;
}

/** ioredis' statuses of a client with no connection to send on: commands would wait for one. */
const REDIS_DISCONNECTED: ReadonlySet<string> = new Set(['reconnecting', 'close', 'end']);

/** Whether a Redis client's `status` (ioredis) says it is disconnected; unknown statuses are not. */
export function redisDisconnected(status: string | undefined): boolean {
	return status !== undefined && REDIS_DISCONNECTED.has(status);
}

/**
 * ioredis' statuses while a connection is being made, at start or between two reconnect attempts:
 * a command sent now waits for it, up to `maxRetriesPerRequest` attempts (about 10 s). Writers
 * that would rather wait than fall back treat these as connected; a read that can be asked again
 * does not.
 */
const REDIS_CONNECTING: ReadonlySet<string> = new Set(['connecting', 'connect']);

/** Whether a Redis client's `status` (ioredis) says it is still connecting. */
export function redisConnecting(status: string | undefined): boolean {
	return status !== undefined && REDIS_CONNECTING.has(status);
}

type RedisModule = { redisConfigAvailable?: () => boolean; useRedis?: () => HostRedis };
let redisModule: Promise<RedisModule | null> | undefined;
let redis: Promise<HostRedis | null> | undefined;

/**
 * Whether Directus runs with Redis (`REDIS` or `REDIS_*`, as its cache and bus decide); null when
 * its Redis module was not found (then nothing can be shared through it).
 */
export async function directusRunsWithRedis(): Promise<boolean | null> {
	const mod = await (redisModule ??= loadDirectusModule<RedisModule>('redis/index'));
	if (typeof mod?.redisConfigAvailable !== 'function') return null;
	try {
		return mod.redisConfigAvailable();
	} catch {
		return false;
	}
}

/** Directus' own shared Redis connection (`useRedis`) when Directus runs with Redis, null otherwise or when not found. */
export function loadDirectusRedis(): Promise<HostRedis | null> {
	redis ??= directusRunsWithRedis().then(async (runsWithRedis) => {
		const mod = await redisModule;
		if (runsWithRedis !== true || typeof mod?.useRedis !== 'function') return null;
		try {
			return mod.useRedis();
		} catch {
			return null;
		}
	});
	return redis;
}
