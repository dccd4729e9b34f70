/**
 * One Soketi and one Directus wired to it through RT_* variables: what most integration suites
 * share. `startStack()` in a `before`, `stack.stop()` in an `after`.
 */
import Pusher from 'pusher';
import { startDirectus, type Directus, type DirectusOptions } from './directus.js';
import { startSoketi, type Soketi, type SoketiOptions } from './soketi.js';

export interface Stack {
	directus: Directus;
	soketi: Soketi;
	/** Server-side Pusher HTTP client bound to the same Soketi app. */
	pusher: Pusher;
	rtEnv: Record<string, string>;
	stop(): Promise<void>;
}

export interface StackOptions {
	directus?: DirectusOptions;
	soketi?: SoketiOptions;
	/** RT_ENCRYPTION_MASTER_KEY for Directus, and the same key for the test's own Pusher client. */
	encryptionMasterKey?: string;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
	const soketi = await startSoketi(options.soketi);
	const rtEnv = {
		RT_APP_ID: soketi.app.id,
		RT_APP_KEY: soketi.app.key,
		RT_APP_SECRET: soketi.app.secret,
		RT_APP_HOST: soketi.host,
		RT_APP_PORT: String(soketi.port),
		RT_USE_TLS: 'false',
		...(options.encryptionMasterKey ? { RT_ENCRYPTION_MASTER_KEY: options.encryptionMasterKey } : {}),
	};
	let directus: Directus;
	try {
		directus = await startDirectus({ ...options.directus, env: { ...rtEnv, ...options.directus?.env } });
	} catch (error) {
		await soketi.stop();
		throw error;
	}
	const pusher = new Pusher({
		appId: soketi.app.id,
		key: soketi.app.key,
		secret: soketi.app.secret,
		host: soketi.host,
		port: String(soketi.port),
		useTLS: false,
		...(options.encryptionMasterKey ? { encryptionMasterKeyBase64: options.encryptionMasterKey } : {}),
	});
	return {
		directus,
		soketi,
		pusher,
		rtEnv,
		async stop() {
			await Promise.allSettled([directus.stop(), soketi.stop()]);
		},
	};
}
