/**
 * Keeps the cached permissions of client events' senders (see the shared sender cache) from
 * outliving a change: a changed or deleted user's entry is dropped, and every entry when roles,
 * policies, their access links or permissions change. Runs after the change is committed, so a
 * lookup made after it reads the new state.
 */
interface Registrar {
	action(event: string, handler: (meta: Record<string, any>, context: any) => void): void;
}

export const PERMISSION_COLLECTIONS = ['roles', 'policies', 'access', 'permissions'] as const;

export function registerPermissionChangeHooks({ action }: Registrar, cache: { invalidate(keys: readonly unknown[]): void; clear(): void }): void {
	const keysOf = (meta: Record<string, any>): unknown[] => (Array.isArray(meta.keys) ? meta.keys : Array.isArray(meta.payload) ? meta.payload : meta.key !== undefined ? [meta.key] : []);
	action('users.create', (meta) => cache.invalidate(keysOf(meta)));
	action('users.update', (meta) => cache.invalidate(keysOf(meta)));
	action('users.delete', (meta) => cache.invalidate(keysOf(meta)));
	for (const collection of PERMISSION_COLLECTIONS) {
		for (const event of ['create', 'update', 'delete']) action(`${collection}.${event}`, () => cache.clear());
	}
}
