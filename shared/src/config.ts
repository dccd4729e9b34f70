/**
 * Reads the RT_* environment into a typed, validated configuration. Pure: takes the env object
 * Directus hands to extensions (values may already be cast to numbers/booleans by Directus) and
 * throws a ConfigError naming the variable when a value is malformed, so start-up stops early.
 */
import { ConfigError } from './errors.js';

export interface PusherConnectionConfig {
	appId: string;
	key: string;
	secret: string;
	/** Undefined when connecting by cluster (Pusher cloud). */
	host: string | undefined;
	port: number | undefined;
	cluster: string | undefined;
	useTLS: boolean;
	/** base64 of 32 bytes, for private-encrypted channels. */
	encryptionMasterKeyBase64: string | undefined;
}

export interface RealtimeConfig {
	pusher: PusherConnectionConfig;
	useStats: boolean;
	/** How often RT_USE_STATS logs its line, in ms. */
	statsIntervalMs: number;
	dontPreset: boolean;
	script: {
		timeoutMs: number;
		maxMemoryMb: number;
		/** How long a run may hold Directus' thread before it moves off it, in ms. */
		sliceMs: number;
		/** Host calls (can, query, trigger...) one run may make. */
		maxCalls: number;
		/** Host calls one run may have waiting on Directus at once; more wait their turn. */
		maxConcurrentCalls: number;
	};
	publish: {
		/** Largest event payload accepted, in bytes (Pusher: 10 KB; Soketi: configurable). */
		maxPayloadBytes: number;
		/** How long a failed batch is retried before it is dropped, in ms. */
		retryForMs: number;
		/** Upper bound of queued events; beyond it the oldest are dropped (and logged). */
		maxQueuedEvents: number;
		/** Under load, how long a partial batch may wait to fill up, in ms. */
		batchWaitMs: number;
	};
	items: {
		/** Most keys of one items event (or one batch update) read and published; the rest are skipped and logged. */
		maxKeysPerEvent: number;
		/** Memory budget of the items held between a delete's filter and its action, in bytes. */
		pendingMaxBytes: number;
	};
	channels: {
		/** How often another instance's channel changes are looked for, in ms. */
		checkIntervalMs: number;
	};
	auth: {
		/** User fields sent as `user_info` for Pusher user authentication. */
		userInfoFields: string[];
	};
	delivery: {
		/** Events go out in the envelope `{ id, seq, epoch, data }` (RT_ENVELOPE); false: bare payloads, no numbers. */
		envelope: boolean;
		/** Events are kept for recovery (RT_HISTORY); false: numbered, none kept. */
		history: boolean;
		/** Events kept per channel (RT_HISTORY_SIZE). */
		historySize: number;
		/** A channel's history and numbering end this long after its last event, ms (RT_HISTORY_TTL). */
		historyTtlMs: number;
		/** Largest answer of GET /realtime/channels/<name>/history, bytes (RT_HISTORY_MAX_RESPONSE_KB). */
		maxHistoryResponseBytes: number;
		/** Prefix of the bundle's Redis keys (RT_REDIS_PREFIX). */
		redisPrefix: string;
		/** Events go through the Redis outbox when Directus runs with Redis (RT_OUTBOX); false: the in-memory queue only. */
		outbox: boolean;
		/** How long an outbox entry read but not acknowledged waits before another instance takes it over, ms (RT_OUTBOX_CLAIM_AFTER). */
		outboxClaimAfterMs: number;
	};
	webhooks: {
		/**
		 * Client events per sender (presence user, else connection) and second that become actions;
		 * the rest are dropped and counted. 0: no bound.
		 */
		clientEventsPerSecond: number;
	};
}

/**
 * Every RT_* variable the extension reads, here and elsewhere (RT_DONT_PRESET in the migration,
 * RT_ISOLATED_VM_PATH in the sandbox engine). The readers below only take these names, so a
 * variable cannot be read through them without being listed; a unit test checks the sources for
 * RT_* names read another way. The variables of the development scripts (scripts/, test/) are not
 * the extension's and are not listed.
 */
export const RT_VARIABLES = [
	'RT_APP_ID',
	'RT_APP_KEY',
	'RT_APP_SECRET',
	'RT_APP_HOST',
	'RT_APP_PORT',
	'RT_APP_CLUSTER',
	'RT_USE_TLS',
	'RT_USE_STATS',
	'RT_STATS_INTERVAL',
	'RT_ENCRYPTION_MASTER_KEY',
	'RT_DONT_PRESET',
	'RT_SCRIPT_TIMEOUT',
	'RT_SCRIPT_MAX_MEMORY',
	'RT_SCRIPT_SLICE',
	'RT_SCRIPT_MAX_CALLS',
	'RT_SCRIPT_MAX_CONCURRENT_CALLS',
	'RT_MAX_PAYLOAD_KB',
	'RT_PUBLISH_RETRY_FOR',
	'RT_PUBLISH_MAX_QUEUE',
	'RT_PUBLISH_BATCH_WAIT',
	'RT_CHANNELS_CHECK_INTERVAL',
	'RT_MAX_KEYS_PER_EVENT',
	'RT_PENDING_MAX_MB',
	'RT_USER_INFO_FIELDS',
	'RT_CLIENT_EVENTS_PER_SECOND',
	'RT_ENVELOPE',
	'RT_HISTORY',
	'RT_HISTORY_SIZE',
	'RT_HISTORY_TTL',
	'RT_HISTORY_MAX_RESPONSE_KB',
	'RT_REDIS_PREFIX',
	'RT_OUTBOX',
	'RT_OUTBOX_CLAIM_AFTER',
	'RT_ISOLATED_VM_PATH',
] as const;

export type RtVariable = (typeof RT_VARIABLES)[number];

const KNOWN_VARIABLES: ReadonlySet<string> = new Set(RT_VARIABLES);

/**
 * RT_* names set in `env` that the extension does not read, e.g. a misspelled RT_APP_SECRET,
 * which would otherwise leave the setting at its default without a word. Sorted.
 */
export function unknownVariables(env: Record<string, unknown>): string[] {
	return Object.keys(env)
		.filter((name) => name.startsWith('RT_') && !KNOWN_VARIABLES.has(name))
		.sort();
}

/** The known variable closest to `name` (a likely typo of it), if one is near enough. */
export function closestVariable(name: string): RtVariable | undefined {
	let best: RtVariable | undefined;
	let bestDistance = Infinity;
	for (const known of RT_VARIABLES) {
		const d = distance(name, known);
		if (d < bestDistance) [best, bestDistance] = [known, d];
	}
	// Two edits (a swap of neighbours, a missing or doubled letter) or a quarter of the name.
	return bestDistance <= Math.max(2, Math.floor(name.length / 4)) ? best : undefined;
}

/** Edit distance with a swap of neighbours counted as one edit. */
function distance(a: string, b: string): number {
	const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
	for (let j = 1; j <= b.length; j++) d[0]![j] = j;
	for (let i = 1; i <= a.length; i++) {
		for (let j = 1; j <= b.length; j++) {
			const cost = a[i - 1] === b[j - 1] ? 0 : 1;
			let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
			if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
			d[i]![j] = v;
		}
	}
	return d[a.length]![b.length]!;
}

type Env = Record<string, unknown>;

const FALSE_WORDS = new Set(['', 'false', '0', 'no', 'off']);

function raw(env: Env, name: RtVariable): string | undefined {
	const value = env[name];
	if (value === undefined || value === null) return undefined;
	if (typeof value === 'string') return value.trim();
	if (typeof value === 'number' || typeof value === 'boolean') return String(value);
	// Directus splits values with commas into arrays when it reads its env.
	if (Array.isArray(value)) return value.join(',');
	throw new ConfigError(name, `expected a string, got ${typeof value}`);
}

export function readBoolean(env: Env, name: RtVariable, fallback = false): boolean {
	const value = raw(env, name);
	if (value === undefined) return fallback;
	const lower = value.toLowerCase();
	if (FALSE_WORDS.has(lower)) return false;
	if (['true', '1', 'yes', 'on'].includes(lower)) return true;
	throw new ConfigError(name, `expected true or false, got "${value}"`);
}

function readString(env: Env, name: RtVariable, fallback: string): string;
function readString(env: Env, name: RtVariable, fallback?: undefined): string | undefined;
function readString(env: Env, name: RtVariable, fallback?: string): string | undefined {
	const value = raw(env, name);
	return value === undefined || value === '' ? fallback : value;
}

/**
 * A value with no safe default. The message names the variable and never echoes a value: for
 * RT_APP_SECRET the value is the secret.
 */
function readRequired(env: Env, name: RtVariable, why: string): string {
	const value = readString(env, name);
	if (value === undefined) throw new ConfigError(name, `must be set: ${why}`);
	return value;
}

function readInteger(env: Env, name: RtVariable, fallback: number, min: number, max: number): number {
	const value = raw(env, name);
	if (value === undefined || value === '') return fallback;
	if (!/^\d+$/.test(value)) throw new ConfigError(name, `expected a whole number, got "${value}"`);
	const n = Number(value);
	if (n < min || n > max) throw new ConfigError(name, `expected a number from ${min} to ${max}, got ${n}`);
	return n;
}

function readEncryptionKey(env: Env, name: RtVariable): string | undefined {
	const value = readString(env, name);
	if (value === undefined) return undefined;
	const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(value) ? Buffer.from(value, 'base64') : undefined;
	if (!bytes || bytes.length !== 32) {
		throw new ConfigError(name, 'expected 32 random bytes in base64 (e.g. `openssl rand -base64 32`)');
	}
	return value;
}

function readList(env: Env, name: RtVariable, fallback: string[]): string[] {
	const value = env[name];
	if (Array.isArray(value)) return value.map(String);
	const text = raw(env, name);
	if (text === undefined || text === '') return fallback;
	return text.split(',').map((s) => s.trim()).filter(Boolean);
}

/**
 * Directus casts env values ("0123" becomes 123, "a,b" an array); the process environment keeps
 * them as written, so RT_* from there take precedence over Directus' copy (which adds .env files).
 */
export function realtimeEnv(directusEnv: Env, processEnv: NodeJS.ProcessEnv = process.env): Env {
	const merged: Env = { ...directusEnv };
	for (const [name, value] of Object.entries(processEnv)) if (name.startsWith('RT_') && value !== undefined) merged[name] = value;
	return merged;
}

export function readConfig(env: Env): RealtimeConfig {
	const appId = readString(env, 'RT_APP_ID', 'app-id');
	const cluster = readString(env, 'RT_APP_CLUSTER');
	// Pusher cloud is addressed by cluster; a host only makes sense for self-hosted servers.
	const byCluster = cluster !== undefined && readString(env, 'RT_APP_HOST') === undefined;
	return {
		pusher: {
			appId,
			key: readString(env, 'RT_APP_KEY', 'app-key'),
			// No default: Soketi's default secret ("app-secret") is public, and signing with it
			// would let anyone forge channel authorizations and trigger events.
			secret: readRequired(env, 'RT_APP_SECRET', 'the secret of the Pusher/Soketi app, which signs channel authorizations and API calls'),
			host: byCluster ? undefined : readString(env, 'RT_APP_HOST', 'soketi'),
			port: byCluster && raw(env, 'RT_APP_PORT') === undefined ? undefined : readInteger(env, 'RT_APP_PORT', 6001, 1, 65535),
			cluster,
			useTLS: readBoolean(env, 'RT_USE_TLS', byCluster),
			encryptionMasterKeyBase64: readEncryptionKey(env, 'RT_ENCRYPTION_MASTER_KEY'),
		},
		useStats: readBoolean(env, 'RT_USE_STATS'),
		statsIntervalMs: readInteger(env, 'RT_STATS_INTERVAL', 60, 1, 86_400) * 1000,
		dontPreset: readBoolean(env, 'RT_DONT_PRESET'),
		script: {
			timeoutMs: readInteger(env, 'RT_SCRIPT_TIMEOUT', 1000, 10, 60_000),
			maxMemoryMb: readInteger(env, 'RT_SCRIPT_MAX_MEMORY', 32, 8, 1024),
			sliceMs: readInteger(env, 'RT_SCRIPT_SLICE', 5, 1, 1000),
			maxCalls: readInteger(env, 'RT_SCRIPT_MAX_CALLS', 100, 1, 100_000),
			maxConcurrentCalls: readInteger(env, 'RT_SCRIPT_MAX_CONCURRENT_CALLS', 4, 1, 100),
		},
		publish: {
			maxPayloadBytes: readInteger(env, 'RT_MAX_PAYLOAD_KB', 10, 1, 10_240) * 1024,
			retryForMs: readInteger(env, 'RT_PUBLISH_RETRY_FOR', 60_000, 0, 86_400_000),
			maxQueuedEvents: readInteger(env, 'RT_PUBLISH_MAX_QUEUE', 10_000, 10, 10_000_000),
			batchWaitMs: readInteger(env, 'RT_PUBLISH_BATCH_WAIT', 20, 0, 1000),
		},
		items: {
			maxKeysPerEvent: readInteger(env, 'RT_MAX_KEYS_PER_EVENT', 1000, 1, 1_000_000),
			pendingMaxBytes: readInteger(env, 'RT_PENDING_MAX_MB', 16, 1, 4096) * 1024 * 1024,
		},
		channels: {
			checkIntervalMs: readInteger(env, 'RT_CHANNELS_CHECK_INTERVAL', 1000, 0, 3_600_000),
		},
		auth: {
			userInfoFields: readList(env, 'RT_USER_INFO_FIELDS', ['id', 'first_name', 'last_name', 'avatar']),
		},
		delivery: {
			envelope: readBoolean(env, 'RT_ENVELOPE', true),
			history: readBoolean(env, 'RT_HISTORY', true),
			historySize: readInteger(env, 'RT_HISTORY_SIZE', 300, 1, 100_000),
			historyTtlMs: readInteger(env, 'RT_HISTORY_TTL', 300, 1, 2_592_000) * 1000,
			maxHistoryResponseBytes: readInteger(env, 'RT_HISTORY_MAX_RESPONSE_KB', 512, 16, 102_400) * 1024,
			redisPrefix: readString(env, 'RT_REDIS_PREFIX', `realtime:${appId}:`),
			outbox: readBoolean(env, 'RT_OUTBOX', true),
			outboxClaimAfterMs: readInteger(env, 'RT_OUTBOX_CLAIM_AFTER', 10_000, 100, 3_600_000),
		},
		webhooks: {
			// Pusher's own limit of client events per connection and second is 10.
			clientEventsPerSecond: readInteger(env, 'RT_CLIENT_EVENTS_PER_SECOND', 10, 0, 100_000),
		},
	};
}
