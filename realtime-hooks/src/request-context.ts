/**
 * What the hook needs to know about the HTTP request behind an items event: the X-Socket-ID
 * header, so a client's own change can be excluded. Directus' events do not carry the request;
 * an AsyncLocalStorage set by a middleware does, since Directus emits its actions from within
 * the request's async chain.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { isSocketId, type Middleware } from '@directus-realtime/shared';

interface RequestContext {
	socketId: string | null;
}

const storage = new AsyncLocalStorage<RequestContext>();

export const socketIdMiddleware: Middleware = (req, _res, next) => {
	const header = req.get('x-socket-id');
	storage.run({ socketId: isSocketId(header) ? header : null }, next);
};

/** The X-Socket-ID of the current request, or null (no request, no header, or not a socket id). */
export function currentSocketId(): string | null {
	return storage.getStore()?.socketId ?? null;
}
