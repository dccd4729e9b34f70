import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { closestVariable, readConfig, realtimeEnv, RT_VARIABLES, unknownVariables } from '../../shared/src/config.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const KEY = Buffer.alloc(32, 7).toString('base64');
const SECRET = { RT_APP_SECRET: 'test-secret' };

describe('RT_* configuration', () => {
	it('uses the seed defaults when only the secret is set', () => {
		const config = readConfig({ RT_APP_SECRET: 'a-real-secret' });
		assert.deepEqual(config.pusher, {
			appId: 'app-id',
			key: 'app-key',
			secret: 'a-real-secret',
			host: 'soketi',
			port: 6001,
			cluster: undefined,
			useTLS: false,
			encryptionMasterKeyBase64: undefined,
		});
		assert.equal(config.useStats, false);
		assert.equal(config.statsIntervalMs, 60_000);
		assert.equal(config.dontPreset, false);
		assert.deepEqual(config.script, { timeoutMs: 1000, maxMemoryMb: 32, sliceMs: 5, maxCalls: 100, maxConcurrentCalls: 4 });
		assert.equal(config.publish.maxPayloadBytes, 10 * 1024);
		assert.deepEqual(config.webhooks, { clientEventsPerSecond: 10 });
		assert.equal(config.delivery.outbox, true);
		assert.equal(config.delivery.outboxClaimAfterMs, 10_000);
	});

	it('reads RT_OUTBOX and RT_OUTBOX_CLAIM_AFTER, and names them when malformed', () => {
		assert.equal(readConfig({ ...SECRET, RT_OUTBOX: 'false' }).delivery.outbox, false);
		assert.equal(readConfig({ ...SECRET, RT_OUTBOX: false }).delivery.outbox, false);
		assert.equal(readConfig({ ...SECRET, RT_OUTBOX: 'on' }).delivery.outbox, true);
		assert.equal(readConfig({ ...SECRET, RT_OUTBOX_CLAIM_AFTER: '2500' }).delivery.outboxClaimAfterMs, 2500);
		assert.equal(readConfig({ ...SECRET, RT_OUTBOX_CLAIM_AFTER: 100 }).delivery.outboxClaimAfterMs, 100);
		const cases: Array<[Record<string, unknown>, RegExp]> = [
			[{ RT_OUTBOX: 'sometimes' }, /^RT_OUTBOX: expected true or false, got "sometimes"/],
			[{ RT_OUTBOX_CLAIM_AFTER: '10s' }, /^RT_OUTBOX_CLAIM_AFTER: expected a whole number, got "10s"/],
			[{ RT_OUTBOX_CLAIM_AFTER: '-1' }, /^RT_OUTBOX_CLAIM_AFTER: expected a whole number/],
			[{ RT_OUTBOX_CLAIM_AFTER: '1.5' }, /^RT_OUTBOX_CLAIM_AFTER: expected a whole number/],
			[{ RT_OUTBOX_CLAIM_AFTER: '50' }, /^RT_OUTBOX_CLAIM_AFTER: expected a number from 100 to 3600000, got 50/],
			[{ RT_OUTBOX_CLAIM_AFTER: '3600001' }, /^RT_OUTBOX_CLAIM_AFTER: expected a number from 100 to 3600000/],
			// Edges: 0 (no wait: every send taken over), numbers as Directus' env hands them, and what only looks like a number.
			[{ RT_OUTBOX_CLAIM_AFTER: '0' }, /^RT_OUTBOX_CLAIM_AFTER: expected a number from 100 to 3600000, got 0/],
			[{ RT_OUTBOX_CLAIM_AFTER: 0 }, /^RT_OUTBOX_CLAIM_AFTER: expected a number from 100 to 3600000, got 0/],
			[{ RT_OUTBOX_CLAIM_AFTER: Number.POSITIVE_INFINITY }, /^RT_OUTBOX_CLAIM_AFTER: expected a whole number/],
			[{ RT_OUTBOX_CLAIM_AFTER: Number.NaN }, /^RT_OUTBOX_CLAIM_AFTER: expected a whole number/],
			[{ RT_OUTBOX_CLAIM_AFTER: 1e30 }, /^RT_OUTBOX_CLAIM_AFTER: expected a whole number/],
			[{ RT_OUTBOX_CLAIM_AFTER: '9'.repeat(400) }, /^RT_OUTBOX_CLAIM_AFTER: expected a number from 100 to 3600000/],
			[{ RT_OUTBOX_CLAIM_AFTER: '0x1000' }, /^RT_OUTBOX_CLAIM_AFTER: expected a whole number/],
			[{ RT_OUTBOX_CLAIM_AFTER: '1e4' }, /^RT_OUTBOX_CLAIM_AFTER: expected a whole number/],
			[{ RT_OUTBOX_CLAIM_AFTER: '１０００' }, /^RT_OUTBOX_CLAIM_AFTER: expected a whole number/],
			[{ RT_OUTBOX_CLAIM_AFTER: ['1', '000'] }, /^RT_OUTBOX_CLAIM_AFTER: expected a whole number, got "1,000"/],
		];
		// Surrounding white space (an env file's line end) is not part of the value.
		assert.equal(readConfig({ ...SECRET, RT_OUTBOX_CLAIM_AFTER: ' 1000\n' }).delivery.outboxClaimAfterMs, 1000);
		for (const [env, message] of cases) assert.throws(() => readConfig({ ...SECRET, ...env }), { code: 'CONFIG_INVALID', message }, JSON.stringify(env));
	});

	it('reads every variable', () => {
		const config = readConfig({
			RT_APP_ID: '42',
			RT_APP_KEY: 'k',
			RT_APP_SECRET: 's',
			RT_APP_HOST: 'ws.example.com',
			RT_APP_PORT: '443',
			RT_USE_TLS: 'true',
			RT_USE_STATS: '1',
			RT_STATS_INTERVAL: '10',
			RT_DONT_PRESET: 'yes',
			RT_ENCRYPTION_MASTER_KEY: KEY,
			RT_SCRIPT_TIMEOUT: '250',
			RT_SCRIPT_MAX_MEMORY: '64',
			RT_SCRIPT_SLICE: '20',
			RT_SCRIPT_MAX_CALLS: '7',
			RT_SCRIPT_MAX_CONCURRENT_CALLS: '2',
			RT_MAX_PAYLOAD_KB: '100',
			RT_PUBLISH_RETRY_FOR: '5000',
			RT_PUBLISH_MAX_QUEUE: '50',
			RT_PUBLISH_BATCH_WAIT: '0',
			RT_CHANNELS_CHECK_INTERVAL: '0',
			RT_USER_INFO_FIELDS: 'first_name, email',
			RT_CLIENT_EVENTS_PER_SECOND: '3',
		});
		assert.equal(config.pusher.host, 'ws.example.com');
		assert.equal(config.pusher.port, 443);
		assert.equal(config.pusher.useTLS, true);
		assert.equal(config.pusher.encryptionMasterKeyBase64, KEY);
		assert.equal(config.useStats, true);
		assert.equal(config.statsIntervalMs, 10_000);
		assert.equal(config.dontPreset, true);
		assert.deepEqual(config.script, { timeoutMs: 250, maxMemoryMb: 64, sliceMs: 20, maxCalls: 7, maxConcurrentCalls: 2 });
		assert.deepEqual(config.publish, { maxPayloadBytes: 100 * 1024, retryForMs: 5000, maxQueuedEvents: 50, batchWaitMs: 0 });
		assert.equal(config.channels.checkIntervalMs, 0);
		assert.deepEqual(config.auth.userInfoFields, ['first_name', 'email']);
		assert.equal(config.webhooks.clientEventsPerSecond, 3);
		assert.equal(readConfig({ ...SECRET, RT_CLIENT_EVENTS_PER_SECOND: '0' }).webhooks.clientEventsPerSecond, 0, '0: no bound');
	});

	it('has no default for RT_APP_SECRET: unset, empty or blank stops start-up, naming the variable', () => {
		for (const value of [undefined, null, '', '   ']) {
			assert.throws(() => readConfig({ RT_APP_ID: 'x', RT_APP_SECRET: value }), { code: 'CONFIG_INVALID', message: /^RT_APP_SECRET: must be set/ }, String(value));
		}
	});

	it('never echoes the secret in an error about it', () => {
		const secret = 'do-not-print-me-7f3a';
		assert.throws(
			() => readConfig({ RT_APP_SECRET: { value: secret } }),
			(error: Error) => error.message.startsWith('RT_APP_SECRET:') && !error.message.includes(secret),
		);
	});

	it('treats "false", "0" and unset as false', () => {
		for (const value of ['false', '0', '', undefined, false, 0]) assert.equal(readConfig({ ...SECRET, RT_USE_TLS: value }).pusher.useTLS, false, String(value));
	});

	it('connects to Pusher cloud by cluster, over TLS, when no host is set', () => {
		const { pusher } = readConfig({ ...SECRET, RT_APP_CLUSTER: 'eu' });
		assert.equal(pusher.cluster, 'eu');
		assert.equal(pusher.host, undefined);
		assert.equal(pusher.port, undefined);
		assert.equal(pusher.useTLS, true);
	});

	it('accepts values Directus has already cast', () => {
		const config = readConfig({ ...SECRET, RT_APP_PORT: 6002, RT_USE_TLS: true, RT_USER_INFO_FIELDS: ['id', 'email'] });
		assert.equal(config.pusher.port, 6002);
		assert.equal(config.pusher.useTLS, true);
		assert.deepEqual(config.auth.userInfoFields, ['id', 'email']);
	});

	it('prefers RT_* from the process environment over Directus\' cast copy', () => {
		assert.equal(readConfig(realtimeEnv({ RT_APP_ID: 123, ...SECRET }, { RT_APP_ID: '0123' })).pusher.appId, '0123');
	});

	it('stops on a malformed value, naming the variable', () => {
		const cases: Array<[Record<string, unknown>, RegExp]> = [
			[{ RT_APP_PORT: 'http' }, /^RT_APP_PORT: expected a whole number/],
			[{ RT_APP_PORT: '70000' }, /^RT_APP_PORT: expected a number from 1 to 65535/],
			[{ RT_USE_TLS: 'maybe' }, /^RT_USE_TLS: expected true or false/],
			[{ RT_ENCRYPTION_MASTER_KEY: 'c2hvcnQ=' }, /^RT_ENCRYPTION_MASTER_KEY: expected 32 random bytes in base64/],
			[{ RT_ENCRYPTION_MASTER_KEY: 'not base64 at all!' }, /^RT_ENCRYPTION_MASTER_KEY/],
			[{ RT_SCRIPT_TIMEOUT: '-5' }, /^RT_SCRIPT_TIMEOUT/],
			[{ RT_SCRIPT_MAX_MEMORY: '2' }, /^RT_SCRIPT_MAX_MEMORY: expected a number from 8/],
			[{ RT_SCRIPT_MAX_CONCURRENT_CALLS: '0' }, /^RT_SCRIPT_MAX_CONCURRENT_CALLS/],
			[{ RT_APP_KEY: { nested: true } }, /^RT_APP_KEY: expected a string/],
			[{ RT_CLIENT_EVENTS_PER_SECOND: '-1' }, /^RT_CLIENT_EVENTS_PER_SECOND: expected a whole number/],
			[{ RT_CLIENT_EVENTS_PER_SECOND: '100001' }, /^RT_CLIENT_EVENTS_PER_SECOND: expected a number from 0 to 100000/],
		];
		for (const [env, message] of cases) assert.throws(() => readConfig({ ...SECRET, ...env }), { code: 'CONFIG_INVALID', message }, JSON.stringify(env));
	});
});

/** Every `src` directory of the project (the extension's code, wherever the packages live). */
function sourceFiles(dir = ROOT, depth = 0): string[] {
	const files: string[] = [];
	for (const entry of readdirSync(dir, { withFileTypes: true })) {
		if (entry.name === 'node_modules' || entry.name.startsWith('.') || !entry.isDirectory()) continue;
		const path = join(dir, entry.name);
		if (entry.name === 'src') files.push(...tsFiles(path));
		else if (depth < 2 && !['test', 'bench', 'scripts', 'playground', 'docs', 'examples', 'dist'].includes(entry.name)) files.push(...sourceFiles(path, depth + 1));
	}
	return files;
}

function tsFiles(dir: string): string[] {
	return readdirSync(dir, { withFileTypes: true, recursive: true })
		.filter((e) => e.isFile() && /\.(ts|js|mjs)$/.test(e.name))
		.map((e) => join(e.parentPath, e.name));
}

describe('RT_VARIABLES', () => {
	it('lists every RT_* name the sources read or mention, and only those', () => {
		const files = sourceFiles();
		assert.ok(files.some((f) => f.endsWith(join('shared', 'src', 'config.ts'))), 'config.ts is among the scanned sources');
		assert.ok(files.some((f) => f.includes(`${join('migrations', 'src')}`)), 'the migrations are among the scanned sources');
		const known = new Set<string>(RT_VARIABLES);
		const mentioned = new Map<string, string>();
		const read = new Set<string>();
		for (const file of files) {
			let text = readFileSync(file, 'utf8');
			// The list itself is not a read.
			text = text.replace(/export const RT_VARIABLES = \[[^\]]*\]/, '');
			for (const [name] of text.matchAll(/\bRT_[A-Z0-9_]*[A-Z0-9]\b/g)) if (name !== 'RT_VARIABLES' && !mentioned.has(name)) mentioned.set(name, file.slice(ROOT.length));
			// A string literal ('RT_X', "RT_X") or a property (process.env.RT_X): a read.
			for (const [, name] of text.matchAll(/(?:['"]|\.)(RT_[A-Z0-9_]*[A-Z0-9])\b/g)) read.add(name!);
		}
		assert.deepEqual([...mentioned].filter(([name]) => !known.has(name)).map(([name, file]) => `${name} (${file})`), [], 'named in the sources but missing from RT_VARIABLES');
		assert.deepEqual(RT_VARIABLES.filter((name) => !read.has(name)), [], 'listed in RT_VARIABLES but never read');
	});

	it('has no duplicates and is documented in the README table', () => {
		assert.equal(new Set(RT_VARIABLES).size, RT_VARIABLES.length);
		const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
		assert.deepEqual(RT_VARIABLES.filter((name) => !readme.includes(`| \`${name}\` |`)), []);
	});

	it('unknownVariables names the RT_* entries that are not known, sorted', () => {
		const env = { RT_APP_SECRET: 's', RT_APP_SCERET: 's', RT_APP_HOST: 'soketi', RT_USE_TSL: 'true', DB_HOST: 'db', rt_lower: 'x', RT_: 'x' };
		assert.deepEqual(unknownVariables(env), ['RT_', 'RT_APP_SCERET', 'RT_USE_TSL']);
		assert.deepEqual(unknownVariables({}), []);
		assert.deepEqual(unknownVariables(Object.fromEntries(RT_VARIABLES.map((name) => [name, '1']))), []);
		// Set but empty is still set: the name is what is wrong.
		assert.deepEqual(unknownVariables({ RT_APP_PROT: undefined }), ['RT_APP_PROT']);
	});

	it('closestVariable suggests the name a typo meant, and nothing for unrelated names', () => {
		assert.equal(closestVariable('RT_APP_SCERET'), 'RT_APP_SECRET');
		assert.equal(closestVariable('RT_USE_TSL'), 'RT_USE_TLS');
		assert.equal(closestVariable('RT_APP_PROT'), 'RT_APP_PORT');
		assert.equal(closestVariable('RT_SCRIPT_TIMOUT'), 'RT_SCRIPT_TIMEOUT');
		assert.equal(closestVariable('RT_DONT_PRESETS'), 'RT_DONT_PRESET');
		assert.equal(closestVariable('RT_RUNTIME_DIR'), undefined);
		assert.equal(closestVariable('RT_SOKETI_NODE'), undefined);
	});
});
