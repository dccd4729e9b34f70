/** POST /realtime/dry-run: a publisher or an authorizer run on a real row and item or as a real user, for administrators. */
import { callerHelpers, databaseRowLoader, decidePermissionJoin, directusReadAccess, dryRunAuthorizer, dryRunPublisher, parseDryRun, readCaller, readUserSafely } from '@directus-realtime/shared';
import { itemForDryRun } from '../dry-run-item.js';
import { accountabilityForUser, describeInactive, directusUserNamed } from '../user-accountability.js';
import type { Handler, RouteDeps } from './handler.js';

export function dryRunRoute({ runtime, services, database }: RouteDeps): Handler {
	const loadRow = databaseRowLoader(database);
	return async (caller, req) => {
		const admin = await caller.admin('/realtime/dry-run');
		const request = parseDryRun(req.body);
		const schema = await caller.schema();
		if (request.kind === 'publisher') {
			return {
				data: await dryRunPublisher(request, {
					registry: runtime.registry,
					scripts: runtime.scripts.publishers,
					loadRow,
					collectionExists: (collection) => Object.hasOwn(schema.collections, collection),
					readItem: (collection, key, fields) => itemForDryRun(services, schema, collection, key, fields),
					maxPayloadBytes: runtime.limits.maxPayloadBytes,
					...runtime.capabilities,
					user: admin.user ?? null,
				}),
			};
		}
		// The user the authorizer runs as, read once for the whole dry-run.
		const accountabilities = new Map<string, ReturnType<typeof accountabilityForUser>>();
		const accountabilityOf = (user: string) => {
			if (!accountabilities.has(user)) accountabilities.set(user, accountabilityForUser(database, user));
			return accountabilities.get(user)!;
		};
		const activeAccountability = async (user: string) => {
			const found = await accountabilityOf(user);
			return found && 'accountability' in found ? found.accountability : null;
		};
		return {
			data: await dryRunAuthorizer(request, {
				registry: runtime.registry,
				scripts: runtime.scripts.authorizers,
				loadRow,
				refusedBefore: async (user) => {
					const found = await accountabilityOf(user);
					return found && 'inactive' in found ? describeInactive(found.inactive) : null;
				},
				caller: async (user, withPermissions) => {
					const accountability = await activeAccountability(user);
					return accountability ? readCaller(accountability, services, schema, withPermissions) : null;
				},
				helpers: async (user) => callerHelpers((await activeAccountability(user))!, services, schema, database),
				permissionDecision: async (user, row, params) => decidePermissionJoin(row, params, directusReadAccess((await activeAccountability(user))!, schema, database), schema, true),
				userInfo: (user, fields) => readUserSafely(services, schema, user, fields),
				directusUserNamed: (id) => directusUserNamed(database, id),
			}),
		};
	};
}
