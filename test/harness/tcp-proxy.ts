/**
 * A TCP relay in front of a real server, to cut the network between Directus and Soketi while
 * subscribers stay connected: `block()` refuses and drops connections, `unblock()` relays again.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { freePort } from './ports.js';

export interface TcpProxy {
	port: number;
	block(): Promise<void>;
	unblock(): Promise<void>;
	close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
	const port = await freePort();
	const sockets = new Set<Socket>();
	let server: Server | undefined;
	const listen = () =>
		new Promise<void>((resolve) => {
			server = createServer((client) => {
				const upstream = createConnection(targetPort, targetHost);
				sockets.add(client).add(upstream);
				const drop = () => {
					client.destroy();
					upstream.destroy();
					sockets.delete(client);
					sockets.delete(upstream);
				};
				client.on('error', drop).on('close', drop);
				upstream.on('error', drop).on('close', drop);
				client.pipe(upstream).pipe(client);
			});
			server.listen(port, '127.0.0.1', resolve);
		});
	const shut = () =>
		new Promise<void>((resolve) => {
			for (const s of sockets) s.destroy();
			sockets.clear();
			if (!server) return resolve();
			server.close(() => resolve());
			server = undefined;
		});
	await listen();
	return { port, block: shut, unblock: listen, close: shut };
}
