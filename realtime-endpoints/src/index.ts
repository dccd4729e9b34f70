/** The endpoint extension (`/realtime`): wires routes to the shared authorization modules. */
import type { EndpointConfig } from '@directus/types';
import { registerRoutes } from '@directus-realtime/shared/auth/routes';
import { realtimeRuntime } from '@directus-realtime/shared/runtime';

const endpoint: EndpointConfig = {
	id: 'realtime',
	handler: (router, { env, database, logger, services, getSchema }) => {
		// A configuration error is reported by the hook extension, which stops the server start.
		const runtime = realtimeRuntime({ env, database, logger });
		registerRoutes(router, { runtime, services, database, getSchema: () => getSchema(), logger });
	},
};

export default endpoint;
