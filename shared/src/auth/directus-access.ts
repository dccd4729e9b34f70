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

let validateAccess: Promise<ValidateAccess | null> | undefined;

export function loadValidateAccess(): Promise<ValidateAccess | null> {
	validateAccess ??= (async () => {
		try {
			const anchor = process.argv[1];
			if (!anchor) return null;
			const resolved = createRequire(anchor).resolve('@directus/api/permissions/modules/validate-access/validate-access');
			const mod = (await import(pathToFileURL(resolved).href)) as { validateAccess?: ValidateAccess };
			return mod.validateAccess ?? null;
		} catch {
			return null;
		}
	})();
	return validateAccess;
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
