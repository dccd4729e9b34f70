/** The bundle's endpoint (`/realtime`): wires the route table (routes.ts) to the shared runtime. */
import type { EndpointConfig } from '@directus/types';
import { loadDirectusEmitter, realtimeRuntime } from '@directus-realtime/shared';
import { registerRoutes } from './routes.js';

const endpoint: EndpointConfig = {
	id: 'realtime',
	handler: (router, { env, database, logger, services, getSchema, emitter }) => {
		let runtime;
		try {
			runtime = realtimeRuntime({ env, database, logger });
		} catch (error) {
			// The bundle's hook reports it and stops the server start; no routes without a runtime.
			logger.error(`realtime-endpoints: not registered: ${(error as Error).message}`);
			return;
		}
		// Flows and other extensions listen on Directus' own emitter, not on the one handed to extensions.
		const hostEmitter = loadDirectusEmitter().then((found) => {
			if (!found) logger.warn('realtime-endpoints: Directus\' event emitter was not found; webhook actions reach only extensions, not Flows');
			return found ?? emitter;
		});
		registerRoutes(router, { runtime, services, database, getSchema: () => getSchema(), logger, emitter: hostEmitter });
	},
};

export default endpoint;
