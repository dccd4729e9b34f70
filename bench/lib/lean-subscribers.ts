/**
 * Many Pusher-protocol subscribers in one process, where pusher-js (a timer set, an event
 * dispatcher and a connection state machine per client) would not fit 10,000 times: a plain
 * WebSocket each (the `ws` package Directus ships), speaking protocol 7 as pusher-js does:
 *
 *   connect ws://host:port/app/<key>?protocol=7 -> `pusher:connection_established` (socket_id)
 *   -> POST <directus>/realtime/auth (form: socket_id, channel_name; the user's bearer token),
 *      like pusher-js' ajax authorizer, once per socket -> `pusher:subscribe` with that auth
 *   -> `pusher_internal:subscription_succeeded`; `pusher:ping` is answered with `pusher:pong`,
 *   and each socket sends `pusher:ping` every ACTIVITY_S seconds, as pusher-js does when it has
 *   heard nothing for the server's activity_timeout (Soketi closes a socket silent for 120 s).
 *
 * Authorization requests run with bounded concurrency; the sockets are spread round-robin over
 * the given Soketi nodes. Data events are handed over as raw text, not parsed: the fan-out only
 * looks for its trial key in them, so 10,000 arrivals cost the process little.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { DIRECTUS_DIR } from '../../test/harness/paths.js';
import type { Soketi } from '../../test/harness/soketi.js';
import type { HttpClient } from './http.js';

type Socket = {
	on(event: 'message', listener: (data: Buffer) => void): void;
	on(event: 'open' | 'close', listener: () => void): void;
	on(event: 'error', listener: (error: Error) => void): void;
	send(data: string): void;
	close(): void;
	terminate(): void;
};
const WebSocket = createRequire(join(DIRECTUS_DIR, 'package.json'))('ws') as new (url: string, options?: object) => Socket;

const TIMEOUT_MS = 30_000;
/** Seconds between a socket's pings: Soketi's activity_timeout (30 s), as pusher-js uses it. */
const ACTIVITY_S = 30;

export interface LeanSubscriberOptions {
	nodes: Soketi[];
	/** Keep-alive client to Directus for the authorization requests. */
	http: HttpClient;
	token: string;
	channel: string;
	/** Raw text of every message that is not a `pusher:` / `pusher_internal:` one. */
	onData: (text: string) => void;
	/** Concurrent connect + authorize + subscribe sequences (default 16). */
	parallel?: number;
	/** Progress, for large sizes. */
	log?: (line: string) => void;
}

export class LeanSubscribers {
	private readonly sockets: Socket[] = [];
	/** Sockets that closed after they were subscribed (the run reports them as lost). */
	dropped = 0;
	/** Time spent in POST /realtime/auth, summed over sockets, and the requests made. */
	readonly auth = { requests: 0, ms: 0 };

	private readonly pinger: NodeJS.Timeout;
	private tick = 0;

	constructor(private readonly options: LeanSubscriberOptions) {
		// Each second, the sockets whose turn it is: a thirtieth of them, not all at once.
		this.pinger = setInterval(() => {
			const turn = this.tick++ % ACTIVITY_S;
			for (let i = turn; i < this.sockets.length; i += ACTIVITY_S) this.sockets[i]!.send('{"event":"pusher:ping","data":{}}');
		}, 1000);
		this.pinger.unref();
	}

	get count(): number {
		return this.sockets.length;
	}

	/** Connects, authorizes and subscribes sockets until there are `n`. */
	async growTo(n: number): Promise<void> {
		const parallel = this.options.parallel ?? 16;
		let next = this.sockets.length;
		const worker = async () => {
			while (next < n) {
				const index = next++;
				this.sockets.push(await this.connectOne(index));
				if (this.sockets.length % 1000 === 0 && n >= 5000) this.options.log?.(`  ${this.sockets.length} of ${n} subscribed`);
			}
		};
		await Promise.all(Array.from({ length: Math.min(parallel, n - next) }, worker));
	}

	close(): void {
		clearInterval(this.pinger);
		for (const s of this.sockets.splice(0)) s.terminate();
	}

	private connectOne(index: number): Promise<Socket> {
		const { nodes, http, token, channel, onData } = this.options;
		const node = nodes[index % nodes.length]!;
		const socket = new WebSocket(`ws://${node.host}:${node.port}/app/${node.app.key}?protocol=7&client=lean-bench&version=1`, { perMessageDeflate: false });
		return new Promise<Socket>((resolve, reject) => {
			let subscribed = false;
			let failed = false;
			const timer = setTimeout(() => fail(new Error(`socket ${index} not subscribed within ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS);
			// An error is followed by a close: count a socket once.
			const fail = (error: Error) => {
				clearTimeout(timer);
				if (failed) return;
				failed = true;
				if (subscribed) this.dropped++;
				else {
					socket.terminate();
					reject(error);
				}
			};
			const authorize = async (socketId: string) => {
				const t = performance.now();
				const res = await http.send({
					method: 'POST',
					path: '/realtime/auth',
					headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
					body: new URLSearchParams({ socket_id: socketId, channel_name: channel }).toString(),
				});
				this.auth.requests++;
				this.auth.ms += performance.now() - t;
				if (res.status !== 200) throw new Error(`/realtime/auth answered ${res.status}: ${res.body.slice(0, 200)}`);
				const { auth } = JSON.parse(res.body) as { auth: string };
				socket.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel, auth } }));
			};
			socket.on('error', fail);
			socket.on('close', () => fail(new Error(`socket ${index} closed`)));
			socket.on('message', (raw) => {
				const text = raw.toString();
				if (!text.startsWith('{"event":"pusher')) {
					onData(text);
					return;
				}
				const message = JSON.parse(text) as { event: string; data?: string };
				if (message.event === 'pusher:connection_established') {
					const { socket_id } = JSON.parse(message.data!) as { socket_id: string };
					authorize(socket_id).catch(fail);
				} else if (message.event === 'pusher_internal:subscription_succeeded') {
					subscribed = true;
					clearTimeout(timer);
					resolve(socket);
				} else if (message.event === 'pusher:ping') {
					socket.send('{"event":"pusher:pong","data":{}}');
				} else if (message.event === 'pusher:error' || message.event === 'pusher:subscription_error') {
					fail(new Error(`Soketi refused socket ${index}: ${text.slice(0, 300)}`));
				}
			});
		});
	}
}
