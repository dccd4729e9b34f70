/** Real pusher-js clients (the Node build) connected to the test Soketi. */
import PusherModule from 'pusher-js';
import type { Channel, Options } from 'pusher-js';
import type PusherServer from 'pusher';
import type { Soketi } from './soketi.js';

// pusher-js' types describe an ES default export; Node hands us the CommonJS export itself.
export const PusherJs = ((PusherModule as unknown as { default?: unknown }).default ?? PusherModule) as typeof PusherModule.default;
export type PusherClient = InstanceType<typeof PusherJs>;

export interface ClientOptions {
	/** Directus base URL: channel authorization goes to <url>/realtime/auth. */
	directusUrl?: string;
	/** Bearer token sent with authorization requests. */
	token?: string;
	headers?: Record<string, string>;
	extra?: Partial<Options>;
	/**
	 * Authorize private/presence channels in the test itself with the app secret, for suites
	 * about publishing that should not depend on /realtime/auth.
	 */
	signWith?: PusherServer;
	presenceMember?: { user_id: string; user_info?: Record<string, unknown> };
}

export async function connectClient(soketi: Soketi, options: ClientOptions = {}): Promise<PusherClient> {
	const headers: Record<string, string> = { ...options.headers };
	if (options.token) headers.Authorization = `Bearer ${options.token}`;
	const client = new PusherJs(soketi.app.key, {
		cluster: 'mt1',
		wsHost: soketi.host,
		wsPort: soketi.port,
		forceTLS: false,
		enabledTransports: ['ws'],
		disableStats: true,
		...(options.signWith
			? {
					channelAuthorization: {
						customHandler: ({ socketId, channelName }: { socketId: string; channelName: string }, callback: (e: Error | null, d: any) => void) =>
							callback(null, options.signWith!.authorizeChannel(socketId, channelName, channelName.startsWith('presence-') ? options.presenceMember : undefined)),
					},
				}
			: {}),
		...(options.directusUrl
			? {
					channelAuthorization: { endpoint: `${options.directusUrl}/realtime/auth`, transport: 'ajax', headers },
					userAuthentication: { endpoint: `${options.directusUrl}/realtime/user-auth`, transport: 'ajax', headers },
				}
			: {}),
		...options.extra,
	});
	await new Promise<void>((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`pusher-js did not connect: state ${client.connection.state}`)), 10_000);
		client.connection.bind('connected', () => {
			clearTimeout(timer);
			resolve();
		});
	});
	return client;
}

/** Subscribes and waits for Soketi's verdict; rejects with the authorization error if refused. */
export function subscribe(client: PusherClient, channelName: string): Promise<Channel> {
	const channel = client.subscribe(channelName);
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`no subscription verdict for ${channelName}`)), 10_000);
		channel.bind('pusher:subscription_succeeded', () => {
			clearTimeout(timer);
			resolve(channel);
		});
		channel.bind('pusher:subscription_error', (error: unknown) => {
			clearTimeout(timer);
			reject(Object.assign(new Error(`subscription to ${channelName} refused`), { detail: error }));
		});
	});
}

export interface Envelope<T = any> {
	id: string;
	seq: number;
	epoch: string;
	data: T;
}

/** Whether `data` is the envelope numbered events travel in (docs/delivery.md). */
export function isEnvelope(data: unknown): data is Envelope {
	if (data === null || typeof data !== 'object' || Array.isArray(data)) return false;
	const keys = Object.keys(data);
	return keys.length === 4 && keys[0] === 'id' && keys[1] === 'seq' && keys[2] === 'epoch' && keys[3] === 'data';
}

/**
 * Collects every event of a name on a channel, so a test can wait for some and check for none.
 * `events` holds the payloads (a numbered event's envelope taken off), `envelopes` the envelopes.
 */
export class EventLog<T = any> {
	readonly events: T[] = [];
	readonly envelopes: Array<Envelope<T>> = [];
	private waiters: Array<() => void> = [];

	constructor(channel: Channel, event: string) {
		channel.bind(event, (received: unknown) => {
			let data = received as T;
			if (isEnvelope(received)) {
				this.envelopes.push(received);
				data = received.data;
			}
			this.events.push(data);
			for (const w of this.waiters.splice(0)) w();
		});
	}

	/** Resolves once `count` events have arrived; rejects after `timeoutMs`. */
	async waitFor(count: number, timeoutMs = 10_000): Promise<T[]> {
		await this.waitUntil((events) => events.length >= count, timeoutMs, () => `expected ${count} events, got ${this.events.length}`);
		return this.events.slice(0, count);
	}

	/** Resolves once the events so far satisfy `done`; rejects after `timeoutMs`. */
	async waitUntil(done: (events: T[]) => boolean, timeoutMs = 10_000, describe = () => `got ${JSON.stringify(this.events)}`): Promise<void> {
		const deadline = Date.now() + timeoutMs;
		while (!done(this.events)) {
			const left = deadline - Date.now();
			if (left <= 0) throw new Error(describe());
			await new Promise<void>((resolve) => {
				const timer = setTimeout(resolve, left);
				this.waiters.push(() => {
					clearTimeout(timer);
					resolve();
				});
			});
		}
	}
}

export function disconnectAll(...clients: Array<PusherClient | undefined>): void {
	for (const c of clients) c?.disconnect();
}
