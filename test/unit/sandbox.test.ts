import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ScriptSandbox } from '../../shared/src/sandbox/index.js';
import { testSandbox } from '../harness/sandbox.js';
import { sleep } from '../harness/time.js';

const PUBLISHER_NAMES = ['collection', 'action', 'meta', 'trigger', 'broadcastTo', 'sendToUser'];
const sandbox = testSandbox({ timeoutMs: 1000, memoryMb: 32 });

describe('script sandbox: running scripts', () => {
	it('runs the body of a function and resolves with what it returns', async () => {
		assert.equal(await sandbox.run({ source: 'return 6 * 7' }), 42);
	});

	it('shows the context as variables of the script', async () => {
		const result = await sandbox.run({
			source: 'return collection + ":" + action + ":" + meta.payload.id',
			context: { collection: 'chat', action: 'create', meta: { payload: { id: 7 } } },
		});
		assert.equal(result, 'chat:create:7');
	});

	it('copies returned objects, arrays and nested values out', async () => {
		const result = await sandbox.run({ source: 'return { user_id: "u1", user_info: { name: "Ada", tags: ["a", "b"], nested: [{ n: 1 }] } }' });
		assert.deepEqual(result, { user_id: 'u1', user_info: { name: 'Ada', tags: ['a', 'b'], nested: [{ n: 1 }] } });
	});

	it('resolves with undefined when the script returns nothing', async () => {
		assert.equal(await sandbox.run({ source: 'const x = 1;' }), undefined);
	});

	it('passes the arguments of host functions out as copies', async () => {
		const calls: unknown[][] = [];
		await sandbox.run({
			source: "trigger({ userId: meta.payload.recipient }, 'message', meta.payload);",
			context: { meta: { payload: { recipient: 'u2', text: 'hi' } } },
			functions: { trigger: (...args: unknown[]) => void calls.push(args) },
		});
		assert.deepEqual(calls, [[{ userId: 'u2' }, 'message', { recipient: 'u2', text: 'hi' }]]);
	});

	it('runs the seed README publisher unchanged', async () => {
		const sent: unknown[][] = [];
		await sandbox.run({
			source: [
				'trigger({userId:meta.payload.recipient.id},"message",meta.payload);',
				'broadcastTo("another-channel",{},"somethingHappend",meta.payload);',
			].join('\n'),
			context: { collection: 'chat', action: 'create', meta: { payload: { text: 'hi', recipient: { id: 'u3' } } } },
			functions: {
				trigger: (params: unknown, event: unknown) => void sent.push(['trigger', params, event]),
				broadcastTo: (channel: unknown, params: unknown, event: unknown) => void sent.push(['broadcastTo', channel, params, event]),
			},
		});
		assert.deepEqual(sent, [
			['trigger', { userId: 'u3' }, 'message'],
			['broadcastTo', 'another-channel', {}, 'somethingHappend'],
		]);
	});

	it('runs the seed README presence authorizer unchanged', async () => {
		const result = await sandbox.run({
			source: [
				'if(auth.user.id === params.userId)',
				'{',
				'return {user_id:auth.user.id,user_info:{name:auth.user.first_name}};',
				'}',
			].join('\n'),
			context: { socket_id: '1.2', channel_name: 'presence-chat-u1', params: { userId: 'u1' }, auth: { user: { id: 'u1', first_name: 'Ada' } } },
		});
		assert.deepEqual(result, { user_id: 'u1', user_info: { name: 'Ada' } });
	});

	it('gives the script the result of a sync host function', async () => {
		const result = await sandbox.run({ source: 'return lookup("a").value + 1', functions: { lookup: () => ({ value: 41 }) } });
		assert.equal(result, 42);
	});

	it('lets the script await an async host function', async () => {
		const result = await sandbox.run({
			source: "if (!(await can('read', 'rooms', params.roomId))) return false;\nreturn true;",
			context: { params: { roomId: '7' } },
			functions: { can: async (action: string, collection: string, id: string) => (await sleep(5), `${action}:${collection}:${id}` === 'read:rooms:7') },
		});
		assert.equal(result, true);
	});

	it('lets the script catch an error thrown by a host function, as an ordinary Error', async () => {
		const result = await sandbox.run({
			source: 'try { fail() } catch (error) { return [error instanceof Error, error.message] }',
			functions: {
				fail: () => {
					throw new Error('no such room');
				},
			},
		});
		assert.deepEqual(result, [true, 'no such room']);
	});

	it('lets the script catch a rejection of an async host function', async () => {
		const result = await sandbox.run({
			source: 'try { await query("rooms", {}) } catch (error) { return error.message }',
			functions: { query: async () => Promise.reject(new Error('forbidden')) },
		});
		assert.equal(result, 'forbidden');
	});

	it('copies context values as JSON: a Date arrives as its ISO string', async () => {
		const result = await sandbox.run({ source: 'return typeof meta.at + " " + meta.at', context: { meta: { at: new Date('2026-11-23T13:00:00.000Z') } } });
		assert.equal(result, 'string 2026-11-23T13:00:00.000Z');
	});

	it('runs many scripts in parallel, each with its own context and result', async () => {
		const users = Array.from({ length: 40 }, (_, index) => `user-${index}`);
		const results = await Promise.all(
			users.map((user, index) =>
				sandbox.run({
					source: 'const seen = await echo(auth.user.id, delay);\nreturn { seen, mine: auth.user.id };',
					context: { auth: { user: { id: user } }, delay: index % 7 },
					functions: { echo: async (value: string, ms: number) => (await sleep(ms), value) },
				}),
			),
		);
		assert.deepEqual(
			results,
			users.map((user) => ({ seen: user, mine: user })),
		);
	});
});

describe('script sandbox: errors an admin can act on', () => {
	it('reports a syntax error with line and column in the admin\u2019s own script', async () => {
		await assert.rejects(sandbox.run({ source: 'const a = 1;\nconst b = ;' }), {
			code: 'SCRIPT_SYNTAX',
			line: 2,
			column: 11,
			message: "Unexpected token ';' (line 2, column 11)",
		});
	});

	it('counts line 1, column 1 from the first character of the script', async () => {
		await assert.rejects(sandbox.run({ source: ')' }), { code: 'SCRIPT_SYNTAX', line: 1, column: 1 });
	});

	it('reports a runtime error with its message and line', async () => {
		await assert.rejects(sandbox.run({ source: 'const room = null;\n\nreturn room.id;' }), {
			code: 'SCRIPT_RUNTIME',
			line: 3,
			message: "TypeError: Cannot read properties of null (reading 'id') (line 3)",
		});
	});

	it('reports the line of a runtime error after an await', async () => {
		await assert.rejects(sandbox.run({ source: 'await ready();\nundefinedThing();', functions: { ready: async () => true } }), {
			code: 'SCRIPT_RUNTIME',
			line: 2,
			reason: 'ReferenceError: undefinedThing is not defined',
		});
	});

	it('reports an uncaught host function error at the line of the call, without the host stack', async () => {
		await assert.rejects(
			sandbox.run({
				source: 'const x = 1;\nfail();',
				functions: {
					fail: () => {
						throw new Error('Pusher is down');
					},
				},
			}),
			{ code: 'SCRIPT_RUNTIME', message: 'Error: Pusher is down (line 2)' },
		);
	});

	it('reports a thrown value that is not an Error by its text', async () => {
		await assert.rejects(sandbox.run({ source: "throw 'not allowed'" }), { code: 'SCRIPT_RUNTIME', message: 'not allowed', line: null });
	});

	it('refuses a return value that cannot be copied', async () => {
		await assert.rejects(sandbox.run({ source: 'return 10n' }), { code: 'SCRIPT_RUNTIME', reason: /cannot be copied/ });
	});
});

describe('script sandbox: check at save time', () => {
	it('accepts a script that compiles with the given names', () => {
		assert.equal(sandbox.check('trigger({ userId: meta.key }, "message", meta.payload);', PUBLISHER_NAMES), null);
	});

	it('accepts a script that uses await', () => {
		assert.equal(sandbox.check('return await can("read", "rooms", params.roomId);', ['params', 'can']), null);
	});

	it('describes a syntax error with line and column', () => {
		assert.deepEqual(sandbox.check('trigger({}, "a", meta);\n  if (x {}', PUBLISHER_NAMES), { message: "Unexpected token '{'", line: 2, column: 9 });
	});

	it('places a missing closing brace at the end of the script', () => {
		assert.deepEqual(sandbox.check('if (meta) {\n  trigger({}, "a", {});', PUBLISHER_NAMES), { message: 'Unexpected end of input', line: 2, column: 24 });
	});

	it('refuses a script that closes its function to add code outside it', () => {
		assert.match(sandbox.check('}); globalThis.x = 1; (function () {', PUBLISHER_NAMES)?.message ?? '', /must not close the function/);
	});

	it('does not run the script it checks', () => {
		assert.equal(sandbox.check('while (true) {}', PUBLISHER_NAMES), null);
	});

	it('refuses a context name that is not an identifier', () => {
		assert.throws(() => sandbox.check('return 1', ['socket-id']), TypeError);
	});
});

describe('script sandbox: calls that are wrong', () => {
	it('rejects a context that JSON cannot carry', async () => {
		await assert.rejects(sandbox.run({ source: 'return 1', context: { big: 1n } }), TypeError);
	});

	it('keeps the compiled-script cache within its size', async () => {
		const small = new ScriptSandbox({ cacheSize: 2 });
		for (const n of [1, 2, 3, 4, 5]) await small.run({ source: `return ${n}` });
		assert.deepEqual({ compiled: small.stats().compiledScripts, loaded: small.stats().loadedScripts }, { compiled: 2, loaded: 2 });
		small.dispose();
	});

	it('refuses runs once disposed', async () => {
		const closed = new ScriptSandbox({});
		closed.dispose();
		await assert.rejects(closed.run({ source: 'return 1' }), { code: 'SANDBOX_UNAVAILABLE' });
	});
});
