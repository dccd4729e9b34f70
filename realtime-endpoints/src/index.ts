/** The bundle's endpoint (`/realtime`): wires routes to the shared authorization modules. */
import type { EndpointConfig } from '@directus/types';
import { realtimeRuntime } from '@directus-realtime/shared';
import { registerRoutes } from './routes.js';

const endpoint: EndpointConfig = {
	id: 'realtime',
	handler: (router, { env, database, logger, services, getSchema }) => {
		let runtime;
		try {
			runtime = realtimeRuntime({ env, database, logger });
		} catch (error) {
			// The bundle's hook reports it and stops the server start; no routes without a runtime.
			logger.error(`realtime-endpoints: not registered: ${(error as Error).message}`);
			return;
		}
		registerRoutes(router, { runtime, services, database, getSchema: () => getSchema(), logger });
	},
};

export default endpoint;
