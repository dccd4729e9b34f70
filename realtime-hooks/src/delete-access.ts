/**
 * The delete guard's question to Directus: may this caller delete these keys? Asked before the
 * `items.delete` filter reads anything (Directus runs that filter before its own check).
 */
import type { Knex } from 'knex';
import { loadValidateAccess } from '@directus-realtime/shared';

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
