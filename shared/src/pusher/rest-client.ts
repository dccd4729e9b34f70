/**
 * The part of Pusher's HTTP API the bridge uses: POST /apps/:id/batch_events and
 * /users/:id/terminate_connections, GET /channels and /channels/:name/users, signed, over
 * node:http(s) with one keep-alive agent (Pusher keeps connections open; Soketi closes each
 * one, and then the agent simply opens the next). Errors carry the HTTP status and the server's
 * short reason, never the signed URL.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { PusherConnectionConfig } from '../config.js';
import { signedQuery, type AppCredentials } from './signatures.js';

/** One event of a batch, as the API takes it: `data` is the text subscribers receive. */
export interface BatchEvent {
	channel: string;
	name: string;
	data: string;
	socket_id?: string;
}

export class PusherRequestError extends Error {
	constructor(
		message: string,
		readonly status?: number,
	) {
		super(message);
		this.name = 'PusherRequestError';
	}
}

export interface RestClientOptions {
	timeoutMs?: number;
	/** Clock for the signature's timestamp, ms. */
	now?: () => number;
}

/** Where the API is: a host (Soketi, self-hosted) or Pusher's cluster host. */
export function apiOrigin(config: PusherConnectionConfig): { host: string; port: number; useTLS: boolean } {
	const host = config.host ?? `api-${config.cluster ?? 'mt1'}.pusher.com`;
	return { host, port: config.port ?? (config.useTLS ? 443 : 80), useTLS: config.useTLS };
}

const MAX_REASON = 200;

export class PusherRestClient {
	private readonly app: AppCredentials;
	private readonly origin: { host: string; port: number; useTLS: boolean };
	private readonly agent: HttpAgent;
	private readonly timeoutMs: number;
	private readonly now: () => number;

	constructor(
		private readonly config: PusherConnectionConfig,
		options: RestClientOptions = {},
	) {
		this.app = { key: config.key, secret: config.secret };
		this.origin = apiOrigin(config);
		this.agent = config.useTLS ? new HttpsAgent({ keepAlive: true, maxSockets: 4 }) : new HttpAgent({ keepAlive: true, maxSockets: 4 });
		this.timeoutMs = options.timeoutMs ?? 10_000;
		this.now = options.now ?? Date.now;
	}

	/** Up to 10 events in one call (Pusher's limit; Soketi's is configurable). */
	async triggerBatch(batch: BatchEvent[]): Promise<void> {
		await this.post('/batch_events', JSON.stringify({ batch }));
	}

	/** Ends every connection of a user signed in through user authentication (`pusher:signin`). */
	async terminateUserConnections(userId: string): Promise<void> {
		await this.post(`/users/${encodeURIComponent(userId)}/terminate_connections`, '{}');
	}

	/** GETs /apps/:id<path> with signed query parameters; resolves with the parsed JSON answer. */
	async get(path: string, params: Record<string, string> = {}, timeoutMs = this.timeoutMs): Promise<unknown> {
		const text = await this.send('GET', path, undefined, params, timeoutMs);
		try {
			return JSON.parse(text);
		} catch {
			throw new PusherRequestError('the Pusher server answered something that is not JSON');
		}
	}

	/** POSTs a JSON body to /apps/:id<path>; resolves with the answer's text. */
	post(path: string, body: string): Promise<string> {
		return this.send('POST', path, body);
	}

	private send(method: 'GET' | 'POST', path: string, body: string | undefined, params: Record<string, string> = {}, timeoutMs = this.timeoutMs): Promise<string> {
		const fullPath = `/apps/${encodeURIComponent(this.config.appId)}${path}`;
		const query = signedQuery(this.app, method, fullPath, body, this.now() / 1000, params);
		const send = this.origin.useTLS ? httpsRequest : httpRequest;
		return new Promise((resolve, reject) => {
			const req = send(
				{
					host: this.origin.host,
					port: this.origin.port,
					method,
					path: `${fullPath}?${query}`,
					agent: this.agent,
					timeout: timeoutMs,
					headers: body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
				},
				(res) => readAnswer(res, resolve, reject),
			);
			req.on('timeout', () => req.destroy(new PusherRequestError(`no answer within ${timeoutMs} ms`)));
			req.on('error', (error) => reject(error instanceof PusherRequestError ? error : new PusherRequestError(shortReason(error.message))));
			if (body === undefined) req.end();
			else req.end(body);
		});
	}

	close(): void {
		this.agent.destroy();
	}
}

function readAnswer(res: IncomingMessage, resolve: (text: string) => void, reject: (error: Error) => void): void {
	const chunks: Buffer[] = [];
	let size = 0;
	res.on('data', (chunk: Buffer) => {
		// Only the start matters (a reason, or a small JSON answer); the rest is read and dropped.
		if (size < 4096) chunks.push(chunk);
		size += chunk.length;
	});
	res.on('error', (error) => reject(new PusherRequestError(shortReason(error.message))));
	res.on('end', () => {
		const text = Buffer.concat(chunks).toString('utf8');
		const status = res.statusCode ?? 0;
		if (status >= 200 && status < 300) return resolve(text);
		const reason = shortReason(text);
		reject(new PusherRequestError(reason ? `HTTP ${status}: ${reason}` : `HTTP ${status}`, status));
	});
}

function shortReason(text: string): string {
	return text.trim().split('\n')[0]!.slice(0, MAX_REASON);
}
