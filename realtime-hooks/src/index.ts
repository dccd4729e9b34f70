import type { HookConfig } from '@directus/types';
import { readConfig } from '@directus-realtime/shared/config';

const hook: HookConfig = ({ action }, { env, logger }) => {
	const config = readConfig(env);
	logger.info(`realtime hooks loaded for app ${config.pusher.appId}`);
	action('items.create', () => undefined);
};

export default hook;
