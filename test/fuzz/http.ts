/**
 * The fuzz suite's HTTP client: node:http through one keep-alive agent (a few sockets), bodies as
 * given (string or bytes, any Content-Type or none), and the answer's status, headers and text.
 * A keep-alive socket the server closed between two requests is retried once on a new
 * connection (counted); any other transport error, or no answer in time, fails the request.
 */
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';

export interface FuzzRequest {
	method: 'GET' | 'POST';
	/** Path and query, already encoded. */
	path: string;
	headers: Record<string, string>;
	body?: string | Buffer;
}

export interface FuzzResponse {
	status: number;
	headers: IncomingHttpHeaders;
	text: string;
}

const TIMEOUT_MS = 30_000;

export class FuzzClient {
	private readonly agent: Agent;
	private readonly base: URL;
	/** Requests sent, retries not counted. */
	sent = 0;
	/** Keep-alive sockets found closed by the server and retried on a fresh connection. */
	retried = 0;

	constructor(url: string, sockets: number) {
		this.base = new URL(url);
		this.agent = new Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
	}

	async send(request: FuzzRequest): Promise<FuzzResponse> {
		this.sent++;
		try {
			return await this.once(request, this.agent);
		} catch (error) {
			if (!(error as { reused?: boolean }).reused) throw error;
			this.retried++;
			return this.once(request, false);
		}
	}

	private once(request: FuzzRequest, agent: Agent | false): Promise<FuzzResponse> {
		return new Promise((resolve, reject) => {
			let reused = false;
			const req = httpRequest(
				{
					host: this.base.hostname,
					port: this.base.port,
					method: request.method,
					path: request.path,
					headers: request.body === undefined ? request.headers : { 'content-length': String(Buffer.byteLength(request.body)), ...request.headers },
					agent,
					timeout: TIMEOUT_MS,
				},
				(res) => {
					const chunks: Buffer[] = [];
					res.on('data', (chunk: Buffer) => chunks.push(chunk));
					res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
					res.on('error', reject);
				},
			);
			req.on('socket', (socket) => {
				reused = (socket as { _fuzzUsed?: boolean })._fuzzUsed === true;
				(socket as { _fuzzUsed?: boolean })._fuzzUsed = true;
			});
			req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms: ${request.method} ${request.path.slice(0, 200)}`)));
			req.on('error', (error: Error & { code?: string; reused?: boolean }) => {
				// Only a socket that served a request before may have been closed by the server meanwhile.
				if (reused && (error.code === 'ECONNRESET' || error.message === 'socket hang up')) error.reused = true;
				reject(error);
			});
			req.end(request.body);
		});
	}

	close(): void {
		this.agent.destroy();
	}
}
