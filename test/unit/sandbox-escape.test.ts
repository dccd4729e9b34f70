import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { testSandbox } from '../harness/sandbox.js';
import { sleep } from '../harness/time.js';

// One isolate, so that every run below shares the realm of the runs before it.
const sandbox = testSandbox({ timeoutMs: 1000, poolSize: 1 });

const noop = () => undefined;

describe('script sandbox: nothing of the host is reachable', () => {
	it('keeps process out of reach through a host function\u2019s constructor', async () => {
		assert.equal(await sandbox.run({ source: "return trigger.constructor('return typeof process')()", functions: { trigger: noop } }), 'undefined');
	});

	it('keeps process out of reach through this.constructor.constructor', async () => {
		assert.equal(await sandbox.run({ source: "return this.constructor.constructor('return typeof process')()" }), 'undefined');
	});

	it('keeps require out of reach through a context object\u2019s constructor', async () => {
		assert.equal(await sandbox.run({ source: "return meta.constructor.constructor('return typeof require')()", context: { meta: {} } }), 'undefined');
	});

	it('hands the script an error of its own realm, without the host stack, when a host function throws', async () => {
		const result = await sandbox.run({
			source: [
				'try { fail(); } catch (error) {',
				"  return { reach: error.constructor.constructor('return typeof process')(), hostPaths: /file:|node:|\\/work\\//.test(error.stack) };",
				'}',
			].join('\n'),
			functions: {
				fail: () => {
					throw new Error('boom');
				},
			},
		});
		assert.deepEqual(result, { reach: 'undefined', hostPaths: false });
	});

	it('hands the script plain data when a host function returns functions, dates or host objects', async () => {
		const result = await sandbox.run({
			source: "const got = lookup();\nreturn { keys: Object.keys(got), at: typeof got.at, reach: got.constructor.constructor('return typeof process')() };",
			functions: { lookup: () => ({ fn: () => process, at: new Date(0), host: { ok: true } }) },
		});
		assert.deepEqual(result, { keys: ['at', 'host'], at: 'string', reach: 'undefined' });
	});

	it('gives the host plain data, never script functions, when a script returns them', async () => {
		assert.deepEqual(await sandbox.run({ source: 'return { fn() { return 1 }, n: 1, list: [() => 2] }' }), { n: 1, list: [null] });
	});

	it('runs the getters of a returned object inside the sandbox, giving the host plain values', async () => {
		const result = (await sandbox.run({ source: 'return { get reach() { return typeof process } }' })) as object;
		assert.deepEqual(Object.getOwnPropertyDescriptor(result, 'reach'), { value: 'undefined', writable: true, enumerable: true, configurable: true });
	});

	it('copies a returned Proxy into plain data inside the sandbox', async () => {
		const result = await sandbox.run({
			source: "return new Proxy({}, { ownKeys: () => ['a'], getOwnPropertyDescriptor: () => ({ value: 1, enumerable: true, configurable: true }), get: () => 'trap' });",
		});
		assert.deepEqual(result, { a: 'trap' });
	});

	it('gives host functions plain data when the script passes getters and proxies', async () => {
		const received: unknown[] = [];
		await sandbox.run({
			source: "record({ get secret() { return 'read inside' } }, new Proxy({}, { ownKeys: () => ['p'], getOwnPropertyDescriptor: () => ({ value: 1, enumerable: true, configurable: true }), get: () => 'trap' }));",
			functions: { record: (...args: unknown[]) => void received.push(...args) },
		});
		assert.deepEqual(Object.getOwnPropertyDescriptors(received[0]), { secret: { value: 'read inside', writable: true, enumerable: true, configurable: true } });
		assert.deepEqual(Object.getOwnPropertyDescriptors(received[1]), { p: { value: 'trap', writable: true, enumerable: true, configurable: true } });
	});

	it('resolves a returned thenable inside the sandbox', async () => {
		assert.equal(await sandbox.run({ source: 'return { then(resolve) { resolve(typeof process) } }' }), 'undefined');
	});

	it('ignores a script\u2019s attempt to patch Promise.prototype.then', async () => {
		await sandbox.run({ source: 'Promise.prototype.then = function () { return "patched" };' });
		assert.equal(await sandbox.run({ source: 'return await Promise.resolve("intact")' }), 'intact');
	});

	it('settles a Promise subclass with its own species inside the sandbox', async () => {
		const result = await sandbox.run({
			source: 'class Sneaky extends Promise { static get [Symbol.species]() { return Promise } }\nreturn Sneaky.resolve(typeof require);',
		});
		assert.equal(result, 'undefined');
	});

	it('does not let Error.prepareStackTrace be installed', async () => {
		const result = await sandbox.run({
			source: "Error.prepareStackTrace = (error, frames) => frames;\nreturn [typeof Error.prepareStackTrace, typeof new Error('x').stack];",
		});
		assert.deepEqual(result, ['undefined', 'string']);
	});

	it('has no SharedArrayBuffer and no Atomics', async () => {
		assert.deepEqual(await sandbox.run({ source: 'return [typeof SharedArrayBuffer, typeof Atomics]' }), ['undefined', 'undefined']);
	});

	it('has no WebAssembly', async () => {
		assert.equal(await sandbox.run({ source: 'return typeof WebAssembly' }), 'undefined');
	});

	it('has no process', async () => {
		assert.equal(await sandbox.run({ source: 'return typeof process' }), 'undefined');
	});

	it('has no require', async () => {
		assert.equal(await sandbox.run({ source: 'return typeof require' }), 'undefined');
	});

	it('refuses a dynamic import()', async () => {
		await assert.rejects(sandbox.run({ source: "await import('node:fs')" }), { code: 'SCRIPT_RUNTIME', reason: 'Error: Not supported' });
	});

	it('refuses a static import as a syntax error', async () => {
		await assert.rejects(sandbox.run({ source: "import fs from 'node:fs';" }), { code: 'SCRIPT_SYNTAX' });
	});

	it('has no timers', async () => {
		assert.deepEqual(await sandbox.run({ source: 'return [typeof setTimeout, typeof setInterval, typeof setImmediate]' }), ['undefined', 'undefined', 'undefined']);
	});

	it('has no fetch', async () => {
		assert.equal(await sandbox.run({ source: 'return typeof fetch' }), 'undefined');
	});
});

describe('script sandbox: no state across runs', () => {
	it('keeps a script\u2019s changes to Object.prototype from the host and from the next run', async () => {
		await sandbox.run({ source: "Object.prototype.polluted = 'yes';\nArray.prototype.push = () => 'hijacked';" });
		assert.deepEqual(await sandbox.run({ source: 'const list = [];\nlist.push(1);\nreturn [typeof ({}).polluted, list];' }), ['undefined', [1]]);
		assert.equal(({} as Record<string, unknown>).polluted, undefined);
	});

	it('keeps a script\u2019s changes to its context from the host object and from the next run', async () => {
		const meta = { payload: { id: 1 } };
		await sandbox.run({
			source: "meta.payload.id = 666;\nObject.defineProperty(meta, 'payload', { get() { return 'trap' } });",
			context: { meta },
		});
		assert.deepEqual(meta, { payload: { id: 1 } });
		assert.equal(await sandbox.run({ source: 'return meta.payload.id', context: { meta } }), 1);
	});

	it('gives the host no prototype change from a __proto__ key in a result', async () => {
		const result = (await sandbox.run({ source: 'return JSON.parse(\'{"__proto__": {"polluted": true}, "ok": 1}\')' })) as Record<string, unknown>;
		assert.deepEqual([Object.getPrototypeOf(result) === Object.prototype, result.polluted, Object.keys(result)], [true, undefined, ['ok']]);
	});

	it('does not let a script read a global another script wrote', async () => {
		await sandbox.run({ source: 'globalThis.stash = meta.secret;\nsecretVar = meta.secret;', context: { meta: { secret: 'token-of-user-a' } } });
		assert.deepEqual(await sandbox.run({ source: 'return [typeof globalThis.stash, typeof secretVar]' }), ['undefined', 'undefined']);
	});

	it('does not let a script keep data on its own function between runs', async () => {
		const source = 'const previous = arguments.callee.last;\narguments.callee.last = user;\nreturn previous === undefined ? null : previous;';
		await sandbox.run({ source, context: { user: 'user-a' } });
		assert.equal(await sandbox.run({ source, context: { user: 'user-b' } }), null);
	});

	it('does not leak the last regular expression match to the next run', async () => {
		await sandbox.run({ source: "/token=(\\w+)/.exec('token=secret-of-user-a');" });
		assert.deepEqual(await sandbox.run({ source: 'return [typeof RegExp.$1, typeof RegExp.lastMatch, typeof RegExp.input]' }), ['undefined', 'undefined', 'undefined']);
	});

	it('does not let a script keep data on intrinsics reachable only from instances', async () => {
		await sandbox.run({
			source: [
				"Object.getPrototypeOf([][Symbol.iterator]()).stash = 'secret';",
				"Object.getPrototypeOf(function* () {}).stash = 'secret';",
				"Object.getPrototypeOf(async function () {}).stash = 'secret';",
			].join('\n'),
		});
		const result = await sandbox.run({
			source: [
				'return [',
				'  Object.getPrototypeOf([][Symbol.iterator]()).stash,',
				'  Object.getPrototypeOf(function* () {}).stash,',
				'  Object.getPrototypeOf(async function () {}).stash,',
				'].map(String);',
			].join('\n'),
		});
		assert.deepEqual(result, ['undefined', 'undefined', 'undefined']);
	});

	it('still lets a script set name and toString on its own objects', async () => {
		const result = await sandbox.run({
			source: "const error = new Error('x');\nerror.name = 'RoomError';\nconst room = {};\nroom.toString = () => 'room 7';\nreturn [String(error), String(room)];",
		});
		assert.deepEqual(result, ['RoomError: x', 'room 7']);
	});

	it('never runs code a finished run left waiting on a host promise', async () => {
		const sent: unknown[] = [];
		await sandbox.run({
			source: "later().then(() => trigger('late'));\nreturn 'done';",
			functions: { later: () => sleep(20), trigger: (event: unknown) => void sent.push(event) },
		});
		await sleep(60);
		await sandbox.run({ source: 'return 1' });
		assert.deepEqual(sent, []);
	});
});
