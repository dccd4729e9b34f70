/**
 * Keeps the cached permissions of client events' senders (see the shared sender cache) from
 * outliving a change: a created, changed or deleted user's entries are dropped (in any case and
 * with trailing spaces: the spellings PostgreSQL and MySQL take for the id), and every entry when
 * roles, policies, their access links or permissions change. Runs after the change is committed,
 * so a lookup made after it reads the new state.
 */
import type { ActionRegistrar } from '@directus-realtime/shared';

export const PERMISSION_COLLECTIONS = ['roles', 'policies', 'access', 'permissions'] as const;

export function registerPermissionChangeHooks({ action }: ActionRegistrar, cache: { invalidate(keys: readonly unknown[]): void; clear(): void }): void {
	const keysOf = (meta: Record<string, any>): unknown[] => (Array.isArray(meta.keys) ? meta.keys : Array.isArray(meta.payload) ? meta.payload : meta.key !== undefined ? [meta.key] : []);
	for (const event of ['create', 'update', 'delete']) action(`users.${event}`, (meta) => cache.invalidate(keysOf(meta)));
	for (const collection of PERMISSION_COLLECTIONS) {
		for (const event of ['create', 'update', 'delete']) action(`${collection}.${event}`, () => cache.clear());
	}
}
