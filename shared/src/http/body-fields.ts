/**
 * The body of an authorization request: pusher-js posts form-encoded `socket_id` and
 * `channel_name`; JSON is accepted too. Directus parses JSON itself but not forms, so forms are
 * read here, with a size limit. The auth gate (realtime-hooks/src/auth-gate.ts) refused
 * oversized and anonymous requests before Directus read anything, and read chunked bodies
 * already (handed over, see hand-over.ts).
 */
import { RealtimeError } from '../errors.js';
import { contentType } from './early-http.js';
import { handedOver } from './hand-over.js';

/** Largest body /realtime/auth and /realtime/user-auth accept (a socket id and a channel name fit in 300 bytes). */
export const MAX_AUTH_BODY_BYTES = 8 * 1024;

export interface RequestLike extends AsyncIterable<Buffer | string> {
	headers: Record<string, string | string[] | undefined>;
	body?: unknown;
}

/**
 * Reads the body up to the limit. Past it, the rest is read and discarded rather than the
 * stream destroyed: Directus' request logger crashes the process when a request's socket is
 * gone by the time its response finishes.
 */
async function readText(req: RequestLike): Promise<string> {
	const preRead = handedOver(req, 'raw');
	if (preRead) return preRead.bytes.toString('utf8');
	let size = 0;
	const chunks: Buffer[] = [];
	for await (const chunk of req) {
		const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
		size += buffer.length;
		if (size <= MAX_AUTH_BODY_BYTES) chunks.push(buffer);
	}
	if (size > MAX_AUTH_BODY_BYTES) throw new RealtimeError('PAYLOAD_TOO_LARGE', `request body is larger than ${MAX_AUTH_BODY_BYTES} bytes`);
	return Buffer.concat(chunks).toString('utf8');
}

/** The body's fields as strings; absent fields are undefined. */
export async function readBodyFields(req: RequestLike, names: readonly string[]): Promise<Record<string, string | undefined>> {
	const type = contentType(req);
	let source: Record<string, unknown>;
	if (type === 'application/json') {
		// Directus' JSON parser ran already (and answered 400 for broken JSON).
		if (req.body === null || typeof req.body !== 'object' || Array.isArray(req.body)) {
			throw new RealtimeError('INVALID_PAYLOAD', 'the JSON body must be an object');
		}
		source = req.body as Record<string, unknown>;
	} else if (type === 'application/x-www-form-urlencoded' || type === '') {
		const params = new URLSearchParams(await readText(req));
		source = Object.fromEntries(names.map((n) => [n, params.getAll(n).length > 1 ? params.getAll(n) : params.get(n) ?? undefined]));
	} else {
		throw new RealtimeError('INVALID_PAYLOAD', `unsupported content type "${type}"; send form-encoded or JSON`);
	}
	const fields: Record<string, string | undefined> = {};
	for (const name of names) {
		const value = source[name];
		if (value === undefined || value === null) fields[name] = undefined;
		else if (typeof value === 'string') fields[name] = value;
		else throw new RealtimeError('INVALID_PAYLOAD', `${name} must be a single string`);
	}
	return fields;
}
