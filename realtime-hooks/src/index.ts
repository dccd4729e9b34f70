/** The hook extension: wires Directus events to the shared publish pipeline. */
import type { HookConfig } from '@directus/types';
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
	const { config, registry, sandbox, queue, reads } = runtime;

	init('middlewares.before', ({ app }) => app.use(socketIdMiddleware));

	registerChannelCollectionHooks({ filter, action }, { registry, validation: (schema) => scriptValidation(sandbox, schema) });

	registerPublisherHooks(
		{ filter, action },
		{
			registry,
			scripts: sandbox,
			readerFor: eventReaders(services, () => getSchema(), reads),
			enqueue: (event) => queue.enqueue(event),
			maxPayloadBytes: config.publish.maxPayloadBytes,
			encryption: config.pusher.encryptionMasterKeyBase64 !== undefined,
			log: { warn: (m) => logger.warn(m), error: (m) => logger.error(m) },
		},
	);
};

export default hook;
