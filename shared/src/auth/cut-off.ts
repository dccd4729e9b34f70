/**
 * Which changes of a Directus user end their Pusher connections: a status other than `active`
 * (suspended, archived, invited, draft), a role set (Directus' Data Studio sends only changed
 * fields, so a role in an update is a role change), and a delete. Policies attached to a user
 * directly (directus_access) are not followed: see docs/operations.md.
 */

/** Why an update of users with this payload cuts them off, or null. */
export function cutOffReason(payload: unknown): string | null {
	if (payload === null || typeof payload !== 'object') return null;
	const changes = payload as Record<string, unknown>;
	if ('status' in changes && changes.status !== 'active') return `status set to ${String(changes.status)}`;
	if ('role' in changes) return 'role changed';
	return null;
}

/** Ends each user's connections, one call each; failures are logged and do not stop the others. */
export async function cutOffUsers(
	userIds: readonly unknown[],
	why: string,
	deps: { terminate(userId: string): Promise<void>; log: { info(m: string): void; warn(m: string): void } },
): Promise<void> {
	await Promise.all(
		userIds.map(async (id) => {
			const userId = String(id);
			try {
				await deps.terminate(userId);
				deps.log.info(`realtime: ended the connections of user ${userId} (${why})`);
			} catch (error) {
				deps.log.warn(`realtime: could not end the connections of user ${userId} (${why}): ${(error as Error).message}`);
			}
		}),
	);
}
