/**
 * Directus' own access check, `validateAccess` (the one its services run before a write). It is
 * not part of the extension API, so it is looked up from the running Directus; callers decide
 * what to do when it cannot be found (`can()` explains itself, the delete guard reads nothing).
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { Knex } from 'knex';

export type ValidateAccess = (
	options: { accountability: unknown; action: string; collection: string; primaryKeys?: Array<string | number> },
	context: { schema: unknown; knex: Knex },
) => Promise<void>;

/** A module of the running Directus (`@directus/api/<path>`), or null when it cannot be found. */
async function loadDirectusModule<T>(path: string): Promise<T | null> {
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

/**
 * Directus' CORS middleware (configured by its CORS_* variables; a pass-through when CORS is
 * off), so that answers given before Directus' own middlewares run still carry its CORS headers:
 * a browser shows a refused pusher-js request as the 401 it is, not as a network error.
 */
export async function loadDirectusCors(): Promise<Middleware | null> {
	const mod = await loadDirectusModule<{ default?: Middleware }>('middleware/cors');
	return typeof mod?.default === 'function' ? mod.default : null;
}

let unavailableLogged = false;

/**
 * Whether Directus lets `accountability` make `action` on `keys` of `collection`. False when it
 * refuses, and also when the check is unavailable or fails otherwise (logged): a guard that
 * cannot ask must not let the work through.
 */
export async function allowedByDirectus(
	request: { accountability: unknown; action: string; collection: string; keys: Array<string | number> },
	context: { schema: unknown; knex: Knex },
	warn: (message: string) => void,
): Promise<boolean> {
	const check = await loadValidateAccess();
	if (!check) {
		if (!unavailableLogged) warn("realtime: Directus' validateAccess could not be loaded; items of non-admin deletes are not published");
		unavailableLogged = true;
		return false;
	}
	try {
		await check({ accountability: request.accountability, action: request.action, collection: request.collection, primaryKeys: request.keys }, context);
		return true;
	} catch (error) {
		if ((error as { code?: string }).code !== 'FORBIDDEN') warn(`realtime: checking ${request.action} access to ${request.collection} failed: ${(error as Error).message}`);
		return false;
	}
}
