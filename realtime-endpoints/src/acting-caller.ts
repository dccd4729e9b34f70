/**
 * The one way a /realtime route builds whom it acts for, used by every route that acts for a
 * user (auth, user-auth, members query, the admins' routes; the history route is meant to use it
 * too): the token says who the user is, the database says whether they may act now and with
 * which role. A user who is missing or not `active` gets the route's own refusal (the same 403
 * every other refusal of that route gives), and a log line for the admin. A request without a
 * user is the public's; each route refuses that its own way.
 */
import type { Knex } from 'knex';
import type { Accountability, RealtimeError } from '@directus-realtime/shared';
import { currentAccountability, describeInactive, PUBLIC_ACCOUNTABILITY, stateOfRow } from './user-accountability.js';

/**
 * The route as a log line names it: route descriptions carry a channel name from the request,
 * read before the name rules run, and Directus' default (pretty) log prints a message as it is,
 * so a line break in it would start a line of the caller's making. Control characters become `?`.
 */
export function loggedRoute(route: string): string {
	return route.replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, '?');
}

/** Whom a request acts for, and the user's row when it was read to decide that (undefined when not). */
export interface Acting {
	accountability: Accountability;
	/** The user's row as an authorizer sees it (no secret); null for a request without a user. */
	user: Record<string, unknown> | null | undefined;
}

export function actingCaller(database: Knex, log: { info(m: string): void }) {
	/**
	 * With `readRow` (the user's secret-safe row, null when missing), that one read decides
	 * whether the user may act (its status and role) and is handed on; without it, only the
	 * user's id, role and status are read.
	 */
	return async (
		token: Accountability | undefined,
		route: string,
		refusal: () => RealtimeError,
		readRow?: (id: string) => Promise<Record<string, unknown> | null>,
	): Promise<Acting> => {
		// Share links and anonymous requests act for no user: nothing here is theirs (not admin either).
		if (!token?.user) return { accountability: { ...PUBLIC_ACCOUNTABILITY, ip: token?.ip ?? null, ...(token?.userAgent ? { userAgent: token.userAgent } : {}) }, user: null };
		let row: Record<string, unknown> | null | undefined;
		const readState = readRow
			? async (id: string) => {
					row = await readRow(id);
					return row === null ? null : stateOfRow(row);
				}
			: undefined;
		const current = await currentAccountability(database, token as Accountability & { user: string }, readState);
		if ('inactive' in current) {
			log.info(`realtime: refused ${loggedRoute(route)} for user ${token.user}: ${describeInactive(current.inactive)} (the token is still valid until it expires)`);
			throw refusal();
		}
		return { accountability: current.accountability, user: row };
	};
}
