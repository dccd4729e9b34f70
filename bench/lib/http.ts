/**
 * HTTP for the load side of the benchmarks: node:http over keep-alive sockets (lighter than
 * fetch, so the load generator takes less of the machine it shares with Directus), and a
 * closed loop that keeps `concurrency` requests in flight for a while.
 */
import { Agent, request } from 'node:http';

export interface HttpAnswer {
	status: number;
	body: string;
}

export interface HttpRequest {
	method: string;
	path: string;
	headers?: Record<string, string>;
	body?: string;
}

export class HttpClient {
	private readonly agent: Agent;
	private readonly url: URL;

	constructor(baseUrl: string, maxSockets: number) {
		this.url = new URL(baseUrl);
		this.agent = new Agent({ keepAlive: true, maxSockets });
	}

	send({ method, path, headers = {}, body }: HttpRequest): Promise<HttpAnswer> {
		return new Promise((resolve, reject) => {
			const req = request(
				{
					host: this.url.hostname,
					port: this.url.port,
					method,
					path,
					agent: this.agent,
					headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
				},
				(res) => {
					const chunks: Buffer[] = [];
					res.on('data', (c: Buffer) => chunks.push(c));
					res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
					res.on('error', reject);
				},
			);
			req.on('error', reject);
			req.end(body);
		});
	}

	/** POST a JSON body with a bearer token. */
	postJson(path: string, token: string, value: unknown): Promise<HttpAnswer> {
		return this.send({ method: 'POST', path, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(value) });
	}

	close(): void {
		this.agent.destroy();
	}
}

export interface LoopResult {
	ok: number;
	failed: number;
	/** Latency of every successful request, ms. */
	latencies: number[];
	/** From the first request sent to the last answer received, ms. */
	elapsedMs: number;
	/** First failure seen, for the report. */
	firstError?: string;
}

/**
 * Keeps `concurrency` calls of `once` in flight until `durationMs` has passed, then waits for
 * those in flight. `once` resolves true when the answer was the expected one.
 */
export async function closedLoop(concurrency: number, durationMs: number, once: () => Promise<boolean | string>): Promise<LoopResult> {
	const result: LoopResult = { ok: 0, failed: 0, latencies: [], elapsedMs: 0 };
	const started = performance.now();
	const deadline = started + durationMs;
	const worker = async () => {
		while (performance.now() < deadline) {
			const t = performance.now();
			let outcome: boolean | string;
			try {
				outcome = await once();
			} catch (error) {
				outcome = (error as Error).message;
			}
			if (outcome === true) {
				result.ok++;
				result.latencies.push(performance.now() - t);
			} else {
				result.failed++;
				result.firstError ??= typeof outcome === 'string' ? outcome : 'unexpected answer';
			}
		}
	};
	await Promise.all(Array.from({ length: concurrency }, worker));
	result.elapsedMs = performance.now() - started;
	return result;
}
