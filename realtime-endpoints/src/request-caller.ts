/**
 * The caller of a /realtime request, built once per request (`callerOf(req)`) and handed to its
 * route's handler: what Directus decided for the token, and whom the request acts for now (read
 * once, on first need, with the user's row for the routes that hand it to authorizers: see
 * acting-caller.ts). Admins-only routes check the token first, before
 * anything of the request is read (no query for anyone else), then that the user is still
 * active and still an administrator now.
 */
import type { Request } from 'express';
import type { Knex } from 'knex';
import { adminsOnly, requireAdmin, type Accountability, type RealtimeError, type SchemaLike } from '@directus-realtime/shared';
import { actingCaller, loggedRoute, type Acting } from './acting-caller.js';

/** The schema as the routes use it: Directus' own, with its collections. */
export type Schema = SchemaLike & { collections: Record<string, any> };

export interface Caller {
	/** The accountability Directus gave the request's token (its role as issued). */
	readonly token: Accountability | undefined;
	/** The request's schema: Directus' own when it attached one. */
	schema(): Promise<Schema>;
	/**
	 * Whom the request acts for now: the token's user with their current role, roles, admin and
	 * app, or the public's for a request without a user; the route's refusal for a user who is
	 * missing or not active. Read at most once per request.
	 */
	acting(route: string, refusal: () => RealtimeError): Promise<Accountability>;
	/**
	 * As acting(), with the user's row as an authorizer sees it (`auth.user`: every field, no
	 * secret; null for a request without a user). One read of the row decides whether the user
	 * may act and is the row handed on. With `withAliases` false, the fields stored in the row
	 * only (no relational alias such as `policies`, each a query of its own); `withAliases` in the
	 * answer says which the row holds.
	 */
	actingUser(
		route: string,
		refusal: () => RealtimeError,
		withAliases?: boolean,
	): Promise<{ accountability: Accountability; user: Record<string, unknown> | null; withAliases: boolean }>;
	/** The administrator acting now; the refusal for anyone else (anonymous, not an admin, no longer one). */
	admin(route: string, refusal?: () => RealtimeError): Promise<Accountability>;
}

export interface CallerDeps {
	database: Knex;
	getSchema: () => Promise<unknown>;
	/** The user's secret-safe row (without the aliases unless `withAliases`), null when there is no such user (readUserRow). */
	readUser: (schema: Schema, id: string, withAliases: boolean) => Promise<Record<string, unknown> | null>;
	log: { info(m: string): void };
}

type DirectusRequest = Request & { accountability?: Accountability; schema?: unknown };

/** Builds the caller of each request. */
export function callers(deps: CallerDeps): (req: Request) => Caller {
	const acting = actingCaller(deps.database, deps.log);
	return (req) => {
		const { accountability: token, schema } = req as DirectusRequest;
		let current: Promise<Acting> | undefined;
		/** Whether the row `current` holds (when actingUser read it) has the relational aliases. */
		let rowWithAliases = false;
		const caller: Caller = {
			token,
			schema: async () => (schema ?? (await deps.getSchema())) as Schema,
			acting: async (route, refusal) => (await (current ??= acting(token, route, refusal))).accountability,
			async actingUser(route, refusal, withAliases = true) {
				const readRow = async (id: string) => deps.readUser(await caller.schema(), id, withAliases);
				if (current === undefined) {
					current = acting(token, route, refusal, readRow);
					rowWithAliases = withAliases;
				}
				const { accountability, user } = await current;
				// acting() came first and read the user's state only.
				if (user === undefined) return { accountability, user: accountability.user ? await readRow(accountability.user) : null, withAliases };
				return { accountability, user, withAliases: user === null || rowWithAliases };
			},
			async admin(route, refusal = adminsOnly) {
				requireAdmin(token, refusal);
				if (!token.user) throw refusal();
				const now = await caller.acting(route, refusal);
				if (now.admin !== true) deps.log.info(`realtime: refused ${loggedRoute(route)} for user ${now.user}: no longer an admin (the token is still valid until it expires)`);
				requireAdmin(now, refusal);
				return now;
			},
		};
		return caller;
	};
}
