/**
 * The outbox stream's commands (docs/delivery.md, the outbox): one Redis stream,
 * `<prefix>outbox`, that every instance reads through one consumer group. An event is added once
 * (`XADD`), read by one consumer (`XREADGROUP`), and removed once sent (`XACK` + `XDEL`); an
 * entry read by a consumer that died stays pending and is taken over by another after it sat idle
 * long enough (`XAUTOCLAIM`). The event keeps its `id` through all of it, so a redelivery is
 * recognisable.
 *
 * Only the commands and the encoding live here; the loop that reads, numbers and sends is the
 * sender's.
 */
import type { OutgoingEvent } from './queue.js';

/** The part of an ioredis client the outbox uses (Directus' own shared client has it). */
export interface OutboxRedis {
	call(command: string, ...args: Array<string | number>): Promise<unknown>;
}

/** An event read from the outbox, with the stream entry id that acknowledges it. */
export interface OutboxEntry {
	entryId: string;
	event: OutgoingEvent;
}

export interface OutboxStreamOptions {
	/** Key prefix (RT_REDIS_PREFIX). */
	prefix: string;
	/** Consumer group name; every instance uses the same one. */
	group?: string;
	/**
	 * Entries kept at most (`MAXLEN ~`, RT_PUBLISH_MAX_QUEUE): past it the oldest go, as the
	 * in-memory queue drops its oldest. Unbounded when not set.
	 */
	maxLength?: number;
}

export const OUTBOX_GROUP = 'realtime';

// Field names in a stream entry: short, since every event carries them.
const FIELDS = { channel: 'c', name: 'n', data: 'd', socketId: 's', source: 'o', row: 'r', id: 'i' } as const;

/** The stream entry's field/value list for an event (optional fields only when set). */
export function encodeOutboxEvent(event: OutgoingEvent): string[] {
	const fields: string[] = [];
	for (const [key, field] of Object.entries(FIELDS) as Array<[keyof typeof FIELDS, string]>) {
		const value = event[key];
		if (typeof value === 'string') fields.push(field, value);
	}
	return fields;
}

/** The event of a stream entry's field/value list; null when it lacks what an event needs. */
export function decodeOutboxEvent(fields: unknown): OutgoingEvent | null {
	if (!Array.isArray(fields)) return null;
	const values = new Map<string, string>();
	for (let i = 0; i + 1 < fields.length; i += 2) values.set(String(fields[i]), String(fields[i + 1]));
	const channel = values.get(FIELDS.channel);
	const name = values.get(FIELDS.name);
	const data = values.get(FIELDS.data);
	const id = values.get(FIELDS.id);
	if (!channel || !name || data === undefined || !id) return null;
	const event: OutgoingEvent = { channel, name, data, id, source: values.get(FIELDS.source) ?? 'outbox' };
	const socketId = values.get(FIELDS.socketId);
	if (socketId) event.socketId = socketId;
	const row = values.get(FIELDS.row);
	if (row) event.row = row;
	return event;
}

/**
 * The entries of an `XRANGE`-shaped list (`[[id, fields], …]`). Entries that cannot be decoded,
 * and the nil that Redis 6.2 leaves for an entry deleted while pending, come back in `broken` so
 * the caller can acknowledge them away instead of reading them forever.
 */
export function parseOutboxEntries(list: unknown): { entries: OutboxEntry[]; broken: string[] } {
	const entries: OutboxEntry[] = [];
	const broken: string[] = [];
	if (!Array.isArray(list)) return { entries, broken };
	for (const item of list) {
		if (!Array.isArray(item) || typeof item[0] !== 'string') continue;
		const event = decodeOutboxEvent(item[1]);
		if (event) entries.push({ entryId: item[0], event });
		else broken.push(item[0]);
	}
	return { entries, broken };
}

export class OutboxStream {
	readonly key: string;
	readonly group: string;
	private readonly trim: Array<string | number>;

	constructor(
		private readonly redis: OutboxRedis,
		options: OutboxStreamOptions,
	) {
		this.key = `${options.prefix}outbox`;
		this.group = options.group ?? OUTBOX_GROUP;
		this.trim = options.maxLength ? ['MAXLEN', '~', options.maxLength] : [];
	}

	/** Creates the stream and its group if missing; safe to call from every instance, any number of times. */
	async ensureGroup(): Promise<void> {
		try {
			await this.redis.call('XGROUP', 'CREATE', this.key, this.group, '0', 'MKSTREAM');
		} catch (error) {
			if (!String((error as Error).message).includes('BUSYGROUP')) throw error;
		}
	}

	/** Adds an event (one `XADD`); resolves with its entry id. Rejects when Redis does. */
	async add(event: OutgoingEvent): Promise<string> {
		return String(await this.redis.call('XADD', this.key, ...this.trim, '*', ...encodeOutboxEvent(event)));
	}

	/** Deletes entries without acknowledging them (an add that came too late: the event went out otherwise). */
	async remove(entryIds: string[]): Promise<void> {
		if (entryIds.length > 0) await this.redis.call('XDEL', this.key, ...entryIds);
	}

	/** Events in the stream not yet done (read or not), across all instances. */
	async length(): Promise<number> {
		return Number(await this.redis.call('XLEN', this.key)) || 0;
	}

	/** Those of `entries` still pending for `consumer` (not taken over by another, nor done). */
	async owned(consumer: string, entries: OutboxEntry[]): Promise<OutboxEntry[]> {
		if (entries.length === 0) return entries;
		const ids = entries.map((entry) => entry.entryId);
		const reply = await this.redis.call('XPENDING', this.key, this.group, ids[0]!, ids[ids.length - 1]!, entries.length, consumer);
		const mine = new Set(Array.isArray(reply) ? reply.map((row) => (Array.isArray(row) ? String(row[0]) : '')) : []);
		return entries.filter((entry) => mine.has(entry.entryId));
	}

	/**
	 * Up to `count` entries no consumer has read yet, now owned by `consumer` (pending until
	 * `done`). Waits up to `blockMs` for one when there are none (0: does not wait). A blocking
	 * read holds its connection until it returns: give it a connection of its own, not the
	 * client that adds events and numbers history.
	 */
	async read(consumer: string, count: number, blockMs: number): Promise<{ entries: OutboxEntry[]; broken: string[] }> {
		const block = blockMs > 0 ? ['BLOCK', blockMs] : [];
		const reply = await this.redis.call('XREADGROUP', 'GROUP', this.group, consumer, 'COUNT', count, ...block, 'STREAMS', this.key, '>');
		if (!Array.isArray(reply) || reply.length === 0) return { entries: [], broken: [] };
		const [, list] = reply[0] as [string, unknown];
		return parseOutboxEntries(list);
	}

	/**
	 * Takes over up to `count` entries that another consumer read and left pending for at least
	 * `minIdleMs` (it died, or hangs), oldest first.
	 */
	async claim(consumer: string, minIdleMs: number, count: number): Promise<{ entries: OutboxEntry[]; broken: string[] }> {
		const reply = await this.redis.call('XAUTOCLAIM', this.key, this.group, consumer, minIdleMs, '0-0', 'COUNT', count);
		if (!Array.isArray(reply)) return { entries: [], broken: [] };
		// reply[2] (Redis 7): entries deleted while pending, which XAUTOCLAIM already dropped.
		return parseOutboxEntries(reply[1]);
	}

	/** Acknowledges and deletes entries: sent (or undeliverable), never read again. */
	async done(entryIds: string[]): Promise<void> {
		if (entryIds.length === 0) return;
		await this.redis.call('XACK', this.key, this.group, ...entryIds);
		await this.redis.call('XDEL', this.key, ...entryIds);
	}

	/**
	 * Forgets consumers that hold nothing and have been idle for `idleMs` (every process start
	 * adds one; a live one that is forgotten comes back with its next read). Returns how many.
	 */
	async pruneConsumers(idleMs: number): Promise<number> {
		const reply = await this.redis.call('XINFO', 'CONSUMERS', this.key, this.group);
		let pruned = 0;
		for (const row of Array.isArray(reply) ? reply : []) {
			if (!Array.isArray(row)) continue;
			const info = new Map<string, unknown>();
			for (let i = 0; i + 1 < row.length; i += 2) info.set(String(row[i]), row[i + 1]);
			if (Number(info.get('pending')) === 0 && Number(info.get('idle')) >= idleMs) {
				await this.redis.call('XGROUP', 'DELCONSUMER', this.key, this.group, String(info.get('name')));
				pruned++;
			}
		}
		return pruned;
	}

	/** Entries read but not yet acknowledged, across all consumers (for health). */
	async pending(): Promise<number> {
		const reply = await this.redis.call('XPENDING', this.key, this.group);
		return Array.isArray(reply) ? Number(reply[0]) || 0 : 0;
	}
}
