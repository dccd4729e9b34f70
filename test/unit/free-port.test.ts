import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { describe, it } from 'node:test';
import { freePort, PORT_RANGE } from '../harness/ports.js';

const listen = (port: number) =>
	new Promise<Server>((resolve, reject) => {
		const server = createServer();
		server.once('error', reject);
		server.listen(port, '127.0.0.1', () => resolve(server));
	});

describe('freePort, the ports test servers listen on', () => {
	it('looks below the kernel\'s ephemeral range, where no outgoing connection takes a port meanwhile', async () => {
		assert.ok(PORT_RANGE.to - PORT_RANGE.from >= 1000, `range ${JSON.stringify(PORT_RANGE)}`);
		// What the kernel hands an outgoing connection (or listen(0)) lies past the range.
		for (let i = 0; i < 20; i++) {
			const server = await listen(0);
			const { port } = server.address() as AddressInfo;
			await new Promise((r) => server.close(r));
			assert.ok(port >= PORT_RANGE.to, `the kernel gave ${port}, inside ${PORT_RANGE.from}-${PORT_RANGE.to - 1}`);
		}
	});

	it('gives ports of that range that can be listened on, and different ones', async () => {
		const ports: number[] = [];
		for (let i = 0; i < 50; i++) ports.push(await freePort());
		for (const port of ports) assert.ok(port >= PORT_RANGE.from && port < PORT_RANGE.to, `${port} is outside ${PORT_RANGE.from}-${PORT_RANGE.to - 1}`);
		assert.ok(new Set(ports).size >= 45, `random picks repeat too often: ${ports}`);
		const servers = await Promise.all(ports.slice(0, 5).filter((p, i, all) => all.indexOf(p) === i).map(listen));
		await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
	});

	it('never gives a port something listens on', async () => {
		// Hold 200 ports of the range (about 1 in 64) and ask 500 times: without the check a held one comes back.
		const taken = new Set<number>();
		const servers: Server[] = [];
		try {
			while (servers.length < 200) {
				const port = await freePort();
				if (taken.has(port)) continue;
				servers.push(await listen(port));
				taken.add(port);
			}
			for (let i = 0; i < 500; i++) assert.ok(!taken.has(await freePort()), 'gave a port that is listened on');
		} finally {
			await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
		}
	});
});
