import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../harness/paths.js';
import { freePort, waitFor } from '../harness/ports.js';

const answers = (url: string) =>
	fetch(url).then(
		(r) => r.ok,
		() => false,
	);

describe('processes started for tests and the playground', () => {
	it('go down with the process that started them, even when it is killed outright', async () => {
		const holder = spawn(process.execPath, ['--import', 'tsx', 'test/harness/hold-soketi.ts'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
		const [chunk] = (await once(holder.stdout!, 'data')) as [Buffer];
		const port = Number(chunk.toString().trim());
		assert.ok(await answers(`http://127.0.0.1:${port}/`));

		holder.kill('SIGKILL');
		await waitFor(async () => !(await answers(`http://127.0.0.1:${port}/`)), 15_000, () => `Soketi on ${port} outlived its parent`);
	});
});

describe('npm start (the playground)', () => {
	it('serves Directus, Soketi and the demo page, stops on Ctrl-C, and reuses its state', async () => {
		const dir = mkdtempSync(join(tmpdir(), 'rt-playground-'));
		// Every start, so a failed check still stops it (a start left running holds this file open).
		const started: ChildProcess[] = [];
		const ports = { DIRECTUS_PORT: String(await freePort()), SOKETI_PORT: String(await freePort()), PLAYGROUND_PORT: String(await freePort()) };
		const start = async () => {
			const child = spawn(process.env.RT_HOST_NODE ?? process.execPath, ['scripts/start.mjs'], {
				cwd: ROOT,
				// npm test built the tree; rebuilding here would swap dist/ under the suites running alongside.
				env: { ...process.env, ...ports, RT_PLAYGROUND_DIR: dir, PLAYGROUND_NO_BUILD: '1', NODE_OPTIONS: '' },
				stdio: ['ignore', 'pipe', 'pipe'],
			});
			started.push(child);
			let output = '';
			child.stdout!.on('data', (c) => (output += c));
			child.stderr!.on('data', (c) => (output += c));
			await waitFor(async () => output.includes('Ctrl-C stops everything'), 180_000, () => output);
			return { child, output: () => output };
		};
		try {
			const first = await start();
			assert.match(first.output(), /creating the Directus database/);
			assert.match(first.output(), /admin@example\.com \/ directus-realtime/);
			assert.ok(await answers(`http://127.0.0.1:${ports.PLAYGROUND_PORT}/`), first.output());
			assert.ok(await answers(`http://127.0.0.1:${ports.SOKETI_PORT}/`), first.output());
			const login = await fetch(`http://127.0.0.1:${ports.DIRECTUS_PORT}/auth/login`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({ email: 'admin@example.com', password: 'directus-realtime' }),
			});
			const token = ((await login.json()) as any).data.access_token;
			const channels = await fetch(`http://127.0.0.1:${ports.DIRECTUS_PORT}/items/realtime_channels?fields=channel_name`, { headers: { authorization: `Bearer ${token}` } });
			assert.deepEqual(((await channels.json()) as any).data.map((r: { channel_name: string }) => r.channel_name).sort(), ['flow-notices', 'messages', 'presence-lobby', 'private-messages']);
			// The demo page's live list loads the package's client helper from the playground's server.
			const helper = await fetch(`http://127.0.0.1:${ports.PLAYGROUND_PORT}/client/index.js`);
			assert.equal(helper.status, 200);
			assert.match(await helper.text(), /subscribeCollection/);

			first.child.kill('SIGINT');
			await once(first.child, 'exit');
			await waitFor(async () => !(await answers(`http://127.0.0.1:${ports.DIRECTUS_PORT}/server/ping`)) && !(await answers(`http://127.0.0.1:${ports.SOKETI_PORT}/`)), 15_000, () => 'the playground left a server running');

			const second = await start();
			assert.match(second.output(), /reusing/);
			assert.ok(existsSync(join(dir, 'directus', 'data.db')));
			second.child.kill('SIGINT');
			await once(second.child, 'exit');
		} finally {
			for (const child of started.filter((c) => c.exitCode === null && c.signalCode === null)) {
				child.kill('SIGINT');
				const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
				await once(child, 'exit');
				clearTimeout(killer);
			}
			rmSync(dir, { recursive: true, force: true });
		}
	});

	it("says so when the demo page's port is taken, and stops Directus and Soketi", async () => {
		const dir = mkdtempSync(join(tmpdir(), 'rt-playground-'));
		const taken = createServer();
		await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
		const page = (taken.address() as AddressInfo).port;
		const ports = { DIRECTUS_PORT: String(await freePort()), SOKETI_PORT: String(await freePort()), PLAYGROUND_PORT: String(page) };
		const child = spawn(process.env.RT_HOST_NODE ?? process.execPath, ['scripts/start.mjs'], {
			cwd: ROOT,
			env: { ...process.env, ...ports, RT_PLAYGROUND_DIR: dir, PLAYGROUND_NO_BUILD: '1', NODE_OPTIONS: '' },
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		let output = '';
		child.stdout!.on('data', (c) => (output += c));
		child.stderr!.on('data', (c) => (output += c));
		try {
			const [code] = (await once(child, 'exit')) as [number | null];
			assert.equal(code, 1, output);
			assert.match(output, new RegExp(`the demo page cannot listen on 127\\.0\\.0\\.1:${page} \\(EADDRINUSE\\); set PLAYGROUND_PORT to a free port`));
			assert.doesNotMatch(output, /Ctrl-C stops everything/, 'ready is not said');
			await waitFor(async () => !(await answers(`http://127.0.0.1:${ports.DIRECTUS_PORT}/server/ping`)) && !(await answers(`http://127.0.0.1:${ports.SOKETI_PORT}/`)), 15_000, () => 'the playground left a server running');
		} finally {
			if (child.exitCode === null) child.kill('SIGKILL');
			taken.close();
			rmSync(dir, { recursive: true, force: true });
		}
	});
});
