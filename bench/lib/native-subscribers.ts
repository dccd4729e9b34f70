/**
 * Subscribers of Directus' own realtime (WEBSOCKETS_ENABLED): a WebSocket to /websocket each,
 * authenticated with a user's token, then subscribed to a collection the way the Directus SDK
 * does it (`query: { fields: ["*"] }`, answered by an `init` event). Directus reads the changed
 * item again for every subscriber, with that subscriber's permissions: that per-subscriber work
 * is what the fan-out benchmark compares against. Connections stay open between trials; the
 * subscriptions come and go, so other paths can be measured on the same collection meanwhile.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { DIRECTUS_DIR } from '../../test/harness/paths.js';

// The ws package Directus itself ships (and serves with).
type Socket = {
	on(event: 'message', listener: (data: Buffer) => void): void;
	on(event: 'open' | 'close', listener: () => void): void;
	on(event: 'error', listener: (error: Error) => void): void;
	send(data: string): void;
	close(): void;
	terminate(): void;
};
const WebSocket = createRequire(join(DIRECTUS_DIR, 'package.json'))('ws') as new (url: string) => Socket;

export interface NativeSubscriberOptions {
	directusUrl: string;
	token: string;
	collection: string;
	/** Called for every item of a `create` event. */
	onCreate: (item: any) => void;
}

const TIMEOUT_MS = 30_000;
const UID = 's1';

class NativeSubscriber {
	/** What the next confirmation from the server settles: `auth`, `init` or `unsubscribe`. */
	private waiting: { what: string; resolve: () => void; reject: (error: Error) => void } | undefined;

	private constructor(
		private readonly socket: Socket,
		private readonly options: NativeSubscriberOptions,
	) {}

	static async connect(options: NativeSubscriberOptions): Promise<NativeSubscriber> {
		const socket = new WebSocket(`${options.directusUrl.replace(/^http/, 'ws')}/websocket`);
		const subscriber = new NativeSubscriber(socket, options);
		const authenticated = subscriber.expect('auth');
		socket.on('message', (raw) => subscriber.onMessage(raw));
		socket.on('error', (error) => subscriber.fail(error));
		socket.on('close', () => subscriber.fail(new Error('Directus closed the WebSocket')));
		socket.on('open', () => socket.send(JSON.stringify({ type: 'auth', access_token: options.token })));
		await authenticated;
		return subscriber;
	}

	subscribe(): Promise<void> {
		const confirmed = this.expect('init');
		this.socket.send(JSON.stringify({ type: 'subscribe', collection: this.options.collection, query: { fields: ['*'] }, uid: UID }));
		return confirmed;
	}

	unsubscribe(): Promise<void> {
		const confirmed = this.expect('unsubscribe');
		this.socket.send(JSON.stringify({ type: 'unsubscribe', uid: UID }));
		return confirmed;
	}

	close(): void {
		this.waiting = undefined;
		this.socket.close();
	}

	private expect(what: string): Promise<void> {
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => this.fail(new Error(`no ${what} confirmation within ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS);
			this.waiting = {
				what,
				resolve: () => {
					clearTimeout(timer);
					resolve();
				},
				reject: (error) => {
					clearTimeout(timer);
					reject(error);
				},
			};
		});
	}

	private settle(what: string): void {
		if (this.waiting?.what !== what) return;
		const { resolve } = this.waiting;
		this.waiting = undefined;
		resolve();
	}

	private fail(error: Error): void {
		const waiting = this.waiting;
		this.waiting = undefined;
		waiting?.reject(error);
	}

	private onMessage(raw: Buffer): void {
		const message = JSON.parse(raw.toString());
		if (message.type === 'ping') {
			this.socket.send(JSON.stringify({ type: 'pong' }));
		} else if (message.type === 'auth') {
			if (message.status === 'ok') this.settle('auth');
			else this.fail(new Error(`auth refused: ${raw.toString()}`));
		} else if (message.type === 'subscription') {
			if (message.event === 'create') {
				for (const item of Array.isArray(message.data) ? message.data : [message.data]) this.options.onCreate(item);
			} else {
				this.settle(message.event);
			}
		} else if (message.status === 'error' || message.type === 'error') {
			this.fail(new Error(`Directus refused: ${raw.toString()}`));
		}
	}
}

export class NativeSubscribers {
	private readonly subscribers: NativeSubscriber[] = [];

	constructor(private readonly options: NativeSubscriberOptions) {}

	get count(): number {
		return this.subscribers.length;
	}

	/** Opens and authenticates connections, `parallel` at a time, until there are `n`. */
	async growTo(n: number, parallel = 50): Promise<void> {
		while (this.subscribers.length < n) {
			const batch = Math.min(parallel, n - this.subscribers.length);
			this.subscribers.push(...(await Promise.all(Array.from({ length: batch }, () => NativeSubscriber.connect(this.options)))));
		}
	}

	subscribeAll(parallel = 100): Promise<void> {
		return this.inBatches(parallel, (s) => s.subscribe());
	}

	unsubscribeAll(parallel = 100): Promise<void> {
		return this.inBatches(parallel, (s) => s.unsubscribe());
	}

	close(): void {
		for (const s of this.subscribers.splice(0)) s.close();
	}

	private async inBatches(parallel: number, work: (s: NativeSubscriber) => Promise<void>): Promise<void> {
		for (let i = 0; i < this.subscribers.length; i += parallel) await Promise.all(this.subscribers.slice(i, i + parallel).map(work));
	}
}
