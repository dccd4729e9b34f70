/**
 * The caller of a /realtime request, built once per request (`callerOf(req)`) and handed to its
 * route's handler: what Directus decided for the token, and whom the request acts for now (read
 * once, on first need: see acting-caller.ts). Admins-only routes check the token first, before
 * anything of the request is read (no query for anyone else), then that the user is still
 * active and still an administrator now.
 */
import type { Request } from 'express';
import type { Knex } from 'knex';
import { adminsOnly, requireAdmin, type Accountability, type RealtimeError, type SchemaLike } from '@directus-realtime/shared';
import { actingCaller, loggedRoute } from './acting-caller.js';

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
	/** The administrator acting now; the refusal for anyone else (anonymous, not an admin, no longer one). */
	admin(route: string, refusal?: () => RealtimeError): Promise<Accountability>;
}

export interface CallerDeps {
	database: Knex;
	getSchema: () => Promise<unknown>;
	log: { info(m: string): void };
}

type DirectusRequest = Request & { accountability?: Accountability; schema?: unknown };

/** Builds the caller of each request. */
export function callers(deps: CallerDeps): (req: Request) => Caller {
	const acting = actingCaller(deps.database, deps.log);
	return (req) => {
		const { accountability: token, schema } = req as DirectusRequest;
		let current: Promise<Accountability> | undefined;
		const caller: Caller = {
			token,
			schema: async () => (schema ?? (await deps.getSchema())) as Schema,
			acting: (route, refusal) => (current ??= acting(token, route, refusal)),
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
