/** A real Soketi 1.6.1 (the Pusher-protocol server) on free ports. */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startProcess, type ManagedProcess } from './process.js';
import { ROOT, SOKETI_NODE } from './paths.js';
import { freePort, GiveUp, waitFor } from './ports.js';

export interface PusherApp {
	id: string;
	key: string;
	secret: string;
}

export interface Soketi {
	readonly host: string;
	readonly port: number;
	readonly app: PusherApp;
	readonly process: ManagedProcess;
	/** Soketi's own count of REST API calls it received (Prometheus metric). */
	httpCallsReceived(): Promise<number>;
	/** Stops the server; `start()` brings it back on the same port (for outage tests). */
	stop(): Promise<void>;
	/** Kills the server outright (SIGKILL, no graceful close of its sockets), as a crash would; `start()` brings it back. */
	kill(): Promise<void>;
	start(): Promise<void>;
}

export interface SoketiOptions {
	app?: Partial<PusherApp>;
	/** Extra SOKETI_* variables (webhooks, limits, Redis adapter...). */
	env?: Record<string, string>;
	port?: number;
}

/**
 * The app secret of the test Soketis (unless a test sets its own) and of every test Directus:
 * random per run, never Soketi's well-known default "app-secret", so nothing can pass by signing
 * with a default.
 */
export const TEST_APP_SECRET = `rt-test-${randomBytes(12).toString('hex')}`;

const SERVER = join(ROOT, 'node_modules', '@soketi', 'soketi', 'bin', 'server.js');

export async function startSoketi(options: SoketiOptions = {}): Promise<Soketi> {
	const app: PusherApp = { id: 'app-id', key: 'app-key', secret: TEST_APP_SECRET, ...options.app };
	const port = options.port ?? (await freePort());
	const metricsPort = await freePort();
	const env: NodeJS.ProcessEnv = {
		PATH: process.env.PATH,
		HOME: process.env.HOME,
		SOKETI_PORT: String(port),
		SOKETI_METRICS_SERVER_PORT: String(metricsPort),
		SOKETI_METRICS_ENABLED: 'true',
		SOKETI_DEFAULT_APP_ID: app.id,
		SOKETI_DEFAULT_APP_KEY: app.key,
		SOKETI_DEFAULT_APP_SECRET: app.secret,
		SOKETI_DEFAULT_APP_ENABLE_CLIENT_MESSAGES: 'true',
		SOKETI_DEFAULT_APP_USER_AUTHENTICATION: 'true',
		SOKETI_SHUTDOWN_GRACE_PERIOD: '0',
		SOKETI_SERVER_GRACE_PERIOD_MS: '0',
		AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
		...options.env,
	};
	let proc: ManagedProcess;
	const start = async () => {
		proc = startProcess('soketi', SOKETI_NODE, [SERVER, 'start'], { env });
		await waitFor(
			async () => {
				if (!proc.isRunning()) throw new GiveUp('soketi exited');
				const res = await fetch(`http://127.0.0.1:${port}/`);
				return res.ok;
			},
			20_000,
			() => `soketi did not answer on port ${port}:\n${proc.output().slice(-3000)}`,
		);
	};
	await start();
	return {
		host: '127.0.0.1',
		port,
		app,
		get process() {
			return proc;
		},
		stop: () => proc.stop(),
		async kill() {
			if (!proc.isRunning() || proc.pid === undefined) return;
			// The supervisor (scripts/supervise.mjs) SIGKILLs Soketi's process group on SIGUSR2.
			process.kill(proc.pid, 'SIGUSR2');
			await proc.exited;
		},
		async httpCallsReceived() {
			const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
			return text
				.split('\n')
				.filter((line) => line.startsWith('soketi_http_calls_received_total'))
				.reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
		},
		start,
	};
}
