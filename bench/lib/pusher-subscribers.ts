/**
 * Many pusher-js clients (the Node build, as in the integration tests) on one private channel,
 * each authorized through the extension's POST /realtime/auth like a real app's clients.
 */
import type { Channel } from 'pusher-js';
import { connectClient, subscribe, type PusherClient } from '../../test/harness/clients.js';
import type { Soketi } from '../../test/harness/soketi.js';

export interface PusherSubscriberOptions {
	soketi: Soketi;
	directusUrl: string;
	token: string;
	channel: string;
	events: string[];
	onEvent: (event: string, data: any) => void;
}

export class PusherSubscribers {
	private readonly clients: PusherClient[] = [];

	constructor(private readonly options: PusherSubscriberOptions) {}

	get count(): number {
		return this.clients.length;
	}

	/** Connects and subscribes clients, `parallel` at a time, until there are `n`. */
	async growTo(n: number, parallel = 50): Promise<void> {
		while (this.clients.length < n) {
			const batch = Math.min(parallel, n - this.clients.length);
			const added = await Promise.all(Array.from({ length: batch }, () => this.connectOne()));
			this.clients.push(...added);
		}
	}

	disconnect(): void {
		for (const c of this.clients.splice(0)) c.disconnect();
	}

	private async connectOne(): Promise<PusherClient> {
		const { soketi, directusUrl, token, channel, events, onEvent } = this.options;
		const client = await connectClient(soketi, { directusUrl, token });
		try {
			const subscribed: Channel = await subscribe(client, channel);
			for (const event of events) subscribed.bind(event, (data: unknown) => onEvent(event, data));
			return client;
		} catch (error) {
			client.disconnect();
			throw error;
		}
	}
}
