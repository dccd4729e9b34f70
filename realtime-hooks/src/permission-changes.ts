/**
 * Keeps the cached permissions of client events' senders (see the shared sender cache) from
 * outliving a change: every entry is dropped when a user is created, changed or deleted (entries
 * are keyed by the id as the webhook spelled it, and which spellings name that user is the
 * database's call), and when roles, policies, their access links or permissions change. Runs
 * after the change is committed, so a lookup made after it reads the new state.
 */
interface Registrar {
	action(event: string, handler: (meta: Record<string, any>, context: any) => void): void;
}

export const PERMISSION_COLLECTIONS = ['roles', 'policies', 'access', 'permissions'] as const;

export function registerPermissionChangeHooks({ action }: Registrar, cache: { clear(): void }): void {
	for (const event of ['create', 'update', 'delete']) action(`users.${event}`, () => cache.clear());
	for (const collection of PERMISSION_COLLECTIONS) {
		for (const event of ['create', 'update', 'delete']) action(`${collection}.${event}`, () => cache.clear());
	}
}
