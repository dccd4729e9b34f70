/**
 * What the hook needs to know about the HTTP request behind an items event: the X-Socket-ID
 * header, so a client's own change can be excluded. Directus' events do not carry the request,
 * but they carry its accountability: Directus builds one object per request (its
 * authentication, before `middlewares.after`), hands it to every service the route makes, and
 * the services hand that same object to the events they emit. So a middleware at
 * `middlewares.after` notes a valid header against the object, and an event looks it up there.
 * A write made with another accountability (a Flow with full access, another extension writing
 * as the system) is not the caller's own and carries no socket id.
 *
 * Not an async-local store: on Node 22 one turns on promise hooks for the whole process, and
 * every promise of every Directus request then pays for them (2-3x the cost of an await).
 */
import { isSocketId, type Middleware } from '@directus-realtime/shared';

/** Request accountability -> its X-Socket-ID; an entry goes when Directus drops the request. */
const socketIds = new WeakMap<object, string>();

export const socketIdMiddleware: Middleware = (req, _res, next) => {
	const accountability: unknown = req.accountability;
	if (accountability !== null && typeof accountability === 'object') {
		const header = req.get('x-socket-id');
		// Directus makes the object per request; should an `authenticate` filter hand several
		// requests one object, a request without a valid header must not inherit the last one's.
		if (isSocketId(header)) socketIds.set(accountability, header);
		else socketIds.delete(accountability);
	}
	next();
};

/** The X-Socket-ID of the request an event's accountability came from, or null. */
export function socketIdOf(accountability: unknown): string | null {
	return accountability !== null && typeof accountability === 'object' ? (socketIds.get(accountability) ?? null) : null;
}
