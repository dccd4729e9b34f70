/** The hook extension: wires Directus events to the shared publish pipeline. */
import type { HookConfig } from '@directus/types';
import { authBodyGate } from '@directus-realtime/shared/auth/body-gate';
import { allowedByDirectus, loadDirectusCors } from '@directus-realtime/shared/auth/directus-access';
import { registerChannelCollectionHooks } from '@directus-realtime/shared/channels/collection-hooks';
import { eventReaders } from '@directus-realtime/shared/items/reader';
import { registerPublisherHooks } from '@directus-realtime/shared/publisher/hooks';
import { socketIdMiddleware } from '@directus-realtime/shared/request-context';
import { realtimeRuntime } from '@directus-realtime/shared/runtime';
import { scriptValidation } from '@directus-realtime/shared/script-validation';
import { stopServerStart } from '@directus-realtime/shared/startup';

const hook: HookConfig = ({ filter, action, init }, { env, database, logger, services, getSchema }) => {
	let runtime;
	try {
		runtime = realtimeRuntime({ env, database, logger });
	} catch (error) {
		stopServerStart(init, logger, 'realtime-hooks', error as Error);
		return;
	}
	const { config, registry, scripts, queue, reads } = runtime;

	init('middlewares.before', async ({ app }) => {
		app.use(socketIdMiddleware);
		// Before Directus parses any body: anonymous and oversized auth requests stop here.
		app.use(
			authBodyGate({
				publicUrl: env.PUBLIC_URL as string | undefined,
				sessionCookieName: String(env.SESSION_COOKIE_NAME ?? 'directus_session_token'),
				cors: await loadDirectusCors(),
			}),
		);
	});

	registerChannelCollectionHooks({ filter, action }, { registry, validation: (schema) => scriptValidation(scripts.publishers, schema) });

	registerPublisherHooks(
		{ filter, action },
		{
			registry,
			scripts: scripts.publishers,
			readerFor: eventReaders(services, () => getSchema(), reads),
			enqueue: (event) => queue.enqueue(event),
			maxPayloadBytes: config.publish.maxPayloadBytes,
			encryption: config.pusher.encryptionMasterKeyBase64 !== undefined,
			log: { warn: (m) => logger.warn(m), error: (m) => logger.error(m) },
			mayDelete: (accountability, collection, keys, context) =>
				allowedByDirectus({ accountability, action: 'delete', collection, keys }, { schema: context.schema, knex: context.database as never }, (m) => logger.warn(m)),
			maxKeysPerEvent: config.items.maxKeysPerEvent,
			pendingMaxBytes: config.items.pendingMaxBytes,
		},
	);
};

export default hook;
