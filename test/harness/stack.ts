/**
 * One Soketi and one Directus wired to it through RT_* variables: what most integration suites
 * share. `startStack()` in a `before`, `stack.stop()` in an `after`.
 */
import Pusher from 'pusher';
import { startDirectus, type Directus, type DirectusOptions } from './directus.js';
import { freePort } from './ports.js';
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
	/** Soketi sends webhooks of these types, and always cache_miss, to the Directus' POST /realtime/webhook. */
	webhooks?: string[];
}

/**
 * SOKETI_DEFAULT_APP_WEBHOOKS for webhooks of `eventTypes` to POST /realtime/webhook of a Directus
 * on `port`; cache_miss always, as a deployment should have it (cache channels' last event).
 */
export function webhookEnv(port: number, eventTypes: string[]): Record<string, string> {
	const types = [...new Set([...eventTypes, 'cache_miss'])];
	return { SOKETI_DEFAULT_APP_WEBHOOKS: JSON.stringify([{ url: `http://127.0.0.1:${port}/realtime/webhook`, event_types: types }]) };
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
	const directusPort = options.directus?.port ?? (await freePort());
	const soketi = await startSoketi({
		...options.soketi,
		env: { ...webhookEnv(directusPort, options.webhooks ?? []), ...options.soketi?.env },
	});
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
		directus = await startDirectus({ ...options.directus, port: directusPort, env: { ...rtEnv, ...options.directus?.env } });
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
