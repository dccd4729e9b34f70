import type { EndpointConfig } from '@directus/types';

const endpoint: EndpointConfig = {
	id: 'realtime',
	handler: (router) => {
		router.get('/health', (_req, res) => {
			res.json({ ok: true });
		});
	},
};

export default endpoint;
