/**
 * Cost of one publisher run in the script sandbox, next to `new Function` running the same
 * script in the same process (a baseline with no isolation at all: this file is the only place
 * it may appear, it is not a sandbox). Runs are sequential, each awaited, as the hook does.
 *
 *   <node22> --import tsx bench/sandbox.bench.ts
 *
 * Prints a table and writes bench/results/sandbox.json. isolated-vm is found by the sandbox's
 * own loader; RT_ISOLATED_VM_PATH defaults to the Directus copy under .runtime/ (as in tests).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScriptSandbox, loadIsolatedVm, type HostEffect, type HostFunction } from '../shared/src/sandbox/index.js';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const RUNTIME_DIR = process.env.RT_RUNTIME_DIR ?? join(ROOT, '.runtime');
process.env.RT_ISOLATED_VM_PATH ??= join(RUNTIME_DIR, 'directus', 'node_modules', 'isolated-vm');

const BATCHES = 7;
const RUNS_PER_BATCH = Number(process.env.BENCH_RUNS ?? 20_000);
const ASYNC_RUNS_PER_BATCH = Math.max(1, Math.floor(RUNS_PER_BATCH / 10));

const PUBLISHER = [
	"trigger({ userId: meta.payload.recipient }, 'message', meta.payload);",
	"broadcastTo('presence-room-:roomId', { roomId: meta.payload.room }, 'created', { id: meta.key });",
].join('\n');

const AUTHORIZER = [
	"if (!(await can('read', 'rooms', params.roomId))) return false;",
	'return { user_id: auth.user.id, user_info: { name: auth.user.first_name } };',
].join('\n');

const meta = {
	key: 42,
	payload: { id: 42, room: 7, recipient: 'cd6feea9-bcb2-45bb-a664-6fea3fea88b8', text: 'Hello there', date_created: '2026-11-23T13:00:00.000Z' },
};
const authContext = {
	socket_id: '1234.5678',
	channel_name: 'presence-room-7',
	params: { roomId: '7' },
	auth: { user: { id: 'cd6feea9-bcb2-45bb-a664-6fea3fea88b8', first_name: 'Ada' } },
};

// What the host functions do is the same in both columns: record the event.
let sent = 0;
const trigger: HostFunction = (params, event, payload) => {
	if (params && event && payload) sent++;
};
const broadcastTo: HostFunction = (pattern, params, event, payload) => {
	if (pattern && params && event && payload) sent++;
};
// As the publisher pipeline passes them: checked when called, applied once the call counts.
const publishEffects: Record<string, HostEffect> = {
	trigger: (params, event, payload) => () => trigger(params, event, payload),
	broadcastTo: (pattern, params, event, payload) => () => broadcastTo(pattern, params, event, payload),
};
const can: HostFunction = async (action, collection, id) => action === 'read' && collection === 'rooms' && id === '7';

interface Row {
	case: string;
	path: string;
	runs: number;
	usPerRun: number;
}

interface Case {
	name: string;
	path: string;
	runs: number;
	once: () => unknown;
}

/**
 * Batches of the cases interleaved (a, b, c, a, b, c, ...) so that a slower or faster spell of
 * this shared machine hits them alike; each case's median batch is reported.
 */
async function measure(cases: Case[]): Promise<Row[]> {
	for (const c of cases) for (let i = 0; i < Math.min(c.runs, 2000); i++) await c.once();
	const perBatch = cases.map((): number[] => []);
	for (let batch = 0; batch < BATCHES; batch++) {
		for (const [index, c] of cases.entries()) {
			const started = process.hrtime.bigint();
			for (let i = 0; i < c.runs; i++) await c.once();
			perBatch[index]?.push(Number(process.hrtime.bigint() - started) / 1000 / c.runs);
		}
	}
	return cases.map((c, index) => {
		const sorted = (perBatch[index] ?? []).sort((a, b) => a - b);
		return { case: c.name, path: c.path, runs: c.runs * BATCHES, usPerRun: sorted[Math.floor(BATCHES / 2)] ?? Number.NaN };
	});
}

const sandbox = new ScriptSandbox({ timeoutMs: 1000, memoryMb: 32 });
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor as FunctionConstructor;
const publisherBaseline = new Function('collection', 'action', 'meta', 'trigger', 'broadcastTo', PUBLISHER);
const authorizerBaseline = new AsyncFunction('socket_id', 'channel_name', 'params', 'auth', 'can', AUTHORIZER);

// The engine's floor: the same compiled publisher called with applySync, context passed as JSON
// and host functions as bare isolated-vm callbacks; none of the sandbox's bookkeeping or guards.
const ivm = loadIsolatedVm();
const floorIsolate = new ivm.Isolate({ memoryLimit: 32 });
const floorContext = floorIsolate.createContextSync();
const floorRun = floorContext.evalClosureSync(
	`const fn = (function (collection, action, meta, trigger, broadcastTo) {\n${PUBLISHER}\n});
	const hostTrigger = $0, hostBroadcastTo = $1;
	const trigger = (...args) => hostTrigger(JSON.stringify(args));
	const broadcastTo = (...args) => hostBroadcastTo(JSON.stringify(args));
	return (json) => { const c = JSON.parse(json); return fn(c.collection, c.action, c.meta, trigger, broadcastTo); };`,
	[new ivm.Callback((json: string) => trigger(...JSON.parse(json))), new ivm.Callback((json: string) => broadcastTo(...JSON.parse(json)))],
	{ result: { reference: true } },
) as { applySync(receiver: undefined, args: unknown[], options: { timeout: number }): unknown };

const rows = await measure([
	{
		name: 'publisher, new Function (no sandbox)',
		path: 'baseline',
		runs: RUNS_PER_BATCH,
		once: () => publisherBaseline('chat', 'create', meta, trigger, broadcastTo),
	},
	{
		name: 'publisher, bare isolated-vm call (floor)',
		path: 'sync (applySync)',
		runs: RUNS_PER_BATCH,
		once: () => floorRun.applySync(undefined, [JSON.stringify({ collection: 'chat', action: 'create', meta })], { timeout: 1000 }),
	},
	{
		name: 'publisher, sandbox',
		path: 'sync (applySync)',
		runs: RUNS_PER_BATCH,
		once: () => sandbox.run({ source: PUBLISHER, context: { collection: 'chat', action: 'create', meta }, effects: publishEffects }),
	},
	{
		name: 'authorizer awaiting async can(), new AsyncFunction (no sandbox)',
		path: 'baseline',
		runs: ASYNC_RUNS_PER_BATCH,
		once: () => authorizerBaseline(authContext.socket_id, authContext.channel_name, authContext.params, authContext.auth, can),
	},
	{
		name: 'authorizer awaiting async can(), sandbox',
		path: 'async (apply off-thread)',
		runs: ASYNC_RUNS_PER_BATCH,
		once: () => sandbox.run({ source: AUTHORIZER, context: authContext, functions: { can } }),
	},
]);
floorIsolate.dispose();
sandbox.dispose();

const [publisherBase, publisherFloor, publisherBox, authorizerBase, authorizerBox] = rows as [Row, Row, Row, Row, Row];
const ratios = {
	publisherSandboxVsNewFunction: publisherBox.usPerRun / publisherBase.usPerRun,
	publisherSandboxVsBareIsolatedVm: publisherBox.usPerRun / publisherFloor.usPerRun,
	authorizerSandboxVsAsyncFunction: authorizerBox.usPerRun / authorizerBase.usPerRun,
	asyncPathVsSyncPath: authorizerBox.usPerRun / publisherBox.usPerRun,
};

console.log(`Script sandbox, per run (median of ${BATCHES} batches), Node ${process.versions.node}`);
console.table(rows.map((row) => ({ case: row.case, path: row.path, runs: row.runs, 'us/run': row.usPerRun.toFixed(2) })));
console.log(`publisher:  sandbox / new Function = ${ratios.publisherSandboxVsNewFunction.toFixed(1)}x`);
console.log(`publisher:  sandbox / bare isolated-vm call = ${ratios.publisherSandboxVsBareIsolatedVm.toFixed(2)}x`);
console.log(`authorizer: sandbox / AsyncFunction = ${ratios.authorizerSandboxVsAsyncFunction.toFixed(1)}x`);
console.log(`sandbox async path / sync path = ${ratios.asyncPathVsSyncPath.toFixed(1)}x`);
if (sent === 0) throw new Error('the host functions were never called');

const resultsDir = join(ROOT, 'bench', 'results');
if (!existsSync(resultsDir)) mkdirSync(resultsDir, { recursive: true });
const result = { bench: 'sandbox', date: new Date().toISOString(), node: process.versions.node, batches: BATCHES, rows, ratios };
writeFileSync(join(resultsDir, 'sandbox.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log(`written ${join('bench', 'results', 'sandbox.json')}`);
