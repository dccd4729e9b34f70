/**
 * The early-HTTP toolkit: what the bundle's gates (realtime-hooks/src/auth-gate.ts and
 * webhook-gate.ts) do to a request before Directus reads its body, on Node's request and
 * response, nothing of Express: where a credential is, which content type and coding a body is
 * in, which route a path names, reading a body up to a limit, and answering a refusal at once.
 */
import { RealtimeError } from '../errors.js';
import { errorAnswer } from '../auth/http-errors.js';

export interface GateRequest {
	method?: string;
	url?: string;
	path?: string;
	headers: Record<string, string | string[] | undefined>;
	body?: unknown;
	on(event: string, listener: (...args: any[]) => void): unknown;
	off(event: string, listener: (...args: any[]) => void): unknown;
	resume(): unknown;
	socket?: { destroy(): unknown };
	[key: string]: unknown;
}

export interface GateResponse {
	headersSent: boolean;
	statusCode: number;
	setHeader(name: string, value: string): unknown;
	end(body?: string): unknown;
}

/** Directus' CORS middleware: early answers carry the same CORS headers as Directus' own. */
export type CorsMiddleware = ((req: any, res: any, next: (error?: unknown) => void) => void) | null | undefined;

/**
 * How long a refused upload is read and thrown away before the connection is closed, as a web
 * server's lingering close does: closing while the client still sends makes the kernel reset the
 * connection, and a reset can discard the answer before the client has read it. So the rest is
 * discarded (never kept) until the client stops, for at most this many bytes or milliseconds.
 */
const LINGER_BYTES = 64 * 1024 * 1024;
const LINGER_MS = 10_000;

/** A header's first value. */
export function header(req: Pick<GateRequest, 'headers'>, name: string): string | undefined {
	const value = req.headers[name];
	return Array.isArray(value) ? value[0] : value;
}

/** The media type of the body (`application/json`), lower case, without parameters; '' for none. */
export function contentType(req: Pick<GateRequest, 'headers'>): string {
	return (header(req, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The same three places, and the same rules, as Directus' extractToken. */
export function carriesCredential(req: Pick<GateRequest, 'headers' | 'url'>, sessionCookieName: string): boolean {
	const authorization = header(req, 'authorization')?.split(' ');
	if (authorization?.length === 2 && authorization[0]!.toLowerCase() === 'bearer') return true;
	const query = (req.url ?? '').split('?')[1];
	if (query && new URLSearchParams(query).get('access_token')) return true;
	const cookies = header(req, 'cookie') ?? '';
	return cookies.split(';').some((pair) => {
		const at = pair.indexOf('=');
		if (at <= 0 || pair.slice(0, at).trim() !== sessionCookieName) return false;
		// Directus' cookie parser drops the quotes around a value: `name=""` is no token there.
		let value = pair.slice(at + 1).trim();
		if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
		return value !== '';
	});
}

/**
 * A refusal for a body sent in a content coding, or null for a plain one (no `Content-Encoding`,
 * or only `identity`). No Pusher client or server compresses these bodies (pusher-js, Laravel
 * Echo, Soketi's and Pusher's webhooks), a webhook's signature is over the bytes as sent, and the
 * body limits are of what is parsed: inflating would let a few kilobytes become Directus'
 * MAX_PAYLOAD_SIZE (a "zip bomb") or cost CPU before anything is decided. So coded bodies are
 * refused (415, with `Accept-Encoding: identity`), whatever the coding, known or not.
 */
export function encodedBody(req: Pick<GateRequest, 'headers'>): RealtimeError | null {
	const coding = header(req, 'content-encoding');
	if (coding === undefined) return null;
	const codings = coding
		.split(',')
		.map((c) => c.trim().toLowerCase())
		.filter((c) => c !== '' && c !== 'identity');
	if (codings.length === 0) return null;
	const shown = codings.join(', ').slice(0, 40);
	return new RealtimeError('UNSUPPORTED_ENCODING', `request bodies in a content coding (Content-Encoding: ${shown}) are not accepted here: send the body uncompressed`);
}

/** The request's path as Directus' router sees it: `/realtime//auth` (repeated slashes) and a trailing slash route there too. */
export function requestPath(req: Pick<GateRequest, 'path' | 'url'>): string {
	return (req.path ?? (req.url ?? '').split('?')[0]!).toLowerCase().replace(/\/{2,}/g, '/').replace(/(.)\/+$/, '$1');
}

/** The prefixes the routes answer under: none, and PUBLIC_URL's path when it has one. */
export function routePrefixes(publicUrl: string | undefined): string[] {
	const prefixes = new Set(['']);
	try {
		if (publicUrl) prefixes.add(new URL(publicUrl).pathname.replace(/\/+$/, '').toLowerCase());
	} catch {
		// A relative PUBLIC_URL (Directus warns about it): the routes are at the root.
	}
	return [...prefixes];
}

/** The given routes' paths, also under PUBLIC_URL's path. */
export function guardedPaths(publicUrl: string | undefined, endpoints: readonly string[]): Set<string> {
	return new Set(routePrefixes(publicUrl).flatMap((prefix) => endpoints.map((path) => prefix + path)));
}

/**
 * Answers at once, then discards what the client still sends (see LINGER_BYTES): the socket is
 * closed only once the client stopped, or past the lingering bounds. (Destroying the socket
 * before answering would crash Directus' request logger.)
 */
export function refuseEarly(req: GateRequest, res: GateResponse, error: RealtimeError, cors: CorsMiddleware): void {
	const answer = errorAnswer(error);
	const send = () => {
		if (res.headersSent) return;
		res.statusCode = answer.status;
		res.setHeader('Content-Type', 'application/json; charset=utf-8');
		// RFC 7694: a 415 for a content coding says which codings are accepted.
		if (error.code === 'UNSUPPORTED_ENCODING') res.setHeader('Accept-Encoding', 'identity');
		res.end(JSON.stringify(answer.body));
	};
	// The CORS middleware sets its headers and calls back (with an error for a refused origin:
	// the answer goes out all the same, without CORS headers, as Directus would leave it).
	if (cors) cors(req, res, () => send());
	else send();
	let discarded = 0;
	const close = () => req.socket?.destroy();
	const timer = setTimeout(close, LINGER_MS);
	timer.unref?.();
	req.on('data', (chunk: Buffer | string) => {
		discarded += chunk.length;
		if (discarded > LINGER_BYTES) close();
	});
	const stop = () => clearTimeout(timer);
	req.on('end', stop);
	req.on('close', stop);
	req.resume();
}

/** The body, or null once it passed `max` bytes (then nothing read is kept) or the client left. */
export function readBodyAtMost(req: GateRequest, max: number): Promise<Buffer | null> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		const done = (result: Buffer | null, error?: unknown) => {
			req.off('data', onData);
			req.off('end', onEnd);
			req.off('error', onError);
			req.off('close', onClose);
			if (error) reject(error);
			else resolve(result);
		};
		const onData = (chunk: Buffer | string) => {
			const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
			size += buffer.length;
			if (size > max) {
				chunks.length = 0;
				done(null);
			} else chunks.push(buffer);
		};
		const onEnd = () => done(Buffer.concat(chunks));
		const onError = (error: unknown) => done(null, error);
		const onClose = () => done(null);
		req.on('data', onData);
		req.on('end', onEnd);
		req.on('error', onError);
		req.on('close', onClose);
	});
}

/**
 * Does the work of Directus' JSON parser for a body a gate read itself: the parser skips a
 * request whose `_body` is set (as body-parser does), so what it would leave is left here, the
 * raw bytes and, when given, the parsed body.
 */
export function markBodyRead(req: GateRequest, raw: Buffer, parsed?: unknown): void {
	req._body = true;
	req.rawBody = raw;
	if (parsed !== undefined) req.body = parsed;
}
