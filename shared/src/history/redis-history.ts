/**
 * Numbers and history in Redis, shared by every Directus instance: one stream per channel,
 * `<prefix>h:{<channel>}`, whose entry ids are `0-<seq>` (`XADD … 0-*`: Redis hands out the next
 * number, so instances never collide), trimmed to RT_HISTORY_SIZE, and the epoch beside it in
 * `<prefix>e:{<channel>}`. One Lua script per event appends and reads the epoch in one atomic
 * step: a stream that is gone (flushed, expired, evicted) after events were numbered starts a
 * new epoch. Both keys expire RT_HISTORY_TTL after the channel's last event.
 *
 * Redis failing on append: the event is numbered in memory (under the memory store's epoch), a
 * warning says so and a counter counts it; reads answer HistoryUnavailableError. A channel
 * numbered in memory meanwhile starts a new epoch at its next numbering in Redis (its Redis
 * history lacks those events, so a client must not recover across them), and its memory
 * numbering is forgotten (the next outage starts a new memory epoch too).
 */
import { createHash } from 'node:crypto';
import type { ChannelHistory, HistoryLimits, HistoryRead, HistoryStats, HistoryWindow, NewEvent, Numbered, StoredEvent } from './channel-history.js';
import { HistoryUnavailableError } from './channel-history.js';
import { redisConnecting, redisDisconnected } from '../host.js';
import { newEpoch } from './envelope.js';
import type { MemoryHistory } from './memory-history.js';

/** The part of an ioredis client the store uses (Directus' own shared client has it). */
export interface HistoryRedis {
	call(command: string, ...args: Array<string | number>): Promise<unknown>;
	/** ioredis' connection status: while it is disconnected, appends number in memory at once instead of waiting. */
	status?: string;
}

/** Channels remembered as numbered in memory, at most (past it the oldest are forgotten). */
export const LOST_CHANNELS_MAX = 100_000;

// KEYS: stream, epoch hash, ids seen. ARGV: candidate epoch, max length ('=0' keeps none), ttl ms, id, name, data, ids window,
// '1' to start a new epoch whatever is kept (the channel was numbered in memory meanwhile).
// The epoch hash's `used` marks that events were numbered under it: without the stream, those numbers are lost.
// The ids seen (a sorted set, id scored by its seq, the last `ids window` seqs) make numbering
// idempotent: an event delivered again (the outbox is at least once) gets the seq it already has.
const APPEND = `
local epoch = redis.call('HGET', KEYS[2], 'epoch')
if (not epoch) or ARGV[8] == '1' or (redis.call('EXISTS', KEYS[1]) == 0 and redis.call('HGET', KEYS[2], 'used') == '1') then
  epoch = ARGV[1]
  redis.call('DEL', KEYS[2], KEYS[1], KEYS[3])
  redis.call('HSET', KEYS[2], 'epoch', epoch)
end
local seen = redis.call('ZSCORE', KEYS[3], ARGV[4])
if seen then return {epoch, '0-' .. seen} end
redis.call('HSET', KEYS[2], 'used', '1')
local trim = '~'
local size = ARGV[2]
if size == '0' then trim = '=' end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', trim, size, '0-*', 'i', ARGV[4], 'n', ARGV[5], 'd', ARGV[6])
local seq = tonumber(string.match(id, '-(%d+)$'))
redis.call('ZADD', KEYS[3], seq, ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', seq - tonumber(ARGV[7]))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('PEXPIRE', KEYS[3], ARGV[3])
return {epoch, id}
`;

/** How many of a channel's last seqs are remembered by id, at least (the history size when larger). */
export const IDS_WINDOW = 1000;

// KEYS: stream, epoch hash. ARGV: candidate epoch, after ('' for the newest), count.
// Read-only: callers may name any channel their pattern allows, and a read must not create keys.
// A channel with no numbering (yet, or any more) reads as empty under the candidate epoch.
const READ = `
local epoch = redis.call('HGET', KEYS[2], 'epoch')
local exists = redis.call('EXISTS', KEYS[1]) == 1
if (not epoch) or (not exists) then return {ARGV[1], '0-0', false, {}} end
local info = redis.call('XINFO', 'STREAM', KEYS[1])
local last, first = '0-0', false
for i = 1, #info, 2 do
  if info[i] == 'last-generated-id' then last = info[i + 1] end
  if info[i] == 'first-entry' and info[i + 1] then first = info[i + 1][1] end
end
local entries
if ARGV[2] == '' then
  entries = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', ARGV[3])
else
  entries = redis.call('XRANGE', KEYS[1], '(0-' .. ARGV[2], '+', 'COUNT', ARGV[3])
end
return {epoch, last, first, entries}
`;

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');
const SCRIPTS = { append: { text: APPEND, sha: sha1(APPEND) }, read: { text: READ, sha: sha1(READ) } };

export interface RedisHistoryOptions extends HistoryLimits {
	/** Key prefix (RT_REDIS_PREFIX). */
	prefix: string;
	/** Where events are numbered while Redis fails. */
	fallback: MemoryHistory;
	warn(message: string): void;
	/** Least time between two warnings about Redis failing, ms. */
	warnEveryMs?: number;
}

export class RedisHistory implements ChannelHistory {
	private appended = 0;
	private failures = 0;
	private lastWarnAt = Number.NEGATIVE_INFINITY;
	/** Channels numbered in memory since their last numbering in Redis: their next one starts a new epoch. */
	private readonly lost = new Set<string>();

	constructor(
		private readonly redis: HistoryRedis,
		private readonly options: RedisHistoryOptions,
	) {}

	/** The stream and epoch keys of a channel; the braces keep both in one Redis Cluster slot. */
	keys(channel: string): [stream: string, epoch: string] {
		return [`${this.options.prefix}h:{${channel}}`, `${this.options.prefix}e:{${channel}}`];
	}

	/** The ids seen on a channel (numbering stays idempotent by id), in the same slot. */
	idsKey(channel: string): string {
		return `${this.options.prefix}d:{${channel}}`;
	}

	append(events: NewEvent[]): Promise<Numbered[]> {
		// One connection runs the commands in the order they are sent: the batch keeps its order.
		return Promise.all(events.map((event) => this.appendOne(event)));
	}

	async read(channel: string, request: HistoryRead): Promise<HistoryWindow> {
		let answer: unknown;
		// A read waits for no reconnect: the client asks again later.
		const status = this.redis.status;
		if (redisDisconnected(status) || redisConnecting(status)) {
			throw new HistoryUnavailableError(`reading the history from Redis failed: Redis is ${status}`);
		}
		try {
			answer = await this.run(SCRIPTS.read, this.keys(channel), [newEpoch(), request.after === undefined ? '' : String(request.after), request.limit]);
		} catch (error) {
			throw new HistoryUnavailableError(`reading the history from Redis failed: ${(error as Error).message}`);
		}
		const [epoch, last, first, entries] = answer as [string, string, string | null, Array<[string, string[]]>];
		const events: StoredEvent[] = [];
		let damaged: HistoryWindow['damaged'];
		for (const entry of entries) {
			const event = storedEvent(entry);
			if (typeof event === 'string') damaged ??= { entry: `${this.keys(channel)[0]} ${String(entry?.[0])}`, why: event };
			else events.push(event);
		}
		if (request.after === undefined) events.reverse();
		return { epoch: String(epoch), latest: seqOf(last), oldest: first ? seqOf(first) : null, events, ...(damaged ? { damaged } : {}) };
	}

	stats(): HistoryStats {
		return { store: 'redis', appended: this.appended, redisFailures: this.failures };
	}

	/**
	 * Numbers the events in memory (the outbox could not take them: Redis is unavailable); their
	 * channels start a new epoch at their next numbering in Redis.
	 */
	appendInMemory(events: NewEvent[]): Numbered[] {
		return events.map((event) => this.numberInMemory(event));
	}

	private async appendOne(event: NewEvent): Promise<Numbered> {
		const size = this.options.size === 0 ? '0' : String(this.options.size);
		if (redisDisconnected(this.redis.status)) return this.failed(event, new Error(`Redis is ${this.redis.status}`));
		// Taken now, before the command is sent: the batch's later events must not start another epoch.
		const restart = this.lost.delete(event.channel);
		try {
			const [epoch, id] = (await this.run(SCRIPTS.append, [...this.keys(event.channel), this.idsKey(event.channel)], [newEpoch(), size, this.options.ttlMs, event.id, event.name, event.data, Math.max(IDS_WINDOW, this.options.size), restart ? '1' : '0'])) as [string, string];
			this.appended++;
			if (restart) this.options.fallback.drop(event.channel);
			return { seq: seqOf(id), epoch: String(epoch) };
		} catch (error) {
			if (restart) this.lost.add(event.channel);
			return this.failed(event, error as Error);
		}
	}

	private failed(event: NewEvent, error: Error): Numbered {
		this.failures++;
		const now = Date.now();
		if (now - this.lastWarnAt >= (this.options.warnEveryMs ?? 10_000)) {
			this.lastWarnAt = now;
			this.options.warn(`realtime: numbering events in Redis failed (${error.message}); numbering in memory under another epoch until Redis answers (${this.failures} so far)`);
		}
		return this.numberInMemory(event);
	}

	private numberInMemory(event: NewEvent): Numbered {
		this.lost.delete(event.channel);
		this.lost.add(event.channel);
		if (this.lost.size > LOST_CHANNELS_MAX) this.lost.delete(this.lost.values().next().value!);
		return this.options.fallback.appendOne(event);
	}

	/** EVALSHA, and EVAL once when Redis does not know the script yet. */
	private async run(script: { text: string; sha: string }, keys: string[], args: Array<string | number>): Promise<unknown> {
		try {
			return await this.redis.call('EVALSHA', script.sha, keys.length, ...keys, ...args);
		} catch (error) {
			if (!String((error as Error).message).includes('NOSCRIPT')) throw error;
			return this.redis.call('EVAL', script.text, keys.length, ...keys, ...args);
		}
	}
}

function seqOf(streamId: string): number {
	return Number(String(streamId).split('-')[1] ?? 0);
}

/** The event an entry of the stream holds, or why it holds none (its fields are not an event's). */
function storedEvent(entry: unknown): StoredEvent | string {
	if (!Array.isArray(entry) || !Array.isArray(entry[1])) return 'not a stream entry';
	const [id, fields] = entry as [unknown, unknown[]];
	const values: Record<string, string> = {};
	for (let i = 0; i + 1 < fields.length; i += 2) values[String(fields[i])] = String(fields[i + 1]);
	const { i: eventId, n: name, d: data } = values;
	if (!eventId || !name || data === undefined) return 'no id, name or data';
	if (!isJsonText(data)) return 'its data is not JSON';
	return { id: eventId, seq: seqOf(String(id)), name, data };
}

/** Whether `text` is one JSON value: the envelope is built around it by concatenation. */
function isJsonText(text: string): boolean {
	try {
		JSON.parse(text);
		return true;
	} catch {
		return false;
	}
}
