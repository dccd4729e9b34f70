/**
 * The outbox sender (docs/delivery.md, the outbox): one loop per instance that takes events from
 * the outbox stream through the shared consumer group, hands them to `deliver` (number, then send
 * to Pusher) and removes them once delivered. It first takes over entries another consumer left
 * pending for `claimAfterMs` (that consumer died), then reads new ones. When `deliver` rejects,
 * the entries stay pending and are taken over again after `claimAfterMs` (by any instance, this
 * one included): at least once, each event with its own `id`.
 *
 * The stream must sit on a connection of its own: a blocking read holds it.
 */
import type { OutboxEntry, OutboxStream } from './outbox-stream.js';
import type { OutgoingEvent } from './queue.js';

export interface OutboxSenderOptions {
	/** Unique per process: the group tells consumers apart by it. */
	consumer: string;
	/** Numbers and sends the events, in order; resolves once they are sent. */
	deliver(events: OutgoingEvent[]): Promise<void>;
	/** How long an entry may sit read but unacknowledged before another consumer takes it over, ms. */
	claimAfterMs: number;
	/** Events per round (Pusher's batch endpoint takes 10). */
	batch?: number;
	/** How long a read waits for new events, ms; also bounds how long `stop` waits. */
	blockMs?: number;
	/** Wait after a failed round, ms. */
	retryMs?: number;
	warn(message: string): void;
}

export interface OutboxSenderStats {
	delivered: number;
	claimed: number;
	failedRounds: number;
}

export class OutboxSender {
	private running = false;
	private loop: Promise<void> | undefined;
	private readonly counters: OutboxSenderStats = { delivered: 0, claimed: 0, failedRounds: 0 };

	constructor(
		private readonly stream: OutboxStream,
		private readonly options: OutboxSenderOptions,
	) {}

	start(): void {
		if (this.running) return;
		this.running = true;
		this.loop = this.run();
	}

	/** Stops reading; resolves once the round in flight is delivered and acknowledged (or left pending). */
	async stop(): Promise<void> {
		this.running = false;
		await this.loop;
	}

	stats(): OutboxSenderStats {
		return { ...this.counters };
	}

	private async run(): Promise<void> {
		const batch = this.options.batch ?? 10;
		let groupReady = false;
		while (this.running) {
			try {
				if (!groupReady) {
					await this.stream.ensureGroup();
					groupReady = true;
				}
				let round = await this.stream.claim(this.options.consumer, this.options.claimAfterMs, batch);
				this.counters.claimed += round.entries.length;
				if (round.entries.length === 0 && round.broken.length === 0) round = await this.stream.read(this.options.consumer, batch, this.options.blockMs ?? 1_000);
				await this.stream.done(round.broken);
				if (round.entries.length > 0) await this.deliver(round.entries);
			} catch (error) {
				this.counters.failedRounds++;
				groupReady = false;
				this.options.warn(`realtime: the outbox sender failed a round (${(error as Error).message}); unsent events stay in the outbox`);
				if (this.running) await new Promise((resolve) => setTimeout(resolve, this.options.retryMs ?? 1_000));
			}
		}
	}

	private async deliver(entries: OutboxEntry[]): Promise<void> {
		await this.options.deliver(entries.map((entry) => entry.event));
		await this.stream.done(entries.map((entry) => entry.entryId));
		this.counters.delivered += entries.length;
	}
}
